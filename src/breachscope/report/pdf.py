"""HTML → PDF with WeasyPrint, for the report and the letters: the same HTML the browser opens,
printed. Nothing is fetched: the URL fetcher refuses every URL but ``data:`` (the product never
opens a network connection, and a report's HTML has every resource inline). A refused resource
is left out of the PDF with a warning, as WeasyPrint does for a missing image.

Imported only when a PDF is written (WeasyPrint takes a second to import)."""

from __future__ import annotations

import base64
import binascii
import logging
from pathlib import Path
from urllib.parse import unquote_to_bytes

from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from breachscope.outputs import write_private_bytes


class FetchRefused(Exception):
    """An HTML page asked for an external resource."""


class OfflineFetcher(URLFetcher):
    """WeasyPrint's fetcher, allowed ``data:`` URLs only (decoded in memory)."""

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        if url[:5].lower() == "data:":
            return _data_url(url)
        # The reason names the scheme only: a URL could carry anything (a patient's name).
        raise FetchRefused(f"external resource refused ({url.split(':', 1)[0][:10]}:)")


def _data_url(url: str) -> URLFetcherResponse:
    """Decode a ``data:[type][;base64],payload`` URL here rather than through urllib's
    opener: the scan's offline guard refuses urllib requests of any scheme, and a data URL
    needs nothing but this."""
    head, sep, payload = url[5:].partition(",")
    if not sep:
        raise FetchRefused("malformed data: URL")
    params = head.split(";")
    raw = unquote_to_bytes(payload)
    if params[-1].lower() == "base64":
        try:
            raw = base64.b64decode(raw, validate=False)
        except (ValueError, binascii.Error):
            raise FetchRefused("malformed data: URL") from None
        params = params[:-1]
    mime = params[0] or "text/plain"
    return URLFetcherResponse(url, body=raw, headers={"Content-Type": mime})


def html_to_pdf(html: str, out: Path) -> Path:
    """Print ``html`` to ``out`` (written ``0600``); returns ``out``."""
    # WeasyPrint logs every CSS property it ignores (pygal's SVG styles); they are not errors.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    data = HTML(string=html, url_fetcher=OfflineFetcher(allowed_protocols=("data",))).write_pdf()
    return write_private_bytes(out, data)
