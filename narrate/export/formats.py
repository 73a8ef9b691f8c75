"""The audio formats narrate writes: container, codec, MIME type. Light to import."""

from __future__ import annotations

from dataclasses import dataclass

from narrate.errors import UsageError


@dataclass(frozen=True)
class Format:
    name: str
    suffix: str
    mime: str
    muxer: str
    codec_args: tuple[str, ...]
    uses_bitrate: bool = True
    only_rate: int | None = None  # the one sample rate the codec accepts

    def rate(self, wanted: int) -> int:
        return self.only_rate or wanted


FORMATS = {
    "mp3": Format(
        "mp3", ".mp3", "audio/mpeg", "mp3",
        ("-c:a", "libmp3lame", "-compression_level", "7", "-write_id3v2", "0"),
    ),
    "m4a": Format("m4a", ".m4a", "audio/mp4", "ipod", ("-c:a", "aac", "-movflags", "+faststart")),
    "ogg": Format("ogg", ".ogg", "audio/ogg", "ogg", ("-c:a", "libopus"), only_rate=48000),
    "opus": Format("opus", ".opus", "audio/ogg", "ogg", ("-c:a", "libopus"), only_rate=48000),
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


