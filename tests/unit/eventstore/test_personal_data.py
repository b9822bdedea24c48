"""Personal-field encryption: deterministic per event, bound to its place, erasable."""

from __future__ import annotations

import os
import uuid

import pytest

from eventstore import ERASED, CorruptEvent
from eventstore.personal_data import encrypt_personal_fields, reveal_personal_fields

KEY = os.urandom(32)
EVENT = uuid.uuid4()


def test_the_same_event_encrypts_to_the_same_text_so_a_retry_is_recognised() -> None:
    payload = {"name": "Ada", "step": 1}

    once = encrypt_personal_fields(payload, ["name"], data_key=KEY, event_id=EVENT, subject_id="p")
    twice = encrypt_personal_fields(payload, ["name"], data_key=KEY, event_id=EVENT, subject_id="p")

    assert once == twice
    assert once["step"] == 1
    assert "Ada" not in once["name"]


def test_the_same_value_in_another_event_encrypts_differently() -> None:
    payload = {"name": "Ada"}
    first = encrypt_personal_fields(payload, ["name"], data_key=KEY, event_id=EVENT, subject_id="p")
    other = encrypt_personal_fields(
        payload, ["name"], data_key=KEY, event_id=uuid.uuid4(), subject_id="p"
    )
    assert first["name"] != other["name"]


def test_values_of_any_json_type_round_trip_and_none_stays_none() -> None:
    payload = {"a": {"b": [1, 2]}, "n": 3, "nothing": None}
    sealed = encrypt_personal_fields(
        payload, ["a", "n", "nothing"], data_key=KEY, event_id=EVENT, subject_id="p"
    )

    revealed = reveal_personal_fields(
        dict(sealed), ["a", "n", "nothing"], data_key=KEY, event_id=EVENT, subject_id="p"
    )

    assert sealed["nothing"] is None
    assert revealed == payload


def test_without_the_key_fields_read_as_erased() -> None:
    sealed = encrypt_personal_fields(
        {"name": "Ada"}, ["name"], data_key=KEY, event_id=EVENT, subject_id="p"
    )
    revealed = reveal_personal_fields(
        dict(sealed), ["name"], data_key=None, event_id=EVENT, subject_id="p"
    )
    assert revealed == {"name": ERASED}


def test_ciphertext_moved_to_another_field_fails_authentication() -> None:
    sealed = encrypt_personal_fields(
        {"name": "Ada", "alias": "Grace"},
        ["name", "alias"],
        data_key=KEY,
        event_id=EVENT,
        subject_id="p",
    )
    moved = {"name": sealed["alias"], "alias": sealed["alias"]}

    with pytest.raises(CorruptEvent, match="'name'"):
        reveal_personal_fields(
            moved, ["name", "alias"], data_key=KEY, event_id=EVENT, subject_id="p"
        )
