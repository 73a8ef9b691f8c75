"""WebVTT and SRT captions from the assembled timings: one cue per utterance, showing
the written sentence (what a reader sees), the disclaimer as its own cue."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Cue:
    start_ms: int
    end_ms: int
    text: str


def _stamp(ms: int, sep: str) -> str:
    ms = max(0, int(ms))
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}{sep}{millis:03d}"


def _clean(text: str) -> str:
    # A blank line would end the cue; "-->" would start a timing line.
    return " ".join(text.split()).replace("-->", "→")


def to_vtt(cues: Sequence[Cue]) -> str:
    lines = ["WEBVTT", ""]
    for n, cue in enumerate(cues, 1):
        lines += [str(n), f"{_stamp(cue.start_ms, '.')} --> {_stamp(cue.end_ms, '.')}"]
        lines += [_clean(cue.text).replace("&", "&amp;").replace("<", "&lt;"), ""]
    return "\n".join(lines)


def to_srt(cues: Sequence[Cue]) -> str:
    lines = []
    for n, cue in enumerate(cues, 1):
        lines += [str(n), f"{_stamp(cue.start_ms, ',')} --> {_stamp(cue.end_ms, ',')}"]
        lines += [_clean(cue.text), ""]
    return "\n".join(lines)
