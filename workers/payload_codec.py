"""Every payload a pathways process hands to Temporal is encrypted first (AES-256-GCM).

Why: commands reach a pathway's workflow as Temporal updates, and their free text (the person's
own words about their goals, contact notes) would otherwise sit in Temporal's persistence in the
clear for as long as the pathway runs, which for follow-along support can be years (ADR 0006).
Search attributes are not payloads and stay readable; they hold pseudonymous ids only.

Each encrypted payload names the key it was sealed with (``encryption-key-id``: the first 16 hex
digits of the key's SHA-256), so keys can be rotated: the current key encrypts, previous keys
still decrypt. Payloads written before encryption was turned on pass through decoding unchanged.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

from workers import key_files
from workers.key_files import KeyFileError, new_key_text, parse_key_text

ENCODING = b"binary/encrypted"
"""The ``encoding`` metadata of an encrypted payload (the name Temporal's samples use)."""
KEY_ID = "encryption-key-id"
KEY_BYTES = 32
KEY_FILE_NAME = "temporal-payload.key"
_NONCE_BYTES = 12
_AAD = b"pathways-temporal-payload-v1"

__all__ = [
    "ENCODING",
    "KEY_ID",
    "EncryptionCodec",
    "PayloadKeyError",
    "PayloadKeys",
    "key_file_key",
    "key_id",
    "new_key_text",
    "parse_key",
]


class PayloadKeyError(ValueError):
    """A payload key is malformed, missing or unknown; the message is one line."""


def key_id(key: bytes) -> str:
    """The id an encrypted payload carries for ``key`` (not secret: a hash prefix)."""
    return hashlib.sha256(key).hexdigest()[:16]


def parse_key(text: str) -> bytes:
    """Decode one key given as base64 (standard or URL-safe alphabet) of 32 bytes.

    Raises:
        PayloadKeyError: not base64, or not 32 bytes long.
    """
    try:
        return parse_key_text(text, what="a payload key")
    except KeyFileError as exc:
        raise PayloadKeyError(str(exc)) from None


def key_file_key(data_dir: Path) -> bytes:
    """The embedded default key in ``data_dir``, created on first use (see ``workers.key_files``).

    Raises:
        PayloadKeyError: the file cannot be made or read; one line naming the path and setting.
    """
    try:
        return key_files.key_file_key(
            data_dir / KEY_FILE_NAME, setting="PATHWAYS_TEMPORAL_PAYLOAD_KEY", what="a payload key"
        )
    except KeyFileError as exc:
        raise PayloadKeyError(str(exc)) from None


@dataclass(frozen=True)
class PayloadKeys:
    """The key that encrypts, and every key that may decrypt (the current one included)."""

    current: bytes
    previous: tuple[bytes, ...] = ()


class EncryptionCodec(PayloadCodec):
    """AES-256-GCM over each serialised payload, with a fresh 96-bit nonce per payload."""

    def __init__(self, keys: PayloadKeys) -> None:
        self._current_id = key_id(keys.current).encode()
        self._encrypt = AESGCM(keys.current)
        self._decrypt = {
            key_id(key).encode(): AESGCM(key) for key in (*keys.previous, keys.current)
        }

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        """Encrypt every payload with the current key."""
        return [self._encrypted(payload) for payload in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        """Decrypt encrypted payloads; pass the others (written before encryption) through.

        Raises:
            PayloadKeyError: a payload names a key this process does not have, or does not
                decrypt under it (altered, or sealed with another key of the same id).
        """
        return [self._decrypted(payload) for payload in payloads]

    def _encrypted(self, payload: Payload) -> Payload:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._encrypt.encrypt(nonce, payload.SerializeToString(), _AAD + self._current_id)
        return Payload(
            metadata={"encoding": ENCODING, KEY_ID: self._current_id}, data=nonce + sealed
        )

    def _decrypted(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            return payload
        named = payload.metadata.get(KEY_ID, b"")
        cipher = self._decrypt.get(named)
        if cipher is None:
            raise PayloadKeyError(
                f"a Temporal payload is encrypted with key {named.decode(errors='replace')!r},"
                " which this process does not have (PATHWAYS_TEMPORAL_PAYLOAD_KEY and"
                " PATHWAYS_TEMPORAL_PAYLOAD_PREVIOUS_KEYS)"
            )
        data = payload.data
        try:
            plain = cipher.decrypt(data[:_NONCE_BYTES], data[_NONCE_BYTES:], _AAD + named)
        except InvalidTag:
            raise PayloadKeyError(
                f"a Temporal payload encrypted with key {named.decode()!r} does not decrypt:"
                " it was altered, or sealed with another key"
            ) from None
        return Payload.FromString(plain)
