"""A request body → what the library narrates: a Document (through narrate.ingest, as
the command line reads a file) and Settings (a profile with the request's options on
top, through narrate.config, as the command line's flags do). No web types here."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from narrate.config import Settings, load_profile, override
from narrate.export import manifest as manifests
from narrate.export.formats import format_for
from narrate.ingest import parse_document
from narrate.ingest.decode import decode
from narrate.models import Document
from narrate.script import drop_boilerplate

CONTENT_KINDS = ("text", "markdown", "html")
METADATA = ("title", "author", "date", "url", "publication")


def fingerprint(request: dict[str, Any]) -> str:
    """Same content, metadata, profile and options → same fingerprint (where the
    webhook goes is not part of what is narrated)."""
    narrated = {k: v for k, v in request.items() if k != "webhook_url"}
    return hashlib.sha256(json.dumps(narrated, sort_keys=True).encode("utf-8")).hexdigest()


def document_for(request: dict[str, Any], article_id: str) -> Document:
    """The article of ``request`` (exactly one of text, markdown, html), with the
    request's metadata over what the article itself says. Raises InputError."""
    kind = next(k for k in CONTENT_KINDS if request.get(k) is not None)
    data = str(request[kind]).encode("utf-8")
    digest = hashlib.sha256(data).hexdigest()
    label = f"article:{article_id}"
    if kind == "html":
        from narrate.ingest.html import parse_html

        doc = parse_html(data, label, digest)
    else:
        text, _ = decode(data, label)
        doc = parse_document(text, label + (".md" if kind == "markdown" else ".txt"), digest)
    extra: dict[str, Any] = {k: str(request[k]) for k in METADATA if request.get(k)}
    if "author" in extra:
        extra["byline"] = extra.pop("author")
    return drop_boilerplate(replace(doc, **extra))


def settings_for(request: dict[str, Any], default_profile: str, jobs: int | None) -> Settings:
    """The profile the request names (or the service's) with its options on top.
    Raises ConfigError for an unknown profile, UsageError for a bad option."""
    options = dict(request.get("options") or {})
    captions = options.get("captions")
    flags = {
        "format": options.get("format"),
        "captions": tuple(captions) if captions else None,
        "word_timings": options.get("word_timings"),
        "no_disclaimer": options.get("disclaimer") is False,
        "jobs": jobs,
    }
    settings = override(load_profile(request.get("profile") or default_profile), **flags)
    format_for(settings.output.format)  # an unknown format fails here, at submission
    return settings


def output_for(folder: Path, settings: Settings) -> Path:
    """Where one article's audio goes: always the same name in its own folder, so an
    edit re-renders in place (and reuses the sentences the clip cache holds)."""
    return folder / f"article{format_for(settings.output.format).suffix}"


def tidy(dest: Path) -> None:
    """Remove what an earlier revision left in the article's folder that the new one did
    not make (an edit that changes the format or drops captions leaves no stale files)."""
    manifest = manifests.read(dest.with_suffix(".json"))
    keep = {dest.name, dest.with_suffix(".json").name, *manifest.files.values()}
    for path in dest.parent.iterdir():
        if path.name not in keep and path.is_file() and not path.name.startswith("."):
            path.unlink(missing_ok=True)
