"""Piper neural voices (optional extra ``narrate[piper]``), with a voice model the user supplies.

``VoiceSettings.voice`` is the path to a Piper ``.onnx`` model; its ``.onnx.json``
config must sit beside it (as Piper's own downloads do). The model is loaded once;
each utterance is one ``PiperVoice.synthesize`` call whose chunks carry their own
sample rate. ``rate`` scales the model's own phoneme length (175 wpm is the model's
natural pace), ``volume`` is Piper's sample multiplier, ``pitch`` is not adjustable.
Text in ``[[ ]]`` is raw phonemes to Piper, so the brackets are split apart first:
article text is spoken, never interpreted.
"""

from __future__ import annotations

import hashlib
import importlib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, ClassVar

from narrate.engines.base import VoiceInfo, VoiceSettings
from narrate.errors import ConfigError, DependencyError, EngineError, UsageError
from narrate.models import Clip

INSTALL_HINT = "install it with: pip install 'narrate[piper]' (the piper-tts package)"
REFERENCE_WPM = 175
NEEDS_MODEL = (
    "the piper engine needs a voice model: --voice path/to/voice.onnx "
    "(with its .onnx.json beside it; Piper voices are published at "
    "https://huggingface.co/rhasspy/piper-voices)"
)


def _piper() -> Any:
    try:
        return importlib.import_module("piper")
    except ImportError as exc:
        raise DependencyError(f"piper-tts is missing ({exc}); {INSTALL_HINT}") from exc


def model_paths(settings: VoiceSettings) -> tuple[Path, Path]:
    """The model and its config; UsageError when the voice is not a model on disk."""
    if not settings.voice:
        raise UsageError(NEEDS_MODEL)
    model = Path(settings.voice).expanduser()
    config = model.with_name(model.name + ".json")
    if model.suffix != ".onnx" or not model.is_file():
        raise UsageError(f"unknown voice {settings.voice!r} for engine piper; {NEEDS_MODEL}")
    if not config.is_file():
        raise UsageError(f"the piper voice {model} has no config beside it: {config} is missing")
    return model, config


class PiperEngine:
    name: ClassVar[str] = "piper"

    def __init__(self, settings: VoiceSettings) -> None:
        piper = _piper()
        self.settings = settings
        self.model, self.config = model_paths(settings)
        try:
            self._voice = piper.PiperVoice.load(self.model, config_path=self.config)
        except Exception as exc:  # a bad file: OSError, JSON or KeyError, onnxruntime's own types
            raise ConfigError(f"the piper voice {self.model} cannot be loaded: {exc}") from exc
        self.sample_rate = int(self._voice.config.sample_rate)
        length_scale = float(getattr(self._voice.config, "length_scale", 1.0) or 1.0)
        self._syn_config = piper.SynthesisConfig(
            length_scale=length_scale * REFERENCE_WPM / max(1, int(settings.rate)),
            volume=max(0.0, float(settings.volume)),
        )

    @classmethod
    def load(cls, settings: VoiceSettings) -> PiperEngine:
        return cls(settings)

    @classmethod
    def identity(cls, settings: VoiceSettings) -> str:
        """Package version plus the model's name, size and config digest (no model load)."""
        try:
            piper_version = version("piper-tts")
        except PackageNotFoundError:
            raise DependencyError(f"piper-tts is missing; {INSTALL_HINT}") from None
        model, config = model_paths(settings)
        digest = hashlib.sha256(config.read_bytes()).hexdigest()[:12]
        return f"piper {piper_version}/{model.name} {model.stat().st_size} {digest}"

    def voices(self) -> list[VoiceInfo]:
        config = self._voice.config
        language = str(getattr(config, "espeak_voice", "") or "")
        return [VoiceInfo(str(self.model), self.model.stem, (language,) if language else ())]

    def synthesize(self, text: str) -> Clip:
        spoken = speakable(text)
        try:
            chunks = list(self._voice.synthesize(spoken, syn_config=self._syn_config))
        except Exception as exc:  # onnxruntime and the phonemiser raise their own types
            raise EngineError(f"piper failed: {' '.join(str(exc).split())}", text=text) from exc
        rates = {int(chunk.sample_rate) for chunk in chunks}
        if len(rates) > 1:
            raise EngineError(f"piper returned chunks at {sorted(rates)} Hz", text=text)
        pcm = b"".join(chunk.audio_int16_bytes for chunk in chunks)
        if not pcm:
            raise EngineError(f"piper produced no audio for: {text[:80]!r}", text=text)
        return Clip(pcm=pcm, sample_rate=rates.pop())

    def close(self) -> None:
        self._voice = None


def speakable(text: str) -> str:
    """``text`` with Piper's raw-phoneme markers (``[[ … ]]``) broken, so they are read."""
    flat = " ".join(text.split())
    while "[[" in flat or "]]" in flat:
        flat = flat.replace("[[", "[ [").replace("]]", "] ]")
    return flat
