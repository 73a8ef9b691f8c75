"""Settings: built-in defaults < voice profile (voices/<name>.toml) < command-line flags.

Everything the pipeline needs to know about *how* to narrate is in one frozen
``Settings`` value; the CLI builds it, the library only reads it.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from narrate.engines.base import VoiceSettings, canonical_name
from narrate.errors import ConfigError
from narrate.settings_schema import check_cover, check_profile

DEFAULT_DISCLAIMER = "Voice is AI-generated. Inconsistencies may occur."


@dataclass(frozen=True)
class Pauses:
    """Silence in milliseconds after each kind of utterance."""

    sentence: int = 350
    paragraph: int = 750
    heading: int = 650
    disclaimer: int = 900


@dataclass(frozen=True)
class Disclaimer:
    enabled: bool = True
    text: str = DEFAULT_DISCLAIMER
    clip: Path | None = None  # a publisher's own recording; wins over ``text``


@dataclass(frozen=True)
class Output:
    format: str = "mp3"
    bitrate: str = "96k"
    sample_rate: int = 44100
    loudness: float = -16.0  # integrated LUFS target; true peak stays ≤ −1 dBTP
    captions: tuple[str, ...] = ("vtt",)  # any of vtt, srt
    word_timings: bool = False  # also <stem>.words.vtt, one cue per word
    cover: Path | None = None
    player: bool = False  # also <stem>.html: the read-along page (narrate.readalong.page)
    epub: bool = False  # also <stem>.epub: an EPUB 3 with a Media Overlay (narrate.readalong.epub)


@dataclass(frozen=True)
class Signing:
    """The publisher's C2PA signing certificate chain and private key (PEM files); without
    them an output is marked by its tags and XMP but not signed (README, "Disclosure")."""

    cert: Path | None = None
    key: Path | None = None

    @property
    def enabled(self) -> bool:
        return self.cert is not None and self.key is not None


ROLES = ("title", "heading", "quote", "disclaimer")  # kinds of utterance a profile may voice apart


@dataclass(frozen=True)
class Role:
    """Another voice for one kind of utterance (``[roles.title]`` in a profile): what is
    not set is the main voice's (another engine starts from its own default voice)."""

    engine: str | None = None
    voice: str | None = None
    rate: int | None = None


@dataclass(frozen=True)
class Settings:
    profile: str = "default"
    engine: str = "pyttsx3"
    voice: VoiceSettings = field(default_factory=VoiceSettings)
    pauses: Pauses = field(default_factory=Pauses)
    disclaimer: Disclaimer = field(default_factory=Disclaimer)
    output: Output = field(default_factory=Output)
    max_utterance_chars: int = 300
    lexicons: tuple[Path, ...] = ()  # over the shipped default, later files win
    read_acronym_asides: bool = True  # "Collective Security Treaty Organization (CSTO)": read "(CSTO)"
    jobs: int | None = None  # None: one worker per core (see resolved())
    cache: bool = True
    roles: tuple[tuple[str, Role], ...] = ()  # (kind, its own voice), see voice_for()
    signing: Signing = field(default_factory=Signing)

    def voice_for(self, kind: str) -> tuple[str, VoiceSettings]:
        """The engine and voice that speak an utterance of ``kind``."""
        role = dict(self.roles).get(kind)
        if role is None:
            return self.engine, self.voice
        engine = canonical_name(role.engine) if role.engine else self.engine
        voice = self.voice if engine == self.engine else replace(self.voice, voice=None)
        if role.voice is not None:
            voice = replace(voice, voice=role.voice)
        if role.rate is not None:
            voice = replace(voice, rate=role.rate)
        return engine, voice

    def resolved(self, format_name: str) -> Settings:
        """The settings one narration runs with: the output format it was given (a flag,
        -o's extension or the profile's) and a worker count that is a number."""
        jobs = default_jobs() if self.jobs is None else self.jobs
        return replace(self, jobs=jobs, output=replace(self.output, format=format_name))


def default_jobs() -> int:
    """Workers when none are asked for: one per core. The one place this is decided."""
    return os.cpu_count() or 1


def profile_dirs() -> list[Path]:
    """Where ``--profile NAME`` is looked up: $NARRATE_VOICES, ./voices, the project's voices/."""
    dirs = []
    if env := os.environ.get("NARRATE_VOICES"):
        dirs.append(Path(env))
    dirs.append(Path.cwd() / "voices")
    dirs.append(Path(__file__).resolve().parent.parent / "voices")
    return dirs


def find_profile(name_or_path: str) -> Path:
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml" or os.sep in name_or_path:
        if candidate.is_file():
            return candidate
        raise ConfigError(f"voice profile {name_or_path}: no such file")
    for folder in profile_dirs():
        path = folder / f"{name_or_path}.toml"
        if path.is_file():
            return path
    known = sorted({p.stem for d in profile_dirs() if d.is_dir() for p in d.glob("*.toml")})
    raise ConfigError(f"unknown voice profile {name_or_path!r}; known profiles: {', '.join(known)}")


def _section(cls: type, values: Any, where: str) -> Any:
    if not isinstance(values, dict):
        raise ConfigError(f"{where}: expected a table")
    names = {f.name for f in fields(cls)}
    unknown = set(values) - names
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    try:
        return cls(**values)
    except TypeError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def load_profile(name_or_path: str = "default") -> Settings:
    path = find_profile(name_or_path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"voice profile {path}: {exc}") from None
    check_profile(data, path)  # types and ranges, before anything is built from them
    voice_keys = {"voice", "rate", "pitch", "volume"}
    voice = _section(VoiceSettings, {k: data.pop(k) for k in voice_keys & set(data)}, str(path))
    pauses = _section(Pauses, data.pop("pauses", {}), f"{path} [pauses]")
    disclaimer_data = dict(data.pop("disclaimer", {}))
    if "clip" in disclaimer_data:
        disclaimer_data["clip"] = (path.parent / disclaimer_data["clip"]).resolve()
    disclaimer = _section(Disclaimer, disclaimer_data, f"{path} [disclaimer]")
    output_data = dict(data.pop("output", {}))
    if "captions" in output_data:
        output_data["captions"] = tuple(output_data["captions"])
    if "cover" in output_data:
        output_data["cover"] = check_cover((path.parent / output_data["cover"]).resolve(), f"{path}: cover")
    output = _section(Output, output_data, f"{path} [output]")
    engine = canonical_name(str(data.pop("engine", "pyttsx3")))
    lexicons = tuple((path.parent / p).resolve() for p in data.pop("lexicons", []))
    roles = _roles(data.pop("roles", {}), path)
    signing = _section(Signing, {k: (path.parent / v).resolve() for k, v in data.pop("signing", {}).items()},
                       f"{path} [signing]")
    rest = _section(_Rest, data, str(path))
    return Settings(
        profile=path.stem,
        engine=engine,
        voice=voice,
        pauses=pauses,
        disclaimer=disclaimer,
        output=output,
        max_utterance_chars=rest.max_utterance_chars,
        read_acronym_asides=rest.read_acronym_asides,
        lexicons=lexicons,
        roles=roles,
        signing=check_signing(signing, f"voice profile {path}: [signing]"),
    )


def _roles(data: Any, path: Path) -> tuple[tuple[str, Role], ...]:
    if not isinstance(data, dict):
        raise ConfigError(f"{path} [roles]: expected a table")
    unknown = sorted(set(data) - set(ROLES))
    if unknown:
        raise ConfigError(f"{path} [roles]: unknown role(s) {', '.join(unknown)}; roles: {', '.join(ROLES)}")
    return tuple((kind, _section(Role, data[kind], f"{path} [roles.{kind}]"))
                 for kind in ROLES if kind in data)


@dataclass(frozen=True)
class _Rest:
    max_utterance_chars: int = 300
    read_acronym_asides: bool = True


def override(settings: Settings, **flags: Any) -> Settings:
    """Apply command-line flags (None means "not given") on top of a profile.

    A profile's voice belongs to the profile's engine: ``--engine`` naming another engine
    without ``--voice`` means that engine's own default voice."""
    if flags.get("engine") is not None:
        flags["engine"] = canonical_name(flags["engine"])
        if flags["engine"] != settings.engine and flags.get("voice") is None:
            settings = replace(settings, voice=replace(settings.voice, voice=None))
    voice = replace(
        settings.voice,
        **{k: flags.pop(k) for k in ("voice", "rate", "pitch", "volume") if flags.get(k) is not None},
    )
    disclaimer = settings.disclaimer
    if flags.pop("no_disclaimer", False):
        disclaimer = replace(disclaimer, enabled=False)
    if (text := flags.pop("disclaimer_text", None)) is not None:
        disclaimer = replace(disclaimer, text=text, clip=None)
    if (clip := flags.pop("disclaimer_clip", None)) is not None:
        disclaimer = replace(disclaimer, clip=Path(clip))
    if flags.get("cover") is not None:
        flags["cover"] = check_cover(Path(flags["cover"]))
    output = replace(
        settings.output,
        **{
            k: flags.pop(k)
            for k in ("format", "bitrate", "sample_rate", "loudness", "captions", "word_timings", "cover",
                      "player", "epub")
            if flags.get(k) is not None
        },
    )
    rest = {k: v for k, v in flags.items() if v is not None and k in {"engine", "jobs", "cache"}}
    if flags.get("lexicon"):
        rest["lexicons"] = settings.lexicons + tuple(Path(p) for p in flags["lexicon"])
    if flags.get("skip_acronym_asides"):
        rest["read_acronym_asides"] = False
    cert, key = flags.get("sign_cert"), flags.get("sign_key")
    if cert is not None or key is not None:
        signing = replace(settings.signing, **{name: Path(value) for name, value in
                                               (("cert", cert), ("key", key)) if value is not None})
        rest["signing"] = check_signing(signing, "--sign-cert/--sign-key")
    return replace(settings, voice=voice, disclaimer=disclaimer, output=output, **rest)


def check_signing(signing: Signing, where: str) -> Signing:
    """Both files or neither, and both readable."""
    if (signing.cert is None) != (signing.key is None):
        raise ConfigError(f"{where}: signing needs both a certificate chain and its private key")
    for path in (signing.cert, signing.key):
        if path is not None and not os.access(path, os.R_OK):
            raise ConfigError(f"{where}: cannot read {path}")
    return signing
