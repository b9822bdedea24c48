"""Clinical commands: admission, discharge, discharge follow-up."""

from __future__ import annotations

from typing import Literal

from domain.commands.base import Command
from domain.ids import OrgId
from domain.wards import WardType


class RecordAdmission(Command):
    """Record an admission; after an earlier discharge this is a readmission and pauses."""

    type: Literal["RecordAdmission"] = "RecordAdmission"
    hospital_org: OrgId
    ward_type: WardType


class RecordDischarge(Command):
    """Record a discharge; resumes a readmission pause and opens a support gap."""

    type: Literal["RecordDischarge"] = "RecordDischarge"
    suicide_risk_identified: bool = False


class RecordDischargeFollowUp(Command):
    """Record the post-discharge follow-up contact."""

    type: Literal["RecordDischargeFollowUp"] = "RecordDischargeFollowUp"
    by_org: OrgId
