"""Temporal stores a pathway's payloads encrypted; only a process with the payload key reads them.

On the real dev server: the person's words travel as an update argument and come back in the
workflow's state, yet no payload of the stored history holds them, and the workflow's input,
every update's arguments and every activity's input and result are ciphertext under the suite's
key. A client with another key, or with no key, is refused with a message naming the missing key.
"""

from __future__ import annotations

import dataclasses
import os
import uuid

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import TemporalError

from domain.commands import RecordWorkAspiration
from domain.state import PathwayState
from eventstore import PostgresEventStore
from scripts.scenarios import COORDINATOR, Route
from tests.workflows.temporal_payloads import decoded_bytes, payloads_in, update_arguments
from workers.payload_codec import ENCODING, EncryptionCodec, PayloadKeyError, PayloadKeys

_ENCRYPTED_INPUTS = {
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED: lambda e: (
        e.workflow_execution_started_event_attributes.input.payloads
    ),
    EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED: lambda e: (
        e.activity_task_scheduled_event_attributes.input.payloads
    ),
    EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED: lambda e: (
        e.activity_task_completed_event_attributes.result.payloads
    ),
}


async def test_the_history_holds_ciphertext_and_the_product_reads_it(
    temporal_client: Client, running_worker: PostgresEventStore, task_queue: str
) -> None:
    words = f"welder-{uuid.uuid4().hex}"
    route = Route(temporal_client, task_queue, f"p-codec-{uuid.uuid4().hex[:10]}", "fast")
    await route.open()
    await route.do(RecordWorkAspiration(actor=COORDINATOR, text=f"work as a {words}"))
    assert route.handle is not None

    history = await route.handle.fetch_history()
    stored = [payload for event in history.events for payload in payloads_in(event)]
    assert stored, "the history has payloads"
    assert not [p for p in stored if words.encode() in p.data], "words stored in the clear"
    arguments = update_arguments(history)
    assert arguments
    assert {p.metadata["encoding"] for p in arguments} == {ENCODING}
    checked = 0
    for event in history.events:
        select = _ENCRYPTED_INPUTS.get(event.event_type)
        if select is not None:
            for payload in select(event):
                assert payload.metadata["encoding"] == ENCODING, event.event_type
                checked += 1
    assert checked >= 3, "the input, an activity's arguments and its result"
    assert words.encode() in await decoded_bytes(temporal_client, arguments)
    state = await route.handle.query("state", result_type=PathwayState)
    assert state.pathway_id == route.pathway_id

    wrong_key = await Client.connect(
        temporal_client.service_client.config.target_host,
        data_converter=dataclasses.replace(
            pydantic_data_converter,
            payload_codec=EncryptionCodec(PayloadKeys(current=os.urandom(32))),
        ),
    )
    with pytest.raises(PayloadKeyError, match="which this process does not have"):
        await wrong_key.get_workflow_handle(route.handle.id).query(
            "state", result_type=PathwayState
        )
    no_key = await Client.connect(temporal_client.service_client.config.target_host)
    with pytest.raises((TemporalError, RuntimeError, KeyError), match="binary/encrypted"):
        await no_key.get_workflow_handle(route.handle.id).query("state", result_type=PathwayState)
