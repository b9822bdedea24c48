"""Every payload of a Temporal history, as Temporal stores it, and decoded by a client."""

from __future__ import annotations

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message
from temporalio.api.common.v1 import Payload
from temporalio.client import Client, WorkflowHistory


def payloads_in(message: Message) -> list[Payload]:
    """Every ``Payload`` anywhere inside ``message`` (repeated and map fields included)."""
    if isinstance(message, Payload):
        return [message]
    found: list[Payload] = []
    for field, value in message.ListFields():
        if field.type != FieldDescriptor.TYPE_MESSAGE or field.message_type is None:
            continue
        if field.message_type.GetOptions().map_entry:
            children = list(value.values())
            if children and not isinstance(children[0], Message):
                continue  # a map of scalars
        elif field.is_repeated:
            children = list(value)
        else:
            children = [value]
        for child in children:
            found.extend(payloads_in(child))
    return found


def update_arguments(history: WorkflowHistory) -> list[Payload]:
    """The arguments of every accepted update, as stored."""
    found: list[Payload] = []
    for event in history.events:
        if event.HasField("workflow_execution_update_accepted_event_attributes"):
            accepted = event.workflow_execution_update_accepted_event_attributes
            found.extend(accepted.accepted_request.input.args.payloads)
    return found


async def decoded_bytes(client: Client, payloads: list[Payload]) -> bytes:
    """The payloads' data after the client's codec, concatenated."""
    codec = client.data_converter.payload_codec
    decoded = await codec.decode(payloads) if codec is not None else payloads
    return b"".join(payload.data for payload in decoded)
