"""Request bodies bounded before anything reads them.

A Flask app reads a POST body in its ``before_request`` hooks, and the first of
them is usually Flask-WTF's CSRF check, which parses the whole form (writing
file parts to temporary files) before any size or login check could run. So
the limits live one step earlier, around the WSGI app: a body declared larger
than its route takes is refused unread, a body sent in chunks is cut as soon as
it passes the limit, and the dashboard's routes, which never receive forms,
refuse form bodies outright, so nothing of an anonymous request reaches the
disk. Each route's limit comes from ``limit_for(path, method)``; a request it
returns None for is left to the app (a host site keeps its own limits).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wsgi import LimitedStream

#: Content types a browser's form sends; the dashboard's routes take none of them.
FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


@dataclass(frozen=True)
class BodyLimit:
    """The most bytes a route's body may have, whether it may be a form, and what a body
    over the limit is told (given its declared length, None when sent in chunks)."""

    max_bytes: int
    forms: bool = True
    too_large: Callable[[int | None], str] = lambda _size: "The request is too large."


WsgiApp = Callable[[dict, Callable], Iterable[bytes]]


class BoundedBodies:
    """WSGI middleware: each request's body within its route's ``BodyLimit``."""

    def __init__(self, app: WsgiApp, limit_for: Callable[[str, str], BodyLimit | None]):
        self.app, self.limit_for = app, limit_for

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
        limit = self.limit_for(path, environ.get("REQUEST_METHOD", "GET"))
        if limit is None:
            return self.app(environ, start_response)
        kind = environ.get("CONTENT_TYPE", "").split(";", 1)[0].strip().lower()
        if not limit.forms and kind in FORM_TYPES:
            return _refuse(start_response, 415, "This address takes no forms.")
        declared = _declared_length(environ)
        if declared is not None and declared > limit.max_bytes:
            return _refuse(start_response, 413, limit.too_large(declared))
        if declared is None and _has_body(environ):  # chunked: cut at the limit
            environ["wsgi.input"] = CappedStream(environ["wsgi.input"], limit.max_bytes)
            environ["wsgi.input_terminated"] = True
        try:
            return self.app(environ, start_response)
        except RequestEntityTooLarge:
            return _refuse(start_response, 413, limit.too_large(None))


class CappedStream(LimitedStream):
    """A body sent in chunks, refused (``RequestEntityTooLarge``) as soon as it passes
    ``cap`` bytes: Werkzeug's own limit cuts it there without a word, so a truncated form
    would be parsed as if it were whole."""

    def __init__(self, stream: Any, cap: int):
        super().__init__(stream, cap + 1, is_max=True)
        self.cap = cap

    def readinto(self, buffer: Any) -> int | None:  # type: ignore[override]
        read = super().readinto(buffer)
        if self.tell() > self.cap:
            raise RequestEntityTooLarge()
        return read


def _declared_length(environ: dict[str, Any]) -> int | None:
    try:
        return int(environ["CONTENT_LENGTH"])
    except (KeyError, ValueError):
        return None


def _has_body(environ: dict[str, Any]) -> bool:
    return environ.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked" or bool(
        environ.get("wsgi.input_terminated")
    )


def _refuse(start_response: Callable, status: int, text: str) -> list[bytes]:
    """A short JSON answer; the body is left unread (the server closes the connection)."""
    body = json.dumps({"error": text}).encode()
    reason = {413: "Request Entity Too Large", 415: "Unsupported Media Type"}[status]
    start_response(
        f"{status} {reason}",
        [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
            ("Connection", "close"),
        ],
    )
    return [body]
