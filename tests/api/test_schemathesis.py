"""schemathesis against the published OpenAPI document: no 5xx, no response outside the schema.

The app runs in-process on the test's event loop (its pool and Temporal client live there), so
hypothesis draws cases in a worker thread and hands each request back to the loop.
"""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import httpx
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import Caller, TokenFactory, project

CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]


async def test_generated_requests_get_no_5xx_and_only_documented_responses(
    app: FastAPI, http: httpx.AsyncClient, make_token: TokenFactory, pool: asyncpg.Pool
) -> None:
    tokens = {
        "/agency": await make_token("agency", "org-nl-hospital-1", "ward-1"),
        "/caseworker": await make_token("caseworker", "org-nl-municipality-1", "cw-0001"),
        "/audit": await make_token("auditor", "org-inspectorate", "aud-1"),
    }
    opened = await Caller(http, tokens["/caseworker"]).post(
        "/caseworker/pathways",
        {
            "type": "OpenPathway",
            "actor": "cw-0001",
            "pathway_id": "p-fuzz-01",
            "template_id": "nl",
            "template_version": 1,
            "coordinator_id": "cw-0001",
            "coordinator_org": "org-nl-municipality-1",
            "supervisor_id": "sup-0001",
            "entry_channel": "hospital",
            "tracks": {"clinical": "org-nl-hospital-1"},
        },
    )
    assert opened.status_code == 201, opened.text
    await project(pool)

    schema = schemathesis.openapi.from_dict(app.openapi())
    loop = asyncio.get_running_loop()
    seen: list[int] = []

    def exercise(case: Any) -> None:
        prefix = "/" + case.path.strip("/").split("/")[0]
        headers = dict(case.headers or {})
        if prefix in tokens:
            headers["Authorization"] = f"Bearer {tokens[prefix]}"
        case.headers = headers
        kwargs = case.as_transport_kwargs(base_url="http://api", headers=headers)
        request = http.request(
            kwargs["method"],
            kwargs["url"],
            headers=kwargs.get("headers"),
            params=kwargs.get("params"),
            json=kwargs.get("json"),
            content=kwargs.get("data") if isinstance(kwargs.get("data"), bytes | str) else None,
        )
        response = asyncio.run_coroutine_threadsafe(request, loop).result(timeout=120)
        seen.append(response.status_code)
        case.validate_response(response, checks=CHECKS)

    common = settings(
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )

    @settings(common, max_examples=120)
    @given(schema.as_strategy())
    def positive(case: Any) -> None:
        exercise(case)

    @settings(common, max_examples=80)
    @given(schema.as_strategy(schemathesis.GenerationMode.NEGATIVE))
    def negative(case: Any) -> None:
        exercise(case)

    await asyncio.to_thread(positive)
    await asyncio.to_thread(negative)
    assert seen
    assert all(status < 500 for status in seen)
