"""The secrets the event store works with, held by the processes and never by PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass

from eventstore.key_encryption import KeyEncryptionKeys
from eventstore.signing import SealSigner, SealVerifier


@dataclass(frozen=True)
class Keyring:
    """Keys a process hands to the event store.

    Attributes:
        key_encryption_keys: wrap every subject's data key (AES-256-GCM), so a copy of the
            database, its WAL or a backup alone decrypts no personal field. Without them the
            store writes and reads no personal field at all.
        chain_key: 32 bytes; the per-stream chain's content hashes are MACs under it
            (``hashing.keyed_content_hash``), so the database alone cannot re-chain a stream.
            None only for stores written in the legacy unkeyed format (tests, old data).
        seal_signer: signs seals; None in a process that only verifies (an auditor).
        seal_verifier: checks seal signatures; defaults to the signer's public key.
    """

    key_encryption_keys: KeyEncryptionKeys | None = None
    chain_key: bytes | None = None
    seal_signer: SealSigner | None = None
    seal_verifier: SealVerifier | None = None

    def __post_init__(self) -> None:
        if self.chain_key is not None and len(self.chain_key) != 32:
            raise ValueError("the chain key must be 32 bytes")
        if self.seal_verifier is None and self.seal_signer is not None:
            object.__setattr__(self, "seal_verifier", self.seal_signer.verifier)
