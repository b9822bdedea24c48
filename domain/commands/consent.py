"""Consent, legal-basis, sharing and disclosure commands."""

from __future__ import annotations

from typing import Literal

from domain.commands.base import Command
from domain.consent import DataCategory, DisclosureLevel, Purpose
from domain.ids import ConsentId, EmployerId, OrgId
from domain.moments import Moment
from domain.text import Code, OptionalFreeText, ReferenceText


class GrantConsent(Command):
    """Record the person's consent for one recipient and purpose, until ``expires_at``."""

    type: Literal["GrantConsent"] = "GrantConsent"
    consent_id: ConsentId | None = None
    recipient_org: OrgId
    purpose: Purpose
    data_categories: frozenset[DataCategory]
    expires_at: Moment


class RefuseConsent(Command):
    """Record that the person refused consent."""

    type: Literal["RefuseConsent"] = "RefuseConsent"
    recipient_org: OrgId
    purpose: Purpose
    data_categories: frozenset[DataCategory]


class WithdrawConsent(Command):
    """The person withdraws a consent."""

    type: Literal["WithdrawConsent"] = "WithdrawConsent"
    consent_id: ConsentId


class RecordLegalBasis(Command):
    """Record a legal basis that allows sharing without consent."""

    type: Literal["RecordLegalBasis"] = "RecordLegalBasis"
    basis_id: Code | None = None
    recipient_org: OrgId
    purpose: Purpose
    data_categories: frozenset[DataCategory]
    legal_reference: ReferenceText


class ShareInformation(Command):
    """Share information; refused unless consent, legal basis or disclosure choice allow it."""

    type: Literal["ShareInformation"] = "ShareInformation"
    recipient_org: OrgId
    purpose: Purpose
    data_categories: frozenset[DataCategory]
    to_employer: bool = False


class RecordDisclosurePreference(Command):
    """Record what the person wants employers to be told."""

    type: Literal["RecordDisclosurePreference"] = "RecordDisclosurePreference"
    level: DisclosureLevel
    employer_ids: frozenset[EmployerId] = frozenset()
    note: OptionalFreeText = None
