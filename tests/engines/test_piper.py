"""The piper engine with the real model (make test installs narrate[neural]): voices by
name, clips checked against their phonemes, lexicon phonemes as IPA, word timings from
the model's alignments, the cache key and the thread setting."""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from narrate.engines import piper_voices
from narrate.engines.base import VoiceSettings
from narrate.engines.piper import PiperEngine, speakable, to_ipa
from narrate.engines.piper_align import phoneme_words, words_from_spans
from narrate.errors import DependencyError, SuspectClip, UsageError
from narrate.models import Block, Document
from narrate.synthesis import Synthesizer, plausible

TEXT = "The ferry leaves at nine. Passengers should arrive twenty-one minutes early."


@pytest.fixture(scope="module")
def joe() -> Iterator[PiperEngine]:
    """The installed voice, loaded once for the module."""
    pytest.importorskip("piper", reason="make test installs narrate[neural]")
    engine = PiperEngine.load(VoiceSettings(voice="joe"))
    yield engine
    engine.close()


@pytest.fixture
def voice_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """$NARRATE_VOICES with one loose voice (not a real model: found, not loaded)."""
    monkeypatch.setenv("NARRATE_VOICES", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "en_GB-alba-medium.onnx").write_bytes(b"not really a model")
    (tmp_path / "en_GB-alba-medium.onnx.json").write_text(
        '{"audio": {"sample_rate": 22050, "quality": "medium"}, "num_speakers": 1,'
        ' "language": {"code": "en_GB"}, "espeak": {"voice": "en-gb"}}')
    return tmp_path


# -- voices by name -------------------------------------------------------------------
def test_the_installed_voice_answers_to_both_names(joe: PiperEngine) -> None:
    assert piper_voices.find_voice("joe").model == piper_voices.find_voice("en_US-joe-medium").model
    assert piper_voices.find_voice(None).short == "joe"  # the default
    assert joe.files.name == "en_US-joe-medium" and joe.sample_rate == 22050


def test_voices_list_language_quality_rate_speakers_and_licence(voice_folder: Path) -> None:
    listed = {v.id: v for v in PiperEngine.installed_voices()}
    joe = listed["joe"]
    assert (joe.name, joe.languages, joe.quality, joe.sample_rate, joe.speakers, joe.licence) == (
        "en_US-joe-medium", ("en_US",), "medium", 22050, 1, "CC0")
    assert listed["alba"].languages == ("en_GB",) and listed["alba"].licence == ""
    assert piper_voices.find_voice("ALBA").origin == str(voice_folder)


def test_an_unknown_voice_lists_the_installed_ones(voice_folder: Path) -> None:
    with pytest.raises(UsageError, match=r"unknown voice 'amy'.*joe \(en_US-joe-medium\).*alba"):
        piper_voices.find_voice("amy")
    with pytest.raises(UsageError, match="missing.onnx: no such file"):
        piper_voices.find_voice(str(voice_folder / "missing.onnx"))
    with pytest.raises(UsageError, match="not an .onnx model"):
        piper_voices.find_voice(str(voice_folder / "en_GB-alba-medium.onnx.json"))
    (voice_folder / "en_GB-alba-medium.onnx.json").unlink()
    with pytest.raises(UsageError, match="no config beside it"):
        piper_voices.find_voice(str(voice_folder / "en_GB-alba-medium.onnx"))


def test_no_voice_installed_says_how_to_install_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(piper_voices, "installed", lambda: [])
    with pytest.raises(UsageError, match=r"pip install 'narrate\[neural\]'"):
        piper_voices.find_voice(None)


def test_missing_runtime_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "piper", None)
    with pytest.raises(DependencyError, match=r"pip install 'narrate\[neural\]'"):
        PiperEngine.load(VoiceSettings(voice="joe"))


def test_the_cache_key_covers_the_models_bytes(voice_folder: Path) -> None:
    pytest.importorskip("piper")
    settings = VoiceSettings(voice="alba")
    before = PiperEngine.identity(settings)
    model = voice_folder / "en_GB-alba-medium.onnx"
    model.write_bytes(b"not really a model either")  # same name, other weights
    assert PiperEngine.identity(settings) != before and before.startswith("piper 1.")


# -- speaking -------------------------------------------------------------------------
def test_speaks_at_its_rate_with_a_word_for_every_word(joe: PiperEngine) -> None:
    clip = joe.synthesize(TEXT)
    assert clip.sample_rate == 22050 and plausible(TEXT, clip.duration_ms, 175)
    assert [w.text for w in clip.words] == TEXT.split()
    starts = [w.start_ms for w in clip.words]
    assert starts == sorted(starts) and clip.words[-1].end_ms <= clip.duration_ms
    samples = np.frombuffer(clip.pcm, "<i2").astype(np.float64)
    for word in clip.words:  # each word's span holds speech
        span = samples[word.start_ms * 22 : max(word.end_ms, word.start_ms + 1) * 22]
        assert np.sqrt((span**2).mean()) > 300, word


def test_threads_are_set_deliberately(joe: PiperEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    options = joe._voice.session.get_session_options()
    assert options.intra_op_num_threads == PiperEngine.threads_per_worker()
    monkeypatch.setenv("NARRATE_PIPER_THREADS", "1")
    assert PiperEngine.threads_per_worker() == 1
    assert Synthesizer("piper", VoiceSettings(voice="joe"), jobs=2).processes == 2
    monkeypatch.setenv("NARRATE_PIPER_THREADS", "2")
    assert Synthesizer("piper", VoiceSettings(voice="joe"), jobs=2).processes == 1


def test_a_babbling_clip_is_suspect(joe: PiperEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    real = joe._voice.synthesize

    def babble(text: str, **kwargs: object) -> list:
        chunks = list(real(text, **kwargs))
        chunks[0].audio_float_array = np.tile(chunks[0].audio_float_array, 8)  # a stall repeats itself
        return chunks

    monkeypatch.setattr(joe._voice, "synthesize", babble)
    with pytest.raises(SuspectClip, match="phonemes"):
        joe.synthesize("The ferry leaves at nine.")


def test_a_suspect_clip_is_made_again_then_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    from narrate.engines import espeak

    tries = {"n": 0}
    real = espeak.EspeakEngine.synthesize

    def flaky(self: espeak.EspeakEngine, text: str):  # type: ignore[no-untyped-def]
        tries["n"] += 1
        if tries["n"] == 1 or "never" in text:
            raise SuspectClip("babble", text=text)
        return real(self, text)

    monkeypatch.setattr(espeak.EspeakEngine, "synthesize", flaky)
    with Synthesizer("espeak", VoiceSettings(), jobs=0, cache=None) as synth:
        synth.synthesize(["The ferry leaves at nine."])
        assert synth.stats.retries == 1
        with pytest.raises(Exception, match="unusable audio.*never works"):
            synth.synthesize(["This one never works."])


# -- lexicon phonemes -----------------------------------------------------------------
def test_a_lexicon_respelling_changes_what_piper_says(joe: PiperEngine) -> None:
    assert to_ipa("t@m'A:toU") == to_ipa("t@m'A:toU", "en-us") and "ˈ" in to_ipa("t@m'A:toU")
    plain = joe._voice.phonemize(joe.piper_text("They grow tomato plants."))
    respelt = joe._voice.phonemize(joe.piper_text("They grow [[t@m'A:toU]] plants."))
    assert plain != respelt
    assert "ɑ" in "".join(respelt[0]) and "ɑ" not in "".join(plain[0])


def test_brackets_in_article_text_are_read_not_obeyed(joe: PiperEngine) -> None:
    from narrate.config import Settings
    from narrate.script import build_script

    doc = Document(title=None, blocks=(Block("paragraph", "They grow [[t@m'A:toU]] plants."),))
    spoken = build_script(doc, Settings()).utterances[0].spoken
    assert "[[" not in joe.piper_text(spoken)
    assert speakable("a [[[b]]] c\n d") == "a [ [ [b] ] ] c d"  # what is left of a bracket is read


# -- alignment to words (pure) --------------------------------------------------------
def test_phonemes_group_into_words_and_back_onto_the_text() -> None:
    aligned = [("^", 10), ("t", 5), ("w", 5), (" ", 2), ("w", 4), ("ʌ", 4), (",", 6), (" ", 1),
               ("ɡ", 3), ("oʊ", 3), (".", 5), ("$", 2)]
    spans = phoneme_words(aligned, offset=100)
    assert spans == [(110, 120), (122, 130), (137, 143)]
    assert words_from_spans("twenty-one, go.", spans) == [("twenty-one,", 110, 130), ("go.", 137, 143)]
    # espeak-ng read it otherwise: every word still gets a place, in order
    spread = words_from_spans("a b c d", [(0, 10), (10, 20)])
    assert [w for w, _, _ in spread] == ["a", "b", "c", "d"] and spread[-1][2] == 20
    assert [s for _, s, _ in spread] == sorted(s for _, s, _ in spread)


def test_a_voice_package_registers_through_the_entry_point_group(
        monkeypatch: pytest.MonkeyPatch, voice_folder: Path) -> None:
    package = types.ModuleType("alba_voice")
    package.model_path = lambda: voice_folder / "en_GB-alba-medium.onnx"  # type: ignore[attr-defined]
    package.config_path = lambda: voice_folder / "en_GB-alba-medium.onnx.json"  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "alba_voice", package)
    monkeypatch.setattr(piper_voices.importlib.util, "find_spec", lambda name: object())
    monkeypatch.setattr(piper_voices, "entry_points",
                        lambda group: [types.SimpleNamespace(value="alba_voice")])
    assert piper_voices.find_voice("alba").origin == "alba_voice"
