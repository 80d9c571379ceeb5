"""Files arrive on a route of their own, streamed to disk, never inside a callback.

``dcc.Upload`` reads the file in the browser; a clientside callback
(``assets/upload.js``) posts its bytes to ``<prefix>upload`` with the CSRF
token. This view writes them to the user's upload area and answers with a
handle; the Data page's long work then reads the handle's file into a dataset
with a progress bar. Callback bodies therefore never carry files.
"""

from __future__ import annotations

from urllib.parse import unquote

from flask import Flask, Response, jsonify, request

from basket_segments.analytics.errors import DataError
from basket_segments.store import storage
from basket_segments.store.owner import current_owner

#: The header carrying the file's name (URL-encoded), as the browser knew it.
FILENAME_HEADER = "X-Filename"


def upload_path(prefix: str) -> str:
    """Where the dashboard under ``prefix`` receives files.

    >>> upload_path("/analytics/")
    '/analytics/upload'
    """
    return f"{prefix.rstrip('/')}/upload"


def init_uploads(server: Flask, prefix: str) -> None:
    """Add the upload route under the dashboard's prefix (its guard requires a login)."""
    server.add_url_rule(
        upload_path(prefix),
        endpoint=f"basket_segments_upload{prefix.replace('/', '_')}",
        view_func=receive_upload,
        methods=["POST"],
    )


def receive_upload() -> tuple[Response, int]:
    """Store the posted bytes; ``{"upload": handle, "filename": name}`` or ``{"error": ...}``."""
    filename = storage.clean_name(unquote(request.headers.get(FILENAME_HEADER, "")), "upload")
    try:
        handle = storage.receive_upload(current_owner(), request.stream, request.content_length)
    except storage.UploadTooLarge as error:
        return jsonify(error=str(error)), 413
    except DataError as error:
        return jsonify(error=str(error)), 400
    return jsonify(upload=handle, filename=filename), 200
