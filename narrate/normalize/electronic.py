"""Electronic text: URLs, e-mail addresses, domains, @handles and #hashtags.

>>> normalize("Visit https://www.newsweek.com/world for more, or email press@example.org.")
'Visit newsweek dot com for more, or email press at example dot org.'
>>> normalize("A photo pic.twitter.com/Ab3dE9xQ and example.com/a/b?c=1.")
'A photo   and example dot com.'
>>> normalize("Follow @NATO and #StandWithArtsakh on castlemere-port.example.org")
'Follow at NATO and hashtag Stand With Artsakh on castlemere port dot example dot org'
"""

from __future__ import annotations

import re

from . import words
from ._data import Lazy, alternation, mapping
from ._data import words as table

_URL = Lazy(r"\b(?:https?://|www\.)[^\s\"'<>()\[\]]*[^\s\"'<>()\[\].,;:!?]")
_EMAIL = Lazy(r"(?<![\w.+-])([\w.+-]*\w)@((?:[\w-]+\.)+[A-Za-z]{2,})\b")
_DOMAIN = Lazy(
    lambda: rf"(?<![\w.@/-])((?:[A-Za-z0-9][\w-]*\.)+(?:{alternation(mapping('tlds'))}))(?![\w-]|\.\w)"
    r"(/[^\s\"'<>()\[\]]*[^\s\"'<>()\[\].,;:!?])?"  # a path is not read, as in a URL
)
_HANDLE = Lazy(r"(?<![\w@])@([A-Za-z_]\w*)", name="handle")
_HASHTAG = Lazy(r"(?<![\w#&])#(\w+)")
_CAMEL = Lazy(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])|_+")
# text without a match for the gate holds nothing for this class
_GATE = Lazy(r"[@#]|://|www\.|\.[a-z]{2}")


def camel(name: str) -> str:
    """``"StandWithArtsakh"`` → ``Stand With Artsakh``; ``"BBCWorld_News"`` → ``BBC World News``."""
    return " ".join(_CAMEL.rx.sub(" ", name).split())


def _label(label: str) -> str:
    label = label.replace("-", " ").replace("_", " ")
    return re.sub(r"\d+", lambda m: " " + words.digits(m.group(0)) + " ", label).strip()


def domain(name: str) -> str:
    """``"castlemere-port.example.org"`` → ``castlemere port dot example dot org``."""
    labels = name.lower().removeprefix("www.").split(".")
    tld = mapping("tlds").get(labels[-1]) or labels[-1]
    return " dot ".join([*(_label(x) for x in labels[:-1]), tld])


def _url(m: re.Match[str]) -> str:
    host = re.sub(r"^(?:https?://)?", "", m.group(0)).split("/")[0].split(":")[0].split("@")[-1]
    if host.lower().removeprefix("www.") in table("dropped_links"):
        return " "
    return domain(host) if "." in host else _label(host)


def _domain(m: re.Match[str]) -> str:
    """``example.com/page`` → example dot com; ``pic.twitter.com/Ab3dE9xQ`` → nothing."""
    if m.group(1).lower() in table("dropped_links"):
        return " " if m.group(2) else m.group(0)
    return domain(m.group(1))


def _email(m: re.Match[str]) -> str:
    local = " dot ".join(_label(part) for part in m.group(1).split(".") if part)
    return f"{local.replace('+', ' plus ')} at {domain(m.group(2))}"


def _hashtag(m: re.Match[str]) -> str:
    tag = m.group(1)
    return f"number {tag}" if tag.isdigit() else f"hashtag {camel(tag)}"


def normalize(text: str) -> str:
    """URLs read as their domain; addresses, domains, handles and tags read aloud."""
    if not _GATE.rx.search(text):
        return underscores(text)
    text = _URL.sub(_url, text)
    text = _EMAIL.sub(_email, text)
    text = _DOMAIN.sub(_domain, text)
    text = _HANDLE.sub(lambda m: "at " + camel(m.group(1)), text)
    return underscores(_HASHTAG.sub(_hashtag, text))


def underscores(text: str) -> str:
    """Underscores mean nothing to a listener once addresses are read: ``a_b`` → ``a b``."""
    return text.replace("_", " ") if "_" in text else text
