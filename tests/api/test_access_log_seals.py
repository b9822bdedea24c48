"""The access log sealed, signed and anchored: a superuser's rewrites are named (issue 11)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import asyncpg
import pytest

from api.access_log import AccessEntry, append_access, verify_access_log
from api.access_log.chain import GENESIS, entry_hash
from api.access_log.models import AccessRecord
from api.access_log.seals import AccessSeal, seal_access_log
from api.access_log.store import read_access_log
from eventstore import Anchor, SealedLog, SealSigner, create_pool

SIGNER = SealSigner(os.urandom(32))


def entry(n: int) -> AccessEntry:
    return AccessEntry(
        principal_id=f"tok-{n}",
        role="caseworker",
        organisation_id="org-nl-municipality-1",
        subject_id="cw-0001",
        purpose="COC",
        action="read",
        resource="GET /caseworker/pathways/{pathway_id}",
        pathway_id="p-1",
    )


def anchor_of(seal: AccessSeal, covered: int) -> Anchor:
    assert seal.signature is not None
    assert seal.signing_key_id is not None
    return Anchor(
        log=SealedLog.ACCESS_LOG,
        seal_number=seal.seal_number,
        covered=covered,
        digest=seal.digest,
        signing_key_id=seal.signing_key_id,
        signature=seal.signature,
    )


@pytest.fixture
async def sealed(pool: asyncpg.Pool) -> Anchor:
    """Five entries under one signed seal; its anchor."""
    async with pool.acquire() as conn:
        await append_access(conn, [entry(n) for n in range(1, 6)])
    (seal,) = await seal_access_log(pool, signer=SIGNER)
    assert (seal.seal_number, seal.last_seq, seal.entry_count) == (1, 5, 5)
    return anchor_of(seal, 5)


@pytest.fixture
async def attacker(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(database_url)
    await connection.execute("SET session_replication_role = replica")
    yield connection
    await connection.close()


async def check(pool: asyncpg.Pool, anchors: list[Anchor] | None = None) -> list[str]:
    async with pool.acquire() as conn:
        report = await verify_access_log(conn, verifier=SIGNER.verifier, anchors=anchors or [])
    assert report.ok == (not report.failures)
    assert report.first_failure == (report.failures[0] if report.failures else None)
    return report.failures


async def rechain(db: asyncpg.Connection) -> None:
    """Recompute the whole access-log chain and its head, as a forger who knows the formula."""
    rows = await db.fetch("SELECT * FROM api.access_log ORDER BY seq")
    previous = GENESIS
    for row in rows:
        record = AccessRecord(
            **{
                **dict(row),
                "previous_hash": "",
                "entry_hash": "",
                "pathway_ids": list(row["pathway_ids"]),
            }
        )
        digest = entry_hash(
            previous,
            seq=record.seq,
            entry_id=record.entry_id,
            recorded_at=record.recorded_at,
            entry=AccessEntry(**record.model_dump(include=set(AccessEntry.model_fields))),
        )
        await db.execute(
            "UPDATE api.access_log SET previous_hash = $2, entry_hash = $3 WHERE seq = $1",
            record.seq,
            previous,
            digest,
        )
        previous = digest
    await db.execute("UPDATE api.access_log_head SET entry_hash = $1", previous)


async def test_an_untouched_access_log_verifies_with_its_seals_and_anchor(
    pool: asyncpg.Pool, sealed: Anchor
) -> None:
    async with pool.acquire() as conn:
        await append_access(conn, [entry(6)])
        report = await verify_access_log(conn, verifier=SIGNER.verifier, anchors=[sealed])

    assert report.ok, report.failures
    assert (report.entries_checked, report.seals_checked, report.unsealed_entries) == (6, 1, 1)
    assert report.signatures_checked


async def test_a_rewritten_entry_with_its_chain_recomputed_breaks_its_seal(
    pool: asyncpg.Pool, sealed: Anchor, attacker: asyncpg.Connection
) -> None:
    # Who read the pathway is changed to somebody else, and the chain made consistent again.
    await attacker.execute("UPDATE api.access_log SET subject_id = 'cw-9999' WHERE seq = 3")
    await rechain(attacker)

    assert await check(pool) == [
        "access-log seal 1 (entries up to 5): digest mismatch (entries altered)"
    ]


async def test_recomputed_seals_fail_their_signatures(
    pool: asyncpg.Pool, sealed: Anchor, attacker: asyncpg.Connection
) -> None:
    await attacker.execute("UPDATE api.access_log SET subject_id = 'cw-9999' WHERE seq = 3")
    await rechain(attacker)
    # The attacker recomputes the seal's digest with the published formula and keeps the old
    # signature (the only one there is).
    await attacker.execute("DELETE FROM api.access_log_seals")
    (recomputed,) = await seal_access_log(pool, signer=None)
    assert recomputed.digest != sealed.digest
    await attacker.execute(
        "UPDATE api.access_log_seals SET signature = $1, signing_key_id = $2",
        sealed.signature,
        sealed.signing_key_id,
    )

    assert await check(pool) == [
        "access-log seal 1 (entries up to 5): signature does not hold (seal forged or recomputed)"
    ]
    assert (await check(pool, [sealed]))[0] == (
        "anchor access-log seal 1: the store's seal has another digest:"
        " sealed history was rewritten"
    )


async def test_a_seal_signed_by_a_stranger_key_is_named(
    pool: asyncpg.Pool, sealed: Anchor, attacker: asyncpg.Connection
) -> None:
    await attacker.execute("DELETE FROM api.access_log_seals")
    (seal,) = await seal_access_log(pool, signer=SealSigner(os.urandom(32)))

    failures = await check(pool, [sealed])

    assert failures[0] == (
        "anchor access-log seal 1: the store's seal has another digest:"
        " sealed history was rewritten"
    ) or failures[0].startswith("access-log seal 1 (entries up to 5): signed with another key")
    assert any("signed with another key" in f for f in failures)
    assert seal.seal_number == 1


async def test_truncating_the_access_log_and_its_seals_is_caught_by_an_anchor(
    pool: asyncpg.Pool, sealed: Anchor, attacker: asyncpg.Connection
) -> None:
    await attacker.execute("TRUNCATE api.access_log, api.access_log_seals")
    await attacker.execute("UPDATE api.access_log_head SET seq = 0, entry_hash = $1", GENESIS)

    # Consistent on its own: an empty log with an empty head.
    assert await check(pool) == []
    assert await check(pool, [sealed]) == [
        "anchor access-log seal 1: not in the store (newest seal is 0):"
        " sealed history was removed or truncated"
    ]


async def test_the_application_role_adds_access_log_seals_only_through_the_function(
    pool: asyncpg.Pool, sealed: Anchor, database_url: str
) -> None:
    app_pool = await create_pool(database_url, role="pathways_app", min_size=1, max_size=2)
    try:
        async with app_pool.acquire() as conn:
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute(
                    "INSERT INTO api.access_log_seals (seal_number, last_seq, entry_count,"
                    " previous_digest, digest) VALUES (2, 6, 1, $1, $1)",
                    bytes(32),
                )
            await append_access(conn, [entry(6)])
        made = await seal_access_log(app_pool, signer=SIGNER)
    finally:
        await app_pool.close()

    assert [(s.seal_number, s.last_seq) for s in made] == [(2, 6)]
    assert await check(pool, [sealed]) == []
    async with pool.acquire() as conn:
        assert len(await read_access_log(conn)) == 6
