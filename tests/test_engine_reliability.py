"""The pyttsx3 engine wrapper never loses, truncates or slows a sentence.

pyttsx3 2.99's own loop does all three (issue 2). Each clip here is compared with
``espeak-ng`` run directly at the same rate: same voice, same text, so the length of
the speech must agree closely. Runs as the first sentence of fresh processes, in long
sequences, in two worker processes, and with both cores busy.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import wave
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from audio_tools import speech_seconds
from narrate.engines.base import VoiceSettings, load_engine
from narrate.models import Clip
from narrate.synthesis import Synthesizer

RATE_WPM = 200  # pyttsx3's default, the rate its driver silently dropped to 175
SENTENCES = [
    "The council voted seven to two on Tuesday night.",
    "Officials said the bridge would reopen in the spring.",
    "Rain is expected across the north, with winds of forty miles an hour.",
    "She told reporters, quote, we are not done yet.",
    "The company reported revenue of two point four billion dollars.",
    "Hundreds of people gathered outside the courthouse before dawn, holding candles and "
    "signs, as the jury prepared to deliver its verdict in a case that has divided the town.",
    "Yes.",
    "Why now?",
    "The U N Security Council will meet again on Friday.",
    "Firefighters contained the blaze after nine hours.",
    "It was, by most accounts, the wettest summer in fifty years.",
    "Mister Okafor declined to comment.",
    "Schools in the district will close at noon.",
    "The minister, speaking from Brussels, urged calm.",
    "Ticket prices rose by twelve percent, the third increase this decade.",
    "Nagorno-Karabakh is recognised internationally as part of Azerbaijan.",
]


def reference_seconds(text: str, rate: int = RATE_WPM) -> float:
    with tempfile.NamedTemporaryFile(suffix=".wav") as tmp:
        subprocess.run(["espeak-ng", "-v", "en-us", "-s", str(rate), "-w", tmp.name, text],
                       check=True, capture_output=True)
        with wave.open(tmp.name) as w:
            samples = np.frombuffer(w.readframes(w.getnframes()), "<i2") / 32768.0
            return speech_seconds(samples, w.getframerate())


@pytest.fixture(scope="module")
def references() -> dict[str, float]:
    return {s: reference_seconds(s) for s in SENTENCES}


def clip_seconds(clip: Clip) -> float:
    return speech_seconds(np.frombuffer(clip.pcm, "<i2") / 32768.0, clip.sample_rate)


def assert_faithful(clip: Clip, text: str, references: dict[str, float]) -> None:
    assert clip.frames > 0, f"empty clip for {text!r}"
    ratio = clip_seconds(clip) / references[text]
    assert 0.9 <= ratio <= 1.1, f"{text!r}: {ratio:.2f}× the length espeak-ng gives at {RATE_WPM} wpm"


SETTINGS = VoiceSettings(voice="en-us", rate=RATE_WPM)


def test_each_sentence_as_the_first_in_a_fresh_process(tmp_path: Path, references: dict[str, float]) -> None:
    script = (
        "import sys\n"
        "from narrate.engines.base import VoiceSettings, load_engine\n"
        f"engine = load_engine('pyttsx3', VoiceSettings(voice='en-us', rate={RATE_WPM}))\n"
        "clip = engine.synthesize(sys.argv[1])\n"
        "open(sys.argv[2], 'wb').write(clip.pcm)\n"
    )
    for n, text in enumerate(SENTENCES):
        out = tmp_path / f"{n}.pcm"
        result = subprocess.run([sys.executable, "-c", script, text, str(out)],
                                capture_output=True, text=True, timeout=60, check=False)
        assert result.returncode == 0, result.stderr
        assert result.stdout == "", "engine chatter reached stdout"
        assert_faithful(Clip(out.read_bytes(), 22050), text, references)


def test_long_sequences_in_one_engine(references: dict[str, float]) -> None:
    engine = load_engine("pyttsx3", SETTINGS)
    try:
        for _ in range(4):
            for text in SENTENCES:
                assert_faithful(engine.synthesize(text), text, references)
    finally:
        engine.close()


@pytest.fixture
def busy_cores() -> Iterator[None]:
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    try:
        yield
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()


@pytest.mark.parametrize("load", ["idle", "busy"])
def test_two_worker_processes(load: str, request: pytest.FixtureRequest,
                              references: dict[str, float]) -> None:
    if load == "busy":
        request.getfixturevalue("busy_cores")
    for _ in range(3):
        with Synthesizer("pyttsx3", SETTINGS, jobs=2) as synth:  # no cache: really synthesise
            clips = synth.synthesize_all(SENTENCES)
        assert synth.stats.synthesized == len(SENTENCES)
        for text, clip in zip(SENTENCES, clips, strict=True):
            assert_faithful(clip, text, references)


def test_word_timings_follow_the_audio() -> None:
    engine = load_engine("pyttsx3", SETTINGS)
    text = "Officials said the bridge would reopen in the spring."
    clip = engine.synthesize(text)
    # espeak-ng reports most words (it folds some function words, "in the", into one).
    spoken = [w.text for w in clip.words]
    expected = text.rstrip(".").split()
    assert len(spoken) >= 0.8 * len(expected)
    remaining = iter(expected)
    assert all(word in remaining for word in spoken), spoken  # in order, none invented
    starts = [w.start_ms for w in clip.words]
    assert starts == sorted(starts) and starts[-1] < clip.duration_ms
    assert all(w.end_ms >= w.start_ms for w in clip.words)


def test_workers_are_forked_only_from_one_thread_without_an_engine_library() -> None:
    """A forked worker starts in milliseconds, but a fork copies the locks of other
    threads (espeak-ng's own once it is initialised): such a copy hangs."""
    probe = (
        "import sys, threading\n"
        "from narrate.engines.base import VoiceSettings\n"
        "from narrate.synthesis import Synthesizer\n"
        "synth = Synthesizer('pyttsx3', VoiceSettings(), jobs=2)\n"
        "print(synth._start_method())\n"
        "if sys.argv[1] == 'thread':\n"
        "    threading.Thread(target=threading.Event().wait, daemon=True).start()\n"
        "else:\n"
        "    synth._engine_cls.load(VoiceSettings()).close()\n"
        "print(synth._start_method())\n"
    )
    for case in ("thread", "engine"):
        out = subprocess.run([sys.executable, "-c", probe, case], capture_output=True, text=True, check=True)
        assert out.stdout.split() == ["fork", "spawn"], (case, out.stdout, out.stderr)


def test_workers_started_early_say_the_engines_identity_so_this_process_never_loads_it() -> None:
    """Reading espeak-ng's version loads its library (~20 ms before the first sentence can
    go out, and a process holding it may no longer fork workers): the workers say it."""
    probe = (
        "import sys\n"
        "from narrate.engines.base import VoiceSettings\n"
        "from narrate.synthesis import Synthesizer\n"
        "with Synthesizer('pyttsx3', VoiceSettings(), jobs=2) as synth:\n"
        "    synth.start()\n"
        "    keys = synth.keys(['Hello there.'])\n"
        "    print(synth.identity())\n"
        "    print('pyttsx3' in sys.modules)\n"
        "    print(synth.synthesize_all(['Hello there.'])[0].frames > 0)\n"
        "print(Synthesizer('pyttsx3', VoiceSettings(), jobs=2).identity())\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    early, loaded, spoke, local = out.stdout.splitlines()
    assert early == local and early.startswith("pyttsx3 2.99/espeak-ng ")
    assert loaded == "False" and spoke == "True"
