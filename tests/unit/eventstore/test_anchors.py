"""Anchor lines: written, read back, and checked with the public key alone."""

from __future__ import annotations

import hashlib
import os

import pytest

from eventstore import Anchor, AnchorError, SealedLog, SealSigner, parse_anchor, parse_anchors
from eventstore.anchors import check_anchors

SIGNER = SealSigner(os.urandom(32))
DIGEST = hashlib.sha256(b"seal 3").digest()


def anchor(log: SealedLog = SealedLog.EVENTSTORE, covered: int = 120) -> Anchor:
    return Anchor(
        log=log,
        seal_number=3,
        covered=covered,
        digest=DIGEST,
        signing_key_id=SIGNER.verifier.key_id,
        signature=SIGNER.sign(log, seal_number=3, covered=covered, digest=DIGEST),
    )


def test_an_anchor_line_reads_back_to_itself_and_its_signature_holds() -> None:
    line = anchor().line()

    assert line.startswith(f"pathways-anchor eventstore seal=3 covered=120 digest={DIGEST.hex()}")
    assert parse_anchor(line) == anchor()
    assert parse_anchor(line).signature_holds(SIGNER.verifier)


def test_an_edited_count_or_log_name_breaks_the_signature() -> None:
    edited = parse_anchor(anchor().line().replace("covered=120", "covered=119"))
    renamed = parse_anchor(anchor().line().replace("eventstore", "access-log"))

    assert not edited.signature_holds(SIGNER.verifier)
    assert not renamed.signature_holds(SIGNER.verifier)
    assert not anchor().signature_holds(SealSigner(os.urandom(32)).verifier)


def test_a_file_of_anchors_skips_comments_and_names_a_bad_line() -> None:
    text = f"# recorded 2026-12-06\n\n{anchor().line()}\n{anchor(SealedLog.ACCESS_LOG).line()}\n"

    assert [a.log for a in parse_anchors(text)] == [SealedLog.EVENTSTORE, SealedLog.ACCESS_LOG]
    with pytest.raises(AnchorError, match="line 2: not an anchor line"):
        parse_anchors(f"{anchor().line()}\npathways-anchor eventstore seal=0\n")


def test_check_names_a_missing_a_rewritten_and_a_shortened_seal() -> None:
    other = hashlib.sha256(b"other").digest()

    assert check_anchors([anchor()], {}, newest_seal=2, verifier=SIGNER.verifier) == [
        "anchor eventstore seal 3: not in the store (newest seal is 2):"
        " sealed history was removed or truncated"
    ]
    assert check_anchors([anchor()], {3: (other, 120)}, newest_seal=3, verifier=None) == [
        "anchor eventstore seal 3: the store's seal has another digest:"
        " sealed history was rewritten"
    ]
    assert check_anchors([anchor()], {3: (DIGEST, 100)}, newest_seal=3, verifier=None) == [
        "anchor eventstore seal 3: the seals through it cover 100 entries, the anchor recorded 120"
    ]
    assert check_anchors([anchor()], {3: (DIGEST, 120)}, newest_seal=5, verifier=None) == []
