"""The secrets the event store works with, held by the processes and never by PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Keyring:
    """Keys a process hands to the event store.

    Attributes:
        master_key: wraps every subject's data key (AES-256-GCM), so a copy of the database
            alone decrypts no personal field.
    """

    master_key: bytes | None = None
