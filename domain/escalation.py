"""Deadline kinds and escalation targets: shared vocabulary of deadlines, events and commands."""

from __future__ import annotations

from enum import StrEnum


class DeadlineKind(StrEnum):
    """Every clock the domain watches."""

    DISCHARGE_FOLLOW_UP = "discharge_follow_up"
    HANDOVER_ACKNOWLEDGE = "handover_acknowledge"
    HANDOVER_ACCEPT = "handover_accept"
    HANDOVER_FIRST_CONTACT = "handover_first_contact"
    HANDOVER_RESOLUTION = "handover_resolution"  # a declined/failed handover needs redirect
    IPS_FIRST_EMPLOYER_CONTACT = "ips_first_employer_contact"
    FOLLOW_ALONG_WORKER_CONTACT = "follow_along_worker_contact"
    FOLLOW_ALONG_EMPLOYER_CONTACT = "follow_along_employer_contact"
    JOB_LOSS_CONTACT = "job_loss_contact"
    SUPPORT_GAP_BRIDGING = "support_gap_bridging"
    CONTINUATION_DECISION = "continuation_decision"
    FUNDING_REVIEW = "funding_review"


class EscalationTarget(StrEnum):
    """Who a missed deadline escalates to: level 1 the coordinator, level 2 the supervisor."""

    COORDINATOR = "coordinator"
    SUPERVISOR = "supervisor"


MAX_ESCALATION_LEVEL = 2


def target_for_level(level: int) -> EscalationTarget:
    """The escalation target of a level (1 coordinator, 2 supervisor)."""
    return EscalationTarget.COORDINATOR if level <= 1 else EscalationTarget.SUPERVISOR


def deadline_key(kind: DeadlineKind, subject: str) -> str:
    """The key under which a clock's escalation level is kept in the state."""
    return f"{kind.value}:{subject}"
