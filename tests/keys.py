"""The suite's key-encryption key, and event stores that wrap data keys under it.

Every process of a test shares the key: the test's own stores, and the worker and CLI processes
it starts (they take it from ``tests.conftest.PAYLOAD_KEY_ENV``, which carries it too).
"""

from __future__ import annotations

import base64
from typing import Any

import asyncpg

from eventstore import Keyring, PostgresEventStore, PostgresKeyStore, StaticKeyEncryptionKeys
from eventstore.signing import SealSigner

TEST_KEY_ENCRYPTION_KEY = "cGF0aHdheXMtdGVzdC1rZXktZW5jcnlwdGlvbi1rZXk="
"""base64 of 32 bytes: the suite's ``PATHWAYS_KEY_ENCRYPTION_KEY``."""

TEST_KEYS = StaticKeyEncryptionKeys(base64.b64decode(TEST_KEY_ENCRYPTION_KEY))

TEST_CHAIN_KEY = "cGF0aHdheXMtdGVzdC1jaGFpbi1rZXktMzItYnl0ZXM="
"""base64 of 32 bytes: the suite's ``PATHWAYS_CHAIN_KEY`` (the per-stream chain's MAC key)."""
TEST_SEAL_SIGNING_KEY = "cGF0aHdheXMtdGVzdC1zZWFsLXNpZ25pbmcta2V5LTM="
"""base64 of 32 bytes: the suite's ``PATHWAYS_SEAL_SIGNING_KEY`` (Ed25519 seed)."""

TEST_KEYRING = Keyring(
    key_encryption_keys=TEST_KEYS,
    chain_key=base64.b64decode(TEST_CHAIN_KEY),
    seal_signer=SealSigner(base64.b64decode(TEST_SEAL_SIGNING_KEY)),
)
"""Every key a process of the suite holds, as ``workers.database.Database`` would load them."""

TEST_KEY_ENV = {
    "PATHWAYS_KEY_ENCRYPTION_KEY": TEST_KEY_ENCRYPTION_KEY,
    "PATHWAYS_CHAIN_KEY": TEST_CHAIN_KEY,
    "PATHWAYS_SEAL_SIGNING_KEY": TEST_SEAL_SIGNING_KEY,
}
"""The same keys as settings, for the processes a test starts."""


def keyed_key_store(pool: asyncpg.Pool) -> PostgresKeyStore:
    """A key store over ``pool`` wrapping data keys under the suite's key-encryption key."""
    return PostgresKeyStore(pool, key_encryption_keys=TEST_KEYS)


def keyed_store(pool: asyncpg.Pool, **options: Any) -> PostgresEventStore:
    """``PostgresEventStore(pool, ...)`` as a process with the suite's key-encryption key."""
    return PostgresEventStore(pool, keyed_key_store(pool), keyring=TEST_KEYRING, **options)
