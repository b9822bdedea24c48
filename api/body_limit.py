"""The request-size limit: a body larger than the limit is refused with 413 before it is read whole.

Every body the API accepts is one small command. Without a limit, a client could make the process
read, parse and validate megabytes per request (20 MB was read whole; 2 MB of unknown keys took
seconds to refuse one by one), so the limit sits in front of everything else, as ASGI middleware:
a declared ``Content-Length`` over the limit is refused without reading a byte, and a body sent
without one (chunked) is counted as it streams and refused at the first chunk past the limit.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_json

DEFAULT_MAX_BODY_BYTES = 64 * 1024
"""The default of ``PATHWAYS_API_MAX_BODY_BYTES``."""


def too_large_message(max_bytes: int) -> str:
    """The sentence a refused client reads."""
    return f"the request body is larger than the limit of {max_bytes} bytes"


class BodyLimit:
    """ASGI middleware refusing request bodies larger than ``max_bytes`` with 413."""

    def __init__(self, app: ASGIApp, *, max_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        """Wrap ``app``.

        Args:
            app: the application.
            max_bytes: the largest body accepted.
        """
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse an oversized body, else pass the request on with its body counted."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # An HTTPException is the one error FastAPI lets through from reading the body
                    # unchanged (any other becomes 400 "error parsing the body"); the app's
                    # handler turns it into the error shape.
                    raise HTTPException(413, too_large_message(self.max_bytes))
            return message

        await self.app(scope, counted, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_json(413, "body_too_large", too_large_message(self.max_bytes))
        # Close the connection: the client may still be sending the body nobody will read.
        response.headers["Connection"] = "close"
        await response(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server refuses a malformed length itself
    return None
