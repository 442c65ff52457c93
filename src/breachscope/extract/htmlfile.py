"""HTML → the visible text as :class:`TextUnit` pieces, streamed.

The file is decoded like any text (:mod:`breachscope.extract.stream`; a ``<meta charset>`` is
not read) and fed to the standard library's tolerant ``html.parser``. Text inside ``script``,
``style``, ``template`` and ``noscript`` is dropped, character references are decoded
(``&eacute;`` → ``é``), and each piece of text is laid out on its source line, so a finding
reads ``line N`` with N the line of the HTML file. Tables are not rebuilt as tables (yet): a
``<td>`` is text on its line. A construct left open (an unterminated comment or tag) never
holds more than :data:`MAX_PENDING` characters: past that, the pending raw text is scanned as
text and parsing starts afresh.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from html.parser import HTMLParser
from pathlib import Path

from breachscope.extract.stream import decoded_chunks
from breachscope.extract.text import PlacedText
from breachscope.extract.units import TextUnit

#: Raw text the parser may hold while waiting for the end of a construct.
MAX_PENDING = 4 * 1024 * 1024
#: Elements whose content is never shown.
HIDDEN = frozenset({"script", "style", "template", "noscript"})
#: Feed the parser this many characters at a time.
FEED_CHARS = 64 * 1024


class _VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hidden = 0
        self.base = 0  # lines before the current parser run (after a reset)
        self.text = PlacedText()
        self.out: list[TextUnit] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in HIDDEN:
            self.hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in HIDDEN and self.hidden:
            self.hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden and data.strip():
            self.out.extend(self.text.add(self.base + self.getpos()[0], data))

    def unstick(self) -> None:
        """Too much raw text pending (an unterminated comment or tag): scan it as text and
        start a fresh parser state after it."""
        line = self.base + self.getpos()[0]
        pending = self.rawdata
        self.out.extend(self.text.add(line, pending))
        self.base = line + pending.count("\n") - 1
        hidden = self.hidden
        self.reset()
        self.hidden = hidden


def partition_html(path: Path) -> Iterator[TextUnit]:
    """Stream the visible text of an HTML file."""
    yield from visible_text_units(decoded_chunks(Path(path)))


def visible_text_units(chunks: Iterable[str], name: str = "") -> Iterator[TextUnit]:
    """The visible text of HTML given in pieces (a file's decoded blocks, a mail body), each
    piece of text on its line of the HTML source, in units named ``name``."""
    parser = _VisibleText()
    parser.text = PlacedText(name)
    for chunk in chunks:
        for start in range(0, len(chunk), FEED_CHARS):
            parser.feed(chunk[start : start + FEED_CHARS])
            if len(parser.rawdata) > MAX_PENDING:
                parser.unstick()
            if parser.out:
                yield from parser.out
                parser.out = []
    parser.close()
    yield from parser.out
    yield from parser.text.flush()
