"""The library API: ``narrate_file(source, settings, output)`` does the whole job.

ingest → script → render (synthesis, assembly, loudness) → export. No click, no
printing: progress goes through a callback, failures are NarrateErrors. This module
decides where the output goes and whether it is already up to date, then hands one
``Target`` to the render step. It stays light: the audio stack (narrate.render) is
imported only when there is audio to make.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

from narrate.config import Settings
from narrate.errors import InputError
from narrate.export.formats import FORMATS, Format, format_for
from narrate.export.target import Target
from narrate.freshness import previous_levels, stamps, up_to_date
from narrate.ingest import read_document
from narrate.models import Document, Hints, Progress, Result, Script
from narrate.naming import slugify
from narrate.readalong.epub import audio_type
from narrate.script import build_script, drop_boilerplate

DEFAULT_OUTPUT_DIR = Path("output")


def load_document(source: str, keep_boilerplate: bool = False, encoding: str = "utf-8") -> Document:
    return drop_boilerplate(read_document(source, encoding=encoding), keep=keep_boilerplate)


def script_for(doc: Document, settings: Settings) -> Script:
    script = build_script(doc, settings)
    name = "standard input" if doc.source == "-" else doc.source
    if not script.article:
        raise InputError(f"{name} has nothing to speak after normalisation")
    check_readable(script, settings, name)
    return script


_ENGLISH_VOICE = re.compile(r"(?:^|/)(?:en(?:[-_+]|$)|english)", re.IGNORECASE)


def _foreign_script(text: str) -> str | None:
    """The writing system most of ``text``'s letters are in, when that is not Latin."""
    scripts = Counter(unicodedata.name(ch, "UNKNOWN").split(" ")[0] for ch in text if ch.isalpha())
    latin = scripts.pop("LATIN", 0)
    if not scripts:
        return None
    other, count = scripts.most_common(1)[0]
    return other if count > latin else None


def check_readable(script: Script, settings: Settings, name: str) -> None:
    """An English voice spells Arabic, Hebrew or Chinese letter by letter ("Arabic letter
    mim …"), which is noise, not narration: a sentence mostly in another writing system is
    an InputError that names it. A few foreign words in an English sentence are read."""
    voice = settings.voice.voice or "en-us"
    if not _ENGLISH_VOICE.search(voice):
        return
    for utterance in script.article:
        found = _foreign_script(utterance.spoken)
        if found:
            writing = "Chinese, Japanese or Korean" if found == "CJK" else found.title()
            raise InputError(
                f"{name}: {utterance.written[:60]!r} is in {writing} script, which the English voice "
                f"{voice!r} cannot read; choose a voice for its language (narrate voices)"
            )


def output_path(doc: Document, settings: Settings, output: str | Path | None) -> tuple[Path, Format]:
    """Where the audio goes and in which format: ``output`` as given (its extension
    picks the format), or a folder (an existing one, or a path ending in /) plus a name
    from the title in the profile's format."""
    fmt = format_for(settings.output.format)
    stem_source = doc.title or (Path(doc.source).stem if doc.source != "-" else "")
    name = slugify(stem_source) + fmt.suffix
    if output is None:
        return DEFAULT_OUTPUT_DIR / name, fmt
    if Path(output).is_dir() or str(output).endswith(("/", "\\")):
        return Path(output) / name, fmt
    dest = Path(output)
    suffix = dest.suffix.lower().lstrip(".")
    return dest, (format_for(suffix) if suffix in FORMATS else fmt)


def narrate_file(
    source: str,
    settings: Settings,
    output: str | Path | None = None,
    *,
    progress: Progress | None = None,
    keep_boilerplate: bool = False,
    force: bool = False,
    encoding: str = "utf-8",
) -> Result:
    """Narrate ``source`` (a path or ``-``) to ``output``; skip it when ``output`` is
    already up to date with the same source and settings (unless ``force``)."""
    doc = load_document(source, keep_boilerplate, encoding)
    return narrate_document(doc, settings, output, progress=progress,
                            keep_boilerplate=keep_boilerplate, force=force)


def narrate_document(
    doc: Document,
    settings: Settings,
    output: str | Path | None = None,
    *,
    progress: Progress | None = None,
    keep_boilerplate: bool = False,
    force: bool = False,
    synthesizer: Any = None,
    hints: Hints | None = None,
) -> Result:
    """Narrate a Document already read (see ``narrate_file``). ``synthesizer`` is a
    running narrate.synthesis.Synthesizer to share, ``hints`` readings to share (a batch
    keeps one of each for all its articles)."""
    dest, fmt = output_path(doc, settings, output)
    settings = settings.resolved(fmt.name)
    if settings.output.epub:
        audio_type(fmt.name)  # an EPUB holds MP3 or M4A: say so before any work
    stamp = stamps(doc.source_sha256, settings, keep_boilerplate)
    if not force and (manifest := up_to_date(dest, stamp.inputs)) is not None:
        files = tuple(dest.parent / n for n in manifest.files.values())
        return Result(dest, (dest, *files, dest.with_suffix(".json")), dest.with_suffix(".json"),
                      manifest.audio.duration_ms, len(manifest.utterances), 0, 0, skipped=True)
    previous = None if force else previous_levels(dest, stamp.settings)
    target = Target(dest, settings, stamp, previous, hints)
    from narrate.render import Render

    with Render(target, synthesizer, progress) as render:
        render.start()  # engines and meter load while the text is prepared
        return render.finish(script_for(doc, settings))
