"""Commands on the pathway: open, coordinate, tracks, pause, resume, close."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from domain.commands.base import Command
from domain.ids import OrgId, PathwayId, WorkerId
from domain.state import CloseReason, EntryChannel, PauseReason
from domain.text import Code, FreeText, OptionalFreeText
from domain.tracks import Track


class OpenPathway(Command):
    """Open a pathway under a template version with its coordinator and first tracks."""

    type: Literal["OpenPathway"] = "OpenPathway"
    pathway_id: PathwayId
    template_id: Code
    template_version: int
    coordinator_id: WorkerId
    coordinator_org: OrgId
    supervisor_id: WorkerId
    entry_channel: EntryChannel
    tracks: dict[Track, OrgId] = Field(default_factory=dict)


class ReplaceCoordinator(Command):
    """Replace the coordinator at once (emergency: the worker left); prefer a handover."""

    type: Literal["ReplaceCoordinator"] = "ReplaceCoordinator"
    worker_id: WorkerId
    org_id: OrgId
    reason_code: Code


class AssignSupervisor(Command):
    """Name the supervisor who receives second-level escalations."""

    type: Literal["AssignSupervisor"] = "AssignSupervisor"
    supervisor_id: WorkerId


class StartTrack(Command):
    """Start a track with its responsible organisation (e.g. self-referral)."""

    type: Literal["StartTrack"] = "StartTrack"
    track: Track
    responsible_org: OrgId


class EndTrack(Command):
    """End a track by explicit decision; never for a time limit."""

    type: Literal["EndTrack"] = "EndTrack"
    track: Track
    reason_code: Code


class RecordServiceEnded(Command):
    """Record that the service on a track ended; a support gap opens if no successor is coming."""

    type: Literal["RecordServiceEnded"] = "RecordServiceEnded"
    track: Track
    reason_code: Code


class PausePathway(Command):
    """Pause the pathway's clocks (readmission pauses by itself)."""

    type: Literal["PausePathway"] = "PausePathway"
    reason: PauseReason


class ResumePathway(Command):
    """Resume a pathway paused by hand (readmission resumes at discharge)."""

    type: Literal["ResumePathway"] = "ResumePathway"


class ClosePathway(Command):
    """Close the pathway with a reason and, if they wish, the person's own view."""

    type: Literal["ClosePathway"] = "ClosePathway"
    reason: CloseReason
    person_view: OptionalFreeText = None


class RecordWorkAspiration(Command):
    """Record the person's goal in their own words."""

    type: Literal["RecordWorkAspiration"] = "RecordWorkAspiration"
    text: FreeText
