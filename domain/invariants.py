"""The product's promises as checks over a state (DESIGN.md, invariants 1, 2 and 4).

Used by the property tests and available to the workflow as a guard after each decision.
"""

from __future__ import annotations

from datetime import datetime

from domain.clock import due_after
from domain.handover import HandoverStatus
from domain.state import PathwayState
from domain.templates import JurisdictionTemplate
from domain.tracks import Responsibility


def invariant_violations(
    state: PathwayState, template: JurisdictionTemplate, now: datetime
) -> list[str]:
    """Describe every broken invariant; empty when all hold.

    - an open pathway has exactly one coordinator;
    - every active track has a responsible organisation;
    - at most one open handover per responsibility;
    - no declined or failed handover is left without redirect or escalation once its resolution
      deadline has passed (the workflow reports misses as they fall due).
    """
    if not state.is_live:
        return []
    problems: list[str] = []
    if state.coordinator is None:
        problems.append(f"pathway {state.pathway_id} has no coordinator")
    for track in state.active_tracks():
        if not track.responsible_org:
            problems.append(f"active track {track.track.value} has no responsible organisation")
    for responsibility in Responsibility:
        open_ids = [
            h.handover_id
            for h in state.handovers.values()
            if h.responsibility is responsibility and h.is_open
        ]
        if len(open_ids) > 1:
            problems.append(f"{responsibility.value} has several open handovers: {open_ids}")
    for handover in state.handovers.values():
        if not handover.unresolved:
            continue
        assert handover.resolution_started_at is not None
        due = due_after(
            handover.resolution_started_at,
            template.sla_for(handover.route_id).resolve_decline.duration,
            (*state.pauses, *handover.holds),
        )
        if due is not None and due <= now:
            problems.append(
                f"handover {handover.handover_id} is {handover.status.value} since "
                f"{handover.resolution_started_at.isoformat()} without redirect or escalation"
            )
        if handover.status is HandoverStatus.DECLINED and handover.decline_reason is None:
            problems.append(f"handover {handover.handover_id} was declined without a reason code")
    return problems
