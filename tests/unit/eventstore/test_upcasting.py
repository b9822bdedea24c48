"""The upcaster registry: one chain per event type, applied step by step."""

from __future__ import annotations

from typing import Any

import pytest

from eventstore import UpcasterRegistry


def add(key: str) -> Any:
    def step(payload: dict[str, Any]) -> dict[str, Any]:
        return {**payload, key: True}

    return step


def test_a_payload_is_upgraded_through_every_later_step() -> None:
    registry = UpcasterRegistry()
    registry.register("Moved", 1, add("v2"))
    registry.register("Moved", 2, add("v3"))

    assert registry.upcast("Moved", 1, {}) == (3, {"v2": True, "v3": True})
    assert registry.upcast("Moved", 2, {}) == (3, {"v3": True})
    assert registry.upcast("Moved", 3, {}) == (3, {})
    assert registry.latest_version("Moved") == 3


def test_other_types_pass_through_untouched() -> None:
    registry = UpcasterRegistry()
    registry.register("Moved", 1, add("v2"))
    assert registry.upcast("Stayed", 1, {"x": 1}) == (1, {"x": 1})


def test_a_second_step_from_the_same_version_is_refused() -> None:
    registry = UpcasterRegistry()
    registry.register("Moved", 1, add("v2"))
    with pytest.raises(ValueError, match="already registered"):
        registry.register("Moved", 1, add("other"))
