"""Key-encryption keys (KEKs): the keys that wrap every subject's data key.

A KEK is held by the processes (a setting, a key file, a KMS) and never by PostgreSQL, so a copy
of the database files, the WAL or a backup decrypts no personal field on its own. Each KEK has an
id, a prefix of a hash of the key, that every wrapped data key records: the id says which key a
row needs without revealing the key, and lets an erasure tell which KEKs must be destroyed before
no copy of the erased key can be unwrapped any more.

``KeyEncryptionKeys`` is the provider interface and ``KeyWrapper`` one key as the store uses it;
a KMS plugs in by implementing both (its keys need never leave it).
``StaticKeyEncryptionKeys`` holds keys given as bytes (a setting or a key file).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from eventstore.errors import CorruptEvent

KEK_BYTES = 32
_NONCE_BYTES = 12
_ID_DOMAIN = b"pathways/key-encryption-key-id\x00"


def key_encryption_key_id(key: bytes) -> str:
    """The id of ``key``: ``k-`` and 16 hex digits of a hash of it (never the key itself)."""
    return "k-" + hashlib.sha256(_ID_DOMAIN + key).hexdigest()[:16]


@dataclass(frozen=True)
class KeyEncryptionKey:
    """One KEK: wraps and unwraps data keys under AES-256-GCM, bound to their subject.

    Attributes:
        key_id: see ``key_encryption_key_id``.
    """

    secret: bytes = field(repr=False)
    key_id: str = field(init=False)

    def __post_init__(self) -> None:
        if len(self.secret) != KEK_BYTES:
            raise ValueError(f"a key-encryption key must be {KEK_BYTES} bytes (AES-256)")
        object.__setattr__(self, "key_id", key_encryption_key_id(self.secret))

    def wrap(self, subject_id: str, data_key: bytes) -> bytes:
        """``nonce || AES-GCM(data_key)``; the subject id is the associated data, so a wrapped
        key copied onto another subject's row does not unwrap."""
        nonce = os.urandom(_NONCE_BYTES)
        return nonce + AESGCM(self.secret).encrypt(nonce, data_key, subject_id.encode())

    def unwrap(self, subject_id: str, wrapped: bytes) -> bytes:
        """The data key in ``wrapped``.

        Raises:
            CorruptEvent: ``wrapped`` was not made by this KEK for this subject.
        """
        try:
            return AESGCM(self.secret).decrypt(
                wrapped[:_NONCE_BYTES], wrapped[_NONCE_BYTES:], subject_id.encode()
            )
        except (InvalidTag, ValueError) as exc:
            raise CorruptEvent(
                f"data key of subject {subject_id} fails unwrapping under {self.key_id}"
            ) from exc


WRAPPED_KEY_BYTES = _NONCE_BYTES + 32 + 16
"""Length of a wrapped 32-byte data key: nonce, ciphertext, GCM tag."""


class KeyWrapper(Protocol):
    """One KEK as the store uses it: ``KeyEncryptionKey``, or a KMS key that never leaves it."""

    @property
    def key_id(self) -> str:
        """The id rows record (not secret)."""
        ...

    def wrap(self, subject_id: str, data_key: bytes) -> bytes:
        """The data key, wrapped for this subject."""
        ...

    def unwrap(self, subject_id: str, wrapped: bytes) -> bytes:
        """The data key; ``CorruptEvent`` if ``wrapped`` is not this KEK's for this subject."""
        ...


class KeyEncryptionKeys(Protocol):
    """Where the event store gets its KEKs (a setting, a key file, a KMS)."""

    def current(self) -> KeyWrapper:
        """The KEK new data keys are wrapped under."""
        ...

    def by_id(self, key_id: str) -> KeyWrapper | None:
        """The KEK with this id, if this process holds it."""
        ...


class StaticKeyEncryptionKeys:
    """KEKs given as bytes: the current one, and any others still held (e.g. mid-rotation).

    Args:
        current: the key new data keys are wrapped under.
        others: keys that only unwrap.
    """

    def __init__(self, current: bytes, others: tuple[bytes, ...] = ()) -> None:
        self._current = KeyEncryptionKey(current)
        self._by_id = {k.key_id: k for k in (KeyEncryptionKey(o) for o in others)}
        self._by_id[self._current.key_id] = self._current

    def current(self) -> KeyEncryptionKey:
        """See ``KeyEncryptionKeys.current``."""
        return self._current

    def by_id(self, key_id: str) -> KeyEncryptionKey | None:
        """See ``KeyEncryptionKeys.by_id``."""
        return self._by_id.get(key_id)

    def held_ids(self) -> frozenset[str]:
        """Ids of every key held."""
        return frozenset(self._by_id)
