"""The request bodies the API takes (pydantic models: validation and the OpenAPI docs)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Options(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: Literal["mp3", "m4a", "ogg", "opus", "wav", "flac"] | None = None
    captions: list[Literal["vtt", "srt"]] | None = None
    word_timings: bool | None = None
    disclaimer: bool | None = Field(default=None, description="false: leave the AI-voice disclaimer out")


class ArticleIn(BaseModel):
    """Exactly one of ``text``, ``markdown`` or ``html``, plus metadata over what the
    article says, an optional voice profile and options."""

    model_config = ConfigDict(extra="forbid")

    text: str | None = None
    markdown: str | None = None
    html: str | None = None
    title: str | None = None
    author: str | None = None
    date: str | None = None
    url: str | None = None
    publication: str | None = None
    profile: str | None = Field(None, description="a voice profile name (voices/<name>.toml)")
    options: Options = Options()
    webhook_url: str | None = Field(None, description="POSTed to when the job ends (else the key's)")

    @field_validator("webhook_url")
    @classmethod
    def _http_only(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value
