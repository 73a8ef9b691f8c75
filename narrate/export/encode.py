"""PCM → an audio file, with ffmpeg. One home for every ffmpeg call that writes audio."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
from pathlib import Path

from narrate.errors import DependencyError, EncodeError
from narrate.export.formats import Format

FFMPEG_HINT = "install it with: apt-get install ffmpeg"


def ffmpeg() -> str:
    path = shutil.which("ffmpeg")
    if path is None:
        raise DependencyError(f"ffmpeg is missing; {FFMPEG_HINT}")
    return path


def run_ffmpeg(args: list[str], what: str, *, stdin: bytes | None = None) -> str:
    """Run ffmpeg with ``args`` (an argument list, never a shell string); its log on success."""
    return ffmpeg_output(args, what, stdin=stdin)[1]


def ffmpeg_output(args: list[str], what: str, *, stdin: bytes | None = None) -> tuple[bytes, str]:
    """Run ffmpeg with ``args``; (its stdout, its log) on success, EncodeError otherwise."""
    cmd = [ffmpeg(), "-hide_banner", "-nostdin", "-nostats", "-y", *args]
    try:
        result = subprocess.run(cmd, input=stdin, capture_output=True, check=False)
    except OSError as exc:
        raise EncodeError(f"could not run ffmpeg: {exc}", command=cmd) from None
    stderr = result.stderr.decode("utf-8", "replace")
    if result.returncode != 0:
        raise failure(what, result.returncode, stderr, cmd)
    return result.stdout, stderr


def ffmpeg_into_ffmpeg(first: list[str], second: list[str], what: str, *, stdin: bytes) -> tuple[str, str]:
    """Run ffmpeg with ``first``, its standard output piped into a second ffmpeg run
    with ``second``, both at once; (the first's log, the second's log) on success.
    Both start together: the second's start-up (~60 ms) overlaps the first's work."""
    cmds = [[ffmpeg(), "-hide_banner", "-nostdin", "-nostats", "-y", *args] for args in (first, second)]
    with tempfile.TemporaryFile() as log1, tempfile.TemporaryFile() as log2:
        try:
            one = subprocess.Popen(cmds[0], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log1)
        except OSError as exc:
            raise EncodeError(f"could not run ffmpeg: {exc}", command=cmds[0]) from None
        try:
            two = subprocess.Popen(cmds[1], stdin=one.stdout, stdout=subprocess.DEVNULL, stderr=log2)
        except OSError as exc:
            one.kill()
            one.wait()
            raise EncodeError(f"could not run ffmpeg: {exc}", command=cmds[1]) from None
        assert one.stdin is not None and one.stdout is not None
        one.stdout.close()  # the second process holds it now
        with contextlib.suppress(BrokenPipeError):
            one.stdin.write(stdin)
        with contextlib.suppress(BrokenPipeError):
            one.stdin.close()
        statuses = one.wait(), two.wait()
        logs = []
        for handle in (log1, log2):
            handle.seek(0)
            logs.append(handle.read().decode("utf-8", "replace"))
    for status, text, cmd in zip(statuses, logs, cmds, strict=True):
        if status != 0:
            raise failure(what, status, text, cmd)
    return logs[0], logs[1]


def failure(what: str, status: int, stderr: str, cmd: list[str]) -> EncodeError:
    """The error for an ffmpeg run that failed: what it was doing and its last complaint."""
    errors = [ln for ln in stderr.splitlines() if "rror" in ln] or stderr.strip().splitlines()
    last = errors[-1] if errors else f"exit status {status}"
    return EncodeError(f"ffmpeg failed to {what}: {last}", command=cmd, stderr=stderr)


def raw_input(rate: int, source: str = "pipe:0") -> list[str]:
    return ["-f", "s16le", "-ar", str(rate), "-ac", "1", "-i", source]


def _codec(fmt: Format, bitrate: str, out_rate: int) -> list[str]:
    args = ["-ar", str(out_rate), "-ac", "1", *fmt.codec_args]
    if fmt.uses_bitrate:
        args += ["-b:a", bitrate]
    return args


def encode_pcm(
    pcm_path: Path, rate: int, dest: Path, fmt: Format, *, bitrate: str, metadata: Path | None = None
) -> None:
    """One ffmpeg process: PCM file → ``dest`` in ``fmt`` (tags/chapters from ``metadata``)."""
    args = raw_input(rate, str(pcm_path))
    if metadata is not None:
        args += ["-f", "ffmetadata", "-i", str(metadata), "-map_metadata", "1", "-map_chapters", "1"]
    args += ["-map", "0:a", *_codec(fmt, bitrate, rate), "-f", fmt.muxer, str(dest)]
    run_ffmpeg(args, f"encode {fmt.name}")
