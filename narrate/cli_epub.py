"""``narrate epub``: articles → one EPUB 3 book whose text is synchronised with its
narration (Media Overlays). Registered on the group in cli.py; the work is
narrate.book's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from narrate.cli_shared import build_settings, fail, minutes, say, text_options, voice_options
from narrate.errors import NarrateError


@click.command()
@click.argument("inputs", nargs=-1, required=True, metavar="ARTICLE...")
@click.option("-o", "--output", metavar="PATH",
              help="The book (.epub), or a folder ending in /. Default: output/<slug-of-title>.epub")
@click.option("--audio-dir", default="output", show_default=True, metavar="DIR",
              help="Where the articles are narrated (outputs already up to date there are reused).")
@click.option("--title", metavar="TEXT", help="The book's title (default: the first article's).")
@click.option("--word-level", is_flag=True,
              help="Synchronise word by word (default: sentence by sentence, which every reading system "
                   "with Media Overlays plays well).")
@voice_options
@text_options
@click.option("--format", "format_", type=click.Choice(["mp3", "m4a"]), default="mp3", show_default=True,
              help="The audio inside the book (EPUB 3 holds MP3 and AAC).")
@click.option("-j", "--jobs", type=click.IntRange(0, 64), metavar="N",
              help="Synthesis worker processes (default: one per core).")
@click.option("-f", "--force", is_flag=True, help="Narrate the articles again even when up to date.")
@click.option("--keep-boilerplate", is_flag=True, help="Read scraped boilerplate too.")
@click.option("--encoding", default="utf-8", show_default=True, metavar="NAME|auto",
              help="Text encoding of the articles.")
@click.option("-q", "--quiet", is_flag=True, help="Print only the book's path.")
def epub(inputs: tuple[str, ...], output: str | None, audio_dir: str, title: str | None, word_level: bool,
         format_: str, force: bool, keep_boilerplate: bool, encoding: str, quiet: bool, **flags: Any) -> None:
    """Make one EPUB 3 of ARTICLEs, a chapter each, its text highlighted as it is read.

    \b
      narrate epub article.md                          # → output/<title>.epub
      narrate epub politics/ -o books/politics.epub    # every article in a folder
      narrate epub audio/politics/*.mp3                # narrations made by narrate batch
      narrate epub a.md b.md --title "Tuesday" --word-level

    Each ARTICLE (a .txt, .md or .html file, a folder of them, or a finished
    narration: its .mp3/.m4a or its manifest .json) is narrated as `narrate ARTICLE`
    would, into --audio-dir, unless it is up to date there. The book holds the text
    as XHTML, the audio, and a Media Overlay (SMIL) per chapter that synchronises
    them; its accessibility metadata (schema:accessMode, accessibilityFeature
    synchronizedAudioText, …) follows EPUB Accessibility 1.1. Reading systems such
    as Thorium Reader play it with the text highlighted.
    """
    from narrate.book import BookOptions, make_book

    def started(source: str) -> None:
        if not quiet:
            say(f"chapter: {source}", err=True)

    try:
        settings = build_settings(format=format_, **flags)
        options = BookOptions(output=output, audio_dir=Path(audio_dir), title=title, word_level=word_level,
                              force=force, keep_boilerplate=keep_boilerplate, encoding=encoding)
        book = make_book(list(inputs), settings, options, started)
    except NarrateError as err:
        fail(err)
    if quiet:
        say(str(book.path))
    else:
        chapters = f"{book.chapters} chapter{'s' * (book.chapters != 1)}"
        say(f"{book.path}  {minutes(book.duration_ms)}  ({chapters}, {book.narrated} narrated now)")
