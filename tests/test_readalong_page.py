"""The read-along page (``narrate ARTICLE --player``) in a real browser: Debian's headless
Chromium opens the page from disk beside its audio, plays it (muted) and the highlight
must follow the manifest's word timings. One browser for the whole module."""

from __future__ import annotations

import json
import re
import shutil
import time
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from browser_tools import chromium, missing
from conftest import REPO, run_narrate
from narrate.export import manifest as manifests
from narrate.readalong.align import sentences, word_at

pytestmark = pytest.mark.skipif(missing() is not None, reason=str(missing()))

SAMPLE = REPO / "samples" / "ferry-timetable.md"
HARBOUR = "# Harbour Reopens\n\nThe harbour reopened on Monday after repairs. Ferries ran on time.\n"


def narrate(src: Path, out: Path, *flags: str) -> manifests.Manifest:
    result = run_narrate(str(src), "-o", f"{out}/", "--player", "-q", *flags)
    assert result.returncode == 0, result.stderr
    return manifests.read(Path(result.stdout.strip()).with_suffix(".json"))


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("readalong")
    manifest = narrate(SAMPLE, out)
    return {"out": out, "manifest": manifest, "page": out / manifest.files["player"]}


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with chromium(profile=tmp_path_factory.mktemp("chromium")) as driver:
        yield driver


def open_page(browser: Any, page: Path) -> None:
    browser.get(page.as_uri())
    browser.execute_script("document.getElementById('audio').muted = true")
    deadline = time.monotonic() + 10
    while browser.execute_script("return document.getElementById('audio').readyState") < 1:
        assert time.monotonic() < deadline, "the audio never loaded"
        time.sleep(0.05)


def state(browser: Any) -> dict[str, Any]:
    return browser.execute_script("""
        const a = document.getElementById('audio'), w = document.querySelector('.w.now'),
              s = document.querySelector('.s.now');
        return {ms: a.currentTime * 1000, paused: a.paused, word: w && w.textContent, sentence: s && s.id};
    """)


def key(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def long_plain_words(manifest: manifests.Manifest) -> list[tuple[int, manifests.WordRecord]]:
    """Words of at least 300 ms that are written as they are said ("passengers"), with
    the index of their utterance."""
    found = []
    for u in manifest.utterances:
        written = {key(t) for t in u.written.split()}
        found += [(u.index, w) for w in u.words if w.end_ms - w.start_ms >= 300 and key(w.text) in written]
    return found


def manifest_word(manifest: manifests.Manifest, ms: float) -> manifests.WordRecord:
    utterance = next(u for u in manifest.utterances if u.start_ms <= ms < u.end_ms)
    return [w for w in utterance.words if w.start_ms <= ms][-1]


def test_the_highlighted_word_is_the_one_being_spoken(made: dict, browser: Any) -> None:
    manifest = made["manifest"]
    candidates = long_plain_words(manifest)
    picks = [candidates[1], candidates[len(candidates) // 2], candidates[-2]]  # three points, apart
    open_page(browser, made["page"])
    for index, word in picks:
        start = (word.start_ms + 30) / 1000
        browser.execute_script("const a = document.getElementById('audio'); a.currentTime = arguments[0];"
                               "return a.play()", start)
        deadline = time.monotonic() + 5
        while (now := state(browser))["ms"] < start * 1000 + 40:  # it plays: the time moves
            assert time.monotonic() < deadline, f"the audio did not play from {start}s"
        browser.execute_script("document.getElementById('audio').pause()")
        now = state(browser)
        assert now["paused"]
        expected = manifest_word(manifest, now["ms"])
        assert key(now["word"]) == key(expected.text), (now, expected)
        assert now["sentence"] == f"s{index}"


def test_clicking_the_fifth_sentence_seeks_to_its_start(made: dict, browser: Any) -> None:
    manifest = made["manifest"]
    open_page(browser, made["page"])
    fifth = manifest.utterances[4]
    target = browser.find_element("id", f"s{fifth.index}")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", target)
    target.click()
    now = state(browser)
    browser.execute_script("document.getElementById('audio').pause()")
    assert abs(now["ms"] - fifth.start_ms) <= 50, (now, fifth.start_ms)
    assert now["sentence"] == f"s{fifth.index}"
    assert not now["paused"]  # clicking a sentence plays it


def test_the_highlight_matches_the_alignment_everywhere(made: dict, browser: Any) -> None:
    """Seeking (paused) to every chunk of every sentence highlights that chunk: the page's
    script and narrate.readalong.align agree on every moment, folded words included."""
    manifest = made["manifest"]
    open_page(browser, made["page"])
    points = [(s, c, (c.start_ms + c.end_ms) / 2) for s in sentences(manifest) for c in s.chunks]
    seen = browser.execute_async_script("""
        const [points, done] = arguments, a = document.getElementById('audio'), out = [];
        (function next(i) {
          if (i === points.length) { done(out); return; }
          a.addEventListener('seeked', function () {
            const w = document.querySelector('.w.now');
            out.push([a.currentTime * 1000, w && w.textContent]);
            next(i + 1);
          }, {once: true});
          a.currentTime = points[i] / 1000;
        })(0);
    """, [p for _, _, p in points])
    for (sentence, chunk, _), (ms, word) in zip(points, seen, strict=True):
        expected = word_at(sentences(manifest), ms)
        assert expected is not None and word == expected[1].text, (sentence.index, chunk, ms, word)


def test_keyboard_space_plays_and_arrows_move_by_sentence(made: dict, browser: Any) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    manifest = made["manifest"]
    open_page(browser, made["page"])
    keys = ActionChains(browser)
    browser.execute_script("document.activeElement.blur(); document.getElementById('audio').currentTime = 8")
    keys.send_keys(Keys.SPACE).perform()
    time.sleep(0.2)
    assert not state(browser)["paused"]
    keys.send_keys(Keys.ARROW_RIGHT).perform()
    now = state(browser)
    second = manifest.utterances[2]
    assert abs(now["ms"] - second.start_ms) <= 150 and now["sentence"] == f"s{second.index}", now
    keys.send_keys(Keys.ARROW_LEFT).perform()
    assert state(browser)["sentence"] == f"s{manifest.utterances[1].index}"
    keys.send_keys(Keys.SPACE).perform()
    assert state(browser)["paused"]
    # real buttons, reached with Tab, with a visible focus ring
    keys.send_keys(Keys.TAB).perform()
    kinds: list[str] = []
    while kinds.count("button") < 3 and len(kinds) < 20:  # past the audio element's own controls
        keys.send_keys(Keys.TAB).perform()
        focused = browser.switch_to.active_element
        kinds.append(focused.tag_name)
        if focused.tag_name == "button":
            outline = browser.execute_script(
                "const s = getComputedStyle(arguments[0]); return [s.outlineStyle, s.outlineWidth]", focused)
            assert outline[0] != "none" and float(outline[1].rstrip("px")) >= 2, outline
    assert kinds.count("button") >= 3, kinds
    labels = [b.text for b in browser.find_elements("tag name", "button")]
    assert {"Previous sentence", "Play", "Next sentence", "Announce sentences"} <= set(labels), labels
    live = browser.find_element("id", "live")
    assert live.get_attribute("aria-live") == "off"  # announcing is the reader's choice
    browser.find_element("id", "announce").click()
    assert live.get_attribute("aria-live") == "polite"


def luminance(css: str) -> float:
    r, g, b = (int(v) / 255 for v in re.findall(r"\d+", css)[:3])
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(fg: str, bg: str) -> float:
    hi, lo = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_colour_pair_has_contrast(made: dict, browser: Any, scheme: str) -> None:
    """Text against whatever is behind it, measured from the computed styles, highlighted
    word and sentence included, in the light and the dark colour scheme."""
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia",
                            {"features": [{"name": "prefers-color-scheme", "value": scheme}]})
    try:
        open_page(browser, made["page"])
        browser.execute_script("document.getElementById('audio').currentTime = 8")
        time.sleep(0.2)
        pairs = browser.execute_script("""
            function bg(el) {  // the first background that is not transparent, up the tree
              for (; el; el = el.parentElement) {
                const c = getComputedStyle(el).backgroundColor;
                if (c !== 'rgba(0, 0, 0, 0)' && c !== 'transparent') { return c; }
              }
              return 'rgb(255, 255, 255)';
            }
            document.getElementById('status').textContent = 'An error message';
            const picks = ['.w.now', '.s.now', 'main p', '.byline', '.disclosure', '.disclosure small',
                           '.keys', 'button', 'select', 'h1', '#status'];
            return picks.map(sel => { const el = document.querySelector(sel);
                                      return [sel, getComputedStyle(el).color, bg(el)]; });
        """)
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
    assert (luminance(pairs[2][2]) < 0.1) == (scheme == "dark"), pairs[2]  # the scheme took effect
    for selector, fg, bg in pairs:
        assert contrast(fg, bg) >= 4.5, (scheme, selector, fg, bg, contrast(fg, bg))


def test_reduced_motion_and_a_narrow_screen(made: dict, browser: Any) -> None:
    open_page(browser, made["page"])
    transition = "return getComputedStyle(document.querySelector('.s')).transitionDuration"
    assert browser.execute_script(transition) != "0s"
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia",
                            {"features": [{"name": "prefers-reduced-motion", "value": "reduce"}]})
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                            {"width": 320, "height": 640, "deviceScaleFactor": 1, "mobile": True})
    try:
        open_page(browser, made["page"])
        assert browser.execute_script(transition) == "0s"
        widths = browser.execute_script(
            "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert widths[0] <= widths[1] == 320, widths  # no sideways scrolling at 320 px
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


@pytest.fixture(scope="module")
def every_format(made: dict, tmp_path_factory: pytest.TempPathFactory) -> dict[str, manifests.Manifest]:
    """The short test article in every format the page must play, and with the engines
    that give no word events (their word times are shared out by length)."""
    out = tmp_path_factory.mktemp("formats")
    src = out / "harbour.md"
    src.write_text(HARBOUR, encoding="utf-8")
    runs = {fmt: ("--format", fmt) for fmt in ("m4a", "ogg", "opus", "wav", "flac")}
    runs.update({engine: ("--engine", engine) for engine in ("espeak", "flite", "festival")})
    with ThreadPoolExecutor(3) as pool:  # each run in one process (-j 0: no worker start-up)
        made_ = dict(zip(runs, pool.map(lambda n: narrate(src, out / n, *runs[n], "-j", "0"), runs),
                         strict=True))
    return {name: (out / name, manifest) for name, manifest in made_.items()}


@pytest.mark.parametrize("name", ["m4a", "ogg", "opus", "wav", "flac", "espeak", "flite", "festival"])
def test_every_format_plays_and_highlights(every_format: dict, browser: Any, name: str) -> None:
    folder, manifest = every_format[name]
    open_page(browser, folder / manifest.files["player"])
    duration = browser.execute_script("return document.getElementById('audio').duration") * 1000
    assert abs(duration - manifest.audio.duration_ms) < 100, (duration, manifest.audio.duration_ms)
    second = manifest.utterances[1]
    middle = (second.start_ms + second.end_ms) / 2
    browser.execute_async_script("""
        const [ms, done] = arguments, a = document.getElementById('audio');
        a.addEventListener('seeked', () => done(), {once: true}); a.currentTime = ms / 1000;""", middle)
    now = state(browser)
    expected = word_at(sentences(manifest), now["ms"])
    assert expected is not None and now["word"] == expected[1].text and now["sentence"] == "s1"
    no_word_events = name in ("espeak", "flite", "festival")  # their words are shared out by length
    assert all(s.estimated == no_word_events for s in sentences(manifest) if s.kind != "disclaimer")


def test_the_page_is_self_contained_and_logs_no_errors(made: dict, browser: Any) -> None:
    html = made["page"].read_text(encoding="utf-8")
    assert not re.search(r"""(?:src|href)=["'](?:https?:)?//""", html)  # nothing fetched from anywhere
    assert f'src="{made["manifest"].audio.path}"' in html  # the audio, relatively
    open_page(browser, made["page"])
    browser.execute_script("return document.getElementById('audio').play()")
    time.sleep(0.3)
    browser.execute_script("document.getElementById('audio').pause()")
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == [], errors


def test_the_page_shows_the_disclosure_and_is_listed_in_the_manifest(made: dict, tmp_path: Path) -> None:
    manifest, page = made["manifest"], made["page"]
    html = page.read_text(encoding="utf-8")
    text = re.sub(r"<[^>]+>", "", html)
    assert "Voice is AI-generated. Inconsistencies may occur." in text  # the words spoken, highlighted too
    assert "This narration uses an AI-generated voice (pyttsx3" in text
    assert page.name == Path(manifest.audio.path).stem + ".html"
    record = json.loads(page.with_suffix(".json").read_text(encoding="utf-8"))
    assert record["files"]["player"] == page.name and record["file_sha256"]["player"]
    # the same command again: up to date, nothing re-made; a damaged page: re-made
    copy = tmp_path / "copy"
    shutil.copytree(made["out"], copy)
    again = run_narrate(str(SAMPLE), "-o", f"{copy}/", "--player")
    assert again.returncode == 0 and "up to date" in again.stdout, again.stdout
    (copy / page.name).write_text("<html>gone</html>", encoding="utf-8")
    remade = run_narrate(str(SAMPLE), "-o", f"{copy}/", "--player")
    assert "up to date" not in remade.stdout and (copy / page.name).read_text(encoding="utf-8") == html


def test_the_neural_voice_reads_along_word_by_word(browser: Any, tmp_path: Path) -> None:
    """Piper's own alignments time the words: the page highlights them, and the EPUB made
    in the same run has a par for every sentence."""
    pytest.importorskip("piper", reason="make test installs narrate[neural]")
    src = tmp_path / "harbour.md"
    src.write_text(HARBOUR, encoding="utf-8")
    manifest = narrate(src, tmp_path / "out", "--profile", "neural", "--epub", "-j", "1")
    found = [s for s in sentences(manifest) if s.kind != "disclaimer"]
    assert found and not any(s.estimated for s in found)  # the model's own word times
    open_page(browser, tmp_path / "out" / manifest.files["player"])
    for utterance in manifest.utterances:
        word = max(utterance.words, key=lambda w: w.end_ms - w.start_ms)
        browser.execute_async_script("""
            const [ms, done] = arguments, a = document.getElementById('audio');
            a.addEventListener('seeked', () => done(), {once: true}); a.currentTime = ms / 1000;""",
                                     (word.start_ms + word.end_ms) / 2)
        now = state(browser)
        assert key(now["word"]) == key(word.text) and now["sentence"] == f"s{utterance.index}", (now, word)
    with zipfile.ZipFile(tmp_path / "out" / manifest.files["epub"]) as book:
        smil = book.read("EPUB/chapter-001.smil").decode()
    assert smil.count("<par ") == len(manifest.utterances) + 1  # and the disclaimer
