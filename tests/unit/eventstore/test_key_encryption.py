"""Key-encryption keys wrap data keys bound to their subject, and name themselves by a hash."""

from __future__ import annotations

import os
import re

import pytest

from eventstore import CorruptEvent, KeyEncryptionKey, StaticKeyEncryptionKeys
from eventstore.key_encryption import WRAPPED_KEY_BYTES


def test_a_wrapped_key_unwraps_only_under_its_key_and_for_its_subject() -> None:
    kek, other = KeyEncryptionKey(os.urandom(32)), KeyEncryptionKey(os.urandom(32))
    data_key = os.urandom(32)

    wrapped = kek.wrap("person-1", data_key)

    assert len(wrapped) == WRAPPED_KEY_BYTES
    assert data_key not in wrapped
    assert kek.unwrap("person-1", wrapped) == data_key
    with pytest.raises(CorruptEvent, match=other.key_id):
        other.unwrap("person-1", wrapped)
    with pytest.raises(CorruptEvent):
        kek.unwrap("person-2", wrapped)  # copied onto another person's row


def test_the_key_id_is_a_hash_prefix_that_does_not_reveal_the_key() -> None:
    secret = os.urandom(32)
    kek = KeyEncryptionKey(secret)

    assert re.fullmatch(r"k-[0-9a-f]{16}", kek.key_id)
    assert secret.hex()[:16] not in kek.key_id
    assert "secret" not in repr(kek)
    assert secret.hex() not in repr(kek)


def test_a_key_of_the_wrong_length_is_refused() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        KeyEncryptionKey(b"short")


def test_static_keys_wrap_under_the_current_one_and_find_every_held_one_by_id() -> None:
    current, older = os.urandom(32), os.urandom(32)
    keys = StaticKeyEncryptionKeys(current, (older,))

    assert keys.current().secret == current
    older_id = KeyEncryptionKey(older).key_id
    assert keys.by_id(older_id) is not None
    assert keys.by_id("k-0000000000000000") is None
    assert keys.held_ids() == {keys.current().key_id, older_id}
