"""Archive mode through the real command line: a mixed archive with broken items gives
exactly the report and exit code documented; names stay inside the output folder; a
run killed with SIGKILL and started again completes only what is missing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from audio_tools import duration_ms
from conftest import DATA, run_narrate

ARTICLE = (DATA / "reservoir.txt").read_text(encoding="utf-8")
PAGE = """<!doctype html><html><head><title>Ferry fares frozen</title></head><body>
<nav>Home / Local / Transport</nav><article><h1>Ferry fares frozen</h1>
<p>The island ferry will keep its fares unchanged for another year, the operator said on Monday.</p>
<p>Passengers had feared a rise after fuel costs climbed sharply over the summer months.</p>
</article><footer>Copyright 2026</footer></body></html>"""


def short(n: int) -> str:
    return f"Note number {n}. The council met on Monday and agreed the plan.\n"


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    root = tmp_path / "archive"
    (root / "2024" / "may").mkdir(parents=True)
    (root / "reservoir.txt").write_text(ARTICLE, encoding="utf-8")
    (root / "2024" / "sections.md").write_text((DATA / "three-sections.md").read_text(), encoding="utf-8")
    (root / "2024" / "may" / "ferry.html").write_text(PAGE, encoding="utf-8")
    legacy = "Caf\u00e9 owners met on Monday.\n".encode("cp1252")
    (root / "2024" / "may" / "café note.txt").write_bytes(legacy)
    (root / "broken-binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (root / "empty.md").write_text("   \n", encoding="utf-8")
    nav_only = "<html><body><nav>Home / News / Sport</nav><footer>Contact us</footer></body></html>"
    (root / "2024" / "nav-only.html").write_text(nav_only, encoding="utf-8")
    (root / "notes.pdf").write_bytes(b"%PDF-1.4 not an article")  # not an article type: ignored
    return root


def report(out: Path) -> dict[str, dict]:
    return {row["source"]: row for row in json.loads((out / "report.json").read_text())["items"]}


def test_mixed_archive_report_and_exit_code(archive: Path, tmp_path: Path) -> None:
    manifest = tmp_path / "extra.jsonl"
    manifest.write_text(
        json.dumps({"id": "../../escape/attempt", "text": short(1), "title": "Escape & <Attempt>",
                    "author": "A. Writer"}) + "\n"
        + json.dumps({"id": "dup", "text": short(2)}) + "\n"
        + json.dumps({"id": "DUP", "text": short(3)}) + "\n",
        encoding="utf-8",
    )
    out = tmp_path / "audio"
    result = run_narrate("batch", str(archive), "--manifest", str(manifest), "-o", str(out),
                         "--report-csv", str(out / "report.csv"))
    assert result.returncode == 1, result.stderr  # some failed
    assert "Traceback" not in result.stderr
    rows = report(out)
    by_name = {Path(k).name if not k.startswith("manifest:") else k: v for k, v in rows.items()}
    assert {k: v["status"] for k, v in by_name.items()} == {
        "reservoir.txt": "done", "sections.md": "done", "ferry.html": "done", "café note.txt": "done",
        "broken-binary.txt": "failed", "empty.md": "failed", "nav-only.html": "failed",
        "manifest:../../escape/attempt": "done", "manifest:dup": "done", "manifest:DUP": "done",
    }
    assert "binary" in by_name["broken-binary.txt"]["error"]
    assert "empty" in by_name["empty.md"]["error"]
    assert "no article text" in by_name["nav-only.html"]["error"]
    assert by_name["café note.txt"]["encoding"] in ("windows-1252", "iso-8859-1")
    # Outputs mirror the tree, stay inside the folder, never collide.
    assert (out / "2024" / "may" / "ferry.mp3").is_file()
    assert (out / "2024" / "may" / "cafe-note.mp3").is_file()
    assert (out / "escape" / "attempt.mp3").is_file()
    assert {(out / "dup.mp3").is_file(), (out / "DUP-2.mp3").is_file()} == {True}
    produced = [p for p in out.rglob("*") if p.is_file()]
    assert all(p.resolve().is_relative_to(out.resolve()) for p in produced)
    assert not list(tmp_path.glob("escape*")) and not (tmp_path / "attempt.mp3").exists()
    assert not [p for p in produced if p.name.endswith(".part")]
    for row in rows.values():
        if row["status"] == "done":
            audio = Path(row["output"])
            assert abs(duration_ms(audio) / 1000 - row["duration_s"]) < 0.2 * row["duration_s"] + 0.5
    assert (out / "report.csv").read_text(encoding="utf-8").startswith("source,output,status")
    assert "failed                 3" in result.stderr and "done                   7" in result.stderr
    manifest_json = json.loads((out / "escape" / "attempt.json").read_text())
    assert manifest_json["source"]["title"] == "Escape & <Attempt>"
    assert manifest_json["source"]["author"] == "A. Writer"


def test_rerun_skips_what_is_up_to_date_and_exits_zero(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for n in range(3):
        (src / f"n{n}.txt").write_text(short(n), encoding="utf-8")
    out = tmp_path / "out"
    first = run_narrate("batch", str(src), "-o", str(out), "-q")
    assert first.returncode == 0, first.stderr
    second = run_narrate("batch", str(src), "-o", str(out), "-q")
    assert second.returncode == 0
    assert {r["status"] for r in report(out).values()} == {"skipped"}
    forced = run_narrate("batch", str(src), "-o", str(out), "-q", "--force")
    assert {r["status"] for r in report(out).values()} == {"done"} and forced.returncode == 0


def test_a_batch_writes_the_same_files_beside_each_audio_as_one_narration(tmp_path: Path) -> None:
    """narrate batch takes the output flags of narrate ARTICLE: captions, word timings, the
    read-along page and the EPUB, each listed (with its hash) in the article's manifest."""
    src = tmp_path / "src"
    src.mkdir()
    for n in range(2):
        (src / f"n{n}.txt").write_text(short(n), encoding="utf-8")
    out = tmp_path / "out"
    result = run_narrate("batch", str(src), "-o", str(out), "-q", "--captions", "srt",
                         "--word-timings", "--player", "--epub")
    assert result.returncode == 0, result.stderr
    for n in range(2):
        manifest = json.loads((out / f"n{n}.json").read_text(encoding="utf-8"))
        assert set(manifest["files"].values()) >= {f"n{n}.srt", f"n{n}.words.vtt", f"n{n}.html", f"n{n}.epub"}
        assert all((out / name).is_file() for name in manifest["files"].values())
        assert f'src="n{n}.mp3"' in (out / f"n{n}.html").read_text(encoding="utf-8")
    again = run_narrate("batch", str(src), "-o", str(out), "-q", "--captions", "srt",
                        "--word-timings", "--player", "--epub")
    assert {r["status"] for r in report(out).values()} == {"skipped"}, again.stdout


def test_fail_fast_stops_at_the_first_failure(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a-empty.txt").write_text("", encoding="utf-8")
    for n in range(4):
        (src / f"b{n}.txt").write_text(short(n), encoding="utf-8")
    out = tmp_path / "out"
    result = run_narrate("batch", str(src), "-o", str(out), "--jobs", "1", "--fail-fast")
    assert result.returncode == 1
    statuses = [r["status"] for r in report(out).values()]
    assert statuses[0] == "failed" and set(statuses[1:]) == {"not run"}


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    missing = run_narrate("batch", str(tmp_path / "nope"), "-o", str(tmp_path / "out"))
    assert missing.returncode == 2 and "no such file" in missing.stderr
    nothing = run_narrate("batch", "-o", str(tmp_path / "out"))
    assert nothing.returncode == 2 and "give articles" in nothing.stderr
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n", encoding="utf-8")
    broken = run_narrate("batch", "--manifest", str(bad), "-o", str(tmp_path / "out"))
    assert broken.returncode == 2 and "line 1" in broken.stderr


def test_killed_run_resumes_and_remakes_nothing_needlessly(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for n in range(8):
        (src / f"item{n}.txt").write_text(ARTICLE.replace("Monday", f"day {n}"), encoding="utf-8")
    out = tmp_path / "out"
    cache = tmp_path / "cache"
    env = {**os.environ, "NARRATE_CACHE_DIR": str(cache)}
    proc = subprocess.Popen([sys.executable, "-m", "narrate", "batch", str(src), "-o", str(out), "-q",
                             "--jobs", "1"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(out.glob("*.json"))) < 2:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # the whole process group: workers too
    proc.wait()
    finished_before = {p.stem for p in out.glob("item*.json")}
    assert 2 <= len(finished_before) < 8
    mtimes = {p.name: p.stat().st_mtime_ns for p in out.glob("item*.mp3")}
    again = subprocess.run([sys.executable, "-m", "narrate", "batch", str(src), "-o", str(out), "-q"],
                           env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    rows = report(out)
    for source, row in rows.items():
        expected = "skipped" if Path(source).stem in finished_before else "done"
        assert row["status"] == expected, (source, row)
    for name, mtime in mtimes.items():
        if Path(name).stem in finished_before:
            assert (out / name).stat().st_mtime_ns == mtime  # not re-made
    for audio in out.glob("item*.mp3"):  # every output complete and valid
        manifest = json.loads(audio.with_suffix(".json").read_text())
        assert manifest["audio"]["bytes"] == audio.stat().st_size
        assert abs(duration_ms(audio) - manifest["audio"]["duration_ms"]) < 200
    assert not [p for p in out.rglob("*.part")]  # leftovers of the killed run are gone
