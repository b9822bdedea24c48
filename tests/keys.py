"""The suite's key-encryption key, and event stores that wrap data keys under it.

Every process of a test shares the key: the test's own stores, and the worker and CLI processes
it starts (they take it from ``tests.conftest.PAYLOAD_KEY_ENV``, which carries it too).
"""

from __future__ import annotations

import base64
from typing import Any

import asyncpg

from eventstore import PostgresEventStore, PostgresKeyStore, StaticKeyEncryptionKeys

TEST_KEY_ENCRYPTION_KEY = "cGF0aHdheXMtdGVzdC1rZXktZW5jcnlwdGlvbi1rZXk="
"""base64 of 32 bytes: the suite's ``PATHWAYS_KEY_ENCRYPTION_KEY``."""

TEST_KEYS = StaticKeyEncryptionKeys(base64.b64decode(TEST_KEY_ENCRYPTION_KEY))


def keyed_key_store(pool: asyncpg.Pool) -> PostgresKeyStore:
    """A key store over ``pool`` wrapping data keys under the suite's key-encryption key."""
    return PostgresKeyStore(pool, key_encryption_keys=TEST_KEYS)


def keyed_store(pool: asyncpg.Pool, **options: Any) -> PostgresEventStore:
    """``PostgresEventStore(pool, ...)`` as a process with the suite's key-encryption key."""
    return PostgresEventStore(pool, keyed_key_store(pool), **options)
