"""Events of the pathway itself: opening, coordination, tracks, pause, close."""

from __future__ import annotations

from typing import Literal

from domain.events.base import Event
from domain.ids import OrgId, WorkerId
from domain.personal import OptionalPersonalText, PersonalText
from domain.state import CloseReason, EntryChannel, PauseReason
from domain.tracks import Track


class PathwayOpened(Event):
    """A pathway was opened under a pinned jurisdiction template version (R-27)."""

    type: Literal["PathwayOpened"] = "PathwayOpened"
    template_id: str
    template_version: int
    entry_channel: EntryChannel
    supervisor_id: WorkerId


class CoordinatorAssigned(Event):
    """The first coordinating case worker was assigned."""

    type: Literal["CoordinatorAssigned"] = "CoordinatorAssigned"
    worker_id: WorkerId
    org_id: OrgId


class CoordinatorReassigned(Event):
    """The coordinator changed, through a coordination handover or a recorded emergency."""

    type: Literal["CoordinatorReassigned"] = "CoordinatorReassigned"
    worker_id: WorkerId
    org_id: OrgId
    previous_worker_id: WorkerId
    via_handover_id: str | None = None
    reason_code: str | None = None


class SupervisorAssigned(Event):
    """The supervisor who receives second-level escalations changed."""

    type: Literal["SupervisorAssigned"] = "SupervisorAssigned"
    supervisor_id: WorkerId


class TrackStarted(Event):
    """A track became active with a responsible organisation."""

    type: Literal["TrackStarted"] = "TrackStarted"
    track: Track
    responsible_org: OrgId
    held_for_handover: str | None = None  # set: the sender holds the track, no service yet


class TrackEnded(Event):
    """A track ended by an explicit decision."""

    type: Literal["TrackEnded"] = "TrackEnded"
    track: Track
    reason_code: str


class ServiceEnded(Event):
    """The service on a track ended; the organisation stays responsible until a successor starts."""

    type: Literal["ServiceEnded"] = "ServiceEnded"
    track: Track
    org_id: OrgId
    reason_code: str


class PathwayPaused(Event):
    """The pathway's clocks stopped; coordinator, plan and history are kept."""

    type: Literal["PathwayPaused"] = "PathwayPaused"
    reason: PauseReason


class PathwayResumed(Event):
    """The pathway's clocks run again."""

    type: Literal["PathwayResumed"] = "PathwayResumed"


class PathwayClosed(Event):
    """The pathway was closed by an explicit decision, with the person's own view."""

    type: Literal["PathwayClosed"] = "PathwayClosed"
    reason: CloseReason
    person_view: OptionalPersonalText = None


class WorkAspirationRecorded(Event):
    """The person's goal, in their own words (R-18)."""

    type: Literal["WorkAspirationRecorded"] = "WorkAspirationRecorded"
    text: PersonalText
