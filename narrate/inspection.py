"""``narrate inspect``: what an audio file — ours or anyone's — says about itself, and
which of the four disclosure layers it carries.

The layers: the spoken disclaimer (known only from a narrate manifest beside the file
that matches its bytes), the comment tag, the IPTC digital source type in XMP, and C2PA
Content Credentials (validated by the SDK's reader: present, valid, signer, trusted,
tampered). A layer is ``present``, ``missing``, ``invalid`` (there, but wrong or
tampered with), ``unknown`` (cannot be told: no manifest, no SDK) or ``unsupported``
(the format has no place for it: XMP in FLAC and Ogg, C2PA in Ogg).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from narrate.errors import InputError, NarrateError
from narrate.export import c2pa_sign, loudness, tags
from narrate.export import manifest as manifests
from narrate.export.encode import probe
from narrate.export.xmp import TRAINED_ALGORITHMIC_MEDIA, source_type

XMP_CONTAINERS = {"MP3", "MP4", "WAVE"}
C2PA_CONTAINERS = {"MP3", "MP4", "WAVE", "FLAC"}
FAILING = ("missing", "invalid", "unknown")
_AI_WORDS = re.compile(r"\bAI[- ]generated\b|\bsynthetic (?:voice|speech)\b|\bartificial(?:ly)? "
                       r"(?:intelligence|generated)\b|\btext[- ]to[- ]speech\b", re.IGNORECASE)


@dataclass(frozen=True)
class Layer:
    name: str  # spoken, comment, xmp, c2pa
    status: str  # present, missing, invalid, unknown, unsupported
    detail: str = ""


@dataclass(frozen=True)
class Report:
    path: str
    container: str
    duration_s: float | None
    integrated_lufs: float | None
    true_peak_dbtp: float | None
    tags: dict[str, str]
    chapters: list[dict[str, Any]]
    layers: list[Layer]
    c2pa: dict[str, Any] = field(default_factory=dict)

    @property
    def failing(self) -> list[Layer]:
        return [layer for layer in self.layers if layer.status in FAILING]

    def to_dict(self) -> dict[str, Any]:
        found = asdict(self)
        found["layers"] = {layer.name: {"status": layer.status, "detail": layer.detail}
                           for layer in self.layers}
        found["disclosed"] = not self.failing
        return found


def inspect_file(path: Path, trust_anchors: str | None = None) -> Report:
    """Everything ``narrate inspect`` says about one file. InputError if it is not audio."""
    try:
        marks = tags.read_marks(path)
    except OSError as exc:
        raise InputError(f"{path}: cannot read it ({exc.strerror})") from None
    if marks is None:
        raise InputError(f"{path}: not an audio file narrate can read")
    try:
        probed = probe(path)
        level = loudness.measure_media(path)
    except NarrateError as err:
        raise InputError(f"{path}: {err}") from None
    info = probed.get("format", {})
    credentials = _credentials(path, marks.container, trust_anchors)
    layers = [_spoken(path), _comment(marks.comment), _xmp(marks), _c2pa(marks.container, credentials)]
    return Report(
        path=str(path), container=marks.container,
        duration_s=round(float(info["duration"]), 3) if "duration" in info else None,
        integrated_lufs=level.integrated_lufs, true_peak_dbtp=level.peak_db,
        tags={str(k).lower(): str(v) for k, v in (info.get("tags") or {}).items()},
        chapters=[_chapter(c) for c in probed.get("chapters", [])],
        layers=layers,
        c2pa=_c2pa_summary(credentials),
    )


def _chapter(found: dict[str, Any]) -> dict[str, Any]:
    return {"start_s": round(float(found.get("start_time", 0)), 3),
            "end_s": round(float(found.get("end_time", 0)), 3),
            "title": (found.get("tags") or {}).get("title", "")}



def _spoken(path: Path) -> Layer:
    beside = path.with_suffix(".json")
    try:
        manifest = manifests.read(beside)
    except (OSError, ValueError):
        return Layer("spoken", "unknown", "no narrate manifest beside the file to say whether it has one")
    if manifest.audio.path != path.name or manifest.audio.sha256 != manifests.size_and_sha256(path)[1]:
        return Layer("spoken", "unknown", f"{beside.name} describes other bytes (the file changed since)")
    if manifest.disclaimer is None:
        return Layer("spoken", "missing", "made with --no-disclaimer (manifest)")
    said = manifest.disclaimer
    how = "a recording" if said.clip else said.voice or "the narrating voice"
    return Layer("spoken", "present", f"{said.start_ms / 1000:.2f}-{said.end_ms / 1000:.2f} s, {how}: "
                                      f"\"{said.text}\" (manifest)")


def _comment(comment: str | None) -> Layer:
    if not comment:
        return Layer("comment", "missing", "no comment tag")
    shown = comment if len(comment) <= 100 else comment[:97] + "..."
    if _AI_WORDS.search(comment):
        return Layer("comment", "present", f'"{shown}"')
    return Layer("comment", "missing", f'the comment does not mention an AI voice: "{shown}"')


def _xmp(marks: tags.Marks) -> Layer:
    if marks.container not in XMP_CONTAINERS:
        return Layer("xmp", "unsupported", f"{marks.container} has no standard place for XMP")
    if marks.xmp is None:
        return Layer("xmp", "missing", "no XMP packet")
    found = source_type(marks.xmp)
    if found is None:
        return Layer("xmp", "missing", "XMP without Iptc4xmpExt:DigitalSourceType")
    status = "present" if found == TRAINED_ALGORITHMIC_MEDIA else "invalid"
    return Layer("xmp", status, f"Iptc4xmpExt:DigitalSourceType = {found.rsplit('/', 1)[-1]}")


def _credentials(path: Path, container: str, trust_anchors: str | None) -> c2pa_sign.Credentials | None:
    if container not in C2PA_CONTAINERS or not c2pa_sign.available():
        return None
    return c2pa_sign.read(path, trust_anchors)


def _c2pa(container: str, found: c2pa_sign.Credentials | None) -> Layer:
    if container not in C2PA_CONTAINERS:
        return Layer("c2pa", "unsupported", f"the C2PA SDK cannot sign or read {container}")
    if found is None:
        return Layer("c2pa", "unknown", f"cannot check: {c2pa_sign.INSTALL_HINT}")
    if not found.present:
        return Layer("c2pa", "missing", "no Content Credentials")
    if found.tampered:
        failures = ", ".join(code for code in found.failures if code.endswith(".mismatch"))
        return Layer("c2pa", "invalid", f"TAMPERED: the file changed after signing ({failures})")
    if not found.valid:
        return Layer("c2pa", "invalid", f"invalid: {found.error or ', '.join(found.failures) or found.state}")
    trust = "trusted signer" if found.trusted else "untrusted signer (its root is not a trust anchor here)"
    kind = (found.source_type or "no source type").rsplit("/", 1)[-1]
    return Layer("c2pa", "present", f"valid, {trust}: {found.signer}; {kind}")


def _c2pa_summary(found: c2pa_sign.Credentials | None) -> dict[str, Any]:
    if found is None:
        return {}
    return {"present": found.present, "state": found.state, "valid": found.valid, "trusted": found.trusted,
            "tampered": found.tampered, "signer": found.signer, "failures": list(found.failures),
            "assertions": list(found.assertions), "digital_source_type": found.source_type,
            "spoken_disclaimer": found.spoken_disclaimer, "error": found.error}


def text_lines(report: Report) -> list[str]:
    """The report as ``narrate inspect`` prints it."""
    seconds = report.duration_s or 0.0
    lines = [f"{report.path}",
             f"  {report.container}, {int(seconds // 60)}:{seconds % 60:04.1f}, "
             f"{report.integrated_lufs:.1f} LUFS, true peak {report.true_peak_dbtp:.1f} dBTP"]
    for key in ("title", "artist", "album", "date", "genre"):
        if key in report.tags:
            lines.append(f"  {key + ':':<10}{report.tags[key]}")
    if report.chapters:
        lines.append(f"  chapters: {len(report.chapters)}")
        lines += [f"    {c['start_s']:7.2f} s  {c['title']}" for c in report.chapters]
    lines.append("  disclosure:")
    lines += [f"    {layer.name:<8} {layer.status:<11} {layer.detail}" for layer in report.layers]
    return lines
