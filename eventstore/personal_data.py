"""Encryption of personal fields under a per-subject data key (crypto-shredding).

Each personal field's value is replaced, before hashing and storing, by ``pwenc1:`` followed by
base64url(nonce || AES-256-GCM ciphertext). The nonce is synthetic (an HMAC of the event id, the
field name and the plaintext): a retried append encrypts to the same bytes, which is what lets the
store recognise a replay by comparing stored text, and the same key and nonce only ever meet the
same plaintext, so determinism leaks nothing beyond "this retry carried the same value".
The associated data binds each ciphertext to its event, field and subject, so ciphertext cannot be
moved between events unnoticed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Collection, Mapping
from typing import Any
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from eventstore.errors import CorruptEvent
from eventstore.events import ERASED
from eventstore.hashing import canonical_json

DATA_KEY_BYTES = 32
_PREFIX = "pwenc1:"
_NONCE_BYTES = 12

CIPHERTEXT_MARK = '"' + _PREFIX
"""Text every stored payload holding a ciphertext contains: a JSON string starting ``pwenc1:``.

A payload text without it has nothing to decrypt, whatever its ``personal_fields`` say (a
personal field whose value was ``null`` is stored as ``null``)."""


def _subkey(data_key: bytes, purpose: bytes) -> bytes:
    # Separate keys for encryption and nonce derivation, both derived from the one stored key.
    return hmac.digest(data_key, b"pathways/" + purpose, hashlib.sha256)


def _associated_data(event_id: UUID, field: str, subject_id: str) -> bytes:
    return b"\x00".join((event_id.bytes, field.encode(), subject_id.encode()))


def _aead(data_key: bytes, subject_id: str) -> AESGCM:
    if len(data_key) != DATA_KEY_BYTES:
        raise CorruptEvent(
            f"data key of subject {subject_id} is not a {DATA_KEY_BYTES}-byte key"
            " (wrapped under a master key the key store was not given?)"
        )
    return AESGCM(_subkey(data_key, b"encryption"))


def encrypt_personal_fields(
    payload: dict[str, Any],
    fields: Collection[str],
    *,
    data_key: bytes,
    event_id: UUID,
    subject_id: str,
) -> dict[str, Any]:
    """Return a copy of ``payload`` whose personal fields are ciphertext.

    ``None`` values stay ``None``: there is nothing personal in an absent value.
    """
    sealed = dict(payload)
    aead = AESGCM(_subkey(data_key, b"encryption"))
    nonce_key = _subkey(data_key, b"nonce")
    for field in fields:
        value = payload.get(field)
        if value is None:
            continue
        plaintext = canonical_json(value).encode()
        associated = _associated_data(event_id, field, subject_id)
        nonce = hmac.digest(nonce_key, associated + b"\x00" + plaintext, hashlib.sha256)
        nonce = nonce[:_NONCE_BYTES]
        token = base64.urlsafe_b64encode(nonce + aead.encrypt(nonce, plaintext, associated))
        sealed[field] = _PREFIX + token.decode()
    return sealed


def reveal_personal_fields(
    payload: dict[str, Any],
    fields: Collection[str],
    *,
    data_key: bytes | None,
    event_id: UUID,
    subject_id: str,
) -> dict[str, Any]:
    """Decrypt personal fields in place of their ciphertext, or mark them ``ERASED``.

    Raises:
        CorruptEvent: a ciphertext fails authentication (it was altered or moved).
    """
    keys = {} if data_key is None else {subject_id: data_key}
    return PersonalFieldReader(keys).reveal(
        payload, fields, event_id=event_id, subject_id=subject_id
    )


class PersonalFieldReader:
    """Decrypts the personal fields of a batch of events with the batch's data keys.

    Why a reader per batch: deriving a subject's cipher (an HMAC and an AES key schedule) costs
    more than decrypting a field, and a batch usually holds many events of few subjects. The
    ciphers live as long as the batch, never longer, so an erased subject's key is not kept.

    Args:
        keys: data keys by subject id; a subject without a key reads back as ``ERASED``.
    """

    def __init__(self, keys: Mapping[str, bytes]) -> None:
        self._keys = keys
        self._ciphers: dict[str, AESGCM | None] = {}

    def _cipher(self, subject_id: str) -> AESGCM | None:
        if subject_id not in self._ciphers:
            data_key = self._keys.get(subject_id)
            self._ciphers[subject_id] = None if data_key is None else _aead(data_key, subject_id)
        return self._ciphers[subject_id]

    def reveal(
        self, payload: dict[str, Any], fields: Collection[str], *, event_id: UUID, subject_id: str
    ) -> dict[str, Any]:
        """``reveal_personal_fields`` with this batch's keys (``payload`` is changed in place)."""
        for field in fields:
            value = payload.get(field)
            if not isinstance(value, str) or not value.startswith(_PREFIX):
                continue
            aead = self._cipher(subject_id)
            if aead is None:
                payload[field] = ERASED
                continue
            payload[field] = _decrypt(
                aead, value, event_id=event_id, field=field, subject_id=subject_id
            )
        return payload


def _decrypt(aead: AESGCM, value: str, *, event_id: UUID, field: str, subject_id: str) -> Any:
    try:
        raw = base64.urlsafe_b64decode(value[len(_PREFIX) :])
        plaintext = aead.decrypt(
            raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], _associated_data(event_id, field, subject_id)
        )
    except (InvalidTag, binascii.Error, ValueError) as exc:
        raise CorruptEvent(f"event {event_id}: personal field {field!r} fails decryption") from exc
    return json.loads(plaintext)
