"""A small web page that plays one article: the audio with its captions as a track, the
title and the AI-voice disclosure from the manifest (``Manifest.disclosure``)."""

from __future__ import annotations

from html import escape
from typing import Any

from narrate.export.manifest import Manifest

PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}}
audio{{width:100%}} .disclosure{{color:#555;font-size:.9rem}}</style></head>
<body>
<h1>{title}</h1>
<audio controls preload="metadata" src="{audio}">{track}</audio>
<p class="disclosure">{disclosure}</p>
</body>
</html>
"""


def player_page(manifest: dict[str, Any], audio_url: str, captions_url: str | None) -> str:
    record = Manifest.from_dict(manifest)
    title = record.source.title or "Narrated article"
    track = (
        f'<track kind="captions" srclang="en" label="English" default src="{escape(captions_url)}">'
        if captions_url
        else ""
    )
    return PAGE.format(
        title=escape(title), audio=escape(audio_url), track=track, disclosure=escape(record.disclosure())
    )
