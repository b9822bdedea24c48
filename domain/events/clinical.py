"""Clinical events: admission, readmission, discharge and its follow-up."""

from __future__ import annotations

from typing import ClassVar, Literal

from domain.events.base import Event
from domain.ids import OrgId
from domain.wards import WardType


class PersonAdmitted(Event):
    """The person was admitted to a psychiatric ward for the first time in this pathway.

    Schema history: v1's ``ward_type`` was free text, stored in plaintext; v2 takes a code from
    ``WardType``, and upcasting reads a v1 text that is no code as ``other``.
    """

    schema_version: ClassVar[int] = 2

    type: Literal["PersonAdmitted"] = "PersonAdmitted"
    hospital_org: OrgId
    ward_type: WardType


class PersonReadmitted(Event):
    """The person was admitted again after a discharge: the pathway pauses, nothing resets.

    Schema history: as ``PersonAdmitted`` (v2 takes a ``WardType`` code).
    """

    schema_version: ClassVar[int] = 2

    type: Literal["PersonReadmitted"] = "PersonReadmitted"
    hospital_org: OrgId
    ward_type: WardType


class PersonDischarged(Event):
    """The person left hospital; the discharge follow-up clock and a support gap start.

    Schema history: v1 had no ``suicide_risk_identified``; upcasting fills in False, which is
    what v1 writers meant (they had no 48-hour rule).
    """

    schema_version: ClassVar[int] = 2

    type: Literal["PersonDischarged"] = "PersonDischarged"
    discharge_id: str
    suicide_risk_identified: bool


class DischargeFollowUpMade(Event):
    """The post-discharge follow-up contact happened (72 h / 7 d / 48 h rules)."""

    type: Literal["DischargeFollowUpMade"] = "DischargeFollowUpMade"
    discharge_id: str
    by_org: OrgId
