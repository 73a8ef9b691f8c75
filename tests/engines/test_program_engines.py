"""espeak, flite and festival with their real programs: real audio, real failures."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from narrate.engines.base import Engine, VoiceSettings, engine_class, engine_names
from narrate.errors import DependencyError, UsageError
from narrate.synthesis import Synthesizer, plausible

from .conftest import BUILT_IN, available, engine_params

TWO_SENTENCES = "The ferry leaves at nine. Passengers should arrive twenty minutes early."
VALID_VOICE = {"espeak": "en-us", "flite": "slt", "festival": "cmu_us_slt_arctic_hts"}
INSTALL_LINE = {
    "espeak": "apt-get install espeak-ng",
    "flite": "apt-get install flite",
    "festival": "apt-get install festival",
}


@pytest.fixture(scope="module", params=engine_params())
def loaded(request: pytest.FixtureRequest) -> Iterator[tuple[str, Engine]]:
    """Each engine loaded once for the module (festival takes a moment to start)."""
    name = request.param
    cls = engine_class_direct(name)
    engine = cls.load(VoiceSettings())
    yield name, engine
    engine.close()


def engine_class_direct(name: str) -> type[Engine]:
    module, _, attr = BUILT_IN[name][0].partition(":")
    cls: type[Engine] = getattr(__import__(module, fromlist=[attr]), attr)
    return cls


def test_speaks_two_sentences_at_its_stated_sample_rate(loaded: tuple[str, Engine]) -> None:
    name, engine = loaded
    clip = engine.synthesize(TWO_SENTENCES)
    assert clip.frames > 0 and (clip.sample_width, clip.channels) == (2, 1)
    assert clip.sample_rate == getattr(engine, "sample_rate", None) == BUILT_IN[name][2]
    assert plausible(TWO_SENTENCES, clip.duration_ms, VoiceSettings().rate), clip.duration_ms


def test_identity_names_engine_and_version(loaded: tuple[str, Engine]) -> None:
    name, engine = loaded
    identity = type(engine).identity(VoiceSettings())
    assert identity.startswith(name) and re.search(r"\d+\.\d+", identity)


def test_voices_include_the_default(loaded: tuple[str, Engine]) -> None:
    name, engine = loaded
    assert VALID_VOICE[name] in {v.id for v in engine.voices()}


def test_quotes_brackets_and_backslashes_are_just_text(loaded: tuple[str, Engine]) -> None:
    _, engine = loaded
    text = 'He said "stop\\" (voice_nosuch) -v --help [[ h @ l oU ]] now.'
    assert engine.synthesize(text).frames > 0


def test_prints_nothing_on_stdout(loaded: tuple[str, Engine], capfd: pytest.CaptureFixture[str]) -> None:
    _, engine = loaded
    engine.synthesize("Nothing on standard output.")
    assert capfd.readouterr().out == ""


@pytest.mark.parametrize("name", engine_params())
def test_a_faster_rate_makes_shorter_audio(name: str) -> None:
    cls = engine_class_direct(name)
    durations = []
    for rate in (110, 175, 280):
        engine = cls.load(VoiceSettings(rate=rate))
        try:
            clip = engine.synthesize(TWO_SENTENCES)
        finally:
            engine.close()
        assert plausible(TWO_SENTENCES, clip.duration_ms, rate), (rate, clip.duration_ms)
        durations.append(clip.duration_ms)
    assert durations[0] > 1.2 * durations[1] > 1.2 * 1.2 * durations[2], durations


@pytest.mark.parametrize("name", engine_params())
def test_an_unknown_voice_names_valid_ones(name: str) -> None:
    with pytest.raises(UsageError) as err:
        engine_class_direct(name).load(VoiceSettings(voice=VALID_VOICE[name] + "x"))
    message = str(err.value)
    assert "unknown voice" in message and VALID_VOICE[name] in message
    assert f"narrate voices --engine {name}" in message


@pytest.mark.parametrize("name", list(BUILT_IN))
def test_a_missing_program_says_how_to_install_it(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "")
    cls = engine_class_direct(name)
    for attempt in (cls.load, cls.identity):
        with pytest.raises(DependencyError, match=re.escape(INSTALL_LINE[name])):
            attempt(VoiceSettings())


@pytest.mark.usefixtures("registered")
@pytest.mark.parametrize("name", engine_params())
def test_registry_and_synthesizer_run_the_engine(name: str) -> None:
    assert name in engine_names()
    texts = ["First, a short one.", "Then a second sentence, a little longer than the first."]
    settings = VoiceSettings(voice=VALID_VOICE[name])
    with Synthesizer(name, settings, jobs=0) as synthesizer:
        clips = synthesizer.synthesize_all(texts)
    assert [c.sample_rate for c in clips] == [BUILT_IN[name][2]] * 2
    assert clips[1].duration_ms > clips[0].duration_ms
    assert synthesizer.stats.retries == 0
    assert engine_class(name).__name__ == engine_class_direct(name).__name__


def test_temporary_files_are_removed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    for name in ("flite", "festival"):
        if not available(name):
            continue
        engine = engine_class_direct(name).load(VoiceSettings())
        engine.synthesize("One more sentence.")
        engine.close()
    assert list(tmp_path.iterdir()) == []


def test_shipped_engines_are_the_ones_registered_as_entry_points() -> None:
    """engine_class() finds the shipped engines without reading every package's metadata:
    its list must be exactly what pyproject.toml registers."""
    import tomllib

    from narrate.engines.base import SHIPPED

    pyproject = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())
    assert pyproject["project"]["entry-points"]["narrate.engines"] == SHIPPED
    for name, target in SHIPPED.items():
        module, attribute = target.split(":")
        assert engine_class(name).__module__ == module and engine_class(name).__name__ == attribute


@pytest.mark.parametrize("package", ["pyttsx3", "pydub", "click", "mutagen"])
def test_installed_version_reads_what_importlib_metadata_reads(package: str) -> None:
    from importlib.metadata import version

    from narrate.engines.base import installed_version

    assert installed_version(package) == version(package)
