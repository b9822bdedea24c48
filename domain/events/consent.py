"""Consent, legal basis, sharing and disclosure events."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import AwareDatetime

from domain.consent import DataCategory, DisclosureLevel, Purpose
from domain.events.base import Event
from domain.ids import ConsentId, OrgId
from domain.personal import PERSONAL, OptionalPersonalText


class ConsentGranted(Event):
    """The person consented to sharing with one recipient, for a purpose, until an expiry."""

    type: Literal["ConsentGranted"] = "ConsentGranted"
    consent_id: ConsentId
    recipient_org: OrgId
    purpose: Purpose
    data_categories: frozenset[DataCategory]
    expires_at: AwareDatetime


class ConsentRefused(Event):
    """The person refused a request for consent."""

    type: Literal["ConsentRefused"] = "ConsentRefused"
    recipient_org: OrgId
    purpose: Purpose
    data_categories: frozenset[DataCategory]


class ConsentWithdrawn(Event):
    """The person withdrew a consent; handovers relying on it go on hold."""

    type: Literal["ConsentWithdrawn"] = "ConsentWithdrawn"
    consent_id: ConsentId


class LegalBasisRecorded(Event):
    """A legal basis for sharing without consent was recorded, with its reference (R-04).

    Schema history: v1 stored ``legal_reference`` in plaintext; from v2 it is personal (a free
    text may name the person's own court order), so the store encrypts it and erasure destroys
    it. The payload's shape is unchanged; v1 rows keep the plaintext they were written with.
    """

    schema_version: ClassVar[int] = 2

    type: Literal["LegalBasisRecorded"] = "LegalBasisRecorded"
    basis_id: str
    recipient_org: OrgId
    purpose: Purpose
    data_categories: frozenset[DataCategory]
    # Not length-bounded here: a stored v1 text of any length must stay readable.
    legal_reference: Annotated[str, PERSONAL]


class InformationShared(Event):
    """Information went to an agency or employer, under the basis named here."""

    type: Literal["InformationShared"] = "InformationShared"
    recipient_org: OrgId
    purpose: Purpose
    data_categories: frozenset[DataCategory]
    to_employer: bool = False
    consent_id: ConsentId | None = None
    legal_basis_id: str | None = None
    disclosure_level: DisclosureLevel | None = None


class DisclosurePreferenceRecorded(Event):
    """The person decided what employers may be told."""

    type: Literal["DisclosurePreferenceRecorded"] = "DisclosurePreferenceRecorded"
    level: DisclosureLevel
    employer_ids: frozenset[str] = frozenset()
    note: OptionalPersonalText = None
