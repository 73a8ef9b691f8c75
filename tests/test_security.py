"""Security (issue 9): no network, no escape from the output folder, no shell, no engine
markup from article text, and lexicon regexes under a time bound."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import REPO, run_narrate
from narrate.config import load_profile
from narrate.engines.espeak import to_ssml
from narrate.engines.piper import speakable as unmark_phonemes
from narrate.models import Block, Document
from narrate.normalize import normalize
from narrate.script import build_script

BLOCK_NETWORK = '''
import os, socket
_LOG = os.environ["NARRATE_NET_LOG"]

def _refuse(what, *args):
    with open(_LOG, "a") as log:
        log.write(f"{os.getpid()} {what} {args!r}\\n")
    raise OSError("network access blocked by the test")

_connect = socket.socket.connect
def connect(self, address, *a):
    if self.family in (socket.AF_INET, socket.AF_INET6):
        _refuse("connect", address)
    return _connect(self, address, *a)
socket.socket.connect = connect
socket.socket.connect_ex = connect
socket.getaddrinfo = lambda *a, **k: _refuse("getaddrinfo", a)
socket.create_connection = lambda *a, **k: _refuse("create_connection", a)
'''

PAGE = """<!DOCTYPE html [<!ENTITY ext SYSTEM "http://127.0.0.1:9/ext.txt">
<!ENTITY % dtd SYSTEM "http://example.invalid/evil.dtd"> %dtd;]>
<html><head><title>Harbour reopens</title>
<link rel="stylesheet" href="http://example.invalid/site.css">
<script src="https://example.invalid/tracker.js"></script>
<link rel="canonical" href="https://news.example.invalid/harbour">
</head><body><iframe src="https://example.invalid/embed"></iframe>
<img src="http://example.invalid/pixel.gif"><video src="http://example.invalid/v.mp4"></video>
<article><h1>Harbour reopens</h1>
<p>The harbour reopened on Monday after three weeks of repairs, the port authority said.</p>
<p>Ferries ran on time and the cafes on the quay were busy again by noon. &ext;</p>
</article></body></html>"""


def test_narrating_a_page_with_external_references_never_touches_the_network(tmp_path: Path) -> None:
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(BLOCK_NETWORK)
    log = tmp_path / "net.log"
    page = tmp_path / "page.html"
    page.write_text(PAGE, encoding="utf-8")
    out = tmp_path / "out"
    env = {"PYTHONPATH": str(hook), "NARRATE_NET_LOG": str(log)}
    probe = subprocess.run([sys.executable, "-c", "import socket; socket.getaddrinfo('example.org', 80)"],
                           env={**env, "PATH": "/usr/bin:/bin"}, capture_output=True, text=True, check=False)
    assert probe.returncode != 0 and log.exists(), "the blocking hook is not active"
    log.unlink()
    result = run_narrate(str(page), "-o", f"{out}/", "--no-disclaimer", "-j", "1", env=env)
    assert result.returncode == 0, result.stderr
    assert not log.exists(), log.read_text()  # not one connection or name lookup was tried
    manifest = json.loads((out / "harbour-reopens.json").read_text())
    assert "Ferries ran on time" in manifest["utterances"][-1]["written"]


@pytest.mark.parametrize(
    "title",
    ["../../etc/passwd", "/etc/shadow", "..\\..\\Windows\\system32", "~/.bashrc", "..", "CON", ".hidden"],
)
def test_a_title_never_names_a_file_outside_the_output_folder(title: str) -> None:
    from narrate.pipeline import output_path

    doc = Document(title=title, blocks=(Block("paragraph", "Text."),), source="a.txt")
    for output in ("out/", None):
        dest, _ = output_path(doc, load_profile("default"), output)
        base = Path(output or "output").resolve()
        assert dest.resolve().parent == base, dest
        assert not dest.name.startswith("."), dest


def test_a_hostile_title_through_the_cli_stays_in_the_folder(tmp_path: Path) -> None:
    work = tmp_path / "work"
    (work / "out").mkdir(parents=True)
    src = work / "a.md"
    src.write_text("# ../../etc/passwd\n\nThe harbour reopened on Monday.\n", encoding="utf-8")
    result = run_narrate(str(src), "-o", "out/", "--no-disclaimer", cwd=work)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (work / "out").iterdir()) == [
        "etc-passwd.chapters.json", "etc-passwd.json", "etc-passwd.mp3", "etc-passwd.vtt"]
    assert sorted(p.name for p in work.iterdir()) == ["a.md", "out"]


def _calls(tree: ast.AST) -> list[ast.Call]:
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call)]


def _name(func: ast.expr) -> str:
    parts = []
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    if isinstance(func, ast.Name):
        parts.append(func.id)
    return ".".join(reversed(parts))


SPAWNERS = {"subprocess.run", "subprocess.Popen", "subprocess.call", "subprocess.check_call",
            "subprocess.check_output"}


def test_every_subprocess_takes_an_argument_list_never_a_shell() -> None:
    problems = []
    for path in sorted((REPO / "narrate").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for call in _calls(tree):
            name = _name(call.func)
            where = f"{path.relative_to(REPO)}:{call.lineno}"
            if name in ("os.system", "os.popen", "os.spawnl", "os.spawnlp", "os.execl", "os.execlp"):
                problems.append(f"{where}: {name}")
            if any(k.arg == "shell" and not (isinstance(k.value, ast.Constant) and k.value.value is False)
                   for k in call.keywords):
                problems.append(f"{where}: shell=")
            if name in SPAWNERS and call.args and isinstance(call.args[0], (ast.Constant, ast.JoinedStr)):
                problems.append(f"{where}: {name} with a command string")
    assert problems == []
    source = "\n".join(p.read_text(encoding="utf-8") for p in (REPO / "narrate").rglob("*.py"))
    assert "import os.system" not in source and "commands.getoutput" not in source


MARKUP = [
    "[[h@'loU w3:ld]] said the mayor.",
    "<speak><audio src='http://example.invalid/x.wav'/>Hello</speak>",
    '<phoneme alphabet="ipa" ph="təˈmeɪtoʊ">tomato</phoneme> prices rose.',
    "Prices rose <break time='100s'/> sharply &amp; quickly.",
    "{{SSML}} [[[a]]] <<b>> ]]text[[",
]


@pytest.mark.parametrize("text", MARKUP)
def test_article_text_cannot_carry_engine_markup(text: str) -> None:
    doc = Document(title=None, blocks=(Block("paragraph", text),), source="a.txt")
    for utterance in build_script(doc, load_profile("default")).utterances:
        assert not set("[]<>{}&/\\=") & set(utterance.spoken), utterance.spoken
    spoken = normalize(text)
    assert "[[" not in spoken and "<" not in spoken
    # And the engines that take markup escape what reaches them anyway.
    ssml = to_ssml(text).decode()
    assert ssml.startswith("<speak>") and ssml.count("<") == 2, ssml  # only our own <speak></speak>
    assert "[[" not in unmark_phonemes(text) and "]]" not in unmark_phonemes(text)


def test_phonemes_from_a_lexicon_survive() -> None:
    from narrate.normalize.lexicon import Lexicon

    lexicon = Lexicon.from_pairs({"Beglaryan": "[[bEglA@r'jAn]]"})
    assert "[[bEglA@r'jAn]]" in normalize("Artak Beglaryan said.", lexicon)


def test_a_runaway_lexicon_regex_is_stopped_by_the_time_bound() -> None:
    """Repeats side by side (not nested, so the static check lets them through) backtrack
    cubically on a long run of letters; the rule must be stopped, not left to run."""
    code = (
        "import time\n"
        "from narrate.normalize.lexicon import Lexicon, Rule\n"
        "from narrate.errors import ConfigError\n"
        "lex = Lexicon.from_pairs({}, (Rule(r'(?:[a-z]|a)*(?:[a-z]|a)*(?:[a-z]|a)*\\d', 'x'),))\n"
        "t = time.process_time()\n"
        "try:\n"
        "    lex.apply_rules('a' * 5000)\n"
        "    print('finished')\n"
        "except ConfigError as e:\n"
        "    print('stopped', e)\n"
        "print(round(time.process_time() - t, 2))\n"
    )
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                            check=False)
    assert result.returncode == 0, result.stderr
    status, elapsed = result.stdout.splitlines()
    assert status.startswith("stopped lexicon rule") and "is too slow" in status
    # CPU seconds, not wall time: a busy machine delays the stop but cannot make it cost more.
    assert float(elapsed) < 2.5 and time.monotonic() - started < 30
