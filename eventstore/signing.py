"""Seal signatures: Ed25519 over what a seal commits to, under a key the database never holds.

A seal's digest is a plain sha256 anybody can recompute; a superuser who rewrites history and
recomputes every digest would otherwise go unnoticed. The signature binds the digest to the
process that sealed it: without the private key nobody can make a seal verify again, and an
auditor needs only the public key to check every seal and every anchor line.

What is signed: the log's kind ("eventstore" or "access-log"), the seal's number, how many
entries the seals from the first through this one cover together, and the seal's digest. The
digest already commits to the previous seal's digest, the range and every covered entry, so
these four values fix the whole sealed history up to that seal; they are also exactly what an
anchor line carries, so a line can be checked on its own.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from enum import StrEnum

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

_SIGNATURE_TAG = b"pathways-seal-signature-v1"
_INT64 = struct.Struct(">q")
KEY_BYTES = 32


class SealedLog(StrEnum):
    """The append-only logs that are sealed, as named in signatures and anchor lines."""

    EVENTSTORE = "eventstore"
    ACCESS_LOG = "access-log"


def signed_message(log: SealedLog, *, seal_number: int, covered: int, digest: bytes) -> bytes:
    """The bytes a seal's signature is made over (see the module docstring)."""
    name = log.value.encode()
    return (
        _SIGNATURE_TAG
        + _INT64.pack(len(name))
        + name
        + _INT64.pack(seal_number)
        + _INT64.pack(covered)
        + digest
    )


def key_id(public_key: bytes) -> str:
    """A short name for a verify key (16 hex digits of its sha256), stored beside signatures."""
    return hashlib.sha256(public_key).hexdigest()[:16]


@dataclass(frozen=True)
class SealVerifier:
    """Checks seal signatures with a public key (all an auditor needs).

    Attributes:
        public_key: the raw 32-byte Ed25519 public key.
    """

    public_key: bytes

    def __post_init__(self) -> None:
        if len(self.public_key) != KEY_BYTES:
            raise ValueError(f"a seal verify key must be {KEY_BYTES} bytes")

    @property
    def key_id(self) -> str:
        """This key's short name."""
        return key_id(self.public_key)

    def check(
        self, log: SealedLog, *, seal_number: int, covered: int, digest: bytes, signature: bytes
    ) -> bool:
        """True when ``signature`` is this key's over the seal's signed values."""
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(
                signature,
                signed_message(log, seal_number=seal_number, covered=covered, digest=digest),
            )
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True)
class SealSigner:
    """Signs seals with the deployment's Ed25519 private key.

    Attributes:
        seed: the raw 32-byte private key (seed), kept outside the database.
    """

    seed: bytes

    def __post_init__(self) -> None:
        if len(self.seed) != KEY_BYTES:
            raise ValueError(f"a seal signing key must be {KEY_BYTES} bytes")

    @property
    def verifier(self) -> SealVerifier:
        """The matching public key."""
        public = (
            Ed25519PrivateKey.from_private_bytes(self.seed)
            .public_key()
            .public_bytes(Encoding.Raw, PublicFormat.Raw)
        )
        return SealVerifier(public)

    def sign(self, log: SealedLog, *, seal_number: int, covered: int, digest: bytes) -> bytes:
        """The signature of one seal."""
        return Ed25519PrivateKey.from_private_bytes(self.seed).sign(
            signed_message(log, seal_number=seal_number, covered=covered, digest=digest)
        )
