"""The secrets the event store works with, held by the processes and never by PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass

from eventstore.key_encryption import KeyEncryptionKeys


@dataclass(frozen=True)
class Keyring:
    """Keys a process hands to the event store.

    Attributes:
        key_encryption_keys: wrap every subject's data key (AES-256-GCM), so a copy of the
            database, its WAL or a backup alone decrypts no personal field. Without them the
            store writes and reads no personal field at all.
    """

    key_encryption_keys: KeyEncryptionKeys | None = None
