"""The piper engine: the adapter against a stand-in piper module, and the real thing only
when piper-tts and a voice model are present (NARRATE_PIPER_MODEL=path/to/voice.onnx)."""

from __future__ import annotations

import os
import sys
import types
from dataclasses import dataclass
from pathlib import Path

import pytest

from narrate.engines.base import VoiceSettings
from narrate.engines.piper import PiperEngine, speakable
from narrate.errors import DependencyError, EngineError, UsageError
from narrate.synthesis import plausible


@dataclass
class FakeChunk:
    sample_rate: int
    audio_int16_bytes: bytes


class FakeVoice:
    spoken: list[str] = []

    def __init__(self) -> None:
        self.config = types.SimpleNamespace(sample_rate=22050, length_scale=1.0, espeak_voice="en-us")

    @classmethod
    def load(cls, model: Path, config_path: Path) -> FakeVoice:
        return cls()

    def synthesize(self, text: str, syn_config: object) -> list[FakeChunk]:
        self.spoken.append(text)
        return [FakeChunk(22050, b"\x01\x00" * 22050), FakeChunk(22050, b"\x02\x00" * 11025)]


@dataclass
class FakeSynthesisConfig:
    length_scale: float
    volume: float


@pytest.fixture
def fake_piper(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    module = types.ModuleType("piper")
    module.PiperVoice = FakeVoice  # type: ignore[attr-defined]
    module.SynthesisConfig = FakeSynthesisConfig  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "piper", module)
    model = tmp_path / "voice.onnx"
    model.write_bytes(b"model")
    model.with_name("voice.onnx.json").write_text('{"audio": {"sample_rate": 22050}}')
    return model


def test_chunks_are_joined_into_one_clip(fake_piper: Path) -> None:
    engine = PiperEngine.load(VoiceSettings(voice=str(fake_piper)))
    clip = engine.synthesize("Some [[ h @ l oU ]] text.")
    assert (clip.sample_rate, clip.frames) == (22050, 22050 + 11025)
    assert "[[" not in FakeVoice.spoken[-1] and "h @ l oU" in FakeVoice.spoken[-1]
    assert engine.voices()[0].id == str(fake_piper)


def test_rate_scales_the_models_own_length(fake_piper: Path) -> None:
    fast = PiperEngine.load(VoiceSettings(voice=str(fake_piper), rate=350))
    assert fast._syn_config.length_scale == pytest.approx(0.5)


def test_the_voice_must_be_a_model_file(fake_piper: Path) -> None:
    with pytest.raises(UsageError, match="--voice path/to/voice.onnx"):
        PiperEngine.load(VoiceSettings())
    with pytest.raises(UsageError, match="unknown voice"):
        PiperEngine.load(VoiceSettings(voice=str(fake_piper.with_name("missing.onnx"))))
    fake_piper.with_name("voice.onnx.json").unlink()
    with pytest.raises(UsageError, match="no config beside it"):
        PiperEngine.load(VoiceSettings(voice=str(fake_piper)))


def test_no_audio_is_an_error(fake_piper: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = PiperEngine.load(VoiceSettings(voice=str(fake_piper)))
    monkeypatch.setattr(FakeVoice, "synthesize", lambda self, text, syn_config: [])
    with pytest.raises(EngineError, match="no audio"):
        engine.synthesize("Silence.")


def test_missing_package_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "piper", None)
    with pytest.raises(DependencyError, match=r"pip install 'narrate\[piper\]'"):
        PiperEngine.load(VoiceSettings(voice="voice.onnx"))


def test_speakable_breaks_every_phoneme_marker() -> None:
    assert speakable("a [[[b]]] c\n d") == "a [ [ [b] ] ] c d"


@pytest.mark.skipif(not os.environ.get("NARRATE_PIPER_MODEL"), reason="no piper voice model")
def test_real_piper_voice() -> None:
    pytest.importorskip("piper")
    settings = VoiceSettings(voice=os.environ["NARRATE_PIPER_MODEL"])
    engine = PiperEngine.load(settings)
    text = "The ferry leaves at nine. Passengers should arrive early."
    clip = engine.synthesize(text)
    assert clip.sample_rate == engine.sample_rate
    assert plausible(text, clip.duration_ms, settings.rate)
    assert PiperEngine.identity(settings).startswith("piper ")
