"""The Engine protocol and the registry that finds engines through entry points.

An engine is loaded once per process (``Engine.load(settings)``), then asked to
``synthesize(text)`` many times; each call returns a self-describing ``Clip``.
Built-in engines register under the ``narrate.engines`` entry-point group exactly as a
third-party package would, so the pipeline never names a concrete engine.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Protocol

from narrate.errors import UsageError
from narrate.models import Clip

ENTRY_POINT_GROUP = "narrate.engines"


@dataclass(frozen=True)
class VoiceSettings:
    """How the engine should speak. ``rate`` is in words per minute, ``volume`` 0–1."""

    voice: str | None = None
    rate: int = 175
    pitch: int = 50
    volume: float = 1.0


@dataclass(frozen=True)
class VoiceInfo:
    """One voice an engine offers. The fields after ``languages`` are filled in by engines
    that know them (Piper voices carry a model card); 0 and "" mean "not said"."""

    id: str
    name: str
    languages: tuple[str, ...] = ()
    quality: str = ""
    sample_rate: int = 0
    speakers: int = 0
    licence: str = ""


class Engine(Protocol):
    name: ClassVar[str]
    # Optional: True when every wait inside the engine has its own deadline, so that a
    # sentence or two may be spoken in the main process (where no timeout applies).
    # Other engines always run in worker processes, under the per-sentence timeout.
    # Optional: ``rate_hint: ClassVar[int]``, the sample rate its clips usually have, so
    # that measuring can start before the first clip (the first clip's rate decides).
    # Optional: ``model_stamp(settings) -> str`` (classmethod), a cheap stamp of the voice
    # model's files (size and mtime, no hashing): part of the up-to-date fingerprint, so
    # that replacing a model re-makes the narrations it spoke.

    @classmethod
    def load(cls, settings: VoiceSettings) -> Engine:
        """Initialise the engine once (raises DependencyError when it cannot run here)."""

    @classmethod
    def identity(cls, settings: VoiceSettings) -> str:
        """Engine name and version, cheaply (no initialisation): part of every cache key."""

    def voices(self) -> list[VoiceInfo]: ...

    def synthesize(self, text: str) -> Clip: ...

    def close(self) -> None: ...


def entry_points(group: str) -> Any:
    """The installed entry points of ``group`` (importlib.metadata costs ~20 ms to import:
    only when an engine is wanted)."""
    from importlib import metadata

    return metadata.entry_points(group=group)


def installed_version(package: str) -> str:
    """The installed version of ``package``, read from its ``.dist-info`` folder's name
    beside it (importlib.metadata reads the same folder, but importing it costs ~23 ms
    before the first sentence); importlib.metadata when the folder is not there."""
    spec = importlib.util.find_spec(package)
    if spec is not None and spec.origin:
        site = Path(spec.origin).resolve().parent.parent
        found = sorted(site.glob(f"{package}-*.dist-info"))
        if len(found) == 1:
            return found[0].name[len(package) + 1 : -len(".dist-info")]
    from importlib import metadata

    return metadata.version(package)


def engine_names() -> list[str]:
    return sorted(ep.name for ep in entry_points(group=ENTRY_POINT_GROUP))


# The engines narrate ships, as registered in pyproject.toml's entry points (a test keeps
# the two the same): found without reading every installed package's metadata, which
# costs ~22 ms before the first sentence can be spoken.
SHIPPED = {
    "pyttsx3": "narrate.engines.pyttsx3_engine:Pyttsx3Engine",
    "espeak": "narrate.engines.espeak:EspeakEngine",
    "flite": "narrate.engines.flite:FliteEngine",
    "festival": "narrate.engines.festival:FestivalEngine",
    "piper": "narrate.engines.piper:PiperEngine",
}


# Other names users reach for: the program's own name for an engine.
ALIASES = {"espeak-ng": "espeak"}


def canonical_name(name: str) -> str:
    """``name`` as registered (``espeak-ng`` → ``espeak``)."""
    return ALIASES.get(name, name)


def engine_class(name: str) -> type[Engine]:
    """The class registered as ``name`` (or an alias of it); a UsageError lists the valid names."""
    name = canonical_name(name)
    if name in SHIPPED:
        module, attribute = SHIPPED[name].split(":")
        shipped: type[Engine] = getattr(importlib.import_module(module), attribute)
        return shipped
    matches = [ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name == name]
    if not matches:
        known = ", ".join(engine_names()) or "none installed"
        raise UsageError(f"unknown engine {name!r}; available engines: {known}")
    cls: type[Engine] = matches[0].load()
    return cls


def load_engine(name: str, settings: VoiceSettings) -> Engine:
    return engine_class(name).load(settings)
