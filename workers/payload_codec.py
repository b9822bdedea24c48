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

import base64
import binascii
import contextlib
import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

ENCODING = b"binary/encrypted"
"""The ``encoding`` metadata of an encrypted payload (the name Temporal's samples use)."""
KEY_ID = "encryption-key-id"
KEY_BYTES = 32
KEY_FILE_NAME = "temporal-payload.key"
_NONCE_BYTES = 12
_AAD = b"pathways-temporal-payload-v1"


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
    cleaned = text.strip()
    try:
        # "-" and "_" are read as "+" and "/", so both alphabets decode.
        raw = base64.b64decode(cleaned + "=" * (-len(cleaned) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise PayloadKeyError("a payload key must be base64") from None
    if len(raw) != KEY_BYTES:
        raise PayloadKeyError(f"a payload key must be {KEY_BYTES} bytes, got {len(raw)}")
    return raw


def new_key_text() -> str:
    """A fresh random key, as the settings and the key file hold it."""
    return base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode()


def key_file_key(data_dir: Path) -> bytes:
    """The embedded default key in ``data_dir``, created on first use.

    Several processes of one machine (``pathways dev up`` starts a worker and the API at once)
    may arrive here together: the key is written to a private temporary file and linked into
    place, which fails for all but the first, so every process reads the same complete key.
    """
    path = data_dir / KEY_FILE_NAME
    try:
        if not path.exists():
            _create_key_file(path)
        return parse_key(path.read_text())
    except PayloadKeyError as exc:
        raise PayloadKeyError(f"{path}: {exc}") from None
    except OSError as exc:
        raise PayloadKeyError(
            f"{path}: {exc.strerror or exc} (or set PATHWAYS_TEMPORAL_PAYLOAD_KEY)"
        ) from None


def _create_key_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.parent / f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(new_key_text() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):  # another process was first: use its key
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


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
