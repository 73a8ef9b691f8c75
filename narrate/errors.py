"""One exception family: every failure a user can cause or meet is a NarrateError.

The CLI turns these into one line on stderr and an exit code; nothing else should
reach the user as a traceback.
"""

from __future__ import annotations


class NarrateError(Exception):
    """Base class. ``str(err)`` is the one-line message shown to the user."""

    exit_code = 1


class UsageError(NarrateError):
    """The command line itself is wrong (an unknown engine, conflicting flags)."""

    exit_code = 2


class InputError(NarrateError):
    """The article cannot be read or holds nothing to speak."""


class DependencyError(NarrateError):
    """A system component (espeak-ng, ffmpeg) is missing; the message says how to install it."""


class EngineError(NarrateError):
    """The speech engine failed for a sentence, after retries."""

    def __init__(self, message: str, *, text: str | None = None) -> None:
        super().__init__(message)
        self.text = text


class SuspectClip(EngineError):
    """One try made audio that cannot be right (silent, or far too long or short for its
    phonemes): the synthesiser makes it again, and reports the sentence if it stays so."""


class EncodeError(NarrateError):
    """ffmpeg failed; carries the command and its stderr for diagnosis."""

    def __init__(self, message: str, *, command: list[str] | None = None, stderr: str = "") -> None:
        super().__init__(message)
        self.command = command or []
        self.stderr = stderr


class OutputError(NarrateError):
    """The destination cannot be written."""


class ConfigError(NarrateError):
    """A voice profile, lexicon or setting is invalid."""


class SigningError(NarrateError):
    """The output could not be signed (C2PA Content Credentials): the key, the certificate
    or the SDK said no."""


class DisclosureMissing(NarrateError):
    """``narrate inspect --require-disclosure``: a disclosure layer is missing or invalid."""

    exit_code = 3
