"""A real browser for the read-along tests: Debian's headless Chromium, driven by selenium
through Debian's chromedriver. Nothing is downloaded: Selenium Manager is kept offline
(``SE_OFFLINE``) and given both programs' paths. The browser profile lives in a temp
folder; ``--autoplay-policy`` lets a muted page play without a sound device or a click.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--mute-audio", "--autoplay-policy=no-user-gesture-required")


def missing() -> str | None:
    """Why no browser can start here (None when one can)."""
    for program in (CHROMIUM, CHROMEDRIVER):
        if not program.exists():
            return f"{program} is missing (make test installs chromium and chromium-driver)"
    return None


@contextlib.contextmanager
def chromium(width: int = 1000, height: int = 900, profile: Path | None = None) -> Iterator[Any]:
    """A headless Chromium whose console log can be read (``driver.get_log("browser")``);
    quit, and its profile removed, however the block ends."""
    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must never look for a browser online
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    folder = Path(tempfile.mkdtemp(prefix="narrate-chromium-", dir=profile))
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*FLAGS, f"--user-data-dir={folder}", f"--window-size={width},{height}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(folder, ignore_errors=True)
