"""Issue 21, the second hostile-input round: one test per class of defect, through the
real command line. Each names its class; each failed before its fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import run_narrate

P1 = "The first paragraph of the story is here now."
P2 = "The second paragraph is also here in full."
P3 = "The third paragraph ends the whole story now."

VOID = ["area", "base", "basefont", "bgsound", "br", "col", "command", "embed", "frame", "hr",
        "image", "img", "input", "isindex", "keygen", "link", "menuitem", "meta", "param",
        "source", "track", "wbr"]


def said(*args: str) -> list[str]:
    result = run_narrate("script", "--raw", *args)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


# -- 1. silent loss: void elements without an end tag ------------------------------------
def test_void_elements_without_an_end_tag_lose_nothing(tmp_path) -> None:
    """Every HTML void element, written bare between paragraphs, in one page."""
    paragraphs = [f"Paragraph {n} follows a bare {void} element in the page." for n, void in enumerate(VOID)]
    body = "".join(f'<{void} src="x.swf"><p>{text}</p>' for void, text in zip(VOID, paragraphs, strict=True))
    page = tmp_path / "page.html"
    page.write_text(f"<html><body><article><h1>Harbour reopens</h1><p>{P1}</p>{body}</article></body></html>",
                    encoding="utf-8")
    assert said(str(page)) == ["Harbour reopens", P1, *paragraphs]


# -- 2. silent loss: repeated paragraphs glue text, the headline read twice -------------
@pytest.mark.parametrize("body", [
    "<div><h1>Harbour reopens</h1><p>{A}</p><p>{A}</p><p>{B}</p></div>",
    "<div><h2>Harbour reopens</h2><div>{A}</div><div>{A}</div><div>{B}</div></div>",
    "<div><h1>Harbour reopens</h1>{A}<br>{A}<p>{B}</p></div>",
    "<article><header><h1>Harbour reopens</h1></header>{A}<br>{A}<p>{B}</p></article>",
])
def test_repeated_paragraphs_stay_apart_and_the_headline_is_read_once(tmp_path, body: str) -> None:
    a, b = "The harbour reopened on Monday.", "Ferries will run on the old timetable until next month."
    page = tmp_path / "page.html"
    page.write_text("<html><head><title>Harbour reopens</title></head><body>"
                    + body.format(A=a, B=b) + "</body></html>", encoding="utf-8")
    lines = said(str(page))
    assert lines[0] == "Harbour reopens"
    assert all("Harbour" not in line for line in lines[1:]), lines
    assert set(lines[1:]) == {a, b}, lines  # no "reopensThe", no "month The"


# -- 3. front matter is metadata, never read ----------------------------------------------
@pytest.mark.parametrize("front", [
    '---\ntitle: "Harbour reopens"\nauthor: Jane Doe\ndate: 2024-05-01\ntags: [port, ferries]\n---\n',
    '+++\ntitle = "Harbour reopens"\nauthor = "Jane Doe"\ndate = 2024-05-01\n+++\n',
])
@pytest.mark.parametrize("suffix", [".md", ".txt"])
def test_front_matter_is_metadata_never_read(tmp_path, front: str, suffix: str) -> None:
    src = tmp_path / f"post{suffix}"
    src.write_text(front + f"\n{P1}\n\n{P2}\n", encoding="utf-8")
    assert said(str(src)) == ["Harbour reopens", P1, P2]
    if suffix == ".txt" or front.startswith("+"):
        return  # one narration shows the metadata reaching the manifest
    out = tmp_path / "out"
    result = run_narrate(str(src), "-o", f"{out}/", "--no-disclaimer", "--captions", "vtt")
    assert result.returncode == 0, result.stderr
    import json

    manifest = json.loads((out / "harbour-reopens.json").read_text(encoding="utf-8"))
    assert manifest["source"]["author"] == "Jane Doe"
    assert manifest["source"]["date"] == "2024-05-01"


# -- 4. inline HTML in Markdown is never read --------------------------------------------
def test_inline_html_in_markdown_is_never_read(tmp_path) -> None:
    src = tmp_path / "post.md"
    src.write_text(
        "# Harbour reopens\n\nThe harbour reopened on Monday &mdash; at last &amp; on time.\n\n"
        '<blockquote class="twitter-tweet"><p>Ships are back!</p></blockquote>\n'
        '<script async src="https://platform.twitter.com/widgets.js" charset="utf-8">\n'
        "var twttr = window.twttr || {};\n</script>\n<style>\n.embed { color: red }\n</style>\n"
        "<!-- a comment\nover two lines -->\n\nFerries run on time.\n", encoding="utf-8")
    assert said(str(src)) == ["Harbour reopens", "The harbour reopened on Monday — at last & on time.",
                              "Ships are back!", "Ferries run on time."]


# -- batch helpers -----------------------------------------------------------------------
ARTICLE = "Harbour reopens after repairs\n\nThe harbour reopened on Monday after three weeks.\n"


def batch(*args: str, prefix: tuple[str, ...] = (), timeout: float = 120):
    import os
    import subprocess
    import sys

    return subprocess.run([*prefix, sys.executable, "-m", "narrate", "batch", *args], capture_output=True,
                          timeout=timeout, check=False, env={**os.environ, "NARRATE_DEBUG": ""})


def report_rows(out) -> dict[str, dict]:
    import json

    record = json.loads((out / "report.json").read_text(encoding="utf-8"))
    return {row["source"]: row for row in record["items"]}


# -- 5. an unreadable subfolder is a failed row -----------------------------------------
def test_unreadable_items_in_a_batch_are_failed_rows(tmp_path) -> None:
    """Root reads everything: the folders belong to a user the namespace does not map,
    so inside ``unshare -r`` their modes apply."""
    import os
    import shutil

    if shutil.which("unshare") is None:
        pytest.skip("needs unshare")
    archive = tmp_path / "archive"
    for name in ("good", "locked", "nosearch"):
        (archive / name).mkdir(parents=True)
        (archive / name / "story.txt").write_text(ARTICLE, encoding="utf-8")
    for name, mode in (("locked", 0o000), ("nosearch", 0o644)):
        os.chown(archive / name / "story.txt", 12345, 12345)
        os.chown(archive / name, 12345, 12345)
        os.chmod(archive / name, mode)
    out = tmp_path / "out"
    result = batch(str(archive), "-o", str(out), prefix=("unshare", "-r"))
    if b"unshare failed" in result.stderr:
        pytest.skip("user namespaces are not available")
    assert result.returncode == 1, result.stderr
    rows = report_rows(out)
    assert rows[f"{archive}/good/story.txt"]["status"] == "done"
    assert rows[f"{archive}/locked"]["status"] == "failed"
    assert "Permission denied" in rows[f"{archive}/locked"]["error"]
    assert rows[f"{archive}/nosearch/story.txt"]["status"] == "failed"
    assert len(rows) == 3


# -- 10. a file name that is not UTF-8 ---------------------------------------------------
def test_a_file_name_that_is_not_utf8_is_narrated_and_reported(tmp_path) -> None:
    import os

    archive = tmp_path / "archive"
    archive.mkdir()
    with open(os.path.join(os.fsencode(archive), b"caf\xe9.txt"), "w", encoding="utf-8") as handle:
        handle.write(ARTICLE)
    out = tmp_path / "out"
    for _ in range(2):  # and again: skipped, not failed
        result = batch(str(archive), "-o", str(out))
        assert result.returncode == 0, result.stderr
        (row,) = report_rows(out).values()
        assert row["source"] == f"{archive}/caf\\xe9.txt" and row["status"] in ("done", "skipped")
    assert row["status"] == "skipped"


# -- 12. symbolic link cycles end --------------------------------------------------------
def test_symlink_cycles_in_globs_and_lists_end(tmp_path) -> None:
    archive = tmp_path / "archive"
    (archive / "sub").mkdir(parents=True)
    (archive / "sub" / "story.txt").write_text(ARTICLE, encoding="utf-8")
    (archive / "sub" / "up").symlink_to("..")
    (archive / "sub" / "again").symlink_to("../sub")
    listing = tmp_path / "list.txt"
    listing.write_text(f"{archive}\n{archive}/**/*.txt\n", encoding="utf-8")
    out = tmp_path / "out"
    result = batch(f"{archive}/**/*.txt", "--from-list", str(listing), "-o", str(out), timeout=60)
    assert result.returncode == 0, result.stderr
    assert [row["status"] for row in report_rows(out).values()] == ["done"]


# -- 6. -o never destroys the article, a device or a FIFO --------------------------------
def test_output_that_is_the_input_or_not_a_regular_file_is_refused(tmp_path) -> None:
    import os
    import stat

    from conftest import assert_clean_failure

    src = tmp_path / "story.txt"
    src.write_text(ARTICLE, encoding="utf-8")
    caption_src = tmp_path / "story.vtt"  # an article whose name a sidecar would take
    caption_src.write_text(ARTICLE, encoding="utf-8")
    fifo = tmp_path / "pipe.mp3"
    os.mkfifo(fifo)
    device = tmp_path / "null.mp3"
    os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # a copy of /dev/null
    cases = [(src, str(src), "it is the article being narrated"),
             (caption_src, str(tmp_path / "story.mp3"), "it is the article being narrated"),
             (src, str(fifo), "not a regular file"), (src, str(device), "not a regular file")]
    for article, output, message in cases:
        assert_clean_failure(run_narrate(str(article), "-o", output), message)
    assert src.read_text(encoding="utf-8") == ARTICLE and caption_src.read_text(encoding="utf-8") == ARTICLE
    assert stat.S_ISFIFO(fifo.lstat().st_mode) and stat.S_ISCHR(device.lstat().st_mode)
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")]


# -- 7. output names never collide and never move ----------------------------------------
def test_batch_output_names_never_collide_and_never_move(tmp_path) -> None:
    import json

    archive = tmp_path / "archive"
    archive.mkdir()
    for name in ("report.md", "story.txt", "a.txt", "a.chapters.txt"):
        (archive / name).write_text(f"The article in {name}\n\nThe harbour reopened on Monday.\n",
                                    encoding="utf-8")
    out = tmp_path / "out"
    assert batch(str(archive), "-o", str(out)).returncode == 0
    story = (out / "story.mp3").read_bytes()
    (archive / "story.md").write_text("# Another story\n\nFerries ran late on Tuesday.\n", encoding="utf-8")
    second = batch(str(archive), "-o", str(out))
    assert second.returncode == 0, second.stderr
    rows = report_rows(out)  # the report is a report, not an article's manifest
    assert {Path(r["source"]).name: Path(r["output"]).name for r in rows.values()} == {
        "report.md": "report-2.mp3", "story.txt": "story.mp3", "a.txt": "a.mp3",
        "a.chapters.txt": "a-chapters.mp3", "story.md": "story-2.mp3"}
    assert [r["status"] for r in rows.values()].count("skipped") == 4  # none re-made
    assert (out / "story.mp3").read_bytes() == story  # not re-pointed to the new article
    chapters = json.loads((out / "a.chapters.json").read_text(encoding="utf-8"))
    assert chapters["chapters"][1]["title"] == "The article in a.txt"


# -- 8. one engine worker dying sinks nothing --------------------------------------------
DYING_ENGINE = '''
import os, signal
from narrate.models import Clip

class DieOnceEngine:
    """Speaks like a tone-less engine; the first worker to speak is killed (SIGKILL, as
    the OOM killer would) the first time, and only then."""
    name = "dieonce"
    bounded = True
    def __init__(self, settings): self.settings = settings
    @classmethod
    def load(cls, settings): return cls(settings)
    @classmethod
    def identity(cls, settings): return "dieonce 1"
    def voices(self): return []
    def close(self): pass
    def synthesize(self, text):
        marker = os.environ["DIE_ONCE_MARKER"]
        try:
            os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            return Clip(b"\\x10\\x00" * int(16000 * len(text) / 17.5), 16000)
        os.kill(os.getpid(), signal.SIGKILL)
'''


def install_engine(tmp_path: Path, module: str, source: str, entry: str) -> dict[str, str]:
    import os

    site = tmp_path / "site"
    (site / f"{module}-1.0.dist-info").mkdir(parents=True)
    (site / f"{module}.py").write_text(source, encoding="utf-8")
    (site / f"{module}-1.0.dist-info" / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {module}\nVersion: 1.0\n", encoding="utf-8")
    (site / f"{module}-1.0.dist-info" / "entry_points.txt").write_text(
        f"[narrate.engines]\n{entry}\n", encoding="utf-8")
    return {"PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}


def test_one_dead_engine_worker_is_replaced_and_its_article_retried(tmp_path, monkeypatch) -> None:
    env = install_engine(tmp_path, "dying_engine", DYING_ENGINE, "dieonce = dying_engine:DieOnceEngine")
    for name, value in {**env, "DIE_ONCE_MARKER": str(tmp_path / "died")}.items():
        monkeypatch.setenv(name, value)
    archive = tmp_path / "archive"
    archive.mkdir()
    for n in range(6):
        (archive / f"story-{n}.txt").write_text(
            f"Story number {n} is here\n\nThe harbour reopened on Monday. Ferries ran on time. "
            f"The council met on Tuesday. Story {n} ends here.\n", encoding="utf-8")
    out = tmp_path / "out"
    result = batch(str(archive), "-o", str(out), "--engine", "dieonce", "--jobs", "2", "--no-cache")
    assert (tmp_path / "died").exists()  # a worker did die
    assert result.returncode == 0, result.stderr
    assert [row["status"] for row in report_rows(out).values()] == ["done"] * 6
    assert b"BrokenProcessPool" not in result.stderr and b"NoneType" not in result.stderr


def feed_of(folder: Path):
    from xml.etree import ElementTree

    result = run_narrate("feed", str(folder), "--base-url", "https://example.org/pod/", "--title", "Show",
                         "--description", "A show.", "--image", "cover.jpg")
    assert result.returncode == 0, result.stderr
    return ElementTree.parse(folder / "feed.xml").getroot()


# -- 9. a control character never costs the feed -----------------------------------------
def test_control_characters_never_reach_the_audio_text_or_cost_the_feed(tmp_path) -> None:
    import json

    out = tmp_path / "out"
    src = tmp_path / "bell.txt"
    src.write_text("Harbour \x07reopens \x1b[31mtoday\x1b[0m\n\nThe harbour\x01 reopened on Monday.\x85\n",
                   encoding="utf-8")
    assert run_narrate(str(src), "-o", f"{out}/", "--no-disclaimer").returncode == 0
    manifest = json.loads((out / "harbour-reopens-today.json").read_text(encoding="utf-8"))
    assert manifest["source"]["title"] == "Harbour reopens today"
    assert [u["written"] for u in manifest["utterances"]][1:] == ["The harbour reopened on Monday."]
    # An older manifest (or one edited by hand) with control characters: the feed is still made.
    manifest["source"]["title"] = "Bell \x07 and escape \x1b here"
    manifest["utterances"][1]["written"] = "Text with a \x01 in it."
    (out / "harbour-reopens-today.json").write_text(json.dumps(manifest), encoding="utf-8")
    root = feed_of(out)
    assert root.find("channel/item/title").text == "Bell  and escape  here"


# -- 20. only http(s) URLs become links ----------------------------------------------------
def test_only_http_urls_become_feed_links(tmp_path) -> None:
    import json

    page = tmp_path / "page.html"
    page.write_text('<html><head><link rel="canonical" href="javascript:alert(1)"><title>Harbour reopens'
                    f"</title></head><body><article><h1>Harbour reopens</h1><p>{P1}</p><p>{P2}</p></article>"
                    "</body></html>", encoding="utf-8")
    out = tmp_path / "out"
    assert run_narrate(str(page), "-o", f"{out}/", "--no-disclaimer").returncode == 0
    manifest_path = out / "harbour-reopens.json"
    assert json.loads(manifest_path.read_text(encoding="utf-8"))["source"]["url"] is None
    for url in ("javascript:alert(1)", "data:text/html,x", "file:///etc/passwd", " JAVASCRIPT:x"):
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        manifest["source"]["url"] = url  # as a hand-edited or older manifest may say
        manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
        item = feed_of(out).find("channel/item")
        assert item.find("link") is None
        assert item.find("guid").text.startswith("narrate:")


# -- 11. a reader that goes away costs no work ---------------------------------------------
def test_a_broken_or_closed_output_stream_loses_no_work(tmp_path) -> None:
    import os
    import subprocess
    import sys

    archive = tmp_path / "archive"
    archive.mkdir()
    for n in range(4):
        (archive / f"s{n}.txt").write_text(f"Story {n} is here\n\nThe harbour reopened on Monday.\n",
                                           encoding="utf-8")
    out = tmp_path / "out"
    # narrate batch … 2>&1 | head -1
    command = [sys.executable, "-m", "narrate", "batch", str(archive), "-o", str(out)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT) as proc:
        assert proc.stdout is not None
        proc.stdout.readline()
        proc.stdout.close()
        assert proc.wait(timeout=120) == 0
    assert [r["status"] for r in report_rows(out).values()] == ["done"] * 4
    # stdout and stderr closed altogether (>&- 2>&-)
    single = tmp_path / "single"
    closed = subprocess.run([sys.executable, "-m", "narrate", str(archive / "s0.txt"), "-o", f"{single}/"],
                            preexec_fn=lambda: (os.close(1), os.close(2)), timeout=120, check=False)
    assert closed.returncode == 0
    assert (single / "story-0-is-here.mp3").stat().st_size > 0
    closed = subprocess.run([*command[:-1], str(tmp_path / "again")], preexec_fn=lambda: os.close(2),
                            timeout=120, check=False)
    assert closed.returncode == 0 and (tmp_path / "again" / "report.json").is_file()


# -- 13. more headings than ID3 holds: chapters grouped, never a failure ------------------
def test_more_headings_than_id3_holds_groups_chapters_and_says_so(tmp_path) -> None:
    import json
    import subprocess

    src = tmp_path / "many.md"
    parts = "".join(f"## Part {n}\n\n" for n in range(260))
    src.write_text("# Many parts\n\nIntro.\n\n" + parts, encoding="utf-8")
    out = tmp_path / "out"
    result = run_narrate(str(src), "-o", f"{out}/", "--no-disclaimer", timeout=300)
    assert result.returncode == 0, result.stderr
    assert "grouped into 250" in result.stderr
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-show_chapters", "-of", "json", str(out / "many-parts.mp3")],
        capture_output=True, text=True, check=True)
    titles = [c["tags"]["title"] for c in json.loads(probe.stdout)["chapters"]]
    assert len(titles) == 250 and titles[0] == "Many parts" and titles[-1].startswith("Part 25")


# -- 17. settings are checked: one line naming file, key, value and what is allowed -------
BAD_PROFILES = [
    ('rate = "fast"', "rate = 'fast' is not allowed; use a whole number from 80 to 500"),
    ("rate = 0", "rate = 0 is not allowed"),
    ("volume = nan", "volume = nan is not allowed; use a number from 0 to 1"),
    ("pitch = true", "pitch = true is not allowed"),
    ('[output]\ncaptions = "vtt"', "[output] captions = 'vtt' is not allowed"),
    ("[pauses]\nsentence = -5", "[pauses] sentence = -5 is not allowed"),
    ('[output]\nformat = "exe"', "[output] format = 'exe' is not allowed"),
    ('[output]\nbitrate = "lots"', "[output] bitrate = 'lots' is not allowed"),
]


def test_unchecked_settings_are_one_line_errors(tmp_path) -> None:
    import resource
    import subprocess
    import sys

    from conftest import assert_clean_failure

    src = tmp_path / "story.txt"
    src.write_text(ARTICLE, encoding="utf-8")
    profile = tmp_path / "bad.toml"
    for text, message in BAD_PROFILES:
        profile.write_text(text + "\n", encoding="utf-8")
        result = run_narrate(str(src), "--profile", str(profile), "-o", str(tmp_path / "out.mp3"))
        assert_clean_failure(result, f"voice profile {profile}: {message}")
    assert not (tmp_path / "out.mp3").exists()

    def few_files() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (15, 15))

    result = subprocess.run([sys.executable, "-m", "narrate", str(src), "-o", str(tmp_path / "out.mp3")],
                            capture_output=True, text=True, preexec_fn=few_files, timeout=60, check=False)
    assert_clean_failure(result, "Too many open files")


# -- 18. loudness is range-checked ------------------------------------------------------------
@pytest.mark.parametrize("loudness", ["-4", "50", "-41"])
def test_loudness_out_of_range_is_refused(tmp_path, loudness: str) -> None:
    from conftest import assert_clean_failure

    src = tmp_path / "story.txt"
    src.write_text(ARTICLE, encoding="utf-8")
    profile = tmp_path / "loud.toml"
    profile.write_text(f"[output]\nloudness = {loudness}\n", encoding="utf-8")
    assert_clean_failure(run_narrate(str(src), "--profile", str(profile), "-o", f"{tmp_path}/out/"),
                         f"[output] loudness = {loudness} is not allowed; use a number from -40 to -5",
                         tmp_path / "out")
    result = run_narrate(str(src), "--loudness", loudness, "-o", f"{tmp_path}/out/")
    assert result.returncode == 2 and "Traceback" not in result.stderr


# -- 19. a cover must be a real JPEG or PNG, bounded in size -------------------------------
def test_cover_must_be_a_real_image(tmp_path) -> None:
    from conftest import assert_clean_failure

    src = tmp_path / "story.txt"
    src.write_text(ARTICLE, encoding="utf-8")
    secret = tmp_path / "shadow.jpg"
    secret.write_text("root:$6$secret:19000:0:99999:7:::\n", encoding="utf-8")
    huge = tmp_path / "huge.png"
    huge.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(11 * 1024 * 1024))
    out = tmp_path / "out"
    assert_clean_failure(run_narrate(str(src), "--cover", str(secret), "-o", f"{out}/"),
                         "not a JPEG or PNG image", out)
    assert_clean_failure(run_narrate(str(src), "--cover", str(huge), "-o", f"{out}/"), "at most 10 MB", out)
    profile = tmp_path / "p.toml"
    profile.write_text('[output]\ncover = "shadow.jpg"\n', encoding="utf-8")
    assert_clean_failure(run_narrate(str(src), "--profile", str(profile), "-o", f"{out}/"),
                         "not a JPEG or PNG image", out)


# -- 21. a damaged sidecar is never "up to date" ------------------------------------------
@pytest.mark.parametrize("damage", ["story.vtt", "story.chapters.json"])
def test_a_damaged_sidecar_is_not_up_to_date(tmp_path, damage: str) -> None:
    src = tmp_path / "story.txt"
    src.write_text(ARTICLE, encoding="utf-8")
    out = tmp_path / "story.mp3"
    assert run_narrate(str(src), "-o", str(out)).returncode == 0
    good = (tmp_path / damage).read_bytes()
    again = run_narrate(str(src), "-o", str(out))
    assert "up to date" in again.stdout
    (tmp_path / damage).write_bytes(good[: len(good) // 2])  # truncated, as a crash or a copy may leave it
    remade = run_narrate(str(src), "-o", str(out))
    assert remade.returncode == 0 and "up to date" not in remade.stdout
    assert (tmp_path / damage).read_bytes() == good


# -- 22. small things that sank an article -------------------------------------------------
def test_small_inputs_that_sank_an_article(tmp_path, monkeypatch) -> None:
    import json
    import os
    import shutil

    src = tmp_path / "story.txt"
    src.write_text(f"Harbour news today\n\nThe sign said {'B' * 36} and {'M' * 30}.\n", encoding="utf-8")
    # the README's lexicon key, "replacement"
    lexicon = tmp_path / "names.toml"
    lexicon.write_text('[[rules]]\npattern = "Harbour"\nreplacement = "Port"\n', encoding="utf-8")
    assert said(str(src), "--lexicon", str(lexicon))[0] == "Harbour news today"  # --raw: as written
    spoken = run_narrate("script", str(src), "--lexicon", str(lexicon))
    assert spoken.returncode == 0 and spoken.stdout.startswith("Port news today"), spoken.stderr
    # thirty and more of one capital letter: narrated, not "unusable audio"
    out = tmp_path / "out"
    result = run_narrate(str(src), "-o", f"{out}/", "--no-disclaimer")
    assert result.returncode == 0, result.stderr
    # "text": null in a batch manifest is no text, not the word "None"
    entries = tmp_path / "entries.jsonl"
    entries.write_text(json.dumps({"id": "a", "text": None, "html": None,
                                   "path": str(src)}) + "\n" + json.dumps({"id": "b", "text": None}) + "\n",
                       encoding="utf-8")
    ran = batch("--manifest", str(entries), "-o", str(tmp_path / "jsonl"))
    rows = report_rows(tmp_path / "jsonl")
    assert rows["manifest:a"]["status"] == "done", ran.stderr
    assert rows["manifest:b"]["status"] == "failed"
    assert "none of text, html or path" in rows["manifest:b"]["error"]
    # a read-only cache is not "is the disk full?"
    if shutil.which("unshare") is None:
        return
    cache = tmp_path / "ro-cache"
    cache.mkdir()
    os.chown(cache, 12345, 12345)
    os.chmod(cache, 0o555)
    other = tmp_path / "other.txt"
    other.write_text("A fresh story\n\nNothing in this sentence was ever spoken before.\n", encoding="utf-8")
    monkeypatch.setenv("NARRATE_CACHE_DIR", str(cache))
    import subprocess
    import sys

    result = subprocess.run(["unshare", "-r", sys.executable, "-m", "narrate", str(other), "-o", f"{out}/"],
                            capture_output=True, text=True, timeout=120, check=False)
    if "unshare failed" in result.stderr:
        return
    assert result.returncode == 1, result.stderr
    assert "Permission denied" in result.stderr and "disk full" not in result.stderr, result.stderr


# -- 14. workers die with their parent; SIGTERM/SIGHUP as Ctrl-C; dead runs' temp cleaned --
def _children(pid: int) -> list[int]:
    import subprocess

    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False).stdout
    return [int(p) for p in found.split()]


def _alive(pid: int) -> bool:
    import os

    try:
        os.kill(pid, 0)
        with open(f"/proc/{pid}/stat", encoding="utf-8") as handle:
            return handle.read().split(") ")[1][0] != "Z"
    except (ProcessLookupError, FileNotFoundError):
        return False


@pytest.mark.parametrize("sig", ["SIGKILL", "SIGTERM", "SIGHUP"])
def test_killed_runs_leave_no_workers_and_no_temp_files(tmp_path, sig: str) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    src = tmp_path / "long.txt"
    src.write_text("A long story\n\n" + " ".join(f"Sentence number {n} of the story is spoken now."
                                                 for n in range(120)) + "\n", encoding="utf-8")
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {**os.environ, "TMPDIR": str(temp), "NARRATE_CACHE_DIR": str(tmp_path / "cache")}
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "narrate", str(src), "-o", f"{out}/", "--jobs", "2"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while len(_children(proc.pid)) < 2 or not list(temp.glob("narrate-*")):
        assert time.monotonic() < deadline and proc.poll() is None, "the run never got going"
        time.sleep(0.05)
    workers = _children(proc.pid)
    proc.send_signal(getattr(signal, sig))
    _, stderr = proc.communicate(timeout=30)
    if sig == "SIGKILL":
        assert proc.returncode == -signal.SIGKILL
    else:
        assert proc.returncode == 130 and stderr.strip().splitlines() == [
            "narrate: interrupted; nothing was written (run the command again)"], stderr
    deadline = time.monotonic() + 5
    while any(_alive(w) for w in workers):
        assert time.monotonic() < deadline, "an engine worker outlived its parent"
        time.sleep(0.05)
    assert not out.exists() or not [p for p in out.iterdir() if not p.name.startswith(".")]
    if sig != "SIGKILL":
        assert not list(temp.iterdir())
        return
    assert list(temp.glob("narrate-*"))  # the killed run's scratch folder is still there …
    again = subprocess.run([sys.executable, "-m", "narrate", str(src), "-o", f"{out}/"], env=env,
                           capture_output=True, text=True, timeout=300, check=False)
    assert again.returncode == 0, again.stderr
    assert not list(temp.iterdir())  # … until the next run
    assert not [p.name for p in out.iterdir() if p.name.endswith(".part")]
    assert not list((tmp_path / "cache").rglob(".tmp-*"))


# -- 15. every ingest path is linear ---------------------------------------------------------
PATHOLOGICAL = {
    "md-brackets": ("md", "# T\n\nA sentence to read.\n\n", "["),
    "md-angles": ("md", "# T\n\nA sentence to read.\n\n", "<"),
    "md-comments": ("md", "# T\n\nA sentence to read.\n\n", "<!--"),
    "md-scripts": ("md", "# T\n\nA sentence to read.\n\n", "<script>"),
    "md-links": ("md", "# T\n\nA sentence to read.\n\n", "[a]("),
    "txt-spaces": ("txt", "A title here\n\nA sentence to read.\n\n", " "),
}


@pytest.mark.parametrize("case", sorted(PATHOLOGICAL))
def test_ingest_is_linear_on_pathological_input(case: str) -> None:
    """Time per character stays flat from 25 KB to 100 KB (a quadratic parser's would grow
    fourfold); the CLI reads 200 KB of '[' in well under the 29.5 s it took."""
    import time

    from narrate.ingest import parse_document

    suffix, head, unit = PATHOLOGICAL[case]

    def per_char(size: int) -> float:
        text = head + unit * (size // len(unit)) + "\n"
        best = float("inf")
        for _ in range(3):
            started = time.perf_counter()
            parse_document(text, f"x.{suffix}", "")
            best = min(best, time.perf_counter() - started)
        return best / len(text)

    small, large = per_char(25_000), per_char(100_000)
    assert large < 2.5 * small + 2e-7, (small, large)


def test_a_200_kilobyte_file_of_brackets_reads_quickly(tmp_path) -> None:
    import time

    src = tmp_path / "brackets.md"
    src.write_text("# Brackets\n\nA sentence to read.\n\n" + "[" * 200_000 + "\n", encoding="utf-8")
    started = time.monotonic()
    result = run_narrate("script", str(src), timeout=60)
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started < 10


# -- 16. peak memory does not grow with length ----------------------------------------------
# narrate's own command line in a shell that reports the process's peak RSS (VmHWM) at exit:
# exact, where sampling /proc from outside would miss a short peak.
PEAK_SHELL = """
import atexit, sys
def _peak():
    with open("/proc/self/status") as status:
        sys.stderr.write(next(line for line in status if line.startswith("VmHWM:")))
atexit.register(_peak)
sys.argv[0] = "narrate"
from narrate.cli import main
main()
"""
HARBOUR = ("The harbour reopened on Monday after repairs to the old stone quay. Ferries ran on time and "
           "the council thanked the crews for their patience. Residents said the night sailings would "
           "help workers get home. The operator will review the timetable again in the spring.")


def test_peak_memory_does_not_grow_with_length(tmp_path) -> None:
    """A 6.5-minute narration peaks within 15 % of a 1-minute one (now ~6 %; before: +15 MB, 1.46x;
    155 MB for 58 minutes, 362 MB for 175). The same paragraph again and again, so the
    engines speak a few sentences once; the timeline, the MP3 encoders' batches, the word
    timings and the manifest grow with the length all the same. A cheap MP3 (32 kbps at
    32 kHz) keeps the test quick: the timeline, its pieces and their batches are the same."""
    import json
    import os
    import subprocess
    import sys

    def peak_mb(paragraphs: int) -> tuple[float, float]:
        work = tmp_path / str(paragraphs)
        work.mkdir()
        src = work / "report.md"
        parts = [f"## Part {n // 10 + 1}\n\n{HARBOUR}" if n % 10 == 0 else HARBOUR for n in range(paragraphs)]
        src.write_text("# Harbour report\n\n" + "\n\n".join(parts) + "\n", encoding="utf-8")
        result = subprocess.run(
            [sys.executable, "-c", PEAK_SHELL, str(src), "-o", f"{work}/", "-q", "--word-timings",
             "--sample-rate", "32000", "--bitrate", "32k"],
            env={**os.environ, "NARRATE_CACHE_DIR": str(work / "cache")}, capture_output=True, text=True,
            timeout=300, check=False)
        assert result.returncode == 0, result.stderr
        peak = result.stderr.strip().splitlines()[-1]
        assert peak.startswith("VmHWM:"), result.stderr
        manifest = json.loads((work / "harbour-report.json").read_text(encoding="utf-8"))
        return int(peak.split()[1]) / 1024, manifest["audio"]["duration_ms"] / 60_000

    (short, short_min), (long, long_min) = peak_mb(3), peak_mb(25)
    assert short_min < 1.2 and long_min > 6, (short_min, long_min)
    assert long <= 1.15 * short, f"{long_min:.1f} min: {long:.1f} MB; {short_min:.1f} min: {short:.1f} MB"
