"""The one schema of a voice profile: every key's type and allowed range. A profile is
checked against it as it is read (config.load_profile), so a wrong value is a one-line
ConfigError naming the file, the key, the value and what is allowed — never a worker's
traceback or an "internal error" later on. The cover image is checked here too (its
bytes, not its name: only real JPEG and PNG images, at most 10 MB).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from narrate.errors import ConfigError

MAX_COVER_BYTES = 10 * 1024 * 1024
_FORMATS = ("mp3", "m4a", "ogg", "opus", "wav", "flac")


@dataclass(frozen=True)
class Rule:
    allowed: str  # said to the user: "a whole number from 80 to 500"
    ok: Callable[[Any], bool]


def _int(lo: int, hi: int) -> Rule:
    return Rule(f"a whole number from {lo} to {hi}",
                lambda v: isinstance(v, int) and not isinstance(v, bool) and lo <= v <= hi)


def _number(lo: float, hi: float) -> Rule:
    return Rule(f"a number from {lo:g} to {hi:g}",
                lambda v: isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
                and lo <= v <= hi)


_BOOL = Rule("true or false", lambda v: isinstance(v, bool))
_TEXT = Rule("a string", lambda v: isinstance(v, str))
_WORDS = Rule("a non-empty string", lambda v: isinstance(v, str) and bool(v.strip()))
_PAUSE = _int(0, 10_000)

SCHEMA: dict[str, dict[str, Rule]] = {
    "": {
        "engine": _WORDS,
        "voice": _WORDS,
        "rate": _int(80, 500),
        "pitch": _int(0, 100),
        "volume": _number(0.0, 1.0),
        "max_utterance_chars": _int(50, 5000),
        "read_acronym_asides": _BOOL,
        "lexicons": Rule("a list of file names", lambda v: isinstance(v, list) and all(isinstance(p, str)
                                                                                      for p in v)),
    },
    "pauses": {"sentence": _PAUSE, "paragraph": _PAUSE, "heading": _PAUSE, "disclaimer": _PAUSE},
    "disclaimer": {"enabled": _BOOL, "text": _WORDS, "clip": _WORDS},
    "output": {
        "format": Rule(f"one of {', '.join(_FORMATS)}", lambda v: v in _FORMATS),
        "bitrate": Rule('a bitrate from "8k" to "320k"',
                        lambda v: isinstance(v, str) and re.fullmatch(r"\d{1,3}k", v) is not None
                        and 8 <= int(v[:-1]) <= 320),
        "sample_rate": _int(8000, 96000),
        "loudness": _number(-40.0, -5.0),  # LUFS: louder than -5 cannot keep true peaks under 0 dBTP
        "captions": Rule('a list of "vtt" and/or "srt", e.g. ["vtt"]',
                         lambda v: isinstance(v, list) and len(v) > 0
                         and all(k in ("vtt", "srt") for k in v)),
        "word_timings": _BOOL,
        "cover": _WORDS,
        "player": _BOOL,
        "epub": _BOOL,
    },
    "signing": {"cert": _WORDS, "key": _WORDS},  # PEM files, relative to the profile
}


def check_profile(data: dict[str, Any], path: Path) -> None:
    """Every known key of a parsed profile against SCHEMA (unknown keys are config.py's
    to report, with the dataclasses that define them)."""
    for key, value in data.items():
        table = SCHEMA.get(key)
        if table is not None and key != "":
            if not isinstance(value, dict):
                raise ConfigError(f"voice profile {path}: [{key}] must be a table, not {value!r}")
            for inner, inner_value in value.items():
                _check(table.get(inner), f"[{key}] {inner}", inner_value, path)
        else:
            _check(SCHEMA[""].get(key), key, value, path)


def _check(rule: Rule | None, key: str, value: Any, path: Path) -> None:
    if rule is not None and not rule.ok(value):
        raise ConfigError(f"voice profile {path}: {key} = {_shown(value)} is not allowed; use {rule.allowed}")


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if not isinstance(value, float) or math.isfinite(value) else str(value)


def check_cover(path: Path, where: str = "--cover") -> Path:
    """``path`` if it is a JPEG or PNG image (by its bytes) of at most 10 MB."""
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(8)
    except OSError as exc:
        raise ConfigError(f"{where} {path}: cannot read it ({exc.strerror})") from None
    if not (head.startswith(b"\xff\xd8\xff") or head == b"\x89PNG\r\n\x1a\n"):
        raise ConfigError(f"{where} {path}: not a JPEG or PNG image")
    if size > MAX_COVER_BYTES:
        raise ConfigError(f"{where} {path}: {size / 1e6:.1f} MB; cover art must be at most "
                          f"{MAX_COVER_BYTES // (1024 * 1024)} MB")
    return path
