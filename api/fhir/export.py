"""A pathway as a FHIR R4 Bundle: a Task per handover, a Provenance per event, an AuditEvent per
access-log entry (anchors-domain 3.3 and 3.5).

Only pseudonymous identifiers appear: the person is referenced by the pathway id, organisations and
workers by their opaque ids. Personal fields of events are never exported. The Bundle is built as
plain JSON and validated with the ``fhir.resources`` R4B models (the maintained pydantic-2 models
closest to R4; Task, Provenance, AuditEvent and Bundle are the same in R4 and R4B).
"""

from __future__ import annotations

import base64
import uuid
from datetime import datetime
from typing import Any

from api.access_log import AccessRecord
from api.access_log.purposes import PURPOSE_SYSTEM
from domain import PathwayState
from domain.handover import Handover, fhir_task_status
from eventstore import RecordedEvent

SYSTEM = "urn:pathways"
PATHWAY_SYSTEM = f"{SYSTEM}:pathway"
ORG_SYSTEM = f"{SYSTEM}:organisation"
ACTOR_SYSTEM = f"{SYSTEM}:actor"
EVENT_SYSTEM = f"{SYSTEM}:event"
_NAMESPACE = uuid.UUID("6f1c0c1e-4e0b-4f7e-9a53-7061746877a1")

_BUSINESS_STATUS = {
    "requested": "awaiting-acknowledgement",
    "acknowledged": "under-review",
    "accepted": "first-contact-scheduled",
    "awaiting_meeting": "first-contact-done",
    "completed": "handover-complete",
    "declined": "declined",
    "failed": "no-contact-after-outreach",
    "redirected": "redirected",
    "withdrawn": "withdrawn-by-sender",
    "on_hold": "on-hold",
}


def _ident(system: str, value: str) -> dict[str, Any]:
    return {"identifier": {"system": system, "value": value}}


def _id(*parts: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, "\x00".join(parts)))


def _time(moment: datetime) -> str:
    return moment.isoformat()


def task_for(pathway_id: str, handover: Handover) -> dict[str, Any]:
    """One handover as a FHIR Task (status mapped per anchors-domain 3.3)."""
    task: dict[str, Any] = {
        "resourceType": "Task",
        "id": _id("task", pathway_id, handover.handover_id),
        "identifier": [{"system": f"{SYSTEM}:handover", "value": handover.handover_id}],
        "status": fhir_task_status(handover.status),
        "businessStatus": {"text": _BUSINESS_STATUS.get(handover.status.value, "")},
        "intent": "order",
        "code": {
            "coding": [{"system": "http://hl7.org/fhir/CodeSystem/task-code", "code": "fulfill"}],
            "text": f"handover of {handover.responsibility.value} responsibility",
        },
        "for": _ident(PATHWAY_SYSTEM, pathway_id),
        "authoredOn": _time(handover.requested_at),
        "requester": _ident(ORG_SYSTEM, handover.from_org),
        "owner": _ident(ORG_SYSTEM, handover.to_org),
    }
    last = handover.completed_at or handover.first_contact_at or handover.accepted_at
    last = last or handover.acknowledged_at or handover.resolution_started_at
    if last is not None:
        task["lastModified"] = _time(last)
    if handover.decline_reason is not None:
        task["statusReason"] = {"text": handover.decline_reason.value}
    elif handover.fail_reason is not None:
        task["statusReason"] = {"text": handover.fail_reason.value}
    if handover.redirected_from is not None:
        task["partOf"] = [
            {"reference": f"Task/{_id('task', pathway_id, handover.redirected_from)}"}
        ]
    return task


def provenance_for(
    pathway_id: str, event: RecordedEvent, chain_hash: bytes | None
) -> dict[str, Any]:
    """One stored event as a FHIR Provenance (who did what, when; signed by the chain hash)."""
    provenance: dict[str, Any] = {
        "resourceType": "Provenance",
        "id": _id("provenance", str(event.event_id)),
        "target": [_ident(EVENT_SYSTEM, str(event.event_id))],
        "recorded": _time(event.recorded_at),
        "activity": {
            "coding": [{"system": f"{SYSTEM}:event-type", "code": event.type}],
            "text": f"{event.type} (version {event.version} of pathway {pathway_id})",
        },
        "agent": [{"who": _ident(ACTOR_SYSTEM, event.metadata.actor)}],
        "entity": [{"role": "source", "what": _ident(PATHWAY_SYSTEM, pathway_id)}],
    }
    if "occurred_at" in event.payload:
        provenance["occurredDateTime"] = str(event.payload["occurred_at"])
    if chain_hash is not None:
        provenance["signature"] = [
            {
                "type": [
                    {
                        "system": "urn:iso-astm:E1762-95:2013",
                        "code": "1.2.840.10065.1.12.1.14",
                        "display": "Source Signature",
                    }
                ],
                "when": _time(event.recorded_at),
                "who": {"display": "pathways event store hash chain (sha256)"},
                "sigFormat": "application/octet-stream",
                "data": base64.b64encode(chain_hash).decode(),
            }
        ]
    return provenance


def audit_event_for(entry: AccessRecord) -> dict[str, Any]:
    """One access-log entry as a FHIR AuditEvent (IHE BALP read/query pattern)."""
    action = {"read": "R", "query": "E", "export": "R", "write": "U"}.get(entry.action, "R")
    entities: list[dict[str, Any]] = []
    for pathway_id in [entry.pathway_id, *entry.pathway_ids]:
        if pathway_id:
            entities.append(
                {
                    "what": _ident(PATHWAY_SYSTEM, pathway_id),
                    "type": {
                        "code": "1",
                        "system": "http://terminology.hl7.org/CodeSystem/audit-entity-type",
                    },
                }
            )
    # An attempt without a valid token (401) has no known principal: the agent says so.
    unknown = {"display": "unknown (no valid token)"}
    agents: list[dict[str, Any]] = [
        {
            "who": unknown if entry.subject_id is None else _ident(ACTOR_SYSTEM, entry.subject_id),
            "role": [{"text": entry.role or "unknown"}],
            "requestor": True,
            **({"altId": entry.principal_id} if entry.principal_id else {}),
        }
    ]
    if entry.organisation_id is not None:
        agents.append({"who": _ident(ORG_SYSTEM, entry.organisation_id), "requestor": False})
    purpose = [{"coding": [{"system": PURPOSE_SYSTEM, "code": entry.purpose}]}]
    status = "" if entry.status is None else f" ({entry.status} {entry.reason or ''})".rstrip()
    return {
        "resourceType": "AuditEvent",
        "id": _id("audit", str(entry.entry_id)),
        "type": {
            "system": "http://terminology.hl7.org/CodeSystem/audit-event-type",
            "code": "rest",
            "display": "RESTful Operation",
        },
        "action": action,
        "recorded": _time(entry.recorded_at),
        "outcome": "0" if entry.outcome == "allowed" else "4",
        "outcomeDesc": f"{entry.outcome}: {entry.resource}{status}",
        **({"purposeOfEvent": purpose} if entry.purpose else {}),
        "agent": agents,
        "source": {"observer": {"display": "pathways api"}, "site": "pathways"},
        "entity": entities,
    }


def pathway_bundle(
    pathway_id: str,
    state: PathwayState,
    events: list[RecordedEvent],
    chain_hashes: dict[int, bytes],
    accesses: list[AccessRecord],
    *,
    now: datetime,
) -> dict[str, Any]:
    """The audit export of one pathway as a FHIR ``collection`` Bundle (plain JSON)."""
    resources: list[dict[str, Any]] = [task_for(pathway_id, h) for h in state.handovers.values()]
    resources += [provenance_for(pathway_id, e, chain_hashes.get(e.version)) for e in events]
    resources += [audit_event_for(a) for a in accesses]
    return {
        "resourceType": "Bundle",
        "id": _id("bundle", pathway_id, _time(now)),
        "type": "collection",
        "timestamp": _time(now),
        "identifier": {"system": PATHWAY_SYSTEM, "value": pathway_id},
        "entry": [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in resources],
    }


def validate_bundle(bundle: dict[str, Any]) -> None:
    """Parse the bundle with the FHIR R4B models; raises ``pydantic.ValidationError`` if invalid."""
    from fhir.resources.R4B.bundle import Bundle

    Bundle.model_validate(bundle)
