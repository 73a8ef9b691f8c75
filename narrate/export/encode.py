"""PCM → an audio file, with ffmpeg. One home for every ffmpeg call that writes audio."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from narrate.errors import DependencyError, EncodeError, UsageError

FFMPEG_HINT = "install it with: apt-get install ffmpeg"


@dataclass(frozen=True)
class Format:
    name: str
    suffix: str
    mime: str
    muxer: str
    codec_args: tuple[str, ...]
    uses_bitrate: bool = True


FORMATS = {
    "mp3": Format(
        "mp3", ".mp3", "audio/mpeg", "mp3",
        ("-c:a", "libmp3lame", "-compression_level", "7", "-write_id3v2", "0"),
    ),
    "m4a": Format("m4a", ".m4a", "audio/mp4", "ipod", ("-c:a", "aac", "-movflags", "+faststart")),
    "ogg": Format("ogg", ".ogg", "audio/ogg", "ogg", ("-c:a", "libopus")),
    "opus": Format("opus", ".opus", "audio/ogg", "ogg", ("-c:a", "libopus")),
    "wav": Format("wav", ".wav", "audio/wav", "wav", ("-c:a", "pcm_s16le"), uses_bitrate=False),
    "flac": Format("flac", ".flac", "audio/flac", "flac", ("-c:a", "flac"), uses_bitrate=False),
}


def format_for(name: str) -> Format:
    try:
        return FORMATS[name.lower().lstrip(".")]
    except KeyError:
        raise UsageError(
            f"unknown audio format {name!r}; choose one of: {', '.join(FORMATS)}"
        ) from None


def ffmpeg() -> str:
    path = shutil.which("ffmpeg")
    if path is None:
        raise DependencyError(f"ffmpeg is missing; {FFMPEG_HINT}")
    return path


def encode(
    pcm: bytes,
    in_rate: int,
    dest: Path,
    fmt: Format,
    *,
    bitrate: str = "96k",
    out_rate: int = 44100,
    filters: str | None = None,
    metadata: Path | None = None,
) -> str:
    """Encode mono s16le ``pcm`` at ``in_rate`` into ``dest`` (any name: the muxer is
    explicit). ``filters`` is applied on the way; the output is also run through an
    EBU R128 meter, and ffmpeg's log (holding the meter's summary) is returned.
    ``metadata`` is an ffmetadata file (tags and chapters) for formats whose tags ffmpeg
    writes."""
    graph = f"{filters or 'anull'},asplit[out][meter];[meter]ebur128=peak=true[measured]"
    cmd = [
        ffmpeg(), "-hide_banner", "-nostdin", "-nostats", "-y",
        "-f", "s16le", "-ar", str(in_rate), "-ac", "1", "-i", "pipe:0",
    ]
    if metadata is not None:
        cmd += ["-f", "ffmetadata", "-i", str(metadata), "-map_metadata", "1", "-map_chapters", "1"]
    cmd += ["-filter_complex", graph, "-map", "[out]"]
    cmd += ["-ar", str(out_rate), "-ac", "1", *fmt.codec_args]
    if fmt.uses_bitrate:
        cmd += ["-b:a", bitrate]
    cmd += ["-f", fmt.muxer, str(dest), "-map", "[measured]", "-f", "null", "-"]
    try:
        result = subprocess.run(cmd, input=pcm, capture_output=True, check=False)
    except OSError as exc:
        raise EncodeError(f"could not run ffmpeg: {exc}", command=cmd) from None
    stderr = result.stderr.decode("utf-8", "replace")
    if result.returncode != 0:
        errors = [ln for ln in stderr.splitlines() if "rror" in ln] or stderr.strip().splitlines()
        last = errors[-1] if errors else f"exit status {result.returncode}"
        raise EncodeError(f"ffmpeg failed to encode {fmt.name}: {last}", command=cmd, stderr=stderr)
    return stderr
