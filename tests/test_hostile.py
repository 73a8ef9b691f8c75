"""Hostile input through the real command line (issue 9): each case gives a clear
one-line error with the documented exit code and leaves nothing at the destination, or,
where the input is valid, the right output. Cases already in test_cli_errors.py (empty
file, PNG bytes, Latin-1 in strict mode, emoji-only, missing file, a folder under a
file) are not repeated here."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from audio_tools import duration_ms
from conftest import SHORT, assert_clean_failure, run_narrate


def manifest_of(folder: Path) -> dict:
    (found,) = [p for p in folder.glob("*.json") if not p.name.endswith(".chapters.json")]
    return json.loads(found.read_text(encoding="utf-8"))


def no_leftovers(folder: Path) -> None:
    assert not [p.name for p in folder.iterdir() if p.name.endswith(".part")]


# -- bytes that are not an article ------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("unicode-blank.txt", "\ufeff \u00a0\u2003\n\u3000\n".encode(), "holds only whitespace"),
        ("nul.txt", b"Hello there.\x00 More text here.\n", "looks like a binary file"),
        ("late-nul.txt", b"A sentence of text. " * 500 + b"\x00 and more.\n", "contains NUL characters"),
        ("elf.txt", bytes(range(256)) * 4, "looks like a binary file"),
        ("bad-utf8.txt", b"Hello there \xff\xfe world.\n", "not valid UTF-8 (byte 0xff at offset 12)"),
        ("cut-utf8.txt", "Prices rose in Malm\u00f6".encode()[:-1] + b".\n", "(byte 0xc3 at offset 19)"),
        ("cp1252.txt", b"The \x93new\x94 rules start soon.\n", "not valid UTF-8 (byte 0x93 at offset 4)"),
        ("zwj-emoji.txt", "👩‍👩‍👧‍👦 🏳️‍🌈 👍🏽\n✨🎙️\n".encode(), "nothing to speak"),
        ("code-only.md", b"```\nprint('hi')\n```\n\n~~~python\nx = 2\n~~~\n", "nothing to speak"),
        ("bad-bom16.txt", b"\xff\xfeH\x00i\x00\x00\xd8", "not valid utf-16"),
    ],
)
def test_unreadable_or_unspeakable_input(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    src = tmp_path / name
    src.write_bytes(content)
    out = tmp_path / "out"
    assert_clean_failure(run_narrate(str(src), "-o", f"{out}/"), message, out)


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_with_bom_reads_as_text(tmp_path: Path, codec: str) -> None:
    src = tmp_path / "u16.txt"
    src.write_bytes(("\ufeff" + SHORT.replace("Monday", "Monday in Malmö")).encode(codec))
    result = run_narrate("script", "--raw", str(src))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "Harbour Reopens After Repairs", "The harbour reopened on Monday in Malmö.", "Ferries ran on time."]


def test_legacy_encodings_are_strict_by_default_and_read_with_auto(tmp_path: Path) -> None:
    src = tmp_path / "legacy.txt"
    src.write_bytes("Café Owners Meet\n\nThe café’s “new” rules start soon – in June.\n".encode("cp1252"))
    out = tmp_path / "out"
    assert_clean_failure(run_narrate(str(src), "-o", f"{out}/"), "(byte 0xe9 at offset 3)", out)
    result = run_narrate(str(src), "--encoding", "auto", "-o", f"{out}/", "--no-disclaimer")
    assert result.returncode == 0, result.stderr
    manifest = manifest_of(out)
    assert manifest["source"]["encoding"] == "windows-1252"
    assert [u["written"] for u in manifest["utterances"]] == [
        "Café Owners Meet", "The café’s “new” rules start soon – in June."]
    (latin1 := tmp_path / "latin1.txt").write_bytes("Señor Núñez spoke.\n".encode("latin-1"))
    result = run_narrate("script", "--raw", "--encoding", "latin-1", str(latin1))
    assert result.returncode == 0 and result.stdout.strip() == "Señor Núñez spoke.", result.stderr


def test_a_50_megabyte_file_is_refused_quickly_without_reading_it_all(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    with big.open("wb") as handle:  # sparse: 50 MB that cost nothing to make
        handle.truncate(50 * 1024 * 1024)
    out = tmp_path / "out"
    started = time.monotonic()
    result = run_narrate(str(big), "-o", f"{out}/")
    assert time.monotonic() - started < 10
    assert_clean_failure(result, "big.txt is larger than 20 MB; split it into articles first", out)


def test_the_size_cap_is_checked_before_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from narrate.errors import InputError
    from narrate.ingest import read_bytes

    big = tmp_path / "big.txt"
    with big.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)
    reads: list[int] = []
    real_open = Path.open

    def spy_open(self: Path, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        handle = real_open(self, *args, **kwargs)  # type: ignore[arg-type]
        real_read = handle.read
        handle.read = lambda n=-1: reads.append(n) or real_read(n)  # type: ignore[method-assign]
        return handle

    monkeypatch.setattr(Path, "open", spy_open)
    with pytest.raises(InputError, match="larger than 20 MB"):
        read_bytes(str(big))
    assert reads == []  # the size on disk says enough: not a byte is read


# -- text that is valid but extreme -----------------------------------------------------
def test_a_200000_character_sentence_is_cut_into_bounded_utterances_quickly(tmp_path: Path) -> None:
    words = [f"word{n % 97}" for n in range(25_000)]
    text = " ".join(words)[:200_000]
    assert len(text) >= 150_000 and "." not in text
    src = tmp_path / "run-on.txt"
    src.write_text(text, encoding="utf-8")
    started = time.monotonic()
    result = run_narrate("script", "--raw", str(src))
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert all(0 < len(line) <= 300 for line in lines)
    assert " ".join(lines).split() == text.split()  # every word, in order
    assert elapsed < 30, elapsed


@pytest.mark.slow
def test_a_20000_character_sentence_is_narrated(tmp_path: Path) -> None:
    text = " ".join(f"the harbour board met again on day {n % 50} and said nothing new" for n in range(400))
    text = text[:20_000]
    src = tmp_path / "run-on.txt"
    src.write_text(text + "\n", encoding="utf-8")
    out = tmp_path / "out"
    result = run_narrate(str(src), "-o", f"{out}/", "--no-disclaimer", "--format", "wav", timeout=240)
    assert result.returncode == 0, result.stderr
    manifest = manifest_of(out)
    utterances = manifest["utterances"]
    assert len(utterances) >= 20_000 // 300
    assert all(len(u["written"]) <= 300 for u in utterances)
    assert " ".join(u["written"] for u in utterances).split() == text.split()
    audio = out / manifest["audio"]["path"]
    expected = manifest["audio"]["duration_ms"]
    assert abs(duration_ms(audio) - expected) < 0.02 * expected


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("arabic.txt", "مرحبا بالعالم. هذا نص عربي طويل عن الميناء.\n"),
        ("hebrew.txt", "שלום עולם. זה טקסט בעברית על הנמל.\n"),
        ("chinese.txt", "今天天气很好。我们去公园散步。港口周一重新开放。\n"),
    ],
)
def test_text_in_a_script_the_english_voice_cannot_read_is_a_clear_error(
        tmp_path: Path, name: str, text: str) -> None:
    src = tmp_path / name
    src.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    result = run_narrate(str(src), "-o", f"{out}/", "--no-cache", "-j", "0")
    assert_clean_failure(result, "script, which the English voice 'en-us' cannot read; choose a voice", out)


def test_arabic_with_an_arabic_voice_is_narrated(tmp_path: Path) -> None:
    src = tmp_path / "arabic.txt"
    src.write_text("مرحبا بالعالم. هذا نص عربي.\n", encoding="utf-8")
    out = tmp_path / "out"
    result = run_narrate(str(src), "--voice", "ar", "-o", f"{out}/", "--no-disclaimer", "-j", "0")
    assert result.returncode == 0, result.stderr
    assert [u["written"] for u in manifest_of(out)["utterances"]] == ["مرحبا بالعالم.", "هذا نص عربي."]


def test_an_english_article_with_a_few_foreign_names_is_narrated(tmp_path: Path) -> None:
    src = tmp_path / "names.txt"
    src.write_text("Harbour Deal Signed\n\nThe mayor of Tel Aviv (תל אביב) met officials from "
                   "Osaka (大阪) and Cairo on Monday to sign the harbour agreement.\n", encoding="utf-8")
    out = tmp_path / "out"
    result = run_narrate(str(src), "-o", f"{out}/", "--no-disclaimer")
    assert result.returncode == 0, result.stderr
    assert "תל אביב" in manifest_of(out)["utterances"][1]["written"]


# -- HTML -------------------------------------------------------------------------------
ARTICLE_HTML = (
    "<article><h1>Harbour reopens</h1><p>The harbour reopened on Monday after three weeks of repairs, "
    "the port authority said in a statement.</p><p>Ferries ran on time and the cafes on the quay were "
    "busy again by noon, according to owners.</p></article>"
)


def test_html_nested_ten_thousand_levels_deep_through_the_cli(tmp_path: Path) -> None:
    page = tmp_path / "deep.html"
    page.write_text(f"<html><head><title>Deep</title></head><body>{'<div>' * 10_000}{ARTICLE_HTML}"
                    "</body></html>", encoding="utf-8")
    started = time.monotonic()
    result = run_narrate("script", "--raw", str(page))
    assert time.monotonic() - started < 20
    assert result.returncode == 0, result.stderr
    assert "The harbour reopened on Monday after three weeks of repairs, the port authority said " \
           "in a statement." in result.stdout.splitlines()


def test_html_scripts_iframes_entities_and_external_references_through_the_cli(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-MARKER-51c2")
    page = tmp_path / "hostile.html"
    page.write_text(
        f'<!DOCTYPE html [<!ENTITY xxe SYSTEM "file://{secret}"><!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        '<!ENTITY % remote SYSTEM "http://127.0.0.1:9/evil.dtd"> %remote;]>'
        '<html><head><title>Harbour reopens</title><script src="http://127.0.0.1:9/x.js"></script>'
        '<link rel="stylesheet" href="http://127.0.0.1:9/s.css"></head><body>'
        "<script>document.write('SCRIPT-TEXT')</script><iframe src='http://127.0.0.1:9/'>IFRAME-TEXT</iframe>"
        "<img src='http://127.0.0.1:9/p.gif'>"
        + ARTICLE_HTML.replace("</article>", "<p>Entity test: &xxe; &lol2; done here with more words.</p>"
                               "</article>")
        + "</body></html>", encoding="utf-8")
    result = run_narrate("script", "--raw", str(page))
    assert result.returncode == 0, result.stderr
    for leaked in ("SECRET-MARKER", "SCRIPT-TEXT", "IFRAME-TEXT", "lollol", "&xxe", "%remote"):
        assert leaked not in result.stdout
    assert "Ferries ran on time" in result.stdout


# -- paths ------------------------------------------------------------------------------
def test_paths_with_spaces_quotes_and_non_ascii(tmp_path: Path) -> None:
    folder = tmp_path / "news 'quoted' \"dq\" ünïcødé ñ 東京"
    folder.mkdir()
    src = folder / "story — it's \"here\".txt"
    src.write_text(SHORT, encoding="utf-8")
    out = folder / "out put ü"
    result = run_narrate(str(src), "-o", f"{out}/", "--no-disclaimer")
    assert result.returncode == 0, result.stderr
    assert (out / "harbour-reopens-after-repairs.mp3").is_file()
    named = folder / "Ünïcødé 'name' \"x\".mp3"
    result = run_narrate(str(src), "-o", str(named), "--no-disclaimer")
    assert result.returncode == 0, result.stderr
    assert named.is_file() and named.with_suffix(".json").is_file()
    assert manifest_of(out)["source"]["path"].endswith("story — it's \"here\".txt")


# -- destinations -----------------------------------------------------------------------
def test_a_missing_output_folder_is_created(tmp_path: Path, short_article: Path) -> None:
    out = tmp_path / "a" / "b" / "c"
    result = run_narrate(str(short_article), "-o", f"{out}/", "--no-disclaimer")
    assert result.returncode == 0, result.stderr
    assert (out / "harbour-reopens-after-repairs.mp3").is_file()


def test_a_read_only_output_folder(tmp_path: Path, short_article: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    if os.geteuid() == 0:  # root ignores permission bits: make the folder immutable instead
        if shutil.which("chattr") is None or subprocess.run(
                ["chattr", "+i", str(locked)], capture_output=True, check=False).returncode != 0:
            pytest.skip("running as root and chattr +i is not available on this filesystem")
    else:
        locked.chmod(0o555)
    try:
        result = run_narrate(str(short_article), "-o", f"{locked}/", "--no-disclaimer")
        assert_clean_failure(result, f"cannot write to {locked}", locked)
    finally:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(locked)], check=False)
        locked.chmod(0o755)


def test_a_full_output_filesystem(tmp_path: Path, short_article: Path) -> None:
    """A real full disk: a 16 KiB tmpfs in a private mount namespace (unshare -rm); the
    clips are cached beforehand, so the failure comes while writing the audio."""
    small = tmp_path / "small"
    small.mkdir()
    if shutil.which("unshare") is None or subprocess.run(
            ["unshare", "-rm", "mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", str(small)],
            capture_output=True, check=False).returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (no user namespaces)")
    warm = run_narrate(str(short_article), "-o", str(tmp_path / "warm.mp3"), "--no-disclaimer")
    assert warm.returncode == 0, warm.stderr
    script = (f"mount -t tmpfs -o size=16k tmpfs {shlex_quote(small)} && "
              f"{shlex_quote(sys.executable)} -m narrate {shlex_quote(short_article)} "
              f"-o {shlex_quote(small)}/ --no-disclaimer >/dev/null; code=$?; ls -A {shlex_quote(small)}; "
              "exit $code")
    result = subprocess.run(["unshare", "-rm", "sh", "-c", script], capture_output=True, text=True,
                            timeout=120, check=False)
    assert_clean_failure(result, "No space left on device")
    assert result.stdout.strip() == ""  # nothing left on the full filesystem


def shlex_quote(value: object) -> str:
    import shlex

    return shlex.quote(str(value))


def test_an_existing_output_is_replaced_atomically(tmp_path: Path, short_article: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    dest = out / "story.mp3"
    dest.write_bytes(b"old audio")
    (out / "story.json").write_text("{}")
    before = dest.stat().st_ino
    result = run_narrate(str(short_article), "-o", str(dest), "--no-disclaimer")
    assert result.returncode == 0, result.stderr
    assert dest.stat().st_ino != before  # a new file renamed into place, not rewritten in place
    manifest = json.loads((out / "story.json").read_text())
    import hashlib

    assert manifest["audio"]["sha256"] == hashlib.sha256(dest.read_bytes()).hexdigest()
    no_leftovers(out)


@pytest.mark.parametrize("link", ["story.mp3", "story.json", "story.vtt"])
def test_an_output_that_is_a_symlink_is_refused_and_nothing_is_written(
        tmp_path: Path, short_article: Path, link: str) -> None:
    out = tmp_path / "out"
    out.mkdir()
    target = tmp_path / "precious.txt"
    target.write_text("precious")
    (out / link).symlink_to(target)
    result = run_narrate(str(short_article), "-o", str(out / "story.mp3"), "--no-disclaimer")
    assert_clean_failure(result, f"refusing to replace {out / link}: it is a symbolic link")
    assert target.read_text() == "precious"
    assert sorted(p.name for p in out.iterdir()) == [link]  # no other output, no temporary file
    assert (out / link).is_symlink()
