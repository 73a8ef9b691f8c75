"""Serving an article's files: audio and sidecars with the right MIME types, byte ranges
(browsers and podcast apps seek with them), ETag and Last-Modified (Starlette's
FileResponse does ranges and validators); optionally only through signed URLs."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import FileResponse, Response
from starlette.types import Receive, Scope, Send

from narrate.service import keys
from narrate.service.errors import ApiError

MIME = {
    ".mp3": "audio/mpeg",
    ".m4a": "audio/mp4",
    ".ogg": "audio/ogg",
    ".opus": "audio/ogg; codecs=opus",
    ".wav": "audio/wav",
    ".flac": "audio/flac",
    ".vtt": "text/vtt; charset=utf-8",
    ".srt": "application/x-subrip; charset=utf-8",
    ".json": "application/json",
}


class _Snapshot(FileResponse):
    """A file served from a descriptor opened before the response starts: if an edit's
    narration replaces the file meanwhile (an atomic rename), this response still sends
    the one file its headers describe, whole, never a mix of two."""

    def __init__(self, fd: int, **kwargs: Any) -> None:
        self._fd = fd
        super().__init__(f"/proc/self/fd/{fd}", stat_result=os.fstat(fd), **kwargs)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            os.close(self._fd)


def send_file(request: Request, path: Path) -> Response:
    try:
        fd = os.open(path, os.O_RDONLY)
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        raise ApiError(404, "not_ready", "no such file yet: the narration is not done") from None
    mime = "application/json+chapters" if path.name.endswith(".chapters.json") else MIME.get(path.suffix)
    response = _Snapshot(
        fd, media_type=mime or "application/octet-stream", headers={"Cache-Control": "no-cache"}
    )
    etag = response.headers.get("etag")
    if etag and request.headers.get("if-none-match") in (etag, etag.strip('"')):
        os.close(fd)
        return Response(status_code=304, headers={"ETag": etag})
    return response


def check_access(request: Request, audio: str, secret: str) -> None:
    """In ``signed`` mode a file needs ``?expires=…&sig=…`` made for its path."""
    if audio == "public":
        return
    query = request.query_params
    if not keys.check_signed(secret, request.url.path, query.get("expires"), query.get("sig")):
        raise ApiError(403, "signature_required", "this file is served only through a signed, unexpired URL")


def link(base: str, path: str, audio: str, secret: str, ttl_s: int) -> str:
    url = base.rstrip("/") + path
    return f"{url}?{keys.signed_query(secret, path, ttl_s)}" if audio == "signed" else url
