"""Archive mode: narrate many articles — files, folders, globs, lists, a JSON Lines
manifest — into one folder, resumably and in parallel, with a report.

Every item is independent: a file that cannot be read, an HTML page with no article or
a sentence the engine cannot speak fails that item only (unless ``fail_fast``). Each
output is written atomically and carries its manifest, so a run killed at any moment
and started again skips what is complete and makes only what is missing. One engine
pool serves the whole batch: engines start once per worker, not once per article.
"""

from __future__ import annotations

import csv
import functools
import glob
import io
import json
import os
import re
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from narrate.config import Settings
from narrate.errors import InputError, NarrateError, UsageError
from narrate.export.formats import format_for
from narrate.export.staging import Staging, ensure_folder
from narrate.ingest import HTML_SUFFIXES, MARKDOWN_SUFFIXES, parse_document, read_document
from narrate.ingest.decode import decode, strip_controls
from narrate.models import Document, Hints
from narrate.pipeline import narrate_document
from narrate.script import drop_boilerplate
from narrate.walk import Found, Problem, expand_glob, printable, walk_files

ARTICLE_SUFFIXES = {".txt", *MARKDOWN_SUFFIXES, *HTML_SUFFIXES}
MANIFEST_FIELDS = ("title", "author", "date", "url", "publication")
MAX_COMPONENT = 100


@dataclass(frozen=True)
class Item:
    """One article to narrate: where it comes from and where its audio goes."""

    label: str  # what the report calls it: a path, or "manifest:<id>"
    dest: Path
    load: Callable[[], Document] = field(compare=False)


@dataclass
class Row:
    source: str
    output: str
    status: str = "pending"  # done, skipped, failed
    duration_s: float = 0.0
    error: str = ""
    encoding: str = ""


@dataclass
class Report:
    rows: list[Row]
    wall_s: float = 0.0

    def count(self, status: str) -> int:
        return sum(1 for r in self.rows if r.status == status)

    @property
    def audio_hours(self) -> float:
        return sum(r.duration_s for r in self.rows if r.status in ("done", "skipped")) / 3600

    def summary(self) -> str:
        return (f"{self.count('done')} done, {self.count('skipped')} skipped (up to date), "
                f"{self.count('failed')} failed; {self.audio_hours:.2f} hours of audio; "
                f"{self.wall_s:.1f} s")


# -- safe names -------------------------------------------------------------------------
def safe_component(text: str, fallback: str = "item") -> str:
    """A file or folder name from any text: letters, digits, '-', '_' and '.', never
    '.', '..', hidden, empty or longer than 100 characters."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", ascii_text).strip("-._")[:MAX_COMPONENT].rstrip("-._")
    return name or fallback


def safe_relative(parts: Iterable[str]) -> Path:
    """A relative path from untrusted components: '..', '.', empty and absolute
    components are dropped, each part made safe. Nothing can climb out of the folder."""
    kept = [safe_component(p) for p in parts if p not in ("", ".", "..")]
    return Path(*kept) if kept else Path("item")


RESERVED = {"report"}  # report.json (and the usual report.csv) at the top of the folder
SIDECAR_INFIXES = (".chapters", ".words")  # <stem>.chapters.json, <stem>.words.vtt


class Namer:
    """Hands out destinations inside ``root``, never the same one twice (case-blind),
    never one whose files would collide with the report or another output's sidecars,
    and stable across runs: a name an earlier run gave one article (its manifest says
    which) is never handed to another, so adding ``story.md`` beside a narrated
    ``story.txt`` leaves ``story.mp3`` where it was."""

    def __init__(self, root: Path, suffix: str) -> None:
        self.root = root
        self.suffix = suffix
        self.taken: set[str] = set()

    def claim(self, relative: Path, source: str | None = None) -> Path:
        for infix in SIDECAR_INFIXES:  # a.chapters.txt: a-chapters.mp3, beside a.txt's a.mp3
            if relative.name.lower().endswith(infix):
                relative = relative.with_name(relative.name[: -len(infix)] + "-" + infix[1:])
        stem = relative.with_suffix("") if relative.suffix else relative
        candidate, n = stem, 1
        while not self._free(candidate, source):
            n += 1
            candidate = stem.with_name(f"{stem.name}-{n}")
        self.taken.add(str(candidate).lower())
        dest = self.root / f"{candidate}{self.suffix}"
        if not dest.resolve().is_relative_to(self.root.resolve()):  # defence in depth
            raise UsageError(f"refusing to write outside {self.root}: {relative}")
        return dest

    def _free(self, candidate: Path, source: str | None) -> bool:
        if str(candidate).lower() in self.taken:
            return False
        if len(candidate.parts) == 1 and candidate.name.lower() in RESERVED:
            return False
        owner = self._owner(candidate)
        return owner is None or source is None or owner == Path(source).name

    def _owner(self, candidate: Path) -> str | None:
        """The file name of the article an earlier run narrated to this name, if any."""
        from narrate.export import manifest as manifests

        path = self.root / f"{candidate}.json"
        if not path.is_file():
            return None
        try:
            return Path(manifests.read(path).source.path).name
        except (OSError, ValueError):
            return None


# -- collecting items -------------------------------------------------------------------
def _file_loader(path: Path) -> Callable[[], Document]:
    return lambda: read_document(str(path), encoding="auto")


def _unreadable(problem: Problem) -> Callable[[], Document]:
    def fail() -> Document:
        raise InputError(f"{printable(str(problem.path))}: {problem.reason}")

    return fail


def _expand(pattern: str) -> list[tuple[Found, Path | None]]:
    """(file or problem, the folder it mirrors from) for one INPUT: a file, a folder or a glob."""
    path = Path(pattern)
    if path.is_dir():
        return [(f, path) for f in walk_files(path, ARTICLE_SUFFIXES)]
    if path.is_file():
        return [(path, None)]
    if glob.has_magic(pattern):
        return [(m, None) for m in expand_glob(pattern)]
    if path.exists() or path.is_symlink():
        return [(Problem(path, "cannot read it (not a regular file or folder)"), None)]
    raise UsageError(f"{printable(pattern)}: no such file, folder or matching files")


def _manifest_document(entry: dict[str, Any], label: str, base: Path) -> Document:
    """A Document from one JSON Lines entry (its text, html or path), with the entry's
    metadata (title, author, date, url, publication) over what the article says."""
    import hashlib

    entry = {k: v for k, v in entry.items() if v is not None}  # "text": null is no text, not "None"
    if "path" in entry:
        doc = read_document(str(base / str(entry["path"])), encoding="auto")
    elif "html" in entry:
        from narrate.ingest.html import parse_html

        data = str(entry["html"]).encode("utf-8")
        doc = parse_html(data, label, hashlib.sha256(data).hexdigest())
    elif "text" in entry:
        data = str(entry["text"]).encode("utf-8")
        text, _ = decode(data, label)
        doc = parse_document(text, label + ".txt", hashlib.sha256(data).hexdigest())
    else:
        raise InputError(f"{label}: the entry has none of text, html or path")
    extra: dict[str, Any] = {k: strip_controls(str(entry[k])) for k in MANIFEST_FIELDS if entry.get(k)}
    if "author" in extra:
        extra["byline"] = extra.pop("author")
    return replace(doc, **extra)


def _manifest_items(path: Path, namer: Namer) -> Iterator[Item]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"--manifest {path}: cannot read it ({exc})") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            if not isinstance(entry, dict):
                raise ValueError("not an object")
        except ValueError as exc:
            raise UsageError(f"--manifest {path}, line {number}: not a JSON object ({exc})") from None
        raw_id = str(entry.get("id") or f"line-{number}")
        label = f"manifest:{raw_id}"
        dest = namer.claim(safe_relative(re.split(r"[\\/]+", raw_id)))
        yield Item(label, dest, functools.partial(_manifest_document, entry, label, path.parent))


def collect(inputs: Iterable[str], out_dir: Path, suffix: str, *, from_list: Path | None = None,
            manifest: Path | None = None) -> list[Item]:
    """Every article the arguments name, each with a safe, unique destination in ``out_dir``."""
    namer = Namer(out_dir, suffix)
    patterns = list(inputs)
    if from_list is not None:
        try:
            listed = from_list.read_text(encoding="utf-8").splitlines()
            patterns += [line.strip() for line in listed if line.strip()]
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"--from-list {from_list}: cannot read it ({exc})") from None
    items: list[Item] = []
    seen: set[Path] = set()
    for pattern in patterns:
        for found, base in _expand(pattern):
            path = found.path if isinstance(found, Problem) else found
            real = Path(os.path.realpath(path))
            if real in seen:
                continue
            seen.add(real)
            parts = path.relative_to(base).with_suffix("").parts if base else (path.stem,)
            load = _unreadable(found) if isinstance(found, Problem) else _file_loader(path)
            dest = namer.claim(safe_relative(parts), printable(str(path)))
            items.append(Item(printable(str(path)), dest, load))
    if manifest is not None:
        items.extend(_manifest_items(manifest, namer))
    if not items:
        raise UsageError("no articles found (looked for .txt, .md and .html files)")
    return items


# -- running ----------------------------------------------------------------------------
@dataclass(frozen=True)
class BatchOptions:
    jobs: int = 2
    force: bool = False
    fail_fast: bool = False
    keep_boilerplate: bool = False


def narrate_one(item: Item, settings: Settings, options: BatchOptions, synth: Any, hints: Hints) -> Row:
    """One article of a batch, whatever happens a Row: the unit of work local batch runs in
    threads and the cluster (narrate.cluster) in each node's actor."""
    row = Row(item.label, str(item.dest))
    try:
        doc = drop_boilerplate(item.load(), keep=options.keep_boilerplate)
        row.encoding = doc.encoding
        result = narrate_document(doc, settings, item.dest, keep_boilerplate=options.keep_boilerplate,
                                  force=options.force, synthesizer=synth, hints=hints)
        row.status = "skipped" if result.skipped else "done"
        row.error = "; ".join(result.notes)  # done, with something to know
        row.duration_s = round(result.duration_ms / 1000, 1)
    except NarrateError as err:
        row.status, row.error = "failed", printable(str(err))
    except OSError as err:  # a file that vanished or cannot be read: this item fails
        row.status, row.error = "failed", printable(f"cannot read it ({err.strerror or err})")
    except Exception as err:  # one article's bug must not take the archive down
        row.status, row.error = "failed", printable(f"internal error: {type(err).__name__}: {err}")
    return row


def in_flight(jobs: int) -> int:
    """Articles at once for ``jobs`` engine workers: one more than workers, so that while
    one waits on ffmpeg or the engine another has Python work to do."""
    return jobs + 1 if jobs > 1 else 1


def run_batch(items: list[Item], settings: Settings, out_dir: Path, options: BatchOptions,
              progress: Callable[[Row, Report], None] | None = None) -> Report:
    """Narrate every item (two at a time on two cores, sharing one engine pool)."""
    from narrate.synthesis import synthesizer_for

    ensure_folder(out_dir)
    settings = replace(settings, jobs=options.jobs)
    report = Report([Row(i.label, str(i.dest)) for i in items])
    started = time.monotonic()
    stop = threading.Event()
    lock = threading.Lock()
    synth = synthesizer_for(settings, shared=True)
    hints = Hints()  # one voice, one codec: the limiter's and codec's share

    def work(index: int) -> None:
        nonlocal progress
        if stop.is_set():
            return
        row = narrate_one(items[index], settings, options, synth, hints)
        with lock:
            report.rows[index] = row
            report.wall_s = time.monotonic() - started
            if row.status == "failed" and options.fail_fast:
                stop.set()
            if progress:
                try:
                    progress(row, report)
                except Exception:  # whoever watched went away: the work and its report go on
                    progress = None

    with synth, ThreadPoolExecutor(max_workers=max(1, min(in_flight(options.jobs), len(items)))) as pool:
        for future in [pool.submit(work, n) for n in range(len(items))]:
            future.result()
    report.wall_s = time.monotonic() - started
    for row in report.rows:
        if row.status == "pending":
            row.status, row.error = "not run", "stopped by --fail-fast"
    return report


def write_report(report: Report, out_dir: Path, csv_path: Path | None = None) -> Path:
    """``out_dir/report.json`` (and a CSV copy), written atomically."""
    path = out_dir / "report.json"
    record = {
        "summary": {s: report.count(s) for s in ("done", "skipped", "failed", "not run")}
        | {"audio_hours": round(report.audio_hours, 3), "wall_s": round(report.wall_s, 1)},
        "items": [asdict(r) for r in report.rows],
    }
    with Staging() as staging:
        staging.write_text(path, json.dumps(record, indent=2, ensure_ascii=False) + "\n")
        if csv_path is not None:
            buffer = io.StringIO()
            writer = csv.DictWriter(buffer, fieldnames=list(asdict(report.rows[0])) if report.rows else [])
            writer.writeheader()
            writer.writerows(asdict(r) for r in report.rows)
            staging.write_text(csv_path, buffer.getvalue())
        staging.commit()
    return path


def suffix_for(settings: Settings) -> str:
    return format_for(settings.output.format).suffix

