"""Each shipped profile narrates the same article end to end; the MP3 is decoded and checked."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from audio_tools import decode, probe
from conftest import DATA
from narrate.config import load_profile

from .conftest import available

PROFILES = {"espeak": "espeak", "flite-slt": "flite", "festival-slt": "festival"}


@pytest.mark.usefixtures("registered")
@pytest.mark.parametrize(
    "profile",
    [
        pytest.param(p, marks=pytest.mark.skipif(not available(e), reason=f"{e} not installed"))
        for p, e in PROFILES.items()
    ],
)
def test_profile_narrates_an_article(profile: str, tmp_path: Path) -> None:
    from narrate.pipeline import narrate_file  # here: a broken pipeline fails this test only

    settings = load_profile(profile)
    assert settings.engine == PROFILES[profile]
    result = narrate_file(
        str(DATA / "reservoir.txt"), replace(settings, jobs=0, cache=False), tmp_path / "out.mp3"
    )
    stream = probe(result.audio)["streams"][0]
    assert (stream["codec_name"], stream["sample_rate"]) == ("mp3", "44100")
    decoded_ms = 1000 * len(decode(result.audio)) / 22050
    assert 30_000 < decoded_ms < 120_000
    assert abs(decoded_ms - result.duration_ms) < 0.1 * result.duration_ms
    manifest = json.loads(result.manifest.read_text())
    assert PROFILES[profile] in json.dumps(manifest)
