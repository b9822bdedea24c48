"""Anchor lines: a signed seal recorded outside the database, and checked against it later.

An anchor is one line of text, e.g.::

    pathways-anchor eventstore seal=12 covered=3456 digest=9f...e1 key=0a1b...71 signature=...

It names the log (``eventstore`` or ``access-log``), the seal's number, how many entries the
seals up to it cover, the seal's digest, the signing key's id and the seal's own signature
(``eventstore.signing``), so an auditor can check the line with the public key alone. Recorded
somewhere the database's holder cannot reach (a ticket, an append-only bucket, a timestamping
service, paper), it fixes the whole history up to that seal: whoever later removes or rewrites
sealed history, seals included, or truncates every table, cannot make the store match it.
"""

from __future__ import annotations

import base64
import binascii
import re

from pydantic import BaseModel

from eventstore.signing import SealedLog, SealVerifier

_PREFIX = "pathways-anchor"
_LINE = re.compile(
    r"pathways-anchor (?P<log>eventstore|access-log) seal=(?P<seal>[1-9][0-9]{0,18})"
    r" covered=(?P<covered>[0-9]{1,19}) digest=(?P<digest>[0-9a-f]{64})"
    r" key=(?P<key>[0-9a-f]{16}) signature=(?P<signature>[A-Za-z0-9_-]{86})"
)


class AnchorError(ValueError):
    """A line is not an anchor; the message is one sentence."""


class Anchor(BaseModel, frozen=True):
    """One recorded seal of one log."""

    log: SealedLog
    seal_number: int
    covered: int
    """Entries covered by the seals from the first through this one."""
    digest: bytes
    signing_key_id: str
    signature: bytes

    def line(self) -> str:
        """The anchor as one line of text (``parse_anchor`` reads it back)."""
        signature = base64.urlsafe_b64encode(self.signature).decode().rstrip("=")
        return (
            f"{_PREFIX} {self.log.value} seal={self.seal_number} covered={self.covered}"
            f" digest={self.digest.hex()} key={self.signing_key_id} signature={signature}"
        )

    def describe(self) -> str:
        """How failures name this anchor: "anchor eventstore seal 12"."""
        return f"anchor {self.log.value} seal {self.seal_number}"

    def signature_holds(self, verifier: SealVerifier) -> bool:
        """True when the line is signed by ``verifier``'s key (and names that key)."""
        return self.signing_key_id == verifier.key_id and verifier.check(
            self.log,
            seal_number=self.seal_number,
            covered=self.covered,
            digest=self.digest,
            signature=self.signature,
        )


def parse_anchor(text: str) -> Anchor:
    """Read one anchor line (surrounding blanks ignored).

    Raises:
        AnchorError: the text is not an anchor line.
    """
    match = _LINE.fullmatch(text.strip())
    if match is None:
        raise AnchorError(
            "not an anchor line (expected: pathways-anchor eventstore|access-log seal=N"
            " covered=N digest=HEX key=HEX signature=BASE64)"
        )
    try:
        signature = base64.urlsafe_b64decode(match["signature"] + "==")
    except (binascii.Error, ValueError):
        raise AnchorError("the anchor's signature is not base64") from None
    return Anchor(
        log=SealedLog(match["log"]),
        seal_number=int(match["seal"]),
        covered=int(match["covered"]),
        digest=bytes.fromhex(match["digest"]),
        signing_key_id=match["key"],
        signature=signature,
    )


def parse_anchors(text: str) -> list[Anchor]:
    """Every anchor line of ``text``; blank lines and lines starting with ``#`` are skipped.

    Raises:
        AnchorError: a line is not an anchor (the message names the line number).
    """
    anchors = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            anchors.append(parse_anchor(line))
        except AnchorError as exc:
            raise AnchorError(f"line {number}: {exc}") from None
    return anchors


def check_anchors(
    anchors: list[Anchor],
    stored: dict[int, tuple[bytes, int]],
    *,
    newest_seal: int,
    verifier: SealVerifier | None,
) -> list[str]:
    """Failures of one log's anchors against its seals as found by verify.

    Args:
        anchors: anchors of one log.
        stored: for each anchored seal number found in the store, its stored digest and the
            entries covered through it (recounted by verify, not read from a column).
        newest_seal: the newest seal number in the store (0 when none).
        verifier: the verify key; an anchor whose signature does not hold is reported.
    """
    failures = []
    for anchor in anchors:
        if verifier is not None and not anchor.signature_holds(verifier):
            failures.append(
                f"{anchor.describe()}: the anchor's signature does not hold"
                " (a forged or altered anchor line, or another deployment's key)"
            )
            continue
        found = stored.get(anchor.seal_number)
        if found is None:
            failures.append(
                f"{anchor.describe()}: not in the store (newest seal is {newest_seal}):"
                " sealed history was removed or truncated"
            )
        elif found[0] != anchor.digest:
            failures.append(
                f"{anchor.describe()}: the store's seal has another digest:"
                " sealed history was rewritten"
            )
        elif found[1] != anchor.covered:
            failures.append(
                f"{anchor.describe()}: the seals through it cover {found[1]} entries,"
                f" the anchor recorded {anchor.covered}"
            )
    return failures
