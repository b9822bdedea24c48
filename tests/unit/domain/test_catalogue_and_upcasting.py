"""Catalogue, payload round trips and the upcaster chain for historic event versions."""

from __future__ import annotations

from uuid import UUID

import pytest

from domain import fold
from domain.catalogue import (
    COMMAND_TYPES,
    EVENT_TYPES,
    from_payload,
    personal_fields_of,
    schema_version,
    to_payload,
)
from domain.commands import COMMAND_CLASSES
from domain.decide import DECIDERS
from domain.events import EVENT_CLASSES, HandoverDeclined, PersonDischarged
from domain.evolve import APPLIERS
from domain.handover import DeclineReason
from domain.upcasting import UpcastError
from tests.unit.domain.support import full_route


def test_every_command_has_one_decider_and_every_event_one_applier() -> None:
    assert set(DECIDERS) == set(COMMAND_CLASSES)
    assert set(APPLIERS) == set(EVENT_CLASSES)
    assert len(EVENT_TYPES) == len(EVENT_CLASSES)
    assert len(COMMAND_TYPES) == len(COMMAND_CLASSES)


def test_every_event_of_a_full_route_survives_a_payload_round_trip() -> None:
    h = full_route()
    read_back = [from_payload(e.type, schema_version(e.type), to_payload(e)) for e in h.events]
    assert read_back == h.events
    assert fold(read_back) == h.state


def test_a_v1_handover_declined_is_read_as_the_current_model() -> None:
    v1 = {
        "type": "HandoverDeclined",
        "event_id": str(UUID(int=7)),
        "pathway_id": "p-1",
        "occurred_at": "2025-01-02T10:00:00+00:00",
        "actor": "org-gemeente",
        "handover_id": "h-1",
        "by_org": "org-gemeente",
        "reason": "no places until spring",
    }
    event = from_payload("HandoverDeclined", 1, v1)
    assert isinstance(event, HandoverDeclined)
    assert event.reason_code is DeclineReason.UNSPECIFIED
    assert event.reason_text == "no places until spring"
    assert personal_fields_of("HandoverDeclined", 1) == {"reason"}
    assert personal_fields_of("HandoverDeclined") == {"reason_text"}


def test_a_v1_person_discharged_gets_no_suicide_risk() -> None:
    v1 = {
        "type": "PersonDischarged",
        "event_id": str(UUID(int=8)),
        "pathway_id": "p-1",
        "occurred_at": "2025-01-02T10:00:00+00:00",
        "actor": "ward",
        "discharge_id": "d-1",
    }
    event = from_payload("PersonDischarged", 1, v1)
    assert isinstance(event, PersonDischarged)
    assert event.suicide_risk_identified is False


def test_a_payload_from_a_newer_writer_is_refused() -> None:
    with pytest.raises(UpcastError, match="newer than this code"):
        from_payload("PersonDischarged", 3, {})
