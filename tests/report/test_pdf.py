"""html_to_pdf: the HTML printed by WeasyPrint, owner-only, fetching nothing (an external
resource in the HTML is refused, not downloaded; an inline ``data:`` image is drawn)."""

from __future__ import annotations

import shutil
import stat
import subprocess

import pytest

from breachscope.report.pdf import FetchRefused, OfflineFetcher, html_to_pdf

# a 1x1 PNG
PIXEL = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5E"
         "rkJggg==")


def test_pdf_is_written_owner_only_and_fetches_nothing(tmp_path, monkeypatch):
    asked: list[str] = []
    real = OfflineFetcher.fetch

    def spy(self, url, headers=None):
        asked.append(url)
        return real(self, url, headers)

    monkeypatch.setattr(OfflineFetcher, "fetch", spy)
    html = ('<html lang="fr"><body><h1>Synthèse pour la direction</h1><p>1\u202f234 personnes</p>'
            '<img src="http://192.0.2.1/pixel.png"><link rel="stylesheet" '
            'href="https://192.0.2.1/x.css">'
            f'<img src="data:image/png;base64,{PIXEL}"></body></html>')
    out = html_to_pdf(html, tmp_path / "sub" / "r.pdf")
    assert out == tmp_path / "sub" / "r.pdf"
    assert out.read_bytes().startswith(b"%PDF")
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert any(u.startswith("http://192.0.2.1") for u in asked)  # asked and refused
    assert any(u.startswith("data:") for u in asked)
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True,
                              check=True).stdout
        assert "Synthèse pour la direction" in text


def test_refusal_names_the_scheme_only():
    fetcher = OfflineFetcher()
    with pytest.raises(FetchRefused, match=r"external resource refused \(http:\)") as info:
        fetcher.fetch("http://192.0.2.1/DUPONT_Marie.png")
    assert "DUPONT" not in str(info.value)
    with pytest.raises(FetchRefused):
        fetcher.fetch("file:///etc/passwd")
    assert fetcher.fetch(f"data:image/png;base64,{PIXEL}") is not None
