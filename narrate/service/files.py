"""Serving an article's files: audio and sidecars with the right MIME types, byte ranges
(browsers and podcast apps seek with them), ETag and Last-Modified (Starlette's
FileResponse does ranges and validators); optionally only through signed URLs."""

from __future__ import annotations

from pathlib import Path

from fastapi import Request
from fastapi.responses import FileResponse, Response

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


def send_file(request: Request, path: Path) -> Response:
    if not path.is_file():
        raise ApiError(404, "not_ready", "no such file yet: the narration is not done")
    mime = "application/json+chapters" if path.name.endswith(".chapters.json") else MIME.get(path.suffix)
    response = FileResponse(
        path,
        media_type=mime or "application/octet-stream",
        stat_result=path.stat(),
        headers={"Cache-Control": "no-cache"},
    )
    etag = response.headers.get("etag")
    if etag and request.headers.get("if-none-match") in (etag, etag.strip('"')):
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
