"""The append-only, tamper-evident PostgreSQL event store (and an in-memory twin for tests).

The store never skips (readers follow commit order below the oldest running transaction), never
duplicates (caller-supplied event ids make appends idempotent), proves it was not altered (a
per-stream hash chain plus chained seals over the global log, checked by ``verify``), and erases
personal data by destroying per-subject keys without breaking any hash.
"""

from eventstore.anchors import Anchor, AnchorError, parse_anchor, parse_anchors
from eventstore.errors import (
    CorruptEvent,
    DuplicateEventIdConflict,
    EventStoreError,
    InvalidAppend,
    KeyEncryptionKeyUnavailable,
    MigrationError,
    SubjectErased,
    UnknownPosition,
    WrongExpectedVersion,
)
from eventstore.events import ERASED, AppendResult, EventMetadata, NewEvent, RecordedEvent
from eventstore.expected_version import ANY, NO_STREAM, STREAM_EXISTS, ExpectedVersion
from eventstore.key_encryption import (
    KeyEncryptionKey,
    KeyEncryptionKeys,
    KeyWrapper,
    StaticKeyEncryptionKeys,
)
from eventstore.keyring import Keyring
from eventstore.keys import InMemoryKeyStore, KeyStore, PostgresKeyStore
from eventstore.memory_store import InMemoryEventStore
from eventstore.migrate import migrate
from eventstore.pool import create_pool
from eventstore.postgres_store import PERSONAL_DATA_ERASED, CommitCursor, PostgresEventStore
from eventstore.protocol import EventStore
from eventstore.seals import Seal, seal
from eventstore.signing import SealedLog, SealSigner, SealVerifier
from eventstore.subscriptions import BatchHandler, Handler, Subscription, SubscriptionLag
from eventstore.typed import EventModels, TypedEvent
from eventstore.upcasting import Upcaster, UpcasterRegistry
from eventstore.verification import VerificationReport, verify

__all__ = [
    "ANY",
    "ERASED",
    "NO_STREAM",
    "PERSONAL_DATA_ERASED",
    "STREAM_EXISTS",
    "Anchor",
    "AnchorError",
    "AppendResult",
    "BatchHandler",
    "CommitCursor",
    "CorruptEvent",
    "DuplicateEventIdConflict",
    "EventMetadata",
    "EventModels",
    "EventStore",
    "EventStoreError",
    "ExpectedVersion",
    "Handler",
    "InMemoryEventStore",
    "InMemoryKeyStore",
    "InvalidAppend",
    "KeyEncryptionKey",
    "KeyEncryptionKeyUnavailable",
    "KeyEncryptionKeys",
    "KeyStore",
    "KeyWrapper",
    "Keyring",
    "MigrationError",
    "NewEvent",
    "PostgresEventStore",
    "PostgresKeyStore",
    "RecordedEvent",
    "Seal",
    "SealSigner",
    "SealVerifier",
    "SealedLog",
    "StaticKeyEncryptionKeys",
    "SubjectErased",
    "Subscription",
    "SubscriptionLag",
    "TypedEvent",
    "UnknownPosition",
    "Upcaster",
    "UpcasterRegistry",
    "VerificationReport",
    "WrongExpectedVersion",
    "create_pool",
    "migrate",
    "parse_anchor",
    "parse_anchors",
    "seal",
    "verify",
]
