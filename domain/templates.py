"""Jurisdiction templates: versioned data describing one country's agencies, route and clocks.

Templates are JSON files in ``domain/templates`` named ``<id>-v<version>.json``. A pathway pins the
template id and version it was opened under (``PathwayOpened``), so a new template version never
changes a running pathway. Every clock says whether it comes from a standard (``standard: true``
with its source) or is a labelled default chosen by the project (``standard: false``).
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from functools import cache
from importlib import resources

from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain.errors import InvalidCommandError
from domain.tracks import Responsibility, Track

_FILE_NAME = re.compile(r"^(?P<id>[a-z][a-z0-9_]*)-v(?P<version>\d+)\.json$")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Clock(_Frozen):
    """One duration with its provenance."""

    duration: timedelta
    standard: bool
    source: str


class HandoverSla(_Frozen):
    """Per-step deadlines of a handover, counted in running (un-paused) time."""

    acknowledge: Clock  # from request
    accept: Clock  # from request
    first_contact: Clock  # from acceptance
    resolve_decline: Clock  # from decline or failure: redirect or escalate by then


class Clocks(_Frozen):
    """The pathway-level clocks of a jurisdiction."""

    discharge_follow_up: Clock
    discharge_follow_up_suicide_risk: Clock
    ips_first_employer_contact: Clock
    follow_along_early_interval: Clock
    follow_along_early_period: Clock
    follow_along_interval: Clock
    follow_along_employer_interval: Clock | None = None
    job_loss_contact: Clock
    gap_bridging_interval: Clock
    escalation_interval: Clock  # from coordinator escalation to supervisor escalation
    continuation_decision: Clock
    funding_review_notice: Clock


class Agency(_Frozen):
    """A kind of organisation in the jurisdiction (a role, not a concrete organisation)."""

    role: str
    name: str
    local_name: str
    level: str  # national, regional, municipal, provider, employer
    tracks: tuple[Track, ...]
    note: str = ""


class Service(_Frozen):
    """An entry of the jurisdiction's service catalogue."""

    id: str
    name: str
    local_name: str
    track: Track
    provided_by: str  # agency role
    legal_basis: str | None = None
    note: str = ""


class RouteStep(_Frozen):
    """One typical handover of the route, in order."""

    id: str
    order: int
    responsibility: Responsibility
    from_role: str
    to_role: str
    service_id: str | None = None
    warm_handover_required: bool = False
    sla: HandoverSla | None = None  # None: the template's default handover SLA
    note: str = ""


class JurisdictionTemplate(_Frozen):
    """A versioned jurisdiction template."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    version: int = Field(ge=1)
    country: str  # ISO 3166-1 alpha-2, "XX" for the synthetic test template
    name: str
    description: str
    coordinator_role: str
    coordinator_note: str = ""
    agencies: tuple[Agency, ...]
    services: tuple[Service, ...]
    route: tuple[RouteStep, ...]
    handover_sla: HandoverSla
    clocks: Clocks
    outreach_attempts_before_failure: int = Field(ge=1)
    outreach_note: str = ""
    sources: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _references_resolve(self) -> JurisdictionTemplate:
        roles = {agency.role for agency in self.agencies}
        services = {service.id for service in self.services}
        if self.coordinator_role not in roles:
            raise ValueError(f"coordinator_role {self.coordinator_role!r} is not an agency role")
        for service in self.services:
            if service.provided_by not in roles:
                raise ValueError(f"service {service.id} names unknown role {service.provided_by}")
        route_ids = [step.id for step in self.route]
        if len(set(route_ids)) != len(route_ids):
            raise ValueError("route step ids must be unique")
        if [step.order for step in self.route] != sorted(step.order for step in self.route):
            raise ValueError("route steps must be listed in order")
        for step in self.route:
            for role in (step.from_role, step.to_role):
                if role not in roles:
                    raise ValueError(f"route step {step.id} names unknown role {role}")
            if step.service_id is not None and step.service_id not in services:
                raise ValueError(f"route step {step.id} names unknown service {step.service_id}")
        return self

    def route_step(self, route_id: str) -> RouteStep:
        """The route step with this id.

        Raises:
            InvalidCommandError: the template has no such step.
        """
        for step in self.route:
            if step.id == route_id:
                return step
        raise InvalidCommandError(
            f"template {self.id} v{self.version} has no route step {route_id}"
        )

    def sla_for(self, route_id: str | None) -> HandoverSla:
        """The handover SLA of a route step, or the template default."""
        if route_id is None:
            return self.handover_sla
        return self.route_step(route_id).sla or self.handover_sla


def _template_files() -> dict[tuple[str, int], str]:
    folder = resources.files("domain").joinpath("templates")
    found: dict[tuple[str, int], str] = {}
    for entry in folder.iterdir():
        match = _FILE_NAME.match(entry.name)
        if match:
            found[(match["id"], int(match["version"]))] = entry.name
    return found


def available_templates() -> list[tuple[str, int]]:
    """All (template id, version) pairs shipped with the package, sorted."""
    return sorted(_template_files())


@cache
def load_template(template_id: str, version: int | None = None) -> JurisdictionTemplate:
    """Load and validate a jurisdiction template shipped as package data.

    Reading package data is deterministic, and the result is cached, so a workflow may call this
    while replaying. ``version=None`` picks the newest version: use it only when opening a pathway,
    then pass the pinned version.

    Raises:
        InvalidCommandError: no such template or version.
    """
    files = _template_files()
    versions = sorted(v for (tid, v) in files if tid == template_id)
    if not versions:
        raise InvalidCommandError(f"unknown jurisdiction template {template_id!r}")
    chosen = versions[-1] if version is None else version
    if (template_id, chosen) not in files:
        raise InvalidCommandError(f"jurisdiction template {template_id!r} has no version {chosen}")
    text = (
        resources.files("domain")
        .joinpath("templates")
        .joinpath(files[(template_id, chosen)])
        .read_text(encoding="utf-8")
    )
    template = JurisdictionTemplate.model_validate(json.loads(text))
    if (template.id, template.version) != (template_id, chosen):
        raise InvalidCommandError(
            f"template file for {template_id} v{chosen} names another id/version"
        )
    return template
