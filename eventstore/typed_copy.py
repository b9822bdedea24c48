"""The rest of a long typed read: groups built by PostgreSQL, streamed by COPY, validated whole.

``read_stream_typed`` reads a stream's first events as rows (``eventstore.typed``); when there are
more, the remainder comes through here. Why, measured replaying 100,000 domain events on a 2-CPU
machine (the README's Performance section has the figures):

- Rows cost the client per event and per column (asyncpg builds a record and decodes nine
  values), then a pydantic call, a loop turn and a ``TypedEvent`` per event. Here PostgreSQL
  joins the payloads of one type into one JSON array that one pydantic call turns into models
  (a list of one model: no union to dispatch through); the envelopes are built and put in
  version order by C code (``map``, ``zip``, ``list.sort``), with no Python frame per event.
- asyncpg hands a query's rows over only once the last one has arrived, so PostgreSQL's work
  and ours would add up. COPY's output reaches ``TypedBatches`` as it arrives, and the statement
  produces it batch by batch (an index range scan and a small hash aggregate each, nothing
  that waits for the whole stream): PostgreSQL builds the next batches while this process
  validates the current one. Memory stays bounded by a batch of ``BATCH_EVENTS``.

The price: COPY takes no parameters, so the statement carries its values as SQL literals
(``_text`` quotes strings; everything else is a number or a fixed word).

The stream is cut into batches of ``BATCH_EVENTS`` consecutive versions. A batch comes as binary
COPY rows, one per group of its events with the same type, schema version and ``sealed`` (the
payload holds ciphertext: personal fields declared and the ciphertext mark in the text, exactly
``decode_typed``'s test), with six fields: batch, type, schema version, sealed, the payloads as
a JSON array, and the envelopes: per event its version, position and recording time
(microseconds since 2000-01-01, the binary form of a ``timestamptz``), each a big-endian int64,
in the payloads' order.

A group of the type's direct version (``EventModels.direct``), not sealed, is validated whole;
the events of other groups of known types are then read as rows, by version, and decoded by
``decode_typed``: every event gets exactly what a read of rows alone gives it.
"""

from __future__ import annotations

import gc
import sys
import threading
from array import array
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial
from itertools import repeat
from operator import add, itemgetter
from typing import Any, Generic, TypeVar, cast

import asyncpg

from eventstore.personal_data import CIPHERTEXT_MARK
from eventstore.typed import EventModels, TypedEvent

T = TypeVar("T")

BATCH_EVENTS = 1000
"""Versions per batch: what PostgreSQL aggregates at a time, and what bounds memory."""

_PG_EPOCH_MICROS = 946_684_800_000_000  # 2000-01-01 (a timestamptz's zero) since 1970-01-01
_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
_HEADER_BYTES = len(_SIGNATURE) + 8  # flags and header extension length, int32 each
_INT16, _INT32 = 2, 4
_VERSION = itemgetter(2)  # of a TypedEvent

# A named tuple built by C: ``TypedEvent(*fields)`` would run a Python ``__new__`` per event.
_typed_event = cast("Any", partial(tuple.__new__, TypedEvent))

# No ORDER BY in the aggregates: a group's payloads and envelopes line up because both aggregates
# see the group's rows in the same sequence, and TypedBatches sorts by version anyway.
_COPY_SQL = """
    SELECT batch, type, schema_version, sealed, payloads, envelopes
    FROM generate_series(
        0,
        ((SELECT version FROM eventstore.streams WHERE stream_id = {stream_id})
         - {after_version} - 1) / {batch}
    ) AS batch,
    LATERAL (
        SELECT type, schema_version, sealed,
               '[' || string_agg(payload, ',') || ']' AS payloads,
               string_agg(
                   int8send(version::bigint) || int8send(position) || timestamptz_send(recorded_at),
                   ''::bytea
               ) AS envelopes
        FROM (
            SELECT version, position, type, schema_version, payload::text AS payload, recorded_at,
                   CASE WHEN cardinality(personal_fields) > 0
                        THEN strpos(payload::text, {mark}) > 0
                        ELSE false END AS sealed
            FROM eventstore.events
            WHERE stream_id = {stream_id}
              AND version > {after_version} + batch * {batch}
              AND version <= {after_version} + (batch + 1) * {batch}{filters}
        ) AS selected
        GROUP BY type, schema_version, sealed
    ) AS groups
"""


def _text(value: str) -> str:
    """``value`` as an SQL string constant.

    An escape string (``E'...'``) means the same whatever ``standard_conforming_strings`` says:
    inside it only backslashes and quotes are special, and both are doubled.
    """
    return "E'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


def _timestamp(moment: datetime) -> str:
    # As asyncpg encodes a timestamptz parameter: datetime.max/min are +-infinity, a naive value
    # is local time.
    if moment == datetime.max:  # noqa: DTZ901 - asyncpg's own (naive) infinity
        return "'infinity'::timestamptz"
    if moment == datetime.min:  # noqa: DTZ901 - asyncpg's own (naive) infinity
        return "'-infinity'::timestamptz"
    return _text(moment.astimezone(UTC).isoformat()) + "::timestamptz"


def copy_query(
    stream_id: str,
    after_version: int,
    *,
    as_of_time: datetime | None,
    cursor: tuple[int, int] | None,
    types: Collection[str] | None,
) -> str:
    """The ``SELECT`` whose COPY streams a stream's events after ``after_version`` in groups.

    Args:
        stream_id: the stream.
        after_version: the last version already read.
        as_of_time: as ``read_stream``'s.
        cursor: (transaction id, position) of ``read_stream``'s ``as_of_position``.
        types: as ``read_stream``'s.
    """
    filters = ""
    if as_of_time is not None:
        filters += f" AND recorded_at <= {_timestamp(as_of_time)}"
    if cursor is not None:
        transaction_id, position = cursor
        filters += (
            f" AND (transaction_id, position) <= ({_text(str(int(transaction_id)))}::xid8,"
            f" {int(position)}::bigint)"
        )
    if types is not None:
        filters += f" AND type = ANY (ARRAY[{', '.join(map(_text, types))}]::text[])"
    return _COPY_SQL.format(
        mark=_text(CIPHERTEXT_MARK),
        stream_id=_text(stream_id),
        after_version=int(after_version),
        filters=filters,
        batch=BATCH_EVENTS,
    )


class _CollectorPause:
    """Pauses the cyclic garbage collector while any streamed read runs, across its awaits.

    Why: each event leaves five objects the collector tracks. Left running, it passed over the
    growing result every few hundred events (a third of a 100,000-event read); paused per batch,
    the same passes ran between batches. Paused for the read, its first pass afterwards still
    examined every new object once, for nothing (the caller keeps them: 1.2 us per event). So
    when the last read ends, ``freeze`` and ``unfreeze`` move every tracked object straight to
    the oldest generation, which full passes examine as before, unless the application froze
    objects itself (``unfreeze`` would release them).

    The price of spanning awaits: other tasks run with the collector paused too, and their
    unreachable cycles wait until the next full pass (reference counting frees everything else
    as usual). Counted, so that reads overlapping in other tasks (or threads) restore the
    collector once, when the last of them ends.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._reads = 0
        self._was_enabled = False

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            if self._reads == 0:
                self._was_enabled = gc.isenabled()
                gc.disable()
            self._reads += 1
        try:
            yield
        finally:
            with self._lock:
                self._reads -= 1
                if self._reads == 0 and self._was_enabled:
                    if gc.get_freeze_count() == 0:
                        gc.freeze()
                        gc.unfreeze()
                    gc.enable()


_collector_paused = _CollectorPause()


class TypedBatches(Generic[T]):
    """Turns a binary COPY of ``copy_query`` into ``TypedEvent``s, group by group, as it arrives.

    After ``read``, ``events`` holds the events in version order, and ``general`` the versions of
    those that still need the general path (their ``event`` is ``None`` meanwhile).
    """

    def __init__(self, stream_id: str, models: EventModels[T], direct: Mapping[str, int]) -> None:
        self.events: list[TypedEvent[T]] = []
        self.general: list[int] = []
        self._stream_id = stream_id
        self._models = models
        self._direct = direct
        self._batch = -1
        self._pending: list[TypedEvent[T]] = []
        self._buffer = bytearray()
        self._header_read = False

    async def read(
        self, connection: asyncpg.Connection | asyncpg.pool.PoolConnectionProxy, query: str
    ) -> None:
        """Run ``query`` (from ``copy_query``) as a binary COPY on ``connection``."""
        with _collector_paused():
            await connection.copy_from_query(query, output=self._write, format="binary")
            self._end_batch()
            # SQL does not promise the join's rows in batch order (they come so): when they do,
            # this is one pass over a sorted list.
            self.events.sort(key=_VERSION)

    async def _write(self, data: bytes) -> None:
        # COPY's output as it arrives; a row may be split across chunks.
        buffer = self._buffer
        buffer += data
        at = 0
        if not self._header_read:
            if len(buffer) < _HEADER_BYTES:
                return
            if buffer[: len(_SIGNATURE)] != _SIGNATURE:
                raise ValueError("not binary COPY output")
            extension = int.from_bytes(buffer[_HEADER_BYTES - _INT32 : _HEADER_BYTES], "big")
            at = _HEADER_BYTES + extension
            if len(buffer) < at:
                return
            self._header_read = True
        while (row := _next_row(buffer, at)) is not None:
            fields, at = row
            self._add(fields)
        del buffer[:at]

    def _add(self, fields: list[bytearray]) -> None:
        batch, type_name, schema_version, sealed, payloads, envelopes = fields
        number = int.from_bytes(batch, "big", signed=True)
        if number != self._batch:
            self._end_batch()
            self._batch = number
        numbers = array("q")
        numbers.frombytes(envelopes)
        if sys.byteorder == "little":
            numbers.byteswap()
        versions = numbers[0::3]
        name = type_name.decode()
        events: Any
        # decode_typed's test for validating the stored text as it is (sealed is a bool: 0 or 1).
        if self._direct.get(name) == int.from_bytes(schema_version, "big") and sealed == b"\0":
            events = self._models.list_validator(name)(payloads)
            assert len(events) == len(versions)
        else:
            events = repeat(None)
            if self._models.known(name):
                self.general.extend(versions)
        self._pending.extend(
            map(
                _typed_event,
                zip(
                    events,
                    repeat(self._stream_id),
                    versions,
                    numbers[1::3],
                    repeat(name),
                    map(add, numbers[2::3], repeat(_PG_EPOCH_MICROS)),
                    strict=False,  # repeat() is endless; the others are the group's length
                ),
            )
        )

    def _end_batch(self) -> None:
        # A batch's groups come in index order: sorting merges a few sorted runs.
        self._pending.sort(key=_VERSION)
        self.events += self._pending
        self._pending = []


def _next_row(buffer: bytearray, at: int) -> tuple[list[bytearray], int] | None:
    """The complete row starting at ``at`` and where the next begins; None if it is incomplete.

    Also None at the trailer (field count -1), which ends the output.
    """
    if len(buffer) < at + _INT16:
        return None
    count = int.from_bytes(buffer[at : at + _INT16], "big", signed=True)
    if count < 0:
        return None
    at += _INT16
    fields: list[bytearray] = []
    for _ in range(count):
        if len(buffer) < at + _INT32:
            return None
        length = int.from_bytes(buffer[at : at + _INT32], "big", signed=True)
        at += _INT32
        if length < 0:
            raise ValueError("NULL in a batch of typed events")  # none of its fields can be
        if len(buffer) < at + length:
            return None
        fields.append(buffer[at : at + length])
        at += length
    return fields, at
