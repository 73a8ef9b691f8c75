"""Helpers for the engine tests: which engines can run here, and a registry that knows
them even before their entry points are installed."""

from __future__ import annotations

import shutil
from importlib.metadata import EntryPoint, EntryPoints

import pytest

from narrate.engines import base

# name → (entry point target, program it drives, its own sample rate with the default voice)
BUILT_IN = {
    "espeak": ("narrate.engines.espeak:EspeakEngine", "espeak-ng", 22050),
    "flite": ("narrate.engines.flite:FliteEngine", "flite", 16000),
    "festival": ("narrate.engines.festival:FestivalEngine", "festival", 32000),
}


def available(name: str) -> bool:
    return shutil.which(BUILT_IN[name][1]) is not None


def engine_params() -> list[object]:
    """One pytest param per program-driven engine, skipped only when its program is absent."""
    return [
        pytest.param(
            name,
            marks=pytest.mark.skipif(not available(name), reason=f"{program} is not installed"),
        )
        for name, (_, program, _) in BUILT_IN.items()
    ]


@pytest.fixture
def registered(monkeypatch: pytest.MonkeyPatch) -> None:
    """The ``narrate.engines`` group as installed, plus these engines if not yet listed."""
    installed = list(base.entry_points(group=base.ENTRY_POINT_GROUP))
    names = {ep.name for ep in installed}
    extra = [
        EntryPoint(name, target, base.ENTRY_POINT_GROUP)
        for name, (target, _, _) in BUILT_IN.items()
        if name not in names
    ]
    everything = EntryPoints([*installed, *extra])
    monkeypatch.setattr(base, "entry_points", lambda group: everything.select(group=group))
