"""The event store's error family: callers catch ``EventStoreError`` or one of its kinds."""

from __future__ import annotations

from uuid import UUID

from eventstore.expected_version import ExpectedVersion, describe


class EventStoreError(Exception):
    """Base class of every error the event store raises on purpose."""


class WrongExpectedVersion(EventStoreError):  # noqa: N818 - name fixed by the public API
    """The stream was not at the version the caller expected; nothing was written."""

    def __init__(self, stream_id: str, expected: int | ExpectedVersion, actual: int) -> None:
        self.stream_id = stream_id
        self.expected = expected
        self.actual = actual
        actual_text = "no stream" if actual == 0 else f"version {actual}"
        super().__init__(f"stream {stream_id}: expected {describe(expected)}, actual {actual_text}")


class DuplicateEventIdConflict(EventStoreError):  # noqa: N818 - name fixed by the public API
    """An event id was already recorded with different content (or in a different append)."""

    def __init__(self, event_id: UUID, reason: str) -> None:
        self.event_id = event_id
        self.reason = reason
        super().__init__(f"event {event_id}: {reason}")


class InvalidAppend(EventStoreError, ValueError):  # noqa: N818 - reads like its siblings
    """The append request itself is malformed (empty, duplicate ids, non-JSON payload...)."""


class UnknownPosition(EventStoreError, LookupError):  # noqa: N818 - reads like its siblings
    """A global position given as a cursor names no recorded event."""

    def __init__(self, position: int) -> None:
        self.position = position
        super().__init__(f"no event is recorded at global position {position}")


class SubjectErased(EventStoreError):  # noqa: N818 - reads like its siblings
    """Personal data cannot be written for a subject whose data key was destroyed."""

    def __init__(self, subject_id: str) -> None:
        self.subject_id = subject_id
        super().__init__(f"subject {subject_id} was erased; personal data can no longer be stored")


class CorruptEvent(EventStoreError):  # noqa: N818 - reads like its siblings
    """A stored event cannot be decoded (for example its ciphertext fails authentication)."""


class KeyEncryptionKeyUnavailable(EventStoreError):  # noqa: N818 - reads like its siblings
    """A data key is wrapped under a key-encryption key this process does not hold (or it holds
    none, or only one a rotation retired); the message names the key id, never a key."""


class MigrationError(EventStoreError):
    """The database schema is not in a state the migrations can handle."""
