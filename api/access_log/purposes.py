"""Purpose of use: the controlled vocabulary of the ``X-Purpose-Of-Use`` header.

Codes from HL7 v3 PurposeOfUse (terminology.hl7.org CodeSystem v3-ActReason), the subset this
product's users have. Each role has a default and a set it may declare.
"""

from __future__ import annotations

from enum import StrEnum

from api.auth.principals import Role

PURPOSE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ActReason"


class Purpose(StrEnum):
    """Why data was read."""

    TREAT = "TREAT"  # treatment
    ETREAT = "ETREAT"  # emergency treatment ("break the glass"), flagged in the log
    COC = "COC"  # coordination of care
    CAREMGT = "CAREMGT"  # care management
    HOPERAT = "HOPERAT"  # healthcare operations
    HCOMPL = "HCOMPL"  # compliance (audit)
    HLEGAL = "HLEGAL"  # legal
    PATRQT = "PATRQT"  # the person's own request (e.g. a subject access request)
    HSYSADMIN = "HSYSADMIN"  # system administration


_ALLOWED: dict[Role, frozenset[Purpose]] = {
    Role.AGENCY: frozenset({Purpose.COC, Purpose.TREAT, Purpose.ETREAT, Purpose.CAREMGT}),
    Role.CASEWORKER: frozenset(
        {Purpose.COC, Purpose.CAREMGT, Purpose.TREAT, Purpose.ETREAT, Purpose.PATRQT}
    ),
    Role.AUDITOR: frozenset({Purpose.HCOMPL, Purpose.HLEGAL, Purpose.PATRQT, Purpose.HOPERAT}),
    Role.ADMIN: frozenset({Purpose.HSYSADMIN}),
}

DEFAULT_PURPOSE: dict[Role, Purpose] = {
    Role.AGENCY: Purpose.COC,
    Role.CASEWORKER: Purpose.COC,
    Role.AUDITOR: Purpose.HCOMPL,
    Role.ADMIN: Purpose.HSYSADMIN,
}


def allowed_purposes(role: Role) -> frozenset[Purpose]:
    """The purposes a role may declare."""
    return _ALLOWED[role]
