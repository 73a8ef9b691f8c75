"""``narrate epub``'s library half: several articles → one EPUB 3 book, a chapter each,
its text synchronised with its narration (Media Overlays).

Each article is narrated as ``narrate ARTICLE`` would (into ``audio_dir``; an output that
is up to date is used as it is), or given as a finished narration's manifest (``.json``,
e.g. from ``narrate batch``). The book is written atomically: all chapters or nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from narrate.config import Settings
from narrate.errors import InputError, UsageError
from narrate.export import manifest as manifests
from narrate.export.staging import Staging, refuse_to_replace
from narrate.ingest import HTML_SUFFIXES, MARKDOWN_SUFFIXES
from narrate.naming import slugify
from narrate.pipeline import DEFAULT_OUTPUT_DIR, narrate_file
from narrate.readalong.epub import Narration, audio_type, write_epub
from narrate.walk import Problem, printable, walk_files

ARTICLE_SUFFIXES = {".txt", *MARKDOWN_SUFFIXES, *HTML_SUFFIXES}
FINISHED = (".json", ".mp3", ".m4a")


@dataclass(frozen=True)
class BookOptions:
    output: str | None = None  # the .epub, or a folder (ending in /); default output/<slug of the title>.epub
    audio_dir: Path = DEFAULT_OUTPUT_DIR  # where articles are narrated
    title: str | None = None  # default: the first article's
    word_level: bool = False  # a par per word, not per sentence
    force: bool = False
    keep_boilerplate: bool = False
    encoding: str = "utf-8"


@dataclass(frozen=True)
class Book:
    path: Path
    chapters: int
    duration_ms: int
    narrated: int  # articles narrated this time (the others were up to date, or manifests)


def sources(inputs: list[str]) -> list[str]:
    """Each input as given; a folder: the articles in it, in name order. A narration's
    chapters file (``*.chapters.json``, met in ``narrate epub audio/*.json``) is passed over."""
    found: list[str] = []
    for item in inputs:
        if item.lower().endswith(".chapters.json"):
            continue
        if item != "-" and Path(item).is_dir():
            for entry in walk_files(Path(item), ARTICLE_SUFFIXES):
                if isinstance(entry, Problem):
                    raise InputError(f"{printable(str(entry.path))}: {entry.reason}")
                found.append(str(entry))
        else:
            found.append(item)
    if not found:
        raise UsageError("no articles: name files, folders or narrations' manifests (.json)")
    return found


def _finished(path: Path) -> Narration:
    """A narration named by its manifest."""
    try:
        manifest = manifests.read(path)
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    except manifests.ManifestError as exc:
        raise InputError(f"{path} is not a narrate manifest ({exc})") from None
    audio = path.parent / manifest.audio.path
    if not audio.is_file():
        raise InputError(f"{path}: its audio {audio} is missing (narrate the article again)")
    return Narration(manifest, audio)


def narrations(inputs: list[str], settings: Settings, options: BookOptions,
               on_article: Callable[[str], None] | None = None) -> tuple[list[Narration], int]:
    """Every article narrated (or found up to date), in order; and how many were made now."""
    found, made = [], 0
    for source in sources(inputs):
        if on_article is not None:
            on_article(source)
        if source.lower().endswith(FINISHED):  # a narration: its manifest, or its audio beside it
            found.append(_finished(Path(source).with_suffix(".json")))
            continue
        result = narrate_file(source, settings, str(options.audio_dir) + "/", force=options.force,
                              keep_boilerplate=options.keep_boilerplate, encoding=options.encoding)
        made += not result.skipped
        found.append(_finished(result.manifest))
    return found, made


def _named(options: BookOptions) -> Path | None:
    """The book's path when ``-o`` names a file, None when it names a folder (or nothing)."""
    if options.output is None:
        return None
    output = Path(options.output)
    if output.is_dir() or options.output.endswith(("/", "\\")):
        return None
    if output.suffix.lower() != ".epub":
        raise UsageError(f"-o {options.output}: name a .epub file, or a folder ending in /")
    refuse_to_replace(output)
    return output


def book_path(narrations_: list[Narration], options: BookOptions) -> Path:
    """-o's file; else the first title's slug in -o's folder, or in output/."""
    named = _named(options)
    if named is not None:
        return named
    title = options.title or narrations_[0].manifest.source.title or "book"
    return Path(options.output or DEFAULT_OUTPUT_DIR) / (slugify(title) + ".epub")


def make_book(inputs: list[str], settings: Settings, options: BookOptions,
              on_article: Callable[[str], None] | None = None) -> Book:
    """Narrate ``inputs`` (articles, folders of them, or manifests) and bind them into one EPUB."""
    audio_type(settings.output.format)  # MP3 or M4A: said before any work
    _named(options)  # a wrong -o is said before the work, not after it
    found, made = narrations(inputs, settings, options, on_article)
    dest = book_path(found, options)
    refuse_to_replace(dest)
    with Staging() as staging:
        write_epub(found, staging.path_for(dest), title=options.title, word_level=options.word_level)
        staging.commit()
    return Book(dest, len(found), sum(n.manifest.audio.duration_ms for n in found), made)
