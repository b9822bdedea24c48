"""A stand-in history that a read of an unknown pathway id folds, as a denied read folds a real one.

Why: a denial must not answer measurably slower than an unknown id, or the time of a 404 would
tell whether the person exists. Both take the same steps (``api.pathways.access_state``): read the
stream, turn each stored payload into a domain event, fold them, apply the policy. An unknown id
has no events to fold, so it folds this one: a synthetic early pathway (opened, admitted,
discharged, consent, a handover acknowledged and accepted), about as long as most streams a
caller probes. It names no real person or organisation and never grants anything: the policy's
answer on it is discarded, because the pathway does not exist. What remains is proportional to
the difference in length between the stand-in and the real stream (tens of microseconds per event).
"""

from __future__ import annotations

import functools
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from domain import Command, PathwayState, decide, evolve, load_template
from domain.commands import (
    AcceptHandover,
    AcknowledgeHandover,
    GrantConsent,
    RecordAdmission,
    RecordDischarge,
    RequestHandover,
)
from domain.commands.pathway import OpenPathway
from domain.consent import DataCategory, Purpose
from domain.state import EntryChannel
from domain.tracks import Responsibility, Track

STAND_IN_ID = "p-stand-in"  # the stand-in's own pathway id (its events name it)
_HOSPITAL, _MUNICIPALITY = "org-stand-in-hospital", "org-stand-in-municipality"


def _commands(now: datetime) -> list[Command]:
    return [
        OpenPathway(
            actor="cw-stand-in",
            pathway_id=STAND_IN_ID,
            template_id="nl",
            template_version=1,
            coordinator_id="cw-stand-in",
            coordinator_org="org-stand-in",
            supervisor_id="sup-stand-in",
            entry_channel=EntryChannel.HOSPITAL,
            tracks={Track.CLINICAL: _HOSPITAL},
        ),
        RecordAdmission(actor="ward-stand-in", hospital_org=_HOSPITAL, ward_type="acute"),
        RecordDischarge(actor="ward-stand-in"),
        GrantConsent(
            actor="person",
            recipient_org=_MUNICIPALITY,
            purpose=Purpose.HANDOVER,
            data_categories=frozenset({DataCategory.CARE_PLAN}),
            expires_at=now + timedelta(days=365),
        ),
        RequestHandover(
            actor="cw-stand-in",
            handover_id="h-stand-in",
            responsibility=Responsibility.SOCIAL,
            from_org=_HOSPITAL,
            to_org=_MUNICIPALITY,
        ),
        AcknowledgeHandover(actor="intake", handover_id="h-stand-in", by_org=_MUNICIPALITY),
        AcceptHandover(actor="intake", handover_id="h-stand-in", by_org=_MUNICIPALITY),
    ]


@functools.cache
def stand_in_payloads() -> tuple[tuple[str, int, dict[str, Any]], ...]:
    """``(type, schema_version, payload)`` of each stand-in event, as the store returns them."""
    now = datetime(2026, 1, 5, 9, tzinfo=UTC)
    template = load_template("nl", 1)
    counter = iter(range(1, 1_000_000))
    state = PathwayState.new(STAND_IN_ID)
    payloads: list[tuple[str, int, dict[str, Any]]] = []
    for command in _commands(now):
        events = decide(
            state, command, template=template, now=now, new_id=lambda: uuid.UUID(int=next(counter))
        )
        for event in events:
            state = evolve(state, event)
            payloads.append((event.type, event.schema_version, event.model_dump(mode="json")))
    return tuple(payloads)
