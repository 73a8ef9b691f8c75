"""EPUB 3 with Media Overlays (``narrate epub``, ``narrate ARTICLE --epub``): EPUBCheck
(Debian's) accepts the books with no error or warning, and each book read back (zip +
XML) has a ``par`` with text and audio for every sentence, at the manifest's times."""

from __future__ import annotations

import re
import subprocess
import zipfile
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

from conftest import DATA, REPO, assert_clean_failure, run_narrate
from narrate.export import manifest as manifests

EPUBCHECK = Path("/usr/share/java/epubcheck.jar")
SAMPLE = REPO / "samples" / "ferry-timetable.md"
SECTIONS = DATA / "three-sections.md"
NS = {"smil": "http://www.w3.org/ns/SMIL", "opf": "http://www.idpf.org/2007/opf",
      "x": "http://www.w3.org/1999/xhtml", "epub": "http://www.idpf.org/2007/ops"}


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One article with --epub (sentence level); a two-article book (word level) whose
    first chapter is an article narrated before (up to date: used as it is)."""
    out = tmp_path_factory.mktemp("epub")
    one = run_narrate(str(SAMPLE), "-o", f"{out}/single/", "--epub", "-q")
    assert one.returncode == 0, one.stderr
    single = manifests.read(Path(one.stdout.strip()).with_suffix(".json"))
    before = run_narrate(str(SAMPLE), "-o", f"{out}/", "-q")
    assert before.returncode == 0, before.stderr
    two = run_narrate("epub", str(SAMPLE), str(SECTIONS), "--word-level", "--audio-dir", str(out),
                      "--title", "Tuesday's stories", "-o", str(out / "tuesday.epub"))
    assert two.returncode == 0, two.stderr
    assert "2 chapters, 1 narrated now" in two.stdout  # the sample was up to date
    first = manifests.read(Path(before.stdout.strip()).with_suffix(".json"))
    second = manifests.read(out / "library-opens-night-reading-room.json")
    return {"out": out, "single": out / "single" / single.files["epub"], "single_manifest": single,
            "book": out / "tuesday.epub", "manifests": [first, second]}


def epubcheck(path: Path) -> subprocess.Popen[str]:
    fast_start = ["-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"]  # a short run: half the CPU time
    return subprocess.Popen(["java", *fast_start, "-jar", str(EPUBCHECK), str(path)], text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


@pytest.mark.skipif(not EPUBCHECK.exists(), reason="epubcheck is missing (make test installs it)")
def test_epubcheck_accepts_both_books(books: dict) -> None:
    checks = [epubcheck(books["single"]), epubcheck(books["book"])]  # both JVMs at once
    for check in checks:
        output = check.communicate(timeout=180)[0]
        assert check.returncode == 0, output
        assert "No errors or warnings detected" in output, output
        assert "Messages: 0 fatals / 0 errors / 0 warnings" in output, output


def read(book: Path, name: str) -> ElementTree.Element:
    with zipfile.ZipFile(book) as zf:
        return ElementTree.fromstring(zf.read(name))


def seconds(value: str) -> int:
    assert value.endswith("s"), value
    return round(float(value[:-1]) * 1000)


def pars(book: Path, chapter: int) -> list[tuple[str, int, int, str]]:
    """Every par of a chapter's overlay: (text fragment, clipBegin ms, clipEnd ms, audio file)."""
    smil = read(book, f"EPUB/chapter-{chapter:03d}.smil")
    found = []
    for par in smil.iter(f"{{{NS['smil']}}}par"):
        text, audio = par.find("smil:text", NS), par.find("smil:audio", NS)
        assert text is not None and audio is not None
        found.append((text.get("src", "").split("#")[1], seconds(audio.get("clipBegin", "")),
                      seconds(audio.get("clipEnd", "")), audio.get("src", "")))
    return found


def sentence_text(book: Path, chapter: int) -> dict[str, str]:
    page = read(book, f"EPUB/chapter-{chapter:03d}.xhtml")
    return {el.get("id", ""): " ".join("".join(el.itertext()).split())
            for el in page.iter(f"{{{NS['x']}}}span") if el.get("class") == "s"}


def test_every_sentence_has_a_par_at_the_manifests_times(books: dict) -> None:
    manifest = books["single_manifest"]
    found = pars(books["single"], 1)
    starts = [(("sd", manifest.disclaimer.start_ms) if manifest.disclaimer else None)]
    expected = [s for s in starts if s] + [(f"s{u.index}", u.start_ms) for u in manifest.utterances]
    assert [(frag, begin) for frag, begin, _, _ in found] == expected
    ends = [begin for _, begin in expected[1:]] + [manifest.audio.duration_ms]
    assert [end for _, _, end, _ in found] == ends  # each clip lasts until the next: pauses heard
    assert {audio for *_, audio in found} == {"audio/chapter-001.mp3"}
    text = sentence_text(books["single"], 1)
    for utterance in manifest.utterances:  # the text the par points at is the sentence as written
        assert text[f"s{utterance.index}"] == " ".join(utterance.written.split())
    assert text["sd"] == manifest.disclaimer.text


def test_word_level_book_has_a_chapter_per_article(books: dict) -> None:
    book = books["book"]
    for chapter, manifest in enumerate(books["manifests"], 1):
        found = pars(book, chapter)
        words = {frag: (begin, end) for frag, begin, end, _ in found}
        for utterance in manifest.utterances:
            mine = sorted((b, e) for f, (b, e) in words.items() if f.startswith(f"s{utterance.index}-w"))
            assert mine and mine[0][0] == utterance.start_ms  # its words, from its start, in order
            assert all(a[1] == b[0] for a, b in zip(mine, mine[1:], strict=False))
        ids = set(re.findall(r'id="([^"]+)"', zipfile.ZipFile(book).read(
            f"EPUB/chapter-{chapter:03d}.xhtml").decode()))
        assert set(words) <= ids  # every par's text is in the chapter
    with zipfile.ZipFile(book) as zf:
        names = zf.namelist()
        first = zf.infolist()[0]
        assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
        assert zf.read("mimetype") == b"application/epub+zip"
        assert {"EPUB/audio/chapter-001.mp3", "EPUB/audio/chapter-002.mp3"} <= set(names)
        audio = zf.read("EPUB/audio/chapter-001.mp3")
    original = books["out"] / books["manifests"][0].audio.path
    assert audio == original.read_bytes()  # the narration itself, inside


def test_media_overlay_and_accessibility_metadata(books: dict) -> None:
    opf = read(books["book"], "EPUB/package.opf")
    meta: dict[str, list[str]] = {}
    for el in opf.iter(f"{{{NS['opf']}}}meta"):
        key = el.get("property", "") + (f"@{el.get('refines')}" if el.get("refines") else "")
        meta.setdefault(key, []).append(el.text or "")
    assert meta["schema:accessMode"] == ["textual", "auditory"]
    assert "textual" in meta["schema:accessModeSufficient"]
    assert "synchronizedAudioText" in meta["schema:accessibilityFeature"]
    assert "AI-generated voice" in meta["schema:accessibilitySummary"][0]
    assert meta["media:active-class"] == ["-epub-media-overlay-active"]

    def ms(clock: str) -> int:
        h, m, s = clock.split(":")
        return round((int(h) * 3600 + int(m) * 60 + float(s)) * 1000)

    chapters = [ms(meta[f"media:duration@#ov{n:03d}"][0]) for n in (1, 2)]
    assert ms(meta["media:duration"][0]) == sum(chapters)
    for duration, manifest in zip(chapters, books["manifests"], strict=True):
        first = manifest.disclaimer.start_ms if manifest.disclaimer else manifest.utterances[0].start_ms
        assert duration == manifest.audio.duration_ms - first
    with zipfile.ZipFile(books["book"]) as zf:
        assert "-epub-media-overlay-active" in zf.read("EPUB/style.css").decode()
        nav = zf.read("EPUB/nav.xhtml").decode()
    assert "Island Ferry Adds Night Sailings" in nav and "Who asked for it" in nav  # chapters and headings


def test_the_epub_is_listed_and_a_rerun_is_up_to_date(books: dict) -> None:
    manifest = books["single_manifest"]
    assert manifest.files["epub"] == books["single"].name and manifest.file_sha256["epub"]
    again = run_narrate(str(SAMPLE), "-o", f"{books['out']}/single/", "--epub")
    assert again.returncode == 0 and "up to date" in again.stdout, again.stdout + again.stderr


def test_what_an_epub_cannot_hold_is_refused_before_any_work(tmp_path: Path) -> None:
    out = tmp_path / "out"
    wav = run_narrate(str(SAMPLE), "-o", f"{out}/", "--epub", "--format", "wav")
    assert_clean_failure(wav, "an EPUB holds MP3 or M4A audio, not wav", out, code=2)
    txt = run_narrate("epub", str(SAMPLE), "-o", str(out / "book.txt"), "--audio-dir", str(out))
    assert_clean_failure(txt, "name a .epub file", out, code=2)
    missing = run_narrate("epub", str(tmp_path / "nope.md"), "-q", "-o", f"{out}/", "--audio-dir", str(out))
    assert_clean_failure(missing, "nope.md", code=1)
    assert not out.exists() or not list(out.glob("*.epub"))


def test_a_profile_asks_for_them_and_wrong_values_are_one_line(tmp_path: Path) -> None:
    article = tmp_path / "page.html"  # an HTML article whose page would be its own name
    article.write_text("<html><head><title>page</title></head><body><article><h1>page</h1>"
                       "<p>The harbour reopened on Monday after two years of repairs to the sea wall.</p>"
                       "</article></body></html>", encoding="utf-8")
    refused = run_narrate(str(article), "-o", f"{tmp_path}/", "--player")
    assert_clean_failure(refused, "it is the article being narrated")
    assert "<article>" in article.read_text(encoding="utf-8")  # untouched
    bad = tmp_path / "bad.toml"
    bad.write_text('[output]\nplayer = "yes"\n', encoding="utf-8")
    assert_clean_failure(run_narrate(str(SAMPLE), "--profile", str(bad), "-o", f"{tmp_path}/x/"),
                         "[output] player = 'yes' is not allowed; use true or false")
    good = tmp_path / "good.toml"
    good.write_text('[output]\nplayer = true\nepub = true\n', encoding="utf-8")
    made = run_narrate(str(SAMPLE), "--profile", str(good), "-o", f"{tmp_path}/y/", "-q")
    assert made.returncode == 0, made.stderr
    assert {"player", "epub"} <= manifests.read(Path(made.stdout.strip()).with_suffix(".json")).files.keys()


def test_article_text_is_text_in_the_page_and_the_book(tmp_path: Path) -> None:
    """Markup in an article (or its title) is shown, never run: escaped in the page, and
    the book's XHTML stays well-formed XML."""
    from narrate.readalong.epub import Narration, write_epub
    from narrate.readalong.page import player_page

    hostile = 'Tags <script>alert("x")</script> & "quotes" <b>bold</b>'
    words = tuple(manifests.WordRecord(w, 1000 + 100 * n, 1100 + 100 * n)
                  for n, w in enumerate(["Tags", "script", "alert", "x", "quotes", "bold"]))
    record = manifests.Manifest(
        fingerprint="f", settings_fingerprint="s",
        source=manifests.SourceRecord(title="<i>Title</i> & more", author="A <b>B</b>"),
        settings=manifests.SettingsRecord(engine="pyttsx3"), disclaimer=None,
        utterances=(manifests.UtteranceRecord(0, "paragraph", hostile, start_ms=1000, end_ms=2000,
                                              words=words),),
        audio=manifests.AudioRecord("x.mp3", "mp3", "audio/mpeg", duration_ms=2500))
    page = player_page(record, "x.mp3")
    assert "<script>alert" not in page and "&lt;script&gt;" in page and "<i>Title" not in page
    audio = tmp_path / "x.mp3"
    audio.write_bytes(b"\xff\xfb" + bytes(100))
    write_epub([Narration(record, audio)], tmp_path / "b.epub")
    with zipfile.ZipFile(tmp_path / "b.epub") as book:
        for name in book.namelist():
            if name.endswith((".xhtml", ".smil", ".opf", ".xml")):
                ElementTree.fromstring(book.read(name))  # well-formed
        chapter = book.read("EPUB/chapter-001.xhtml").decode()
    assert "&lt;script&gt;" in chapter and "<script>" not in chapter
