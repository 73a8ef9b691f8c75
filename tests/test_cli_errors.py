"""Every bad input through the real command line: one line on stderr naming the problem,
a non-zero exit code, no traceback, and nothing written at the destination."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import DATA, assert_clean_failure, run_narrate

ARTICLE = (DATA / "reservoir.txt").read_bytes()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.txt", b"", "is empty"),
        ("blank.txt", b"  \n\n\t  \n", "is empty"),
        ("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "looks like a binary file"),
        ("latin1.txt", "Caf\u00e9 owners met on Monday.".encode("latin-1"),
         "not valid UTF-8 (byte 0xe9 at offset 3)"),
        ("emoji.txt", "🎉🎉 🚀\n🙂\n".encode(), "nothing to speak"),
    ],
)
def test_unusable_articles(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    src = tmp_path / name
    src.write_bytes(content)
    out = tmp_path / "out"
    assert_clean_failure(run_narrate(str(src), "-o", f"{out}/"), message, out)


def test_missing_file(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_narrate(str(tmp_path / "nope.txt"), "-o", f"{out}/")
    assert_clean_failure(result, "nope.txt: no such file", out)


def test_directory_given_as_article(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert_clean_failure(run_narrate(str(tmp_path), "-o", f"{out}/"), "is a directory", out)


def test_empty_stdin(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_narrate("-", "-o", f"{out}/", stdin=b"")
    assert_clean_failure(result, "standard input is empty", out)


def test_output_folder_that_cannot_be_created(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    src = tmp_path / "a.txt"
    src.write_bytes(ARTICLE)
    result = run_narrate(str(src), "-o", str(blocker / "sub" / "x.mp3"))
    assert_clean_failure(result, "cannot", tmp_path / "nothing")
    assert blocker.read_text() == "not a folder"


def test_ffmpeg_missing_says_how_to_install(tmp_path: Path) -> None:
    import shutil
    import sys

    bin_dir = tmp_path / "bin"  # a PATH with python but without ffmpeg
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(sys.executable)
    src = tmp_path / "a.txt"
    src.write_bytes(ARTICLE)
    out = tmp_path / "out"
    assert shutil.which("ffmpeg", path=str(bin_dir)) is None
    result = run_narrate(str(src), "-o", f"{out}/", env={"PATH": str(bin_dir)})
    assert_clean_failure(result, "ffmpeg is missing; install it with: apt-get install ffmpeg", out)


def test_espeak_library_missing_says_how_to_install(tmp_path: Path) -> None:
    hide = tmp_path / "hide"
    hide.mkdir()
    # Make every attempt to load libespeak fail, as on a machine without the package.
    (hide / "sitecustomize.py").write_text(
        "import ctypes\n"
        "_load = ctypes.cdll.LoadLibrary\n"
        "def _refuse(name, *a, **k):\n"
        "    if 'espeak' in str(name):\n"
        "        raise OSError(name + ': cannot open shared object file')\n"
        "    return _load(name, *a, **k)\n"
        "ctypes.cdll.LoadLibrary = _refuse\n"
    )
    src = tmp_path / "a.txt"
    src.write_bytes(ARTICLE)
    out = tmp_path / "out"
    result = run_narrate(str(src), "-o", f"{out}/", "--no-cache", env={"PYTHONPATH": str(hide)})
    assert_clean_failure(result, "apt-get install espeak-ng libespeak-ng1", out)


def test_unknown_engine_and_voice_are_usage_errors(tmp_path: Path) -> None:
    src = tmp_path / "a.txt"
    src.write_bytes(ARTICLE)
    out = tmp_path / "out"
    result = run_narrate(str(src), "--engine", "nope", "-o", f"{out}/")
    known = "unknown engine 'nope'; available engines: espeak, festival, flite"
    assert_clean_failure(result, known, out, code=2)
    result = run_narrate(str(src), "--voice", "xx-nonsense", "--no-cache", "-o", f"{out}/")
    assert_clean_failure(result, "unknown voice 'xx-nonsense'", out, code=2)


def test_failed_run_keeps_an_existing_output_untouched(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    existing = out / "story.mp3"
    existing.write_bytes(b"previous good file")
    src = tmp_path / "emoji.txt"
    src.write_text("🙂🙂\n")
    result = run_narrate(str(src), "-o", str(existing))
    assert result.returncode == 1
    assert existing.read_bytes() == b"previous good file"
    assert sorted(p.name for p in out.iterdir()) == ["story.mp3"]
