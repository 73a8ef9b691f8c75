"""Festival with the HTS ``slt`` voice: the most natural of the Debian voices, and the slowest.

Festival takes about a quarter of a second to start and load a voice, as long as it
takes to speak a short sentence, so the engine keeps one ``festival --pipe`` process
for its whole life (loaded once, like every engine) and sends it one Scheme command
per utterance. Festival prints nothing in pipe mode and buffers its stdout, so each
command ends by writing a numbered marker to stderr; everything festival writes to
stderr before the marker (a ``SIOD ERROR``, say) is the command's error message.
Every wait has a deadline; the process is killed on close. Speed is the HTS engine's
``-r`` factor (and ``Duration_Stretch`` for other voice types), volume a rescale of
the utterance's wave. Pitch is not adjustable for HTS voices.
"""

from __future__ import annotations

import contextlib
import os
import re
import selectors
import subprocess
import tempfile
import time
import weakref
from pathlib import Path
from typing import ClassVar

from narrate.engines.base import VoiceInfo, VoiceSettings
from narrate.engines.programs import (
    clip_from_wav,
    one_line,
    require_program,
    run_program,
    timeout_for,
    unknown_voice_message,
)
from narrate.errors import DependencyError, EngineError, UsageError
from narrate.models import Clip

PROGRAM = "festival"
PACKAGE = "festival"
DEFAULT_VOICE = "cmu_us_slt_arctic_hts"
VOICE_PACKAGE = "festvox-us-slt-hts"
NATURAL_WPM = 155  # HTS slt on the 5,450-character sample, measured against espeak-ng at 175
MARKER = "narrate-done"
_ERROR = re.compile(r"SIOD ERROR")


class FestivalEngine:
    name: ClassVar[str] = "festival"
    bounded: ClassVar[bool] = True  # every program run has a timeout

    def __init__(self, settings: VoiceSettings) -> None:
        self.program = require_program(PROGRAM, PACKAGE)
        self.settings = settings
        self._count = 0
        try:
            self._proc = subprocess.Popen(
                [self.program, "--pipe"],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
        except OSError as exc:
            raise DependencyError(f"festival could not be started: {exc}") from exc
        self._tmp = tempfile.TemporaryDirectory(prefix="narrate-festival-")
        # Workers never call close(): stop festival when the engine or the process goes.
        self._stop = weakref.finalize(self, _stop, self._proc)
        try:
            self.voice = self._choose_voice(settings.voice)
            self._command(f"(voice_{self.voice})\n{self._speed()}", timeout=60)
            self.sample_rate = self.synthesize("Ready.").sample_rate
        except BaseException:
            self.close()
            raise

    @classmethod
    def load(cls, settings: VoiceSettings) -> FestivalEngine:
        return cls(settings)

    @classmethod
    def identity(cls, settings: VoiceSettings) -> str:
        program = require_program(PROGRAM, PACKAGE)
        out = run_program([program, "--version"], timeout=10).stdout.decode("utf-8", "replace")
        found = re.search(r"System:\s*([\w.]+)", out)
        return f"festival {found.group(1) if found else one_line(out, 40)}"

    # -- voices ---------------------------------------------------------------------
    def _installed_voices(self) -> list[str]:
        return self._command('(format stderr "%l\\n" (voice.list))', timeout=30)[-1].strip("()\n").split()

    def _choose_voice(self, wanted: str | None) -> str:
        installed = self._installed_voices()
        voice = wanted or DEFAULT_VOICE
        if voice in installed:
            return voice
        if wanted is None:
            raise DependencyError(
                f"festival's voice {DEFAULT_VOICE} is missing; "
                f"install it with: apt-get install {VOICE_PACKAGE}"
            )
        raise UsageError(unknown_voice_message(self.name, voice, installed))

    def voices(self) -> list[VoiceInfo]:
        return [VoiceInfo(v, v.replace("_", " "), ("en",)) for v in self._installed_voices()]

    def _speed(self) -> str:
        factor = max(1, int(self.settings.rate)) / NATURAL_WPM
        return (
            f"(Parameter.set 'Duration_Stretch {1 / factor:.4f})\n"
            f"(if hts_engine_params (set! hts_engine_params "
            f'(append hts_engine_params (list (list "-r" {factor:.4f})))))'
        )

    # -- synthesis ------------------------------------------------------------------
    def synthesize(self, text: str) -> Clip:
        self._count += 1
        wav = Path(self._tmp.name, f"{self._count}.wav")
        volume = max(0.0, float(self.settings.volume))
        try:
            self._command(
                f'(set! narrate_utt (SynthText "{scheme_string(text)}"))\n'
                f"(utt.wave.rescale narrate_utt {volume:.4f})\n"
                f'(utt.save.wave narrate_utt "{scheme_string(str(wav))}" \'riff)',
                timeout=timeout_for(text, 0.05, base=30),
                text=text,
            )
            data = wav.read_bytes() if wav.is_file() else b""
        finally:
            wav.unlink(missing_ok=True)
        return clip_from_wav(data, self.program, text=text)

    def _command(self, scheme: str, *, timeout: float, text: str | None = None) -> list[str]:
        """Run ``scheme`` in festival; the lines it wrote to stderr. EngineError if any is an error."""
        proc = self._proc
        if proc.poll() is not None or proc.stdin is None:
            raise EngineError(f"festival has stopped (exit {proc.returncode})", text=text)
        marker = f"{MARKER}-{self._count}-{time.monotonic_ns()}"
        try:
            proc.stdin.write(f'{scheme}\n(format stderr "{marker}\\n")\n'.encode())
            proc.stdin.flush()
        except OSError as exc:
            raise EngineError(f"festival has stopped ({exc})", text=text) from None
        lines = self._read_until(marker, timeout, text)
        errors = [line for line in lines if _ERROR.search(line)]
        if errors:
            raise EngineError(f"festival failed: {one_line(' '.join(errors))}", text=text)
        return lines

    def _read_until(self, marker: str, timeout: float, text: str | None) -> list[str]:
        if self._proc.stderr is None:
            raise EngineError("festival's stderr is closed", text=text)
        fd = self._proc.stderr.fileno()
        deadline = time.monotonic() + timeout
        buffer = b""
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while f"{marker}\n".encode() not in buffer:
                left = deadline - time.monotonic()
                if left <= 0 or not selector.select(left):
                    self.close()
                    raise EngineError(f"festival did not answer within {timeout:.0f} s", text=text)
                chunk = os.read(fd, 65536)
                if not chunk:
                    message = one_line(buffer)
                    raise EngineError(f"festival stopped unexpectedly: {message}", text=text)
                buffer += chunk
        before = buffer.decode("utf-8", "replace").split(marker)[0]
        return before.splitlines()

    def close(self) -> None:
        """End festival and remove the temp folder (also done at exit if never called)."""
        self._stop()
        self._tmp.cleanup()


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """EOF on festival's stdin ends it; killed if it lingers. Safe to call twice."""
    for stream in (proc.stdin, proc.stderr):
        with contextlib.suppress(OSError):
            if stream is not None:
                stream.close()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def scheme_string(text: str) -> str:
    """``text`` as the inside of a Scheme string literal: one line, quotes and backslashes escaped."""
    flat = " ".join(text.split())
    return flat.replace("\\", "\\\\").replace('"', '\\"')
