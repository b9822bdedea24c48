"""Authorization by role and by relationship, as pure functions over the pathway's state.

Relationships are decided on the state folded from the event store, not on projections: the
store is the system of record and is read-your-writes, so an agency that was sent a handover a
moment ago can act on it at once, whatever the projections' lag.

- An **agency** sees a pathway when it is a party *and* sharing with it is covered. It is a party
  when it coordinates, is responsible for an active track, receives a handover while it owes a step
  in it, or sent one whose loop is not closed yet (``domain.handover.RECEIVER_TAKES_PART`` and
  ``SENDER_TAKES_PART``, the same rule as the projections' current parties): a receiver that
  declined, failed or was bypassed, or the sender of a completed handover, no longer reads the
  person's pathway through that handover (data minimisation). Sharing
  is covered by an active consent or a recorded legal basis naming it as recipient, or by its own
  care relationship (it is responsible for an active track or employs the coordinator: GDPR
  Art. 9(2)(h), the data is its own record). What it then sees beyond its own handovers is
  decided part by part by ``domain.sharing_scope`` (consent per purpose and data category).
- A **case worker** sees only the pathways they coordinate: their worker id *and* their
  organisation are the coordinator's (worker ids are only unique within an organisation).
- An **auditor** reads everything and writes nothing; an **admin** manages tokens, reads no
  person's data.
"""

from __future__ import annotations

from datetime import datetime

from api.auth.principals import Principal, Role
from domain import PathwayState, PathwayStatus
from domain.handover import RECEIVER_TAKES_PART, SENDER_TAKES_PART


def _own_care_relationship(state: PathwayState, org: str) -> bool:
    if state.coordinator is not None and state.coordinator.org_id == org:
        return True
    return any(track.responsible_org == org for track in state.active_tracks())


def is_party(state: PathwayState, org: str) -> bool:
    """True when ``org`` takes part in the pathway now (see the module docstring)."""
    if _own_care_relationship(state, org):
        return True
    return any(
        (h.to_org == org and h.status in RECEIVER_TAKES_PART)
        or (h.from_org == org and h.status in SENDER_TAKES_PART)
        for h in state.handovers.values()
    )


def sharing_covered(state: PathwayState, org: str, now: datetime) -> bool:
    """True when an active consent, a legal basis or the org's own care relationship covers it."""
    if _own_care_relationship(state, org):
        return True
    if any(c.recipient_org == org and c.is_active(now) for c in state.consents.values()):
        return True
    return any(b.recipient_org == org for b in state.legal_bases.values())


def agency_may_see(state: PathwayState, org: str, now: datetime) -> bool:
    """True when an agency of ``org`` may read and act on this pathway."""
    if state.status is PathwayStatus.NEW:
        return False
    return is_party(state, org) and sharing_covered(state, org, now)


def caseworker_may_see(state: PathwayState, subject_id: str, org: str) -> bool:
    """True when the case worker ``subject_id`` of ``org`` coordinates this pathway."""
    coordinator = state.coordinator
    return coordinator is not None and (coordinator.worker_id, coordinator.org_id) == (
        subject_id,
        org,
    )


def may_read_pathway(principal: Principal, state: PathwayState | None, now: datetime) -> bool:
    """The relationship check for one pathway; None (no such pathway) is never readable."""
    if state is None or state.status is PathwayStatus.NEW:
        return False
    if principal.role is Role.AUDITOR:
        return True
    if principal.role is Role.CASEWORKER:
        return caseworker_may_see(state, principal.subject_id, principal.organisation_id)
    if principal.role is Role.AGENCY:
        return agency_may_see(state, principal.organisation_id, now)
    return False
