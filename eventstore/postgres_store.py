"""The PostgreSQL event store: append-only log, commit-ordered reads, crypto-shredding."""

from __future__ import annotations

import asyncio
import random
import uuid
from bisect import bisect_left
from collections.abc import AsyncIterator, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter
from typing import Any, TypeVar
from uuid import UUID

import asyncpg
from opentelemetry.trace import SpanKind, Status, StatusCode

from eventstore.anchors import Anchor
from eventstore.connections import Connection
from eventstore.errors import (
    DuplicateEventIdConflict,
    EventStoreError,
    InvalidAppend,
    SubjectErased,
    UnknownPosition,
    WrongExpectedVersion,
)
from eventstore.events import AppendResult, EventMetadata, NewEvent, RecordedEvent
from eventstore.expected_version import ANY, ExpectedVersion
from eventstore.hashing import canonical_json, content_hash, keyed_content_hash
from eventstore.keyring import Keyring
from eventstore.keys import KeyStore, PostgresKeyStore
from eventstore.personal_data import encrypt_personal_fields
from eventstore.pool import mark_session_untouched
from eventstore.records import EVENT_COLUMNS, EventDecoder
from eventstore.seals import Seal, seal
from eventstore.tracing import (
    AFTER_POSITION,
    BATCH_SIZE,
    DB_SYSTEM,
    EVENT_COUNT,
    EXPECTED_VERSION,
    FAILURE_COUNT,
    FIRST_VERSION,
    LAST_VERSION,
    SEAL_COUNT,
    STREAM_ID,
    VERIFY_OK,
    tracer,
)
from eventstore.typed import TYPED_COLUMNS, EventModels, TypedEvent, decode_typed
from eventstore.typed_copy import TypedBatches, copy_query
from eventstore.upcasting import UpcasterRegistry
from eventstore.verification import VerificationReport, verify
from eventstore.wakeups import WakeUps

T = TypeVar("T")

PERSONAL_DATA_ERASED = "PersonalDataErased"
"""Type of the event ``erase`` appends to each stream that carried the subject."""

MAX_STREAM_ID_LENGTH = 255
_ERASURE_NAMESPACE = UUID("5b0f6f53-3c1e-4d53-9a55-5d2a4c1e9e07")

# Commit order: events of transactions older than the oldest transaction still running, by
# (transaction id, position). Any event that commits later has a transaction id at least that
# oldest one, so it sorts after everything read here: a reader never skips an event.
READ_ALL_SQL = f"""
    SELECT {EVENT_COLUMNS}
    FROM eventstore.events
    WHERE (transaction_id, position) > ($1::xid8, $2::bigint)
      AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
      AND ($3::text[] IS NULL OR type = ANY ($3::text[]))
    ORDER BY transaction_id, position
    LIMIT $4
"""  # noqa: S608 - EVENT_COLUMNS is a constant, values are parameters

_READ_STREAM_SQL = f"""
    SELECT {EVENT_COLUMNS}
    FROM eventstore.events
    WHERE stream_id = $1
      AND version >= $2
      AND ($3::timestamptz IS NULL OR recorded_at <= $3::timestamptz)
      AND ($4::xid8 IS NULL OR (transaction_id, position) <= ($4::xid8, $5::bigint))
      AND ($6::text[] IS NULL OR type = ANY ($6::text[]))
    ORDER BY version
"""  # noqa: S608 - EVENT_COLUMNS is a constant, values are parameters

_READ_STREAM_TYPED_SQL = f"""
    SELECT {TYPED_COLUMNS}
    FROM eventstore.events
    WHERE stream_id = $1
      AND version >= $2
      AND ($3::timestamptz IS NULL OR recorded_at <= $3::timestamptz)
      AND ($4::xid8 IS NULL OR (transaction_id, position) <= ($4::xid8, $5::bigint))
      AND ($6::text[] IS NULL OR type = ANY ($6::text[]))
    ORDER BY version
    LIMIT $7
"""  # noqa: S608 - TYPED_COLUMNS is a constant, values are parameters

_READ_VERSIONS_TYPED_SQL = f"""
    SELECT {TYPED_COLUMNS}
    FROM eventstore.events
    WHERE stream_id = $1 AND version = ANY ($2::integer[])
    ORDER BY version
"""  # noqa: S608 - TYPED_COLUMNS is a constant, values are parameters

_TYPED_FIRST_ROWS = 1000
"""A typed read takes up to this many events as rows; the rest of a longer stream comes as
batches through COPY (``eventstore.typed_copy``), which costs a statement planned per call."""
_typed_version = attrgetter("version")

_APPEND_SQL = """
    SELECT event_position, event_version
    FROM eventstore.append_events($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
"""

# One event to an existing stream in one UPDATE and one INSERT; anything else is handed on to
# append_events inside the same call (0008_append_one_event.sql). Used inside a caller's
# transaction, where a failed statement would abort the caller's work.
_APPEND_ONE_SQL = """
    SELECT event_position, event_version
    FROM eventstore.append_event($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
"""

# The pooled single-event append: the fast path of 0008 as one statement, inside the SECURITY
# DEFINER function eventstore.append_event_to_head (0009), since the application role may not
# insert into the log itself. It writes only when the stream exists, is at the expected version
# and the content hash is well formed; it returns no row otherwise, and an event id already
# recorded fails it on events_event_id_key. In both cases nothing was written (the call is its
# own transaction) and the caller hands the append to append_events, which holds every rule and
# error of the general path: new streams, replays, conflicts. The invariants are the ones 0008
# explains: the UPDATE locks the head and re-checks the version against the committed head, and
# the link hash is the same formula over the head's last hash. The drawn position is lost when
# no row matches: positions are unique, not gap-free.
_APPEND_ONE_FAST_SQL = """
    SELECT event_position, event_version
    FROM eventstore.append_event_to_head($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
"""

# SQLSTATEs raised on purpose by eventstore.append_events (0003_append_function.sql).
_WRONG_EXPECTED_VERSION = "PW001"
_DUPLICATE_EVENT_ID = "PW002"
_MALFORMED_APPEND = "PW004"

_HEAD_TRIES = 200
"""How often an ``ANY``/``STREAM_EXISTS`` append re-reads the head after losing a race.

The keyed chain hashes each event's version, so such an append reads the stream's version and
appends at exactly that version; another writer appending in between makes it lose with
WrongExpectedVersion, and it tries again from the new head (after a short random pause once it
has lost twice, so that writers hammering one stream spread out). Each lost try means another
append succeeded, so the system always progresses; only a writer starved for all its tries on
one stream sees WrongExpectedVersion, which ANY callers never saw before. On a caller's
connection there is one try: the failed statement has aborted the caller's transaction."""


@dataclass(frozen=True, slots=True)
class CommitCursor:
    """A place in the global log's commit order: (transaction id, position)."""

    transaction_id: int
    position: int


START = CommitCursor(0, 0)


@dataclass(frozen=True, slots=True)
class _EncodedEvent:
    event_id: UUID
    type: str
    schema_version: int
    payload_json: str
    metadata_json: str
    subject_id: str | None
    personal_fields: list[str]
    content_hash: bytes


def _one_event_arguments(
    stream_id: str, expected_code: int | None, event: _EncodedEvent
) -> tuple[Any, ...]:
    """The first ten arguments of both single-event statements (fast path and function)."""
    return (
        stream_id,
        expected_code,
        event.event_id,
        event.type,
        event.schema_version,
        event.payload_json,
        event.metadata_json,
        event.subject_id,
        event.personal_fields,
        event.content_hash,
    )


def _append_one_fast_call(
    stream_id: str, expected_code: int | None, encoded: list[_EncodedEvent]
) -> tuple[Any, ...] | None:
    """The arguments of ``_APPEND_ONE_FAST_SQL``, or None when the append cannot take it."""
    if len(encoded) != 1 or expected_code == 0:
        return None  # a batch, or a new stream: only append_events does those
    return _one_event_arguments(stream_id, expected_code, encoded[0])


def _append_call(
    stream_id: str,
    expected_code: int | None,
    encoded: list[_EncodedEvent],
    *,
    notify: bool,
    single: bool = True,
) -> tuple[str, tuple[Any, ...]]:
    """The statement and arguments of one append: scalars for one event, arrays for a batch
    (or for one event too, when ``single`` is false)."""
    if len(encoded) == 1 and single:
        return _APPEND_ONE_SQL, (
            *_one_event_arguments(stream_id, expected_code, encoded[0]),
            notify,
        )
    return _APPEND_SQL, (
        stream_id,
        expected_code,
        [e.event_id for e in encoded],
        [e.type for e in encoded],
        [e.schema_version for e in encoded],
        [e.payload_json for e in encoded],
        [e.metadata_json for e in encoded],
        [e.subject_id for e in encoded],
        [canonical_json(e.personal_fields) for e in encoded],
        [e.content_hash for e in encoded],
        notify,
    )


def _append_attributes(
    stream_id: str, event_count: int, expected_code: int | None
) -> dict[str, Any]:
    return {
        DB_SYSTEM: "postgresql",
        STREAM_ID: stream_id,
        EVENT_COUNT: event_count,
        EXPECTED_VERSION: -2 if expected_code is None else expected_code,
    }


def expected_version_code(expected: int | ExpectedVersion) -> int | None:
    """Encode an expected version for the append function; raise ``InvalidAppend`` if invalid."""
    if expected is ExpectedVersion.ANY:
        return None
    if expected is ExpectedVersion.STREAM_EXISTS:
        return -1
    if expected is ExpectedVersion.NO_STREAM:
        return 0
    if isinstance(expected, bool) or not isinstance(expected, int) or expected < 0:
        raise InvalidAppend(f"expected_version must be ANY, NO_STREAM or an int >= 0: {expected!r}")
    return expected


def check_stream_id(stream_id: str) -> None:
    """Raise ``InvalidAppend`` unless ``stream_id`` is a usable stream id."""
    if not isinstance(stream_id, str) or not stream_id or len(stream_id) > MAX_STREAM_ID_LENGTH:
        raise InvalidAppend(f"stream id must be 1..{MAX_STREAM_ID_LENGTH} characters")


def check_batch(events: Sequence[NewEvent]) -> None:
    """Raise ``InvalidAppend`` for an empty batch, repeated ids or unowned personal fields."""
    if not events:
        raise InvalidAppend("an append needs at least one event")
    seen: set[UUID] = set()
    for event in events:
        if event.event_id in seen:
            raise InvalidAppend(f"event {event.event_id} appears twice in one append")
        seen.add(event.event_id)
        if event.personal_fields & event.payload.keys() and event.subject_id is None:
            raise InvalidAppend(f"event {event.event_id} has personal fields but no subject_id")


def erasure_event(stream_id: str, subject_id: str, actor: str) -> NewEvent:
    """The event recording that ``subject_id``'s personal data in ``stream_id`` was erased.

    Its id is derived from stream and subject, so repeating an erasure appends nothing.
    """
    return NewEvent(
        event_id=uuid.uuid5(_ERASURE_NAMESPACE, f"{stream_id}\x00{subject_id}"),
        type=PERSONAL_DATA_ERASED,
        payload={"subject_id": subject_id},
        metadata=EventMetadata(actor=actor),
        subject_id=subject_id,
    )


class PostgresEventStore:
    """The append-only event store on PostgreSQL.

    Args:
        pool: the process's asyncpg pool (see ``create_pool``); the schema must be migrated.
        keys: where subjects' data keys live; defaults to ``PostgresKeyStore(pool)``.
        upcasters: schema-evolution steps applied to every payload read.
        keyring: the process's chain key and seal keys (``eventstore.keyring``). With a chain
            key every event is chained in the keyed format and ``verify`` accepts no other;
            without one (tests, legacy stores) the unkeyed v1 format is written and checked.
            With a seal signer, seals are signed; with a verify key, ``verify`` checks them.
        notify: wake subscribers (LISTEN/NOTIFY) after appends. A pooled append's wake-up is
            sent after it commits, coalesced over a few milliseconds (``eventstore.wakeups``);
            an append on a caller's connection notifies inside that transaction. Turn it off
            when every subscriber may simply poll.
    """

    def __init__(
        self,
        pool: asyncpg.Pool,
        keys: KeyStore | None = None,
        *,
        upcasters: UpcasterRegistry | None = None,
        keyring: Keyring | None = None,
        notify: bool = True,
    ) -> None:
        self._pool = pool
        self._keyring = keyring if keyring is not None else Keyring()
        self._chain_key = self._keyring.chain_key
        self._keys: KeyStore = keys if keys is not None else PostgresKeyStore(pool)
        self._upcasters = upcasters
        self._decoder = EventDecoder(self._keys, upcasters)
        self._notify = notify
        self._wake_ups = WakeUps(pool)

    @property
    def pool(self) -> asyncpg.Pool:
        """The pool this store reads and writes through."""
        return self._pool

    @property
    def keyring(self) -> Keyring:
        """The chain and seal keys this store writes and verifies with."""
        return self._keyring

    async def flush_wake_ups(self) -> None:
        """Wait until the subscribers' wake-ups for appends so far were sent."""
        await self._wake_ups.flush()

    @property
    def decoder(self) -> EventDecoder:
        """Row decoder (used by subscriptions that read with their own SQL)."""
        return self._decoder

    async def append(
        self,
        stream_id: str,
        events: Sequence[NewEvent],
        *,
        expected_version: int | ExpectedVersion = ANY,
        connection: Connection | None = None,
    ) -> AppendResult:
        """Append ``events`` to ``stream_id`` atomically, in one round trip.

        Args:
            stream_id: e.g. ``"pathway-<uuid>"``.
            events: one or more events with caller-chosen, unique ids.
            expected_version: the stream's current last version, ``NO_STREAM``,
                ``STREAM_EXISTS`` or ``ANY``.
            connection: append inside the caller's transaction on this connection (for example
                a subscription handler's), instead of on a pooled connection of its own.

        Returns:
            Versions and positions of the events. If every event id was already recorded with
            the same content, nothing is written and the original places are returned.

        Raises:
            WrongExpectedVersion: the stream is not at ``expected_version``.
            DuplicateEventIdConflict: an event id is recorded with other content, in another
                stream, or the batch is partly recorded.
            InvalidAppend: the request is malformed (nothing is written).
            SubjectErased: personal fields for a subject whose key was destroyed.
        """
        check_stream_id(stream_id)
        check_batch(events)
        expected_code = expected_version_code(expected_version)
        # A span that is not made current, and whose attributes are set once at its end: on a
        # single-event append the SDK's usual span cost a tenth of the client's time, and
        # nothing inside needs the span as parent (asyncpg is not instrumented).
        span = tracer.start_span(
            "eventstore.append",
            kind=SpanKind.CLIENT,
            record_exception=False,
            set_status_on_exception=False,
        )
        try:
            result = await self._append(
                stream_id, events, expected_code, expected_version, connection
            )
        except BaseException as exc:
            if span.is_recording():
                span.set_attributes(_append_attributes(stream_id, len(events), expected_code))
                span.record_exception(exc)
                span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
            span.end()
            raise
        if span.is_recording():
            attributes = _append_attributes(stream_id, len(events), expected_code)
            attributes[FIRST_VERSION] = result.first_version
            attributes[LAST_VERSION] = result.last_version
            span.set_attributes(attributes)
        span.end()
        return result

    async def _append(
        self,
        stream_id: str,
        events: Sequence[NewEvent],
        expected_code: int | None,
        expected_version: int | ExpectedVersion,
        connection: Connection | None,
    ) -> AppendResult:
        if self._chain_key is None or (expected_code is not None and expected_code >= 0):
            return await self._append_at(
                stream_id, events, expected_code, expected_version, connection
            )
        # ANY or STREAM_EXISTS under the keyed chain: the events' versions are hashed, so they
        # must be known before the append; read the head and append at exactly that version.
        for attempt in range(1, _HEAD_TRIES + 1):
            head = await self._head_version(stream_id, connection)
            if head == 0 and expected_code == -1:
                raise WrongExpectedVersion(stream_id, expected_version, 0)
            try:
                return await self._append_at(stream_id, events, head, expected_version, connection)
            except WrongExpectedVersion:
                # On a caller's connection the failed statement aborted its transaction.
                if attempt == _HEAD_TRIES or connection is not None:
                    raise
                if attempt > 2:
                    await asyncio.sleep(random.uniform(0, 0.0005 * min(attempt, 20)))  # noqa: S311
        raise AssertionError("unreachable")  # pragma: no cover

    async def _head_version(self, stream_id: str, connection: Connection | None) -> int:
        sql = "SELECT version FROM eventstore.streams WHERE stream_id = $1"
        if connection is not None:
            return int(await connection.fetchval(sql, stream_id) or 0)
        rows = await self._fetch(sql, stream_id)
        return int(rows[0][0]) if rows else 0

    async def _append_at(
        self,
        stream_id: str,
        events: Sequence[NewEvent],
        expected_code: int | None,
        expected_version: int | ExpectedVersion,
        connection: Connection | None,
    ) -> AppendResult:
        # Under the keyed chain expected_code is an exact version here (see _append).
        first_version = 1 + (
            expected_code if expected_code is not None and expected_code > 0 else 0
        )
        try:
            encoded = await self._encode(stream_id, events, first_version)
        except SubjectErased:
            # A retry of an append made before the erasure can no longer be encrypted, but it
            # can still be recognised by its ids.
            replay = await self._recorded_places(stream_id, [e.event_id for e in events])
            if replay is None:
                raise
            return replay
        if connection is None:
            fast = _append_one_fast_call(stream_id, expected_code, encoded)
            if fast is not None:
                rows = await self._try_fast_append(fast)
                if rows:
                    return self._appended(stream_id, rows, notify=self._notify)
        # Inside a caller's transaction the wake-up must wait for that transaction's commit,
        # which only PostgreSQL sees: notify in SQL. Otherwise the append commits on return and
        # the coalesced wake-up follows it (see eventstore.wakeups).
        notify_in_sql = self._notify and connection is not None
        sql, arguments = _append_call(
            stream_id, expected_code, encoded, notify=notify_in_sql, single=connection is not None
        )
        # Two tries: the same new event id appended concurrently to two streams passes both
        # replay checks and loses on the unique index; the retry sees the winner's row.
        for attempt in (1, 2):
            try:
                if connection is not None:
                    rows = await connection.fetch(sql, *arguments)
                else:
                    rows = await self._fetch(sql, *arguments)
            except asyncpg.UniqueViolationError as exc:
                if attempt == 2 or exc.constraint_name != "events_event_id_key":
                    raise
                continue
            except asyncpg.PostgresError as exc:
                mapped = _mapped(exc, stream_id, expected_version)
                if mapped is None:
                    raise
                raise mapped from exc
            return self._appended(stream_id, rows, notify=self._notify and connection is None)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _try_fast_append(self, arguments: tuple[Any, ...]) -> list[asyncpg.Record]:
        """Run ``_APPEND_ONE_FAST_SQL``; no rows when the general path must decide."""
        try:
            return await self._fetch(_APPEND_ONE_FAST_SQL, *arguments)
        except asyncpg.UniqueViolationError as exc:
            if exc.constraint_name != "events_event_id_key":
                raise
            return []  # a recorded id: a replay or a conflict, which append_events tells apart

    def _appended(
        self, stream_id: str, rows: list[asyncpg.Record], *, notify: bool
    ) -> AppendResult:
        if notify:
            self._wake_ups.appended()
        if len(rows) == 1:
            version = rows[0][1]
            return AppendResult.model_construct(
                stream_id=stream_id,
                first_version=version,
                last_version=version,
                positions=[rows[0][0]],
            )
        versions = [row[1] for row in rows]
        return AppendResult.model_construct(
            stream_id=stream_id,
            first_version=min(versions),
            last_version=max(versions),
            positions=[row[0] for row in rows],
        )

    async def _fetch(self, sql: str, *arguments: Any) -> list[asyncpg.Record]:
        """Run one of the store's own statements on a pooled connection.

        The store's statements leave the session as they found it, so the pool may skip its
        reset round trip afterwards (see ``eventstore.pool.StoreConnection``).
        """
        async with self._pool.acquire() as connection:
            rows: list[asyncpg.Record] = await connection.fetch(sql, *arguments)
            mark_session_untouched(connection)
        return rows

    async def _encode(
        self, stream_id: str, events: Sequence[NewEvent], first_version: int
    ) -> list[_EncodedEvent]:
        keys: dict[str, bytes] = {}
        chain_key = self._chain_key
        # Events of one append usually share their metadata object: encode it once.
        metadata_texts: dict[int, str] = {}
        encoded = []
        for version, event in enumerate(events, start=first_version):
            personal = sorted(event.personal_fields & event.payload.keys())
            payload = event.payload
            # Why only when a personal value is present: ``None`` is never encrypted, so an
            # event whose personal fields are all empty needs no data key, and fetching one
            # (a round trip that may insert) would cost as much as the append itself.
            if personal and any(payload[field] is not None for field in personal):
                assert event.subject_id is not None  # check_batch
                if event.subject_id not in keys:
                    keys[event.subject_id] = await self._keys.key_for_writing(event.subject_id)
                payload = encrypt_personal_fields(
                    payload,
                    personal,
                    data_key=keys[event.subject_id],
                    event_id=event.event_id,
                    subject_id=event.subject_id,
                )
            try:
                payload_json = canonical_json(payload)
                payload_json.encode()
            except (TypeError, ValueError) as exc:
                raise InvalidAppend(f"event {event.event_id}: payload is not JSON: {exc}") from exc
            metadata_json = metadata_texts.get(id(event.metadata))
            if metadata_json is None:
                metadata_json = canonical_json(event.metadata.model_dump(mode="json"))
                metadata_texts[id(event.metadata)] = metadata_json
            encoded.append(
                _EncodedEvent(
                    event_id=event.event_id,
                    type=event.type,
                    schema_version=event.schema_version,
                    payload_json=payload_json,
                    metadata_json=metadata_json,
                    subject_id=event.subject_id,
                    personal_fields=personal,
                    content_hash=content_hash(
                        stream_id=stream_id,
                        event_id=event.event_id,
                        event_type=event.type,
                        schema_version=event.schema_version,
                        subject_id=event.subject_id,
                        personal_fields=personal,
                        payload_json=payload_json,
                        metadata_json=metadata_json,
                    )
                    if chain_key is None
                    else keyed_content_hash(
                        chain_key,
                        stream_id=stream_id,
                        version=version,
                        event_id=event.event_id,
                        event_type=event.type,
                        schema_version=event.schema_version,
                        subject_id=event.subject_id,
                        personal_fields=personal,
                        payload_json=payload_json,
                        metadata_json=metadata_json,
                    ),
                )
            )
        return encoded

    async def _recorded_places(self, stream_id: str, event_ids: list[UUID]) -> AppendResult | None:
        rows = await self._pool.fetch(
            """
            SELECT e.position, e.version, e.stream_id
            FROM unnest($1::uuid[]) WITH ORDINALITY AS i(id, ord)
            JOIN eventstore.events e ON e.event_id = i.id
            ORDER BY i.ord
            """,
            event_ids,
        )
        if len(rows) != len(event_ids) or any(r["stream_id"] != stream_id for r in rows):
            return None
        return AppendResult(
            stream_id=stream_id,
            first_version=min(r["version"] for r in rows),
            last_version=max(r["version"] for r in rows),
            positions=[r["position"] for r in rows],
        )

    async def stream_version(self, stream_id: str) -> int:
        """The stream's last version, 0 when it does not exist."""
        version = await self._pool.fetchval(
            "SELECT version FROM eventstore.streams WHERE stream_id = $1", stream_id
        )
        return int(version or 0)

    async def read_stream(
        self,
        stream_id: str,
        *,
        from_version: int = 1,
        as_of_time: datetime | None = None,
        as_of_position: int | None = None,
        types: Collection[str] | None = None,
    ) -> list[RecordedEvent]:
        """Read a stream in version order.

        Args:
            stream_id: the stream.
            from_version: the first version to return.
            as_of_time: only events recorded at or before this moment (point in time).
            as_of_position: only events at or before this global position in commit order,
                i.e. what a reader of the global log had seen once it handled that position.
            types: only events of these types.

        Raises:
            UnknownPosition: ``as_of_position`` names no event.
        """
        with tracer.start_as_current_span(
            "eventstore.read_stream",
            kind=SpanKind.CLIENT,
            attributes={DB_SYSTEM: "postgresql", STREAM_ID: stream_id, FIRST_VERSION: from_version},
        ) as span:
            _, selection = await self._stream_selection(
                stream_id, from_version, as_of_time, as_of_position, types
            )
            rows = await self._fetch(_READ_STREAM_SQL, *selection)
            span.set_attribute(EVENT_COUNT, len(rows))
            return await self._decoder.decode(rows)

    async def _stream_selection(
        self,
        stream_id: str,
        from_version: int,
        as_of_time: datetime | None,
        as_of_position: int | None,
        types: Collection[str] | None,
    ) -> tuple[CommitCursor | None, tuple[Any, ...]]:
        """``as_of_position``'s cursor, and the arguments both stream reads' SQL takes."""
        cursor = None if as_of_position is None else await self.cursor_of(as_of_position)
        return cursor, (
            stream_id,
            from_version,
            as_of_time,
            None if cursor is None else cursor.transaction_id,
            None if cursor is None else cursor.position,
            None if types is None else list(types),
        )

    async def read_stream_typed(
        self,
        stream_id: str,
        models: EventModels[T],
        *,
        from_version: int = 1,
        as_of_time: datetime | None = None,
        as_of_position: int | None = None,
        types: Collection[str] | None = None,
    ) -> list[TypedEvent[T]]:
        """Read a stream in version order straight into the reader's models.

        Same selection as ``read_stream``; each event comes back as ``TypedEvent`` whose
        ``event`` is the reader's model (see ``eventstore.typed``). Use it for replays: an event
        at its model's current version is validated from its stored JSON text in one step, and
        a long stream's events in batches (``eventstore.typed_copy``).

        Raises:
            UnknownPosition: ``as_of_position`` names no event.
        """
        with tracer.start_as_current_span(
            "eventstore.read_stream_typed",
            kind=SpanKind.CLIENT,
            attributes={DB_SYSTEM: "postgresql", STREAM_ID: stream_id, FIRST_VERSION: from_version},
        ) as span:
            cursor, selection = await self._stream_selection(
                stream_id, from_version, as_of_time, as_of_position, types
            )
            rows = await self._fetch(_READ_STREAM_TYPED_SQL, *selection, _TYPED_FIRST_ROWS)
            events = await self._decode_typed(rows, stream_id, models)
            if len(rows) == _TYPED_FIRST_ROWS:
                # A second statement sees every event up to the last version read exactly as
                # the first did (a stream's versions commit in order and never change), plus
                # any appended since: the result is the stream as a read starting now sees it.
                events += await self._read_typed_rest(
                    stream_id,
                    models,
                    after_version=rows[-1][0],
                    as_of_time=as_of_time,
                    cursor=cursor,
                    types=types,
                )
            span.set_attribute(EVENT_COUNT, len(events))
            return events

    async def _read_typed_rest(
        self,
        stream_id: str,
        models: EventModels[T],
        *,
        after_version: int,
        as_of_time: datetime | None,
        cursor: CommitCursor | None,
        types: Collection[str] | None,
    ) -> list[TypedEvent[T]]:
        query = copy_query(
            stream_id,
            after_version,
            as_of_time=as_of_time,
            cursor=None if cursor is None else (cursor.transaction_id, cursor.position),
            types=types,
        )
        direct = models.direct(self._upcasters)
        batches = TypedBatches(
            stream_id, models, {name: version for name, (version, _) in direct.items()}
        )
        async with self._pool.acquire() as connection:
            await batches.read(connection, query)
            mark_session_untouched(connection)
        events = batches.events
        if batches.general:
            rows = await self._fetch(_READ_VERSIONS_TYPED_SQL, stream_id, batches.general)
            for event in await self._decode_typed(rows, stream_id, models):
                index = bisect_left(events, event.version, key=_typed_version)
                events[index] = event
        return events

    async def _decode_typed(
        self, rows: list[asyncpg.Record], stream_id: str, models: EventModels[T]
    ) -> list[TypedEvent[T]]:
        # Keys only for subjects whose events actually carry ciphertext.
        subjects = {row[8] for row in rows if row[8] is not None}
        keys = await self._keys.keys_for_reading(subjects) if subjects else {}
        return decode_typed(rows, stream_id, models, keys=keys, upcasters=self._upcasters)

    async def cursor_of(self, position: int) -> CommitCursor:
        """The commit-order cursor of the event at global ``position`` (0 is the start).

        Raises:
            UnknownPosition: no event has that position.
        """
        if position == 0:
            return START
        rows = await self._fetch(
            "SELECT transaction_id FROM eventstore.events WHERE position = $1", position
        )
        if not rows:
            raise UnknownPosition(position)
        return CommitCursor(int(rows[0][0]), position)

    async def read_all(
        self,
        *,
        after_position: int = 0,
        batch_size: int = 1000,
        types: Collection[str] | None = None,
    ) -> AsyncIterator[RecordedEvent]:
        """Stream the global log in commit order, from after ``after_position`` to the present.

        The order is by transaction id, then position, and stops at the oldest transaction still
        running, so an event committing later can never appear before a position already read.
        Positions are unique but not increasing in this order: resume from the position of the
        last event handled.

        Args:
            after_position: 0 for the beginning, else the position of the last event handled.
            batch_size: rows per query; memory stays bounded by one batch.
            types: only events of these types.

        Raises:
            UnknownPosition: ``after_position`` names no event.
        """
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        cursor = await self.cursor_of(after_position)
        type_list = None if types is None else list(types)
        while True:
            # One span per batch, not per call: a subscription's read_all lives for hours.
            with tracer.start_as_current_span(
                "eventstore.read_all.batch",
                kind=SpanKind.CLIENT,
                attributes={
                    DB_SYSTEM: "postgresql",
                    AFTER_POSITION: cursor.position,
                    BATCH_SIZE: batch_size,
                },
            ) as span:
                rows = await self._fetch(
                    READ_ALL_SQL, cursor.transaction_id, cursor.position, type_list, batch_size
                )
                span.set_attribute(EVENT_COUNT, len(rows))
                events = await self._decoder.decode(rows) if rows else []
            if not rows:
                return
            for event in events:
                yield event
            cursor = CommitCursor(int(rows[-1]["transaction_id"]), rows[-1]["position"])
            if len(rows) < batch_size:
                return

    async def erase(self, subject_id: str, *, actor: str) -> None:
        """Erase a subject's personal data by destroying their data key.

        Every stored ciphertext stays (so every hash still verifies) but reads back as
        ``ERASED``. A ``PersonalDataErased`` event is then appended to each stream that carries
        the subject (or to ``erasure-<subject>`` if none does). Repeating an erasure is safe:
        the key stays destroyed and the events' ids are derived, so nothing is appended twice.
        """
        if not subject_id:
            raise ValueError("subject_id must not be empty")
        # The subject id stays out of the span: subjects are people.
        with tracer.start_as_current_span(
            "eventstore.erase", kind=SpanKind.CLIENT, attributes={DB_SYSTEM: "postgresql"}
        ) as span:
            streams = await self._erase(subject_id, actor)
            span.set_attribute("pathways.stream_count", len(streams))

    async def _erase(self, subject_id: str, actor: str) -> list[str]:
        # Key first: if the process dies in between, a rerun appends the missing events, and
        # no moment exists where the history says "erased" while the data is still readable.
        await self._keys.destroy(subject_id)
        rows = await self._pool.fetch(
            "SELECT DISTINCT stream_id FROM eventstore.events WHERE subject_id = $1 ORDER BY 1",
            subject_id,
        )
        streams = [row["stream_id"] for row in rows] or [f"erasure-{subject_id}"]
        for stream_id in streams:
            await self.append(stream_id, [erasure_event(stream_id, subject_id, actor)])
        return streams

    async def seal(self, *, max_events_per_seal: int = 100_000) -> list[Seal]:
        """Seal every final, unsealed event (see ``eventstore.seals.seal``), signed with the
        keyring's seal signer when it has one."""
        with tracer.start_as_current_span(
            "eventstore.seal", kind=SpanKind.CLIENT, attributes={DB_SYSTEM: "postgresql"}
        ) as span:
            seals = await seal(
                self._pool,
                signer=self._keyring.seal_signer,
                max_events_per_seal=max_events_per_seal,
            )
            span.set_attribute(SEAL_COUNT, len(seals))
            span.set_attribute(EVENT_COUNT, sum(s.event_count for s in seals))
            return seals

    async def verify(
        self, *, anchors: Sequence[Anchor] = (), max_failures: int = 100
    ) -> VerificationReport:
        """Verify every hash chain and seal with the keyring's chain and verify keys, and the
        store against ``anchors`` (see ``eventstore.verification.verify``)."""
        with tracer.start_as_current_span(
            "eventstore.verify", kind=SpanKind.CLIENT, attributes={DB_SYSTEM: "postgresql"}
        ) as span:
            report = await verify(
                self._pool,
                chain_key=self._chain_key,
                verifier=self._keyring.seal_verifier,
                anchors=anchors,
                max_failures=max_failures,
            )
            span.set_attribute(VERIFY_OK, report.ok)
            span.set_attribute(EVENT_COUNT, report.events_checked)
            span.set_attribute(SEAL_COUNT, report.seals_checked)
            span.set_attribute(FAILURE_COUNT, len(report.failures))
            return report


def _mapped(
    exc: asyncpg.PostgresError, stream_id: str, expected: int | ExpectedVersion
) -> EventStoreError | None:
    sqlstate = exc.sqlstate
    detail: Any = getattr(exc, "detail", None)
    if sqlstate == _WRONG_EXPECTED_VERSION:
        return WrongExpectedVersion(stream_id, expected, int(detail))
    if sqlstate == _DUPLICATE_EVENT_ID:
        event_id = UUID(detail)
        reason = str(exc).removeprefix(f"event {event_id} ")
        return DuplicateEventIdConflict(event_id, reason)
    if sqlstate == _MALFORMED_APPEND:
        return InvalidAppend(str(exc))
    return None
