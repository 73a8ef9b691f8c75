"""PCM → an audio file, with ffmpeg. One home for every ffmpeg call that writes audio."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from narrate.errors import DependencyError, EncodeError
from narrate.export.formats import FORMATS, Format

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
        errors = [ln for ln in stderr.splitlines() if "rror" in ln] or stderr.strip().splitlines()
        last = errors[-1] if errors else f"exit status {result.returncode}"
        raise EncodeError(f"ffmpeg failed to {what}: {last}", command=cmd, stderr=stderr)
    return result.stdout, stderr


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


# LAME delays every stream by 1105 samples (576 encoder + 529 decoder delay) and ends it
# with floor((n + 1105) / 1152) + 1 frames of 1152 samples (measured with ffmpeg 5.1).
# CBR MP3 streams concatenate frame by frame, so a long narration is cut into pieces at
# pauses, encoded on every core at once, and joined: each cut is placed so the piece
# before it ends one sample short of whole frames (one sample of padding), and each
# later piece skips its own 1105 priming samples (silence in the pause). The joined file
# decodes to the single-pass timing, one sample later per cut.
LAME_DELAY = 1105
MP3_FRAME = 1152
PIECE_SECONDS = 150  # bounds each encoder's input, so memory stays flat for long inputs


def mp3_cuts(frames: int, seams: list[int], rate: int, pieces: int) -> list[int]:
    """Sample offsets where the pieces meet, each near a seam (mid-pause) and aligned."""
    cuts: list[int] = []
    for n in range(1, pieces):
        ideal = frames * n // pieces
        seam = min(seams, key=lambda s: abs(s - ideal))
        base = cuts[-1] if cuts else -LAME_DELAY
        aligned = base + ((seam - base + 1) // MP3_FRAME) * MP3_FRAME - 1
        if (not cuts or aligned > cuts[-1] + MP3_FRAME) and aligned < frames - MP3_FRAME:
            cuts.append(aligned)
    return cuts


def _encode_piece(pcm_path: Path, rate: int, start: int, stop: int, fmt: Format, bitrate: str) -> bytes:
    with pcm_path.open("rb") as handle:
        handle.seek(2 * start)
        pcm = handle.read(2 * (stop - start))
    args = [*raw_input(rate), *_codec(fmt, bitrate, rate), "-write_xing", "0", "-f", "mp3", "pipe:1"]
    cmd = [ffmpeg(), "-hide_banner", "-nostdin", "-loglevel", "error", *args]
    result = subprocess.run(cmd, input=pcm, capture_output=True, check=False)
    if result.returncode != 0:
        stderr = result.stderr.decode("utf-8", "replace")
        raise EncodeError(f"ffmpeg failed to encode mp3: {stderr.strip()[-200:]}", command=cmd, stderr=stderr)
    return result.stdout


def mp3_delay_ms(rate: int) -> float:
    """How much later the decoded audio of our MP3s plays than the PCM fed in: without a
    LAME tag (a joined file cannot carry one) decoders keep the priming samples."""
    return 1000.0 * LAME_DELAY / rate


def encode_mp3_parallel(
    pcm_path: Path, rate: int, frames: int, seams: list[int], dest: Path, *, bitrate: str, jobs: int
) -> None:
    """Encode the PCM file as CBR MP3 in pieces on ``jobs`` cores and join the frames."""
    from concurrent.futures import ThreadPoolExecutor

    rounds = -(-frames // (PIECE_SECONDS * rate * max(1, jobs)))  # every core busy each round
    pieces = max(1, jobs) * max(1, rounds)
    cuts = mp3_cuts(frames, seams, rate, pieces)
    bounds = list(zip([0, *[c + LAME_DELAY for c in cuts]], [*cuts, frames], strict=True))
    fmt = FORMATS["mp3"]
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool, dest.open("wb") as out:
        results = pool.map(lambda b: _encode_piece(pcm_path, rate, b[0], b[1], fmt, bitrate), bounds)
        for data in results:
            out.write(data)
