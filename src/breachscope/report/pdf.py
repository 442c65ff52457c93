"""HTML → PDF with WeasyPrint, for the report and the letters: the same HTML the browser opens,
printed. Nothing is fetched: a URL fetcher that refuses everything (the product never opens a
network connection, and a report's HTML has every resource inline)."""

from __future__ import annotations

import logging
from pathlib import Path

from breachscope.outputs import write_private_bytes


class FetchRefused(Exception):
    """An HTML page asked for an external resource."""


def _no_fetch(url: str, *args: object, **kwargs: object) -> dict:
    # The reason names the scheme only: a URL could carry anything.
    raise FetchRefused(f"external resource refused ({url.split(':', 1)[0]}:)")


def html_to_pdf(html: str, out: Path) -> Path:
    """Print ``html`` to ``out`` (written ``0600``); returns ``out``."""
    from weasyprint import HTML

    # WeasyPrint logs every CSS property it ignores (pygal's SVG styles); they are not errors.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    data = HTML(string=html, url_fetcher=_no_fetch).write_pdf()
    return write_private_bytes(out, data)
