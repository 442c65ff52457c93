"""Static SVG charts for the report, drawn by pygal and inlined in the HTML (no script: pygal's
tooltips need JavaScript, so ``js=[]`` and its configuration ``<script>`` is cut out; the
values are printed on the bars instead).

The SVG is cleaned for inlining: no XML declaration, no comments (pygal signs its output with
links to its site), no namespace declarations (an ``<svg>`` inside HTML needs none), so the
report holds no URL at all. WeasyPrint draws the same inline SVG into the PDF.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping

import pygal
from pygal.style import Style

_STYLE = Style(
    background="white", plot_background="white", foreground="#1d2330",
    foreground_strong="#1d2330", foreground_subtle="#8a93a3",
    colors=("#2b5d9b", "#c0392b", "#d68910", "#1e8449", "#7d3c98", "#5d6d7e"),
    font_family="DejaVu Sans, Liberation Sans, Arial, sans-serif",
    label_font_size=15, major_label_font_size=15, value_font_size=15, title_font_size=15,
    value_label_font_size=15, tooltip_font_size=12, legend_font_size=13,
)


def _clean(svg: str, uuid: str, name: str) -> str:
    # pygal names each chart by a random uuid: a name from the title keeps the report the same
    # from one run to the next (two reports of one case can be compared with diff)
    svg = svg.replace(uuid, name)
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.DOTALL)
    # tooltips (<title>) of the chart and of its guides: "Pygal", "0.25"
    svg = re.sub(r"<title>[^<]*</title>", "", svg)
    # pygal writes its configuration in a <script> even with js=[]: the report runs no script
    svg = re.sub(r"<script\b.*?</script>", "", svg, flags=re.DOTALL | re.IGNORECASE)
    svg = re.sub(r'\s+xmlns(?::\w+)?="[^"]*"', "", svg)
    return svg.strip()


def bar_chart(title: str, data: Mapping[str, int], *, width: int = 500,
              color: str | None = None) -> str:
    """Horizontal bars, one per label, the value printed at the bar's end. Empty data gives
    an empty string (the template then shows nothing)."""
    items = [(k, v) for k, v in data.items() if v]
    if not items:
        return ""
    style = _STYLE if color is None else Style(**{**_STYLE.to_dict(), "colors": (color,)})
    chart = pygal.HorizontalBar(
        js=[], disable_xml_declaration=True, style=style, width=width,
        height=max(90, 30 + 38 * len(items)), show_legend=False,
        print_values=True, print_values_position="top", show_y_guides=False,
        show_x_guides=False, show_x_labels=False, margin=8, spacing=12, title=None,
        truncate_label=-1,
    )
    # pygal draws the first value at the bottom: reversed, the largest comes first
    chart.x_labels = [k for k, _v in reversed(items)]
    chart.add(title, [v for _k, v in reversed(items)])
    svg = chart.render(is_unicode=True)
    name = "c" + hashlib.sha256(title.encode("utf-8")).hexdigest()[:12]
    return _clean(svg, chart.uuid, name)
