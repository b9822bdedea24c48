"""Consent rules: consent per recipient x purpose x category, legal bases, sharing, disclosure."""

from __future__ import annotations

from domain.commands import (
    GrantConsent,
    RecordDisclosurePreference,
    RecordLegalBasis,
    RefuseConsent,
    ShareInformation,
    WithdrawConsent,
)
from domain.consent import (
    Consent,
    ConsentStatus,
    DataCategory,
    DisclosurePreference,
    LegalBasis,
    may_disclose_to_employer,
    may_share,
)
from domain.errors import (
    ConsentRequiredError,
    DuplicateEntityError,
    InvalidCommandError,
    InvalidTransitionError,
    UnknownEntityError,
)
from domain.events import (
    ConsentGranted,
    ConsentRefused,
    ConsentWithdrawn,
    DisclosurePreferenceRecorded,
    Event,
    HandoverPutOnHold,
    InformationShared,
    LegalBasisRecorded,
)
from domain.handover import IN_FLIGHT, HoldReason
from domain.rules.context import Applier, Context, Decider, replace_item
from domain.rules.guards import require_live
from domain.state import PathwayState, ShareRecord

# --- decide -------------------------------------------------------------------------------------


def _require_categories(categories: frozenset[DataCategory]) -> None:
    if not categories:
        raise InvalidCommandError("name at least one data category")


def _grant(state: PathwayState, command: GrantConsent, ctx: Context) -> list[Event]:
    require_live(state)
    _require_categories(command.data_categories)
    if command.expires_at <= ctx.now:
        raise InvalidCommandError("a consent must expire in the future")
    consent_id = command.consent_id or ctx.new_local_id("c")
    if consent_id in state.consents:
        raise DuplicateEntityError(f"pathway {state.pathway_id} already has consent {consent_id}")
    return [
        ConsentGranted(
            **ctx.stamp(),
            consent_id=consent_id,
            recipient_org=command.recipient_org,
            purpose=command.purpose,
            data_categories=command.data_categories,
            expires_at=command.expires_at,
        )
    ]


def _refuse(state: PathwayState, command: RefuseConsent, ctx: Context) -> list[Event]:
    require_live(state)
    _require_categories(command.data_categories)
    return [
        ConsentRefused(
            **ctx.stamp(),
            recipient_org=command.recipient_org,
            purpose=command.purpose,
            data_categories=command.data_categories,
        )
    ]


def _withdraw(state: PathwayState, command: WithdrawConsent, ctx: Context) -> list[Event]:
    require_live(state)
    consent = state.consents.get(command.consent_id)
    if consent is None:
        raise UnknownEntityError(f"pathway {state.pathway_id} has no consent {command.consent_id}")
    if consent.status is not ConsentStatus.GRANTED:
        raise InvalidTransitionError(f"consent {consent.consent_id} is already withdrawn")
    # A handover relying on the consent must not fail silently: it goes on hold (seeds 8.10).
    return [
        ConsentWithdrawn(**ctx.stamp(), consent_id=consent.consent_id),
        *(
            HandoverPutOnHold(
                **ctx.stamp(), handover_id=h.handover_id, reason=HoldReason.CONSENT_WITHDRAWN
            )
            for h in sorted(state.handovers.values(), key=lambda h: h.requested_at)
            if h.consent_id == consent.consent_id and h.status in IN_FLIGHT
        ),
    ]


def _legal_basis(state: PathwayState, command: RecordLegalBasis, ctx: Context) -> list[Event]:
    require_live(state)
    _require_categories(command.data_categories)
    if not command.legal_reference.strip():
        raise InvalidCommandError("a legal basis names its legal reference")
    basis_id = command.basis_id or ctx.new_local_id("lb")
    if basis_id in state.legal_bases:
        raise DuplicateEntityError(f"pathway {state.pathway_id} already has legal basis {basis_id}")
    return [
        LegalBasisRecorded(
            **ctx.stamp(),
            basis_id=basis_id,
            recipient_org=command.recipient_org,
            purpose=command.purpose,
            data_categories=command.data_categories,
            legal_reference=command.legal_reference,
        )
    ]


def _share(state: PathwayState, command: ShareInformation, ctx: Context) -> list[Event]:
    require_live(state)
    _require_categories(command.data_categories)
    categories = sorted(command.data_categories)
    if command.to_employer:
        for category in categories:
            answer = may_disclose_to_employer(
                state.disclosure, employer_id=command.recipient_org, category=category
            )
            if not answer.allowed:
                raise ConsentRequiredError(f"not shared with employer: {answer.reason}")
        assert state.disclosure is not None
        return [
            InformationShared(
                **ctx.stamp(),
                recipient_org=command.recipient_org,
                purpose=command.purpose,
                data_categories=command.data_categories,
                to_employer=True,
                disclosure_level=state.disclosure.level,
            )
        ]
    # One event per basis, so each share names exactly what allowed it.
    by_basis: dict[tuple[str | None, str | None], set[DataCategory]] = {}
    for category in categories:
        answer = may_share(
            state.consents,
            state.legal_bases,
            recipient_org=command.recipient_org,
            purpose=command.purpose,
            category=category,
            at=ctx.now,
        )
        if not answer.allowed:
            raise ConsentRequiredError(f"not shared: {answer.reason}")
        by_basis.setdefault((answer.consent_id, answer.legal_basis_id), set()).add(category)
    return [
        InformationShared(
            **ctx.stamp(),
            recipient_org=command.recipient_org,
            purpose=command.purpose,
            data_categories=frozenset(shared),
            consent_id=consent_id,
            legal_basis_id=basis_id,
        )
        for (consent_id, basis_id), shared in sorted(
            by_basis.items(), key=lambda item: (item[0][0] or "", item[0][1] or "")
        )
    ]


def _disclosure(
    state: PathwayState, command: RecordDisclosurePreference, ctx: Context
) -> list[Event]:
    require_live(state)
    return [
        DisclosurePreferenceRecorded(
            **ctx.stamp(), level=command.level, employer_ids=command.employer_ids, note=command.note
        )
    ]


DECIDERS: dict[type, Decider] = {
    GrantConsent: _grant,
    RefuseConsent: _refuse,
    WithdrawConsent: _withdraw,
    RecordLegalBasis: _legal_basis,
    ShareInformation: _share,
    RecordDisclosurePreference: _disclosure,
}

# --- evolve -------------------------------------------------------------------------------------


def _granted(state: PathwayState, event: ConsentGranted) -> PathwayState:
    consent = Consent(
        consent_id=event.consent_id,
        recipient_org=event.recipient_org,
        purpose=event.purpose,
        data_categories=event.data_categories,
        granted_at=event.occurred_at,
        expires_at=event.expires_at,
    )
    return state.model_copy(
        update={"consents": replace_item(state.consents, consent.consent_id, consent)}
    )


def _refused(state: PathwayState, event: ConsentRefused) -> PathwayState:
    return state


def _withdrawn(state: PathwayState, event: ConsentWithdrawn) -> PathwayState:
    consent = state.consents[event.consent_id].model_copy(
        update={"status": ConsentStatus.WITHDRAWN}
    )
    return state.model_copy(
        update={"consents": replace_item(state.consents, consent.consent_id, consent)}
    )


def _basis_recorded(state: PathwayState, event: LegalBasisRecorded) -> PathwayState:
    basis = LegalBasis(
        basis_id=event.basis_id,
        recipient_org=event.recipient_org,
        purpose=event.purpose,
        data_categories=event.data_categories,
        recorded_at=event.occurred_at,
    )
    return state.model_copy(
        update={"legal_bases": replace_item(state.legal_bases, basis.basis_id, basis)}
    )


def _shared(state: PathwayState, event: InformationShared) -> PathwayState:
    record = ShareRecord(
        recipient_org=event.recipient_org,
        data_categories=frozenset(c.value for c in event.data_categories),
        purpose=event.purpose.value,
        consent_id=event.consent_id,
        legal_basis_id=event.legal_basis_id,
        shared_at=event.occurred_at,
    )
    return state.model_copy(update={"shares": (*state.shares, record)})


def _disclosure_recorded(state: PathwayState, event: DisclosurePreferenceRecorded) -> PathwayState:
    preference = DisclosurePreference(
        level=event.level, employer_ids=event.employer_ids, recorded_at=event.occurred_at
    )
    return state.model_copy(update={"disclosure": preference})


APPLIERS: dict[type, Applier] = {
    ConsentGranted: _granted,
    ConsentRefused: _refused,
    ConsentWithdrawn: _withdrawn,
    LegalBasisRecorded: _basis_recorded,
    InformationShared: _shared,
    DisclosurePreferenceRecorded: _disclosure_recorded,
}
