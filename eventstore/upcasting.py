"""Schema evolution: payloads stored in an old schema version are upgraded on read.

History is never rewritten for a schema change. Each event type has a chain of pure functions,
one per step ``vN -> vN+1``; reading applies the chain from the stored version to the newest.
The registry is generic: the domain registers its own upcasters at its composition root.
Upcasters see personal fields decrypted, or as ``ERASED`` after erasure, and must pass such
values through unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


class UpcasterRegistry:
    """Upcasters keyed by ``(event type, version they upgrade from)``."""

    def __init__(self) -> None:
        self._steps: dict[tuple[str, int], Upcaster] = {}

    def register(self, event_type: str, from_version: int, upcaster: Upcaster) -> None:
        """Register the step that turns ``event_type`` version ``from_version`` into the next.

        Raises:
            ValueError: a step from that version is already registered (a chain has one path).
        """
        key = (event_type, from_version)
        if key in self._steps:
            raise ValueError(f"an upcaster for {event_type} v{from_version} is already registered")
        if from_version < 1:
            raise ValueError("schema versions start at 1")
        self._steps[key] = upcaster

    def upcaster(self, event_type: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
        """Decorator form of ``register``."""

        def decorate(function: Upcaster) -> Upcaster:
            self.register(event_type, from_version, function)
            return function

        return decorate

    def latest_version(self, event_type: str, stored_version: int = 1) -> int:
        """The version a payload of ``event_type`` at ``stored_version`` reads back as."""
        version = stored_version
        while (event_type, version) in self._steps:
            version += 1
        return version

    def upcast(
        self, event_type: str, schema_version: int, payload: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        """Apply every registered step from ``schema_version`` on; return the new version too."""
        version = schema_version
        while (step := self._steps.get((event_type, version))) is not None:
            payload = step(payload)
            version += 1
        return version, payload

    def __bool__(self) -> bool:
        return bool(self._steps)
