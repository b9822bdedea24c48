"""The kinds of ward a person is admitted to: a code list, not free text.

Until schema version 2 of ``PersonAdmitted`` and ``PersonReadmitted`` the ward type was any text,
stored in plaintext beside the pseudonymous ids, where a person's words would survive erasure. The
kinds the seed countries name (seeds-domain: crisis wards, psychiatric wards in general hospitals,
medium- and long-stay units, secure and forensic services) are enough for every rule and report.
"""

from __future__ import annotations

from enum import StrEnum


class WardType(StrEnum):
    """The kind of ward of an admission."""

    ACUTE = "acute"
    CRISIS = "crisis"
    PSYCHIATRIC = "psychiatric"  # an ordinary psychiatric ward, also one in a general hospital
    GENERAL = "general"  # a general (somatic) hospital ward
    SECURE = "secure"
    FORENSIC = "forensic"
    LONG_STAY = "long_stay"  # medium- and long-stay units (ES)
    CHILD_ADOLESCENT = "child_adolescent"
    ADDICTION = "addiction"
    OTHER = "other"  # also what a v1 event's free text reads as (see ``domain.upcasting``)
