"""espeak-ng driven directly: one ``espeak-ng`` run per utterance, SSML in, WAV out.

The text goes in on stdin wrapped in ``<speak>`` with ``-m`` (SSML mode), every ``& < >``
and quote escaped, so an article can never inject markup and the command line stays
short enough to quote in an error. espeak-ng 1.51 exits 0 without writing anything when
it meets an option it does not know, so the output is always checked, never trusted.

The second half of this module holds the helpers every program-driven engine shares
(flite and festival import them): finding the program, running it with a timeout,
turning its stderr into a one-line error, and reading the WAV it wrote.
"""

from __future__ import annotations

import difflib
import html
import io
import re
import shlex
import shutil
import subprocess
import wave
from pathlib import Path
from typing import ClassVar

from narrate.engines.base import VoiceInfo, VoiceSettings
from narrate.errors import DependencyError, EngineError, UsageError
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


# -- shared by the program-driven engines (espeak, flite, festival) -------------------
def require_program(program: str, package: str) -> str:
    """The program's path; DependencyError with the apt-get line when it is not installed."""
    path = shutil.which(program)
    if path is None:
        raise DependencyError(f"{program} is missing; install it with: apt-get install {package}")
    return path


def one_line(data: bytes | str, limit: int = 300) -> str:
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    return " ".join(text.split())[:limit] or "no message"


def timeout_for(text: str, seconds_per_char: float, base: float = 15.0) -> float:
    return base + len(text) * seconds_per_char


def check_exit(proc: subprocess.CompletedProcess[bytes], command: list[str]) -> None:
    if proc.returncode != 0:
        name = Path(command[0]).name
        raise EngineError(
            f"{name} failed (exit {proc.returncode}): {one_line(proc.stderr)}"
            f" [command: {shlex.join(command)}]"
        )


def run_program(
    command: list[str], *, stdin: bytes | None = None, timeout: float, check: bool = True
) -> subprocess.CompletedProcess[bytes]:
    """Run ``command`` (an argument list, never a shell string); stdout and stderr captured.

    A non-zero exit is an EngineError unless ``check`` is false.
    """
    name = Path(command[0]).name
    try:
        proc = subprocess.run(command, input=stdin, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise EngineError(
            f"{name} did not finish within {timeout:.0f} s [command: {shlex.join(command)}]"
        ) from None
    except OSError as exc:
        raise DependencyError(f"{name} could not be started: {exc}") from exc
    if check:
        check_exit(proc, command)
    return proc


def clip_from_wav(data: bytes, program: str, stderr: bytes = b"", *, text: str | None = None) -> Clip:
    """Mono 16-bit PCM from a WAV file's bytes (a streamed header's bogus length is fine)."""
    name = Path(program).name
    try:
        with wave.open(io.BytesIO(data)) as wav:
            channels, width, rate = wav.getnchannels(), wav.getsampwidth(), wav.getframerate()
            pcm = wav.readframes(wav.getnframes())
    except (wave.Error, EOFError) as exc:
        raise EngineError(f"{name} wrote no usable audio ({exc}): {one_line(stderr)}", text=text) from None
    if channels != 1 or width != 2:
        raise EngineError(f"{name} wrote {channels}-channel {8 * width}-bit audio", text=text)
    pcm = pcm[: len(pcm) - len(pcm) % 2]
    if not pcm:
        raise EngineError(f"{name} produced no audio: {one_line(stderr)}", text=text)
    return Clip(pcm=pcm, sample_rate=rate)


def unknown_voice_message(engine: str, voice: str, valid: list[str], shown: int = 12) -> str:
    """Names the valid voices: all of them if few, else the closest to ``voice``."""
    unique = sorted(set(valid))
    listed = unique
    if len(unique) > shown:
        listed = difflib.get_close_matches(voice, unique, n=shown, cutoff=0.6) or unique[:shown]
    more = ", …" if len(unique) > len(listed) else ""
    valid_part = f"valid voices include: {', '.join(listed)}{more} " if listed else ""
    return (
        f"unknown voice {voice!r} for engine {engine}; "
        f"{valid_part}(run 'narrate voices --engine {engine}' to list them)"
    )
