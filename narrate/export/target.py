"""Where one narration goes and how it is made: decided once, by the pipeline, and handed
to the render and export steps as one value."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from narrate.config import Settings
from narrate.export.formats import Format, format_for
from narrate.models import Hints, Levels, Stamps


@dataclass(frozen=True)
class Target:
    dest: Path  # the audio file; its sidecars sit beside it
    settings: Settings  # resolved (Settings.resolved): the output format chosen, a worker count
    stamps: Stamps
    previous: Levels | None = None  # how the output it replaces was levelled, if the same settings made it
    hints: Hints | None = None  # readings shared by the articles of a batch

    @property
    def fmt(self) -> Format:
        return format_for(self.settings.output.format)

    @property
    def jobs(self) -> int:
        """Processes for the work that runs on every core (encoding, metering)."""
        return max(1, self.settings.jobs or 1)
