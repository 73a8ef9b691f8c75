"""The audio formats narrate writes: container, codec, MIME type. Light to import."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from narrate.errors import UsageError
from narrate.export import lame


@dataclass(frozen=True)
class Format:
    name: str
    suffix: str
    mime: str
    muxer: str
    codec_args: tuple[str, ...]
    uses_bitrate: bool = True
    only_rate: int | None = None  # the one sample rate the codec accepts
    encoder: Callable[[int, int, str], list[str]] | None = None  # (rate, out_rate, bitrate) → args

    def rate(self, wanted: int) -> int:
        return self.only_rate or wanted

    def codec(self, rate: int, out_rate: int, bitrate: str) -> list[str]:
        """ffmpeg's encoder arguments for PCM made at ``rate``, written at ``out_rate``."""
        if self.encoder is not None:
            return self.encoder(rate, out_rate, bitrate)
        bits = ["-b:a", bitrate] if self.uses_bitrate else []
        return ["-ar", str(out_rate), "-ac", "1", *self.codec_args, *bits]


FORMATS = {
    "mp3": Format("mp3", ".mp3", "audio/mpeg", "mp3", lame.CODEC_ARGS, encoder=lame.encoder_args),
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


