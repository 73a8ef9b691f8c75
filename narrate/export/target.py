"""Where one narration goes and how it is made: decided once, by the pipeline, and handed
to the render and export steps as one value."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from narrate.config import Settings
from narrate.export.formats import Format
from narrate.models import Hints, Levels, Stamps


@dataclass(frozen=True)
class Target:
    dest: Path  # the audio file; its sidecars sit beside it
    fmt: Format
    settings: Settings  # resolved: its output format is ``fmt``'s, its worker count a number
    stamps: Stamps
    previous: Levels | None = None  # how the output it replaces was levelled, if the same settings made it
    hints: Hints | None = None  # readings shared by the articles of a batch

    @property
    def jobs(self) -> int:
        """Processes for the work that runs on every core (encoding, metering)."""
        return max(1, self.settings.jobs or 1)
