"""Jurisdiction templates: six countries plus a fast one, versioned, every clock sourced."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from pydantic import ValidationError

from domain import available_templates, load_template
from domain.errors import InvalidCommandError
from domain.templates import JurisdictionTemplate

COUNTRIES = {"dk": "DK", "nl": "NL", "uk": "GB", "de": "DE", "it": "IT", "es": "ES"}


def test_every_seed_country_and_the_fast_template_ship_and_validate() -> None:
    ids = {template_id for template_id, _ in available_templates()}
    assert ids == {*COUNTRIES, "fast"}
    for template_id, country in COUNTRIES.items():
        assert load_template(template_id).country == country


@pytest.mark.parametrize("template_id", [*COUNTRIES, "fast"])
def test_every_clock_says_whether_it_is_a_standard_and_where_it_comes_from(
    template_id: str,
) -> None:
    template = load_template(template_id)
    clocks = [*template.clocks.model_dump().values(), *template.handover_sla.model_dump().values()]
    for clock in clocks:
        if clock is not None:
            assert clock["source"].strip()
            assert isinstance(clock["standard"], bool)
    assert template.route, "a typical route"
    assert any(step.responsibility.value == "coordination" for step in template.route)


def test_the_fast_template_counts_in_seconds() -> None:
    fast = load_template("fast")
    assert fast.handover_sla.acknowledge.duration == timedelta(seconds=2)
    assert fast.handover_sla.accept.duration == timedelta(seconds=4)
    assert all(not clock.standard for clock in (fast.clocks.discharge_follow_up,))


def test_the_uk_discharge_route_has_the_72_hour_first_contact_standard() -> None:
    uk = load_template("uk")
    sla = uk.sla_for("discharge_to_cmht")
    assert sla.first_contact.duration == timedelta(hours=72)
    assert sla.first_contact.standard


def test_unknown_templates_and_versions_are_refused_clearly() -> None:
    with pytest.raises(InvalidCommandError, match="unknown jurisdiction template 'xx'"):
        load_template("xx")
    with pytest.raises(InvalidCommandError, match="has no version 99"):
        load_template("nl", 99)


def test_a_route_naming_an_unknown_agency_role_is_rejected() -> None:
    data = json.loads(load_template("nl").model_dump_json())
    data["route"][0]["to_role"] = "nobody"
    with pytest.raises(ValidationError, match="unknown role nobody"):
        JurisdictionTemplate.model_validate(data)
