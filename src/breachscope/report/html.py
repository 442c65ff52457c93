"""``breachscope report``: ``summary.json`` and a self-contained ``report.html`` (inline CSS,
no script, no external resource) built from the same summary."""

from __future__ import annotations

import json
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from breachscope.case import Case
from breachscope.report.queries import FILES_SQL
from breachscope.report.summary import build_summary

MAX_PROBLEMS = 200


def human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1000
    return f"{n} B"  # pragma: no cover


def write_report(case: Case, out_dir: Path, claim: str | None = None, *, lang: str = "fr",
                 pdf: bool = False) -> dict:
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = build_summary(case, claim)
    (out_dir / "summary.json").write_text(
        json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8"
    )
    problems = case.db.execute(
        f"SELECT file, status, reason FROM ({FILES_SQL}) WHERE status <> 'scanned' "
        f"ORDER BY file LIMIT {MAX_PROBLEMS + 1}"
    ).fetchall()
    env = Environment(
        loader=PackageLoader("breachscope.report", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
    )
    html = env.get_template("report.html.j2").render(
        s=summary, case_name=case.dir.name, size_text=human_bytes(summary["files"]["bytes"]),
        human=human_bytes, problems=problems[:MAX_PROBLEMS],
        problems_more=max(0, len(problems) - MAX_PROBLEMS),
    )
    (out_dir / "report.html").write_text(html, encoding="utf-8")
    return summary
