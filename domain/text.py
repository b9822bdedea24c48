"""Text the product can hold: codes, and free text that is bounded, storable and personal.

Every text field of a command is one of two kinds. A *code* (a reason, a role, a route step, a
channel) is short and drawn from a fixed alphabet, so it can never carry a person's words and may
stay readable after erasure. *Free text* is whatever a person wrote; it is bounded in length and
always marked personal, so the event store encrypts it under the person's key and erasure destroys
it.

No text may hold a control character (C0 other than tab and line breaks, DEL, C1), nor a lone
UTF-16 surrogate: PostgreSQL cannot store ``\\u0000`` in ``text`` or ``jsonb`` at all, a
surrogate cannot be encoded as UTF-8, and the other controls are never typed by a person, only
smuggled in. One such value, once accepted, would stop every projection that reads it. Free text
that is only whitespace is refused too: an empty answer is a field left out.
"""

from __future__ import annotations

import re
from typing import Annotated, Final

from pydantic import AfterValidator, StringConstraints
from pydantic_core import PydanticCustomError

from domain.personal import PERSONAL

# C0 controls but tab, line feed and carriage return; DEL; the C1 controls; lone surrogates.
_UNSTORABLE: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")

CODE_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9._:-]*$"
"""Letters, digits and ``._:-``, starting with a letter or digit (no spaces: not a sentence)."""

CODE_MAX_LENGTH: Final = 64
FREE_TEXT_MAX_LENGTH: Final = 4000
"""A person's own words in one field: a few paragraphs, far below the request-size limit."""
REFERENCE_MAX_LENGTH: Final = 500
"""A citation such as a legal reference: one line."""


def storable(value: str) -> str:
    """Return ``value`` unchanged if every character of it can be stored and shown.

    Raises:
        PydanticCustomError: a ``ValueError`` naming the first control character or surrogate.
    """
    found = _UNSTORABLE.search(value)
    if found is not None:
        raise PydanticCustomError(
            "unstorable_character",
            "contains the control character U+{code}; only printable text, tabs and line breaks "
            "are accepted",
            {"code": f"{ord(found.group()):04X}"},
        )
    return value


def not_blank(value: str) -> str:
    """Return ``value`` unless it is only whitespace (an empty answer is left out, not sent).

    Raises:
        PydanticCustomError: a ``ValueError``: the text is blank.
    """
    if not value.strip():
        raise PydanticCustomError("blank_text", "must not be blank; leave the field out instead")
    return value


Code = Annotated[
    str,
    StringConstraints(min_length=1, max_length=CODE_MAX_LENGTH, pattern=CODE_PATTERN),
]
"""A short code: a reason, a role, a route step, a channel, a template id."""

FreeText = Annotated[
    str,
    StringConstraints(min_length=1, max_length=FREE_TEXT_MAX_LENGTH),
    AfterValidator(storable),
    AfterValidator(not_blank),
    PERSONAL,
]
"""A person's words, or words about them: bounded, storable, personal (encrypted, erasable)."""

OptionalFreeText = Annotated[
    Annotated[
        str,
        StringConstraints(min_length=1, max_length=FREE_TEXT_MAX_LENGTH),
        AfterValidator(storable),
        AfterValidator(not_blank),
    ]
    | None,
    PERSONAL,
]
"""``FreeText`` that may be left out."""

ReferenceText = Annotated[
    str,
    StringConstraints(min_length=1, max_length=REFERENCE_MAX_LENGTH),
    AfterValidator(storable),
    AfterValidator(not_blank),
    PERSONAL,
]
"""A one-line free-text reference (a legal basis's citation): bounded, storable, personal.

Personal because nothing stops a writer from naming the person's court order or case in it.
"""
