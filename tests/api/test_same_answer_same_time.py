"""A read denied for lack of a relationship and a read of an unknown id: same answer, same time.

Both take the same path through the code (``api.pathways.visible_pathway``), so the time a 404
takes does not tell whether the person exists. Measured as interleaved pairs in one run and
compared as a ratio of medians (never an absolute time), with a bound generous enough for a
loaded two-core machine yet far below what folding a real stream for the denial alone costs.
"""

from __future__ import annotations

import statistics
import time
import uuid

import httpx

from tests.api.conftest import (
    CW,
    OTHER,
    Caller,
    Parties,
    TokenFactory,
    command,
    discharged_with_consent,
    opening,
)

PAIRS = 150
WARM_UP = 20
BOUND = 1.25  # median denied / median unknown, and the other way round


async def _timed(caller: Caller, path: str) -> float:
    started = time.perf_counter()
    response = await caller.get(path)
    elapsed = time.perf_counter() - started
    assert response.status_code == 404, response.text
    return elapsed


async def test_a_denied_read_and_an_unknown_id_answer_alike_in_the_same_time(
    http: httpx.AsyncClient, parties: Parties, make_token: TokenFactory
) -> None:
    coordinator = parties.coordinator
    pathway_id = f"p-time-{uuid.uuid4().hex[:12]}"
    assert (await coordinator.post("/caseworker/pathways", opening(pathway_id))).status_code == 201
    for body in (
        *discharged_with_consent(),
        command("RecordWorkAspiration", text="work with animals"),
    ):
        done = await coordinator.post(f"/caseworker/pathways/{pathway_id}/commands", body)
        assert done.status_code == 200, done.text
    namesake = Caller(http, await make_token("caseworker", OTHER, CW))
    denied_path = f"/caseworker/pathways/{pathway_id}"
    unknown_path = f"/caseworker/pathways/p-time-{uuid.uuid4().hex[:12]}"
    denied_body = (await namesake.get(denied_path)).json()
    assert denied_body == (await namesake.get(unknown_path)).json()

    denied: list[float] = []
    unknown: list[float] = []
    for i in range(WARM_UP + PAIRS):
        # Alternate which goes first, so drift in the machine's load hits both alike.
        first, second = (denied_path, unknown_path) if i % 2 else (unknown_path, denied_path)
        a, b = await _timed(namesake, first), await _timed(namesake, second)
        if i < WARM_UP:
            continue
        denied.append(a if first == denied_path else b)
        unknown.append(b if first == denied_path else a)
    ratio = statistics.median(denied) / statistics.median(unknown)
    assert 1 / BOUND <= ratio <= BOUND, (
        f"denied {statistics.median(denied) * 1e3:.2f} ms vs unknown "
        f"{statistics.median(unknown) * 1e3:.2f} ms at the median (ratio {ratio:.2f})"
    )
