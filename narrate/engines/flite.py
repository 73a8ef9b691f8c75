"""Flite (CMU's small synthesiser, Debian package ``flite``): one run per utterance.

The ``slt`` voice is far more natural than espeak-ng (a speech recogniser misheard 32%
of its words against 85% for espeak-ng) at about 40× real time. Flite quietly falls
back to its ``kal`` voice when asked for one it does not have, so the voice is checked
against ``flite -lv`` first. Text goes in through a file (``-f``), so it is never
mistaken for an option; the WAV comes back through a temporary file that is always
removed. Flite has no volume control: the samples are scaled here.
"""

from __future__ import annotations

import array
import sys
import tempfile
from pathlib import Path
from typing import ClassVar

from narrate.engines.base import VoiceInfo, VoiceSettings
from narrate.engines.programs import (
    clip_from_wav,
    require_program,
    run_program,
    timeout_for,
    unknown_voice_message,
)
from narrate.errors import UsageError
from narrate.models import Clip

PROGRAM = "flite"
PACKAGE = "flite"
DEFAULT_VOICE = "slt"
# Measured on the 5,450-character sample against espeak-ng at 175 wpm (duration_stretch 1).
NATURAL_WPM = {"slt": 167, "kal": 161, "kal16": 161, "awb": 168, "rms": 148}
# The voices' own mean pitch in Hz (found by matching int_f0_target_mean); rms ignores it.
MEAN_F0 = {"slt": 172, "kal": 95, "kal16": 95, "awb": 132}
VOICE_NAMES = {
    "slt": "US English female (slt)",
    "kal": "US English male, diphone, 8 kHz (kal)",
    "kal16": "US English male, diphone (kal16)",
    "awb": "Scottish English male (awb)",
    "rms": "US English male (rms)",
    "awb_time": "awb, speaks clock times only",
}


class FliteEngine:
    name: ClassVar[str] = "flite"
    bounded: ClassVar[bool] = True  # every program run has a timeout

    def __init__(self, settings: VoiceSettings) -> None:
        self.program = require_program(PROGRAM, PACKAGE)
        self.settings = settings
        self.voice = settings.voice or DEFAULT_VOICE
        installed = self._installed_voices()
        if self.voice not in installed and not self._is_voice_file(self.voice):
            raise UsageError(unknown_voice_message(self.name, self.voice, installed))
        self.sample_rate = self.synthesize("Ready.").sample_rate

    @classmethod
    def load(cls, settings: VoiceSettings) -> FliteEngine:
        return cls(settings)

    @classmethod
    def identity(cls, settings: VoiceSettings) -> str:
        program = require_program(PROGRAM, PACKAGE)
        # ``flite --version`` exits 1 after printing the version.
        proc = run_program([program, "--version"], timeout=10, check=False)
        out = proc.stdout.decode("utf-8", "replace")
        version = out.split("version:")[-1].split()[0] if "version:" in out else "unknown"
        return f"flite {version}"

    def _installed_voices(self) -> list[str]:
        out = run_program([self.program, "-lv"], timeout=10).stdout.decode("utf-8", "replace")
        return out.split(":", 1)[-1].split()

    @staticmethod
    def _is_voice_file(voice: str) -> bool:
        return voice.endswith(".flitevox") and Path(voice).is_file()

    def voices(self) -> list[VoiceInfo]:
        return [VoiceInfo(v, VOICE_NAMES.get(v, v), ("en",)) for v in self._installed_voices()]

    def options(self) -> list[str]:
        """Voice, speed and pitch as flite's command-line features."""
        s = self.settings
        key = Path(self.voice).stem if self._is_voice_file(self.voice) else self.voice
        stretch = NATURAL_WPM.get(key, 165) / max(1, int(s.rate))
        options = ["-voice", self.voice, "--setf", f"duration_stretch={stretch:.3f}"]
        if key in MEAN_F0 and int(s.pitch) != 50:
            mean = MEAN_F0[key] * 2 ** ((int(s.pitch) - 50) / 100)  # 0–100 spans an octave
            options += ["--setf", f"int_f0_target_mean={mean:.1f}"]
        return options

    def synthesize(self, text: str) -> Clip:
        with tempfile.TemporaryDirectory(prefix="narrate-flite-") as tmp:
            text_file, wav_file = Path(tmp, "text.txt"), Path(tmp, "speech.wav")
            text_file.write_text(text, encoding="utf-8")
            command = [self.program, *self.options(), "-f", str(text_file), "-o", str(wav_file)]
            proc = run_program(command, timeout=timeout_for(text, 0.05))
            data = wav_file.read_bytes() if wav_file.is_file() else b""
        clip = clip_from_wav(data, self.program, proc.stderr, text=text)
        return scaled(clip, self.settings.volume)

    def close(self) -> None:
        """Nothing stays running between utterances."""


def scaled(clip: Clip, volume: float) -> Clip:
    """``clip`` with every sample multiplied by ``volume`` (clipped to 16 bits)."""
    if abs(volume - 1.0) < 1e-6:
        return clip
    samples = array.array("h", clip.pcm)
    if sys.byteorder == "big":
        samples.byteswap()
    out = array.array("h", (max(-32768, min(32767, round(s * volume))) for s in samples))
    if sys.byteorder == "big":
        out.byteswap()
    return Clip(pcm=out.tobytes(), sample_rate=clip.sample_rate, words=clip.words)
