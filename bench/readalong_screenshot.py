"""Regenerate the README's picture of the read-along page (docs/readalong.png).

    .venv/bin/python bench/readalong_screenshot.py [--out docs/readalong.png]

Narrates samples/ferry-timetable.md with --player into a temp folder, opens the page in
Debian's headless Chromium (the tests' browser, tests/browser_tools.py), pauses it in the
middle of a sentence and takes the picture: what a reader sees, highlight included.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
from browser_tools import chromium  # noqa: E402 (the tests' own browser)

SEEK_S = 20.9  # "… would cost $2.4 million a year to staff.": a word in the middle of a sentence


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "readalong.png")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        made = subprocess.run([sys.executable, "-m", "narrate", str(REPO / "samples" / "ferry-timetable.md"),
                               "--player", "-q", "-o", f"{tmp}/"], capture_output=True, text=True, check=True)
        page = Path(made.stdout.strip()).with_suffix(".html")
        with chromium(width=900, height=820, profile=Path(tmp)) as browser:
            browser.get(page.as_uri())
            browser.execute_async_script("""
                const [s, done] = arguments, a = document.getElementById('audio');
                a.addEventListener('seeked', () => done(), {once: true}); a.currentTime = s;""", SEEK_S)
            time.sleep(0.3)
            browser.execute_script("window.scrollTo(0, 0)")
            args.out.parent.mkdir(parents=True, exist_ok=True)
            browser.save_screenshot(str(args.out))
    print(args.out)


if __name__ == "__main__":
    main()
