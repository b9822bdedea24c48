"""Nothing a command carries is a value the product cannot hold or erase.

Every text field of every command is a code (a pattern, an enum or a literal) or free text that is
bounded, refuses control characters and is personal; every moment is aware and within 1900..2200;
a command built around validation is refused by ``decide`` with a ``DomainError``.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from domain import PathwayState, decide, from_payload, load_template, personal_fields_of
from domain.catalogue import COMMAND_TYPES, EVENT_TYPES
from domain.commands import GrantConsent, RecordAdmission, RecordWorkAspiration
from domain.errors import InvalidCommandError
from domain.events import LegalBasisRecorded
from domain.personal import personal_fields
from domain.timeline import timeline_line
from domain.wards import WardType

FAR_FUTURE = "9999-12-31T23:59:59-12:00"


def _string_schemas(schema: dict[str, Any], defs: dict[str, Any]) -> list[dict[str, Any]]:
    """Every string schema a property can take (through optionals, arrays, objects and refs)."""
    if "$ref" in schema:
        return _string_schemas(defs[schema["$ref"].rsplit("/", 1)[-1]], defs)
    found: list[dict[str, Any]] = []
    for key in ("anyOf", "oneOf", "allOf"):
        for option in schema.get(key, []):
            found += _string_schemas(option, defs)
    if schema.get("type") == "string" and schema.get("format") not in {"date-time", "duration"}:
        found.append(schema)
    for key in ("items", "additionalProperties", "propertyNames"):
        if isinstance(schema.get(key), dict):
            found += _string_schemas(schema[key], defs)
    return found


def _text_fields(cls: type[BaseModel]) -> dict[str, list[dict[str, Any]]]:
    schema = cls.model_json_schema()
    defs = schema.get("$defs", {})
    return {
        name: strings
        for name, prop in schema["properties"].items()
        if (strings := _string_schemas(prop, defs))
    }


def _is_code(string: dict[str, Any]) -> bool:
    return "enum" in string or "const" in string or "pattern" in string


def _free_text_fields(cls: type[BaseModel]) -> set[str]:
    return {
        name for name, strings in _text_fields(cls).items() if not all(_is_code(s) for s in strings)
    }


@pytest.mark.parametrize("name", sorted(COMMAND_TYPES))
def test_every_text_field_of_a_command_is_a_bounded_code_or_bounded_personal_text(
    name: str,
) -> None:
    cls = COMMAND_TYPES[name]
    for field, strings in _text_fields(cls).items():
        for string in strings:
            bounded = "enum" in string or "const" in string or "maxLength" in string
            assert bounded, f"{name}.{field} is a text without a bound"
    unclassified = _free_text_fields(cls) - personal_fields(cls)
    assert unclassified == set(), f"{name}: free text not marked personal: {unclassified}"


@pytest.mark.parametrize("name", sorted(COMMAND_TYPES))
@pytest.mark.parametrize("character", ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\ud800"])
def test_a_control_character_in_any_free_text_of_a_command_is_refused_naming_the_field(
    name: str, character: str
) -> None:
    cls = COMMAND_TYPES[name]
    for field in _free_text_fields(cls):
        with pytest.raises(ValidationError) as refused:
            cls.model_validate({field: f"before{character}after"})
        errors = {e["loc"][0]: e for e in refused.value.errors()}
        if character == "\ud800":
            # pydantic refuses a lone surrogate itself, before the field's own check runs.
            assert errors[field]["type"] in {"string_unicode", "unstorable_character"}
        else:
            assert errors[field]["type"] == "unstorable_character"
            assert f"U+{ord(character):04X}" in errors[field]["msg"]


@pytest.mark.parametrize("name", sorted(COMMAND_TYPES))
def test_a_control_character_in_any_code_of_a_command_is_refused(name: str) -> None:
    cls = COMMAND_TYPES[name]
    for field, strings in _text_fields(cls).items():
        if field == "type" or field in _free_text_fields(cls):
            continue
        value: object = "code\x00"
        if any(s.get("type") == "string" for s in strings) and "array" in str(
            cls.model_json_schema()["properties"][field]
        ):
            value = ["code\x00"]
        with pytest.raises(ValidationError) as refused:
            cls.model_validate({field: value})
        assert any(e["loc"][0] == field for e in refused.value.errors()), f"{name}.{field}"


def test_tabs_and_line_breaks_stay_allowed_in_free_text() -> None:
    text = "first line\n\tsecond line\r\nthird"
    assert RecordWorkAspiration(actor="cw-1", text=text).text == text


@pytest.mark.parametrize("name", sorted(COMMAND_TYPES))
def test_blank_free_text_is_refused(name: str) -> None:
    cls = COMMAND_TYPES[name]
    for field in _free_text_fields(cls):
        with pytest.raises(ValidationError) as refused:
            cls.model_validate({field: " \n\t "})
        errors = {e["loc"][0]: e for e in refused.value.errors()}
        assert errors[field]["type"] == "blank_text"


def test_free_text_longer_than_its_bound_is_refused() -> None:
    with pytest.raises(ValidationError, match="at most 4000"):
        RecordWorkAspiration(actor="cw-1", text="x" * 4001)


def test_a_ward_type_outside_the_code_list_is_refused() -> None:
    with pytest.raises(ValidationError):
        RecordAdmission.model_validate(
            {"actor": "ward-1", "hospital_org": "org-1", "ward_type": "Mr Jones, bed 4"}
        )
    assert RecordAdmission(actor="w", hospital_org="o", ward_type=WardType.CRISIS).ward_type


_MOMENT_FIELDS = {
    "GrantConsent": "expires_at",
    "RecordBenefitDecision": "valid_until",
    "RecordFundingPeriod": "ends_at",
    "ReviewFunding": "new_ends_at",
}


def test_the_moment_fields_listed_here_are_every_moment_of_every_command() -> None:
    found = {
        (name, field)
        for name, cls in COMMAND_TYPES.items()
        for field, info in cls.model_fields.items()
        if "datetime" in str(info.annotation).lower()
    }
    assert found == set(_MOMENT_FIELDS.items())


@pytest.mark.parametrize(("name", "field"), sorted(_MOMENT_FIELDS.items()))
@pytest.mark.parametrize(
    "value", [FAR_FUTURE, "2200-01-01T00:00:01+00:00", "1899-12-31T23:59:59+00:00"]
)
def test_a_moment_outside_1900_to_2200_is_refused_naming_the_field(
    name: str, field: str, value: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        COMMAND_TYPES[name].model_validate({field: value})
    errors = {e["loc"][0]: e for e in refused.value.errors()}
    assert errors[field]["type"] == "moment_out_of_range"


@pytest.mark.parametrize(
    "value",
    [
        datetime(1900, 1, 1, tzinfo=UTC),
        datetime(2200, 1, 1, tzinfo=UTC),
        datetime(2199, 12, 31, 23, 0, tzinfo=timezone(timedelta(hours=-12))) - timedelta(hours=12),
    ],
)
def test_the_edges_of_the_range_are_accepted(value: datetime) -> None:
    consent = GrantConsent(
        actor="cw-1",
        recipient_org="org-1",
        purpose="care_coordination",
        data_categories=frozenset(),
        expires_at=value,
    )
    assert consent.expires_at == value


def test_a_command_built_around_validation_is_refused_by_decide() -> None:
    smuggled = RecordWorkAspiration.model_construct(
        type="RecordWorkAspiration", actor="cw-1", text="my goal\x00"
    )
    with pytest.raises(InvalidCommandError, match=r"text: .*U\+0000"):
        decide(
            PathwayState.new("p-bounds-1"),
            smuggled,
            template=load_template("fast"),
            now=datetime.now(UTC),
            new_id=uuid.uuid4,
        )


def test_a_far_future_date_slipped_in_by_model_copy_is_refused_by_decide() -> None:
    consent = GrantConsent(
        actor="cw-1",
        recipient_org="org-1",
        purpose="care_coordination",
        data_categories=frozenset(),
        expires_at=datetime(2030, 1, 1, tzinfo=UTC),
    )
    far = datetime.fromisoformat(FAR_FUTURE)
    with pytest.raises(InvalidCommandError, match="expires_at: must be between 1900"):
        decide(
            PathwayState.new("p-bounds-2"),
            consent.model_copy(update={"expires_at": far}),
            template=load_template("fast"),
            now=datetime.now(UTC),
            new_id=uuid.uuid4,
        )


_FREE_TEXT_NAMES = {field for cls in COMMAND_TYPES.values() for field in _free_text_fields(cls)} - {
    "type"
}


@pytest.mark.parametrize("name", sorted(EVENT_TYPES))
def test_an_event_field_holding_a_commands_free_text_is_personal(name: str) -> None:
    cls = EVENT_TYPES[name]
    carried = _FREE_TEXT_NAMES & set(cls.model_fields)
    assert carried <= personal_fields(cls), f"{name}: {carried - personal_fields(cls)}"


@pytest.mark.parametrize("name", ["PersonAdmitted", "PersonReadmitted"])
def test_a_v1_ward_type_reads_as_its_code_or_as_other(name: str) -> None:
    stamp = {
        "type": name,
        "event_id": str(uuid.uuid4()),
        "pathway_id": "p-1",
        "occurred_at": "2026-01-01T00:00:00+00:00",
        "actor": "ward-1",
        "hospital_org": "org-1",
    }
    coded = from_payload(name, 1, {**stamp, "ward_type": "acute"})
    words = from_payload(name, 1, {**stamp, "ward_type": "the ward Mr Jones asked for"})
    assert coded.ward_type is WardType.ACUTE  # type: ignore[attr-defined]
    assert words.ward_type is WardType.OTHER  # type: ignore[attr-defined]


def test_a_legal_reference_is_personal_from_v2_and_v1_rows_name_no_personal_field() -> None:
    assert personal_fields_of("LegalBasisRecorded") == {"legal_reference"}
    assert personal_fields_of("LegalBasisRecorded", 1) == frozenset()


def test_the_timeline_of_a_legal_basis_leaves_its_reference_out() -> None:
    event = LegalBasisRecorded(
        event_id=uuid.uuid4(),
        pathway_id="p-1",
        occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
        actor="cw-1",
        basis_id="lb-1",
        recipient_org="org-1",
        purpose="care_coordination",
        data_categories=frozenset(),
        legal_reference="court order 123 about Ms Example",
    )
    line = timeline_line(event)
    assert "court order" not in line
    assert "legal basis lb-1 for org-1" in line
