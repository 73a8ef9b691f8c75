"""espeak-ng driven directly: one ``espeak-ng`` run per utterance, SSML in, WAV out.

The text goes in on stdin wrapped in ``<speak>`` with ``-m`` (SSML mode), every ``& < >``
and quote escaped, so an article can never inject markup and the command line stays
short enough to quote in an error. espeak-ng 1.51 exits 0 without writing anything when
it meets an option it does not know, so the output is always checked, never trusted.
The helpers every program-driven engine shares (finding the program, running it with a
timeout, reading the WAV it wrote) live in programs.py.
"""

from __future__ import annotations

import html
import re
from typing import ClassVar

from narrate.engines.base import VoiceInfo, VoiceSettings
from narrate.engines.programs import (
    check_exit,
    clip_from_wav,
    require_program,
    run_program,
    timeout_for,
    unknown_voice_message,
)
from narrate.errors import UsageError
from narrate.models import Clip

PROGRAM = "espeak-ng"
PACKAGE = "espeak-ng"
DEFAULT_VOICE = "en-us"
UNKNOWN_VOICE = "voice does not exist"
# Control characters are not allowed in XML; espeak-ng would stop at the first one.
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


class EspeakEngine:
    name: ClassVar[str] = "espeak"
    bounded: ClassVar[bool] = True  # every program run has a timeout
    rate_hint: ClassVar[int] = 22050  # espeak-ng's own voices (MBROLA ones differ)

    def __init__(self, settings: VoiceSettings) -> None:
        self.program = require_program(PROGRAM, PACKAGE)
        self.settings = settings
        self.voice = settings.voice or DEFAULT_VOICE
        self.sample_rate = self._check_voice()

    @classmethod
    def load(cls, settings: VoiceSettings) -> EspeakEngine:
        return cls(settings)

    @classmethod
    def identity(cls, settings: VoiceSettings) -> str:
        program = require_program(PROGRAM, PACKAGE)
        out = run_program([program, "--version"], timeout=10).stdout.decode("utf-8", "replace")
        found = re.search(r"text-to-speech:\s*(\S+)", out)
        return f"espeak/espeak-ng {found.group(1) if found else out.strip()[:40]}"

    def voices(self) -> list[VoiceInfo]:
        """One entry per ``espeak-ng --voices`` line: id is the language code ``-v`` takes."""
        return [VoiceInfo(c[1], c[3].replace("_", " "), (c[1],)) for c in self._listing()]

    def command(self) -> list[str]:
        s = self.settings
        volume = round(max(0.0, min(2.0, s.volume)) * 100)  # 1.0 → 100, as pyttsx3 maps it
        return [
            self.program, "-m", "--stdout", "-v", self.voice,
            "-s", str(int(s.rate)), "-p", str(int(s.pitch)), "-a", str(volume),
        ]  # fmt: skip

    def synthesize(self, text: str) -> Clip:
        proc = run_program(self.command(), stdin=to_ssml(text), timeout=timeout_for(text, 0.02))
        return clip_from_wav(proc.stdout, self.program, proc.stderr, text=text)

    def _check_voice(self) -> int:
        """Is the voice one espeak-ng knows? Then speak one word to learn the sample rate.

        espeak-ng itself quietly falls back to a near match (``en-uss`` speaks en) or
        ignores an unknown ``+variant``, so names are checked against its own lists.
        """
        base, _, variant = self.voice.lower().partition("+")
        voices = self._listing()
        known = {key.strip("()").lower() for cols in voices for key in cols[1:]}
        variants = {cols[4].rsplit("/", 1)[-1].lower() for cols in self._listing("variant")}
        if base not in known or (variant and variant not in variants):
            valid = [cols[1] for cols in voices]
            raise UsageError(unknown_voice_message(self.name, self.voice, valid))
        command = self.command()
        proc = run_program(command, stdin=to_ssml("Ready."), timeout=15, check=False)
        if UNKNOWN_VOICE in proc.stderr.decode("utf-8", "replace"):
            raise UsageError(unknown_voice_message(self.name, self.voice, []))
        check_exit(proc, command)
        return clip_from_wav(proc.stdout, self.program, proc.stderr).sample_rate

    def _listing(self, which: str = "") -> list[list[str]]:
        option = f"--voices={which}" if which else "--voices"
        out = run_program([self.program, option], timeout=10).stdout.decode("utf-8", "replace")
        return [cols for cols in (line.split() for line in out.splitlines()[1:]) if len(cols) >= 5]

    def close(self) -> None:
        """Nothing stays running between utterances."""


def to_ssml(text: str) -> bytes:
    """``text`` as an SSML document that says exactly what is written, markup included."""
    plain = " ".join(_NOT_XML.sub(" ", text).split())
    return f"<speak>{html.escape(plain, quote=True)}</speak>".encode()
