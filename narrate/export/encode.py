"""PCM → an audio file, with ffmpeg. One home for every ffmpeg call that writes audio."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import IO, Any

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


class FfmpegChain:
    """ffmpeg runs started at once (each costs ~60 ms of start-up before it reads
    anything), each one's standard output piped into the next; ``run(stdin)`` feeds the
    first and returns (the last one's standard output, every run's log). Started early,
    they are ready when their input is."""

    def __init__(self, stages: list[list[str]], what: str) -> None:
        self.what = what
        self._cmds = [[ffmpeg(), "-hide_banner", "-nostdin", "-nostats", "-y", *args] for args in stages]
        self._logs = [tempfile.TemporaryFile() for _ in self._cmds]  # noqa: SIM115 - closed by run()/kill()
        self._procs: list[subprocess.Popen[bytes]] = []
        source: Any = subprocess.PIPE
        for cmd, log in zip(self._cmds, self._logs, strict=True):
            try:
                proc = subprocess.Popen(cmd, stdin=source, stdout=subprocess.PIPE, stderr=log)
            except OSError as exc:
                self.kill()
                raise EncodeError(f"could not run ffmpeg: {exc}", command=cmd) from None
            if self._procs:
                assert source is not None
                source.close()  # the new run holds it now
            self._procs.append(proc)
            source = proc.stdout

    @property
    def stages(self) -> int:
        return len(self._cmds)

    def run(self, stdin: bytes) -> tuple[bytes, list[str]]:
        first, last = self._procs[0], self._procs[-1]
        assert first.stdin is not None and last.stdout is not None
        feeder = threading.Thread(target=_feed, args=(first.stdin, stdin), daemon=True)
        feeder.start()
        out = last.stdout.read()
        last.stdout.close()
        feeder.join()
        statuses = [proc.wait() for proc in self._procs]
        logs = []
        for handle in self._logs:
            handle.seek(0)
            logs.append(handle.read().decode("utf-8", "replace"))
        self._close_logs()
        for status, text, cmd in zip(statuses, logs, self._cmds, strict=True):
            if status != 0:
                raise failure(self.what, status, text, cmd)
        return out, logs

    def kill(self) -> None:
        """Stop them all, unused."""
        for proc in self._procs:
            proc.kill()
        for proc in self._procs:
            proc.wait()
            for pipe in (proc.stdin, proc.stdout):
                if pipe is not None:
                    with contextlib.suppress(OSError):
                        pipe.close()
        self._close_logs()

    def _close_logs(self) -> None:
        for handle in self._logs:
            handle.close()


def _feed(pipe: IO[bytes], data: bytes) -> None:
    with contextlib.suppress(BrokenPipeError):
        pipe.write(data)
    with contextlib.suppress(BrokenPipeError):
        pipe.close()


def failure(what: str, status: int, stderr: str, cmd: list[str]) -> BaseException:
    """The error for an ffmpeg run that failed: what it was doing and its last complaint.
    An ffmpeg stopped by Ctrl-C (it reaches the whole process group, and ffmpeg may see
    it before this process does) is the user's interruption, not an ffmpeg failure."""
    if "received signal 2" in stderr:  # ffmpeg's "Exiting normally, received signal 2."
        return KeyboardInterrupt()
    errors = [ln for ln in stderr.splitlines() if "rror" in ln] or stderr.strip().splitlines()
    last = errors[-1] if errors else f"exit status {status}"
    return EncodeError(f"ffmpeg failed to {what}: {last}", command=cmd, stderr=stderr)


def raw_input(rate: int, source: str = "pipe:0") -> list[str]:
    return ["-f", "s16le", "-ar", str(rate), "-ac", "1", "-i", source]


def encode_pcm(
    pcm_path: Path, rate: int, dest: Path, fmt: Format, *, bitrate: str, metadata: Path | None = None
) -> None:
    """One ffmpeg process: PCM file → ``dest`` in ``fmt`` (tags/chapters from ``metadata``)."""
    args = raw_input(rate, str(pcm_path))
    if metadata is not None:
        args += ["-f", "ffmetadata", "-i", str(metadata), "-map_metadata", "1", "-map_chapters", "1"]
    args += ["-map", "0:a", *fmt.codec(rate, rate, bitrate), "-f", fmt.muxer, str(dest)]
    run_ffmpeg(args, f"encode {fmt.name}")


def probe(path: Path) -> dict[str, Any]:
    """ffprobe's view of a media file: {"format": {duration, tags…}, "chapters": […]}."""
    import json

    program = shutil.which("ffprobe")
    if program is None:
        raise DependencyError(f"ffprobe is missing; {FFMPEG_HINT}")
    cmd = [program, "-v", "error", "-show_format", "-show_chapters", "-of", "json", str(path)]
    result = subprocess.run(cmd, capture_output=True, check=False)
    if result.returncode != 0:
        detail = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise EncodeError(f"ffprobe cannot read it: {detail[-1] if detail else 'not a media file'}",
                          command=cmd, stderr=result.stderr.decode("utf-8", "replace"))
    found = json.loads(result.stdout or b"{}")
    return found if isinstance(found, dict) else {}
