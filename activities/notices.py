"""Activities that deliver what a pathway owes others: handover notices and escalations.

Both write to delivery tables keyed by the id of the event that caused them, so a retry after a
lost acknowledgement writes nothing twice.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg
from pydantic import BaseModel
from temporalio import activity


class HandoverNotice(BaseModel, frozen=True):
    """A handover request delivered to the receiving agency's inbox."""

    notice_id: UUID
    pathway_id: str
    handover_id: str
    from_org: str
    to_org: str
    responsibility: str
    requested_at: datetime


class EscalationNotice(BaseModel, frozen=True):
    """A missed deadline escalated to the coordinator (level 1) or supervisor (level 2)."""

    notice_id: UUID
    pathway_id: str
    recipient_role: str
    recipient_id: str
    subject: str
    level: int
    kind: str | None
    raised_at: datetime


class NoticeActivities:
    """Delivery activities; the pool is injected by the worker's composition root."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @activity.defn(name="deliver_handover_notice")
    async def deliver_handover_notice(self, notice: HandoverNotice) -> bool:
        """Put the notice in the receiver's inbox; False if it was already there."""
        async with self._pool.acquire() as connection:
            status = await connection.execute(
                """
                INSERT INTO pathways.handover_inbox
                    (notice_id, pathway_id, handover_id, from_org, to_org, responsibility,
                     requested_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7)
                ON CONFLICT (notice_id) DO NOTHING
                """,
                notice.notice_id,
                notice.pathway_id,
                notice.handover_id,
                notice.from_org,
                notice.to_org,
                notice.responsibility,
                notice.requested_at,
            )
        return bool(status == "INSERT 0 1")

    @activity.defn(name="notify_escalation")
    async def notify_escalation(self, notice: EscalationNotice) -> bool:
        """Record the escalation for its recipient; False if it was already recorded."""
        async with self._pool.acquire() as connection:
            status = await connection.execute(
                """
                INSERT INTO pathways.notifications
                    (notice_id, pathway_id, recipient_role, recipient_id, subject, level, kind,
                     raised_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                ON CONFLICT (notice_id) DO NOTHING
                """,
                notice.notice_id,
                notice.pathway_id,
                notice.recipient_role,
                notice.recipient_id,
                notice.subject,
                notice.level,
                notice.kind,
                notice.raised_at,
            )
        return bool(status == "INSERT 0 1")
