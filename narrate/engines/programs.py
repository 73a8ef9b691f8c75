"""What every program-driven engine (espeak, flite, festival) shares: finding the
program, running it with a timeout, turning its stderr into a one-line error, reading
the WAV it wrote, and naming the valid voices when one is unknown."""

from __future__ import annotations

import difflib
import io
import shlex
import shutil
import subprocess
import wave
from pathlib import Path

from narrate.errors import DependencyError, EngineError
from narrate.models import Clip


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
