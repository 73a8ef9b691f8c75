"""The article endpoints (/v1/articles…). Each parses, authenticates, calls the store or
the library, and answers JSON; the narration itself runs in the job threads."""

from __future__ import annotations

import re
import shutil
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from narrate.errors import NarrateError
from narrate.service import files
from narrate.service.auth import authenticate
from narrate.service.documents import CONTENT_KINDS, document_for, fingerprint, settings_for
from narrate.service.errors import ApiError, from_narrate
from narrate.service.models import ArticleIn
from narrate.service.player import player_page

router = APIRouter()
ARTICLE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$")
PROFILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


def service(request: Request) -> Any:
    return request.app.state.service


def api_key(request: Request) -> dict[str, Any]:
    """The caller's key, from ``Authorization: Bearer <token>``."""
    return authenticate(service(request).store, request.headers.get("authorization", ""))


def writer_key(request: Request, key: Annotated[dict[str, Any], Depends(api_key)]) -> dict[str, Any]:
    if not service(request).limiter.allow(key["id"]):
        raise ApiError(429, "rate_limited", "too many writes with this key; slow down", {"Retry-After": "1"})
    return key


Key = Annotated[dict[str, Any], Depends(api_key)]
WriterKey = Annotated[dict[str, Any], Depends(writer_key)]


def _article(request: Request, article_id: str) -> dict[str, Any]:
    found = service(request).store.article(article_id)
    if found is None:
        raise ApiError(404, "not_found", f"no article {article_id!r}")
    return found


def _manifest(svc: Any, row: dict[str, Any]) -> dict[str, Any] | None:
    import json

    if not row.get("audio"):
        return None
    path = (svc.config.articles / row["dir"] / row["audio"]).with_suffix(".json")
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None


def view(request: Request, row: dict[str, Any], full: bool = True) -> dict[str, Any]:
    """What GET /v1/articles/{id} answers: the job, the last finished narration's
    numbers and manifest, and links to its files (a list leaves out the manifest and
    the sidecars' links: it reads no file)."""
    svc = service(request)
    config = svc.config
    base = config.base_url or str(request.base_url)
    manifest = _manifest(svc, row) if full else None
    prefix = f"/v1/articles/{row['id']}"
    links: dict[str, Any] = {
        "self": base.rstrip("/") + prefix,
        "deliveries": base.rstrip("/") + prefix + "/deliveries",
    }

    def make(path: str) -> str:
        return files.link(base, path, config.audio, svc.secret, config.signed_url_ttl_s)

    if row["audio"]:
        links["audio"] = make(prefix + "/audio")
        links["player"] = make(prefix + "/player")
        links["manifest"] = make(f"{prefix}/files/{row['audio'].rsplit('.', 1)[0]}.json")
    if manifest is not None:
        links["files"] = {
            kind: make(f"{prefix}/files/{name}") for kind, name in manifest.get("files", {}).items()
        }
    numbers = ("duration_ms", "utterances", "synthesized", "from_cache", "seconds")
    return {
        "id": row["id"],
        "revision": row["revision"],
        "status": row["status"],
        "error": row["error"],
        "narrated_revision": row["done_revision"],
        "created": row["created"],
        "updated": row["updated"],
        "started": row["started"],
        "finished": row["finished"],
        **{k: row[k] for k in numbers},
        "links": links,
        "manifest": manifest,
    }


@router.put(
    "/v1/articles/{article_id}",
    status_code=202,
    tags=["articles"],
    responses={200: {"description": "already narrated with this content"}},
)
def put_article(request: Request, article_id: str, body: ArticleIn, key: WriterKey) -> JSONResponse:
    """Submit or edit an article. 202 with the job when there is work to do; 200 when
    the stored narration (or the queued job) already has this content."""
    svc = service(request)
    if not ARTICLE_ID.match(article_id):
        raise ApiError(422, "invalid_id", "an article id is 1-200 letters, digits, '.', '_', ':' or '-'")
    payload = body.model_dump(exclude_none=True)
    given = [k for k in CONTENT_KINDS if payload.get(k) is not None]
    if len(given) != 1:
        raise ApiError(
            422,
            "missing_field" if not given else "conflicting_fields",
            "send exactly one of text, markdown or html",
        )
    if not PROFILE_NAME.match(payload.get("profile") or "default"):  # a name, never a path on this machine
        raise ApiError(
            422, "unknown_profile", "profile: a profile name (letters, digits, '-', '_'), not a path"
        )
    if len(payload[given[0]]) > svc.config.max_text_chars:
        raise ApiError(413, "text_too_long", f"the article is over {svc.config.max_text_chars} characters")
    try:
        settings_for(payload, svc.config.profile, svc.config.jobs)
        document_for(payload, article_id)
    except NarrateError as err:
        raise from_narrate(err, html=given[0] == "html") from None
    if svc.store.counts()["queued"] >= svc.config.queue_limit:
        raise ApiError(429, "queue_full", "the queue is full; retry later", {"Retry-After": "30"})
    submitted = svc.store.submit(
        article_id, fingerprint(payload), payload, key["id"], payload.get("webhook_url")
    )
    if submitted.new_job:
        svc.workers.notify()
    status = 200 if submitted.article["status"] == "done" else 202
    return JSONResponse(view(request, submitted.article), status_code=status)


@router.get("/v1/articles/{article_id}", tags=["articles"])
def get_article(request: Request, article_id: str, key: Key) -> dict[str, Any]:
    return view(request, _article(request, article_id))


@router.delete("/v1/articles/{article_id}", tags=["articles"])
def delete_article(request: Request, article_id: str, key: WriterKey) -> dict[str, Any]:
    svc = service(request)
    row = svc.store.delete(article_id)
    if row is None:
        raise ApiError(404, "not_found", f"no article {article_id!r}")
    shutil.rmtree(svc.config.articles / row["dir"], ignore_errors=True)
    return {"deleted": article_id}


@router.get("/v1/articles", tags=["articles"])
def list_articles(
    request: Request,
    key: Key,
    status: Annotated[str | None, Query(pattern="^(queued|running|done|failed)$")] = None,
    since: float | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    """Articles changed since ``since`` (Unix time), in order of change, a page at a time:
    pass the answer's ``next`` as ``cursor`` for the next page."""
    if cursor is not None and not re.match(r"^\d+(\.\d+)?\|", cursor):
        raise ApiError(422, "invalid_cursor", "cursor: pass the 'next' of the previous page")
    rows = service(request).store.articles(status, since, cursor, limit)
    following = f"{rows[-1]['updated']}|{rows[-1]['id']}" if len(rows) == limit else None
    return {"articles": [view(request, r, full=False) for r in rows], "next": following}


@router.get("/v1/articles/{article_id}/deliveries", tags=["articles"])
def deliveries(request: Request, article_id: str, key: Key) -> dict[str, Any]:
    _article(request, article_id)
    return {"deliveries": service(request).store.deliveries(article_id)}


@router.api_route("/v1/articles/{article_id}/audio", methods=["GET", "HEAD"], tags=["files"])
def audio(request: Request, article_id: str) -> Response:
    svc = service(request)
    files.check_access(request, svc.config.audio, svc.secret)
    row = _article(request, article_id)
    if not row["audio"]:
        raise ApiError(404, "not_ready", f"article {article_id!r} has no audio yet (status {row['status']})")
    return files.send_file(request, svc.config.articles / row["dir"] / row["audio"])


@router.api_route("/v1/articles/{article_id}/files/{name}", methods=["GET", "HEAD"], tags=["files"])
def sidecar(request: Request, article_id: str, name: str) -> Response:
    svc = service(request)
    files.check_access(request, svc.config.audio, svc.secret)
    row = _article(request, article_id)
    if not re.match(r"^article[A-Za-z0-9._-]*$", name) or ".." in name:
        raise ApiError(404, "not_found", f"no file {name!r}")
    return files.send_file(request, svc.config.articles / row["dir"] / name)


@router.get("/v1/articles/{article_id}/player", tags=["files"], response_class=HTMLResponse)
def player(request: Request, article_id: str) -> HTMLResponse:
    """A web page that plays the article with its captions."""
    svc = service(request)
    files.check_access(request, svc.config.audio, svc.secret)
    row = _article(request, article_id)
    manifest = _manifest(svc, row)
    if manifest is None:
        raise ApiError(404, "not_ready", f"article {article_id!r} has no audio yet (status {row['status']})")
    links = view(request, row)["links"]
    return HTMLResponse(player_page(manifest, links["audio"], links["files"].get("vtt")))
