"""The manifest (``<stem>.json``): what was said, when, by which engine, from which
source — the record captions, chapters, feeds and up-to-date checks are built from.

The one home of its schema: typed records with ``to_dict``/``from_dict``, read and
written here and nowhere else. Its fields are documented in README.md ("The manifest").
``from_dict`` reads every manifest narrate has written (schema 1, including the forms
that named the chapters or captions file at the top level).
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, fields
from functools import cache
from pathlib import Path
from typing import IO, Any, overload

from narrate import __version__
from narrate.export.tags import Chapter
from narrate.models import Levels

SCHEMA = 1


class ManifestError(ValueError):
    """Not a manifest narrate can read (``str(err)`` names the bad or missing field)."""


class UnsupportedSchema(ManifestError):
    """A manifest of a schema this narrate does not read."""


def disclosure(engine: str, voice: str | None, version: str = __version__) -> str:
    """The AI-voice disclosure written into tags and feeds."""
    return (
        f"This narration uses an AI-generated voice ({engine}, voice {voice or 'default'}), "
        f"made with narrate {version}. Inconsistencies may occur."
    )


@dataclass(frozen=True)
class SourceRecord:
    path: str = "-"
    title: str | None = None
    author: str | None = None
    publication: str | None = None
    date: str | None = None
    url: str | None = None
    sha256: str = ""
    encoding: str = "utf-8"


@dataclass(frozen=True)
class SettingsRecord:
    profile: str = "default"
    engine: str = ""
    engine_identity: str = ""
    voice: dict[str, Any] = field(default_factory=dict)
    pauses: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DisclaimerRecord:
    text: str
    clip: str | None
    start_ms: int
    end_ms: int
    voice: str = ""  # engine/voice that spoke it ("" in manifests from before role voices)


@dataclass(frozen=True)
class WordRecord:
    text: str
    start_ms: int
    end_ms: int = 0


@dataclass(frozen=True)
class UtteranceRecord:
    index: int
    kind: str
    written: str
    spoken: str = ""
    source_span: tuple[int, int] = (0, 0)
    start_ms: int = 0
    end_ms: int = 0
    words: tuple[WordRecord, ...] = ()
    voice: str = ""  # engine/voice that spoke it ("" in manifests from before role voices)
    block: int = -1  # the article block (paragraph, quote, item…) it is part of; -1: the title, or unknown


class Records(Sequence[UtteranceRecord]):
    """A narration's utterance records, each made when it is read (``make(n)``): the
    manifest of an hours-long narration is written record by record, never all held."""

    def __init__(self, count: int, make: Callable[[int], UtteranceRecord]) -> None:
        self._count, self._make = count, make

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> UtteranceRecord: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[UtteranceRecord]: ...

    def __getitem__(self, index: int | slice) -> UtteranceRecord | Sequence[UtteranceRecord]:
        if isinstance(index, slice):
            return [self[n] for n in range(*index.indices(self._count))]
        if index < 0:
            index += self._count
        if not 0 <= index < self._count:
            raise IndexError("no such utterance")
        return self._make(index)


@dataclass(frozen=True)
class AudioRecord:
    path: str
    format: str | None = None
    mime: str | None = None
    bitrate: str | None = None
    sample_rate: int = 0
    duration_ms: int = 0
    bytes: int = 0
    sha256: str = ""


@dataclass(frozen=True)
class LoudnessRecord:
    target_lufs: float
    input_lufs: float
    gain_db: float
    integrated_lufs: float
    true_peak_dbtp: float | None = None  # MP3: true peak of an excerpt after the codec
    sample_peak_dbfs: float | None = None  # the other formats: sample peak

    @property
    def levels(self) -> Levels:
        return Levels(self.input_lufs, self.gain_db, self.integrated_lufs, self.true_peak_dbtp)


@dataclass(frozen=True)
class DisclosureRecord:
    """The disclosure layers an output carries (README, "Disclosure")."""

    spoken: bool  # the spoken disclaimer opens the audio
    comment: bool  # the tags' comment (ID3 COMM, MP4 ©cmt, Vorbis comment)
    xmp: bool  # Iptc4xmpExt:DigitalSourceType in XMP (MP3, M4A, WAV)
    c2pa: str  # "signed", "unsigned" (no key given) or "unsupported" (the format cannot hold it)
    signer: str | None = None  # the signing certificate's name, when signed
    note: str | None = None  # why it is not signed


@dataclass(frozen=True)
class Manifest:
    fingerprint: str
    settings_fingerprint: str
    source: SourceRecord
    settings: SettingsRecord
    disclaimer: DisclaimerRecord | None
    utterances: Sequence[UtteranceRecord]  # read: a tuple; written: Records, made one at a time
    audio: AudioRecord
    files: dict[str, str] = field(default_factory=dict)  # kind → file name beside the audio
    file_sha256: dict[str, str] = field(default_factory=dict)  # kind → its SHA-256 (from 0.x: absent)
    loudness: LoudnessRecord | None = None
    chapters: tuple[Chapter, ...] = ()
    dropped: tuple[tuple[str, str], ...] = ()  # (text, reason)
    layers: DisclosureRecord | None = None  # "disclosure" in the JSON; absent before it was recorded
    narrate_version: str = __version__
    schema: int = SCHEMA

    def disclosure(self) -> str:
        engine = self.settings.engine_identity or self.settings.engine or "a speech engine"
        return disclosure(engine, self.settings.voice.get("voice"), self.narrate_version)

    def to_dict(self) -> dict[str, Any]:
        return {**self._fields(), "utterances": [_utterance_dict(u) for u in self.utterances]}

    def _fields(self) -> dict[str, Any]:
        """Every top-level field in the file's order, ``utterances`` left empty."""
        loudness = None
        if self.loudness is not None:  # one peak: the true peak (MP3) or the sample peak
            loudness = asdict(self.loudness)
            sample_peak = self.loudness.sample_peak_dbfs is not None
            loudness.pop("true_peak_dbtp" if sample_peak else "sample_peak_dbfs")
        return {
            "schema": self.schema,
            "narrate_version": self.narrate_version,
            "fingerprint": self.fingerprint,
            "settings_fingerprint": self.settings_fingerprint,
            # a file name that is not valid UTF-8 is recorded with \xff escapes
            "source": asdict(self.source) | {"path": _printable(self.source.path)},
            "settings": asdict(self.settings),
            "disclaimer": asdict(self.disclaimer) if self.disclaimer else None,
            "utterances": [],
            "dropped": [{"text": text, "reason": reason} for text, reason in self.dropped],
            "audio": asdict(self.audio),
            "files": dict(self.files),
            "file_sha256": dict(self.file_sha256),
            "loudness": loudness,
            "chapters": [asdict(c) for c in self.chapters],
            "disclosure": asdict(self.layers) if self.layers else None,
        }

    def dumps(self) -> str:
        text = io.StringIO()
        self.write(text)
        return text.getvalue()

    def write(self, handle: IO[str]) -> None:
        """The manifest's JSON (2-space indents, as ``json.dumps``), written to ``handle``
        an utterance at a time: an hours-long narration's manifest is never whole in
        memory, as text or as one dict."""
        handle.write("{")
        for n, (key, value) in enumerate(self._fields().items()):
            handle.write(f"{',' if n else ''}\n  {_json(key)}: ")
            if key != "utterances" or not self.utterances:
                handle.write(_json(value, 1))
                continue
            for k, utterance in enumerate(self.utterances):
                handle.write(f"{',' if k else '['}\n    {_json(_utterance_dict(utterance), 2)}")
            handle.write("\n  ]")
        handle.write("\n}\n")

    @classmethod
    def from_dict(cls, record: object) -> Manifest:
        """A manifest from its JSON; ManifestError names what is bad or missing."""
        try:
            return _from_dict(record)
        except ManifestError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            raise ManifestError(f"bad or missing {exc}") from None


def _utterance_dict(utterance: UtteranceRecord) -> dict[str, Any]:
    return {**asdict(utterance), "source_span": list(utterance.source_span)}


def _json(value: object, level: int = 0) -> str:
    """``value`` as JSON indented as it is ``level`` deep in a document written with
    ``json.dumps(indent=2)`` (a JSON string never holds a raw newline)."""
    return json.dumps(value, ensure_ascii=False, indent=2).replace("\n", "\n" + "  " * level)


def _printable(text: str) -> str:
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def is_manifest(record: object) -> bool:
    """Whether a JSON value is a narrate manifest at all (and not chapters, a report…)."""
    return isinstance(record, dict) and {"schema", "narrate_version", "audio"} <= record.keys()


def read(path: Path) -> Manifest:
    """The manifest in ``path``. OSError when it cannot be read; ManifestError when it is
    not a manifest of a schema this narrate reads."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ManifestError(f"not JSON ({exc})") from None
    return Manifest.from_dict(record)


@cache
def _names(cls: type) -> frozenset[str]:
    return frozenset(f.name for f in fields(cls))


def _record(cls: type, data: object, where: str) -> Any:
    if not isinstance(data, dict):
        raise ManifestError(f"bad or missing {where!r}")
    names = _names(cls)
    return cls(**{k: v for k, v in data.items() if k in names})


def _from_dict(record: object) -> Manifest:
    if not is_manifest(record):
        raise ManifestError("missing 'schema', 'narrate_version' or 'audio'")
    assert isinstance(record, dict)
    if record["schema"] != SCHEMA:
        raise UnsupportedSchema(f"manifest schema {record['schema']} is not supported "
                            f"(narrate {__version__} reads schema {SCHEMA})")
    files = dict(record.get("files") or {})
    captions = record.get("captions")  # an early form: one caption file named at the top level
    if isinstance(captions, str):
        files = {Path(captions).suffix.lstrip("."): captions, **files}
    chapters = record.get("chapters")
    if isinstance(chapters, str):  # an early form: the chapters file named at the top level
        files.setdefault("chapters", chapters)
        chapters = []
    disclaimer = record.get("disclaimer")
    loudness = record.get("loudness")
    layers = record.get("disclosure")
    return Manifest(
        schema=record["schema"],
        narrate_version=str(record["narrate_version"]),
        fingerprint=str(record.get("fingerprint", "")),
        settings_fingerprint=str(record.get("settings_fingerprint", "")),
        source=_record(SourceRecord, record.get("source", {}), "source"),
        settings=_record(SettingsRecord, record.get("settings") or {}, "settings"),
        disclaimer=_record(DisclaimerRecord, disclaimer, "disclaimer") if disclaimer else None,
        utterances=tuple(_utterance(u) for u in record.get("utterances", [])),
        audio=_record(AudioRecord, record["audio"], "audio"),
        files={str(k): str(v) for k, v in files.items()},
        file_sha256={str(k): str(v) for k, v in (record.get("file_sha256") or {}).items()},
        loudness=_loudness(loudness) if loudness else None,
        chapters=tuple(_record(Chapter, c, "chapters") for c in chapters or []),
        dropped=tuple((str(d["text"]), str(d["reason"])) for d in record.get("dropped", [])),
        layers=_record(DisclosureRecord, layers, "disclosure") if layers else None,
    )


def _utterance(data: object) -> UtteranceRecord:
    if not isinstance(data, dict):
        raise ManifestError("bad or missing 'utterances'")
    words = tuple(WordRecord(w["text"], w["start_ms"], w.get("end_ms", 0)) for w in data.get("words", []))
    span = data.get("source_span") or (0, 0)
    base = _record(UtteranceRecord, {k: v for k, v in data.items() if k not in ("words", "source_span")},
                   "utterances")
    return UtteranceRecord(base.index, base.kind, base.written, base.spoken, (int(span[0]), int(span[1])),
                           base.start_ms, base.end_ms, words, str(base.voice), int(base.block))


def _loudness(data: object) -> LoudnessRecord:
    found = _record(LoudnessRecord, data, "loudness")
    numbers = {k: None if v is None else float(v) for k, v in asdict(found).items()}
    return LoudnessRecord(**numbers)  # type: ignore[arg-type]


def size_and_sha256(path: Path) -> tuple[int, str]:
    """A file's size and SHA-256, as the manifest records the audio and every sidecar."""
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
            size += len(block)
    return size, digest.hexdigest()
