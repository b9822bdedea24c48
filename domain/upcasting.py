"""The one upcaster chain: old event payloads are upgraded on read, step by step.

An upcaster takes the payload dict of ``(type, version)`` and returns the payload of
``version + 1``. ``upcast`` applies them until the current ``schema_version`` of the event class.
When an event's schema changes: bump ``schema_version`` on the class, add one upcaster here, add
the old version's personal fields to ``HISTORIC_PERSONAL_FIELDS`` if they differ, and add a test
that reads a stored payload of the old version.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from domain.wards import WardType

Payload = dict[str, Any]
Upcaster = Callable[[Payload], Payload]


class UpcastError(ValueError):
    """A payload cannot be brought to the current version."""


def _handover_declined_v1_to_v2(payload: Payload) -> Payload:
    # v1 had one free-text "reason"; v2 splits a reason code from the personal text.
    upgraded = {key: value for key, value in payload.items() if key != "reason"}
    upgraded["reason_code"] = "unspecified"
    upgraded["reason_text"] = payload.get("reason")
    return upgraded


def _person_discharged_v1_to_v2(payload: Payload) -> Payload:
    # v1 predates the 48-hour rule for an identified suicide risk; it recorded none.
    return {**payload, "suicide_risk_identified": False}


def _ward_type_v1_to_v2(payload: Payload) -> Payload:
    # v1 took any text; v2 a ``WardType`` code. A v1 text that is no code (it may even be a
    # person's words, stored in plaintext before this version) is not carried into the model.
    ward_type = payload.get("ward_type")
    codes = {code.value for code in WardType}
    return {**payload, "ward_type": ward_type if ward_type in codes else WardType.OTHER.value}


def _legal_basis_recorded_v1_to_v2(payload: Payload) -> Payload:
    # Only the classification changed (legal_reference became personal); the shape did not.
    return dict(payload)


UPCASTERS: Mapping[tuple[str, int], Upcaster] = {
    ("HandoverDeclined", 1): _handover_declined_v1_to_v2,
    ("PersonDischarged", 1): _person_discharged_v1_to_v2,
    ("PersonAdmitted", 1): _ward_type_v1_to_v2,
    ("PersonReadmitted", 1): _ward_type_v1_to_v2,
    ("LegalBasisRecorded", 1): _legal_basis_recorded_v1_to_v2,
}

HISTORIC_PERSONAL_FIELDS: Mapping[tuple[str, int], frozenset[str]] = {
    ("HandoverDeclined", 1): frozenset({"reason"}),
    ("LegalBasisRecorded", 1): frozenset(),
}
"""Personal fields of old versions whose names differ from the current model's."""


def upcast(type_name: str, version: int, payload: Payload, *, to_version: int) -> Payload:
    """Upgrade ``payload`` of ``type_name`` at ``version`` to ``to_version``.

    Raises:
        UpcastError: the version is newer than this code knows, or a step is missing.
    """
    if version > to_version:
        raise UpcastError(
            f"{type_name} v{version} is newer than this code (v{to_version}); upgrade the reader"
        )
    current = dict(payload)
    for step in range(version, to_version):
        upcaster = UPCASTERS.get((type_name, step))
        if upcaster is None:
            raise UpcastError(f"no upcaster for {type_name} v{step} -> v{step + 1}")
        current = upcaster(current)
    return current
