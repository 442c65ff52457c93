"""Benchmark: the timings the unit tests used to assert (``elapsed < 5`` and the like).

Those assertions failed on a busy machine; the tests now check complexity (a time ratio
between inputs of size n and 4n, tests/complexity.py) or a count, and the absolute figures
are measured here, on an idle machine, against the bound the test used to assert.

    .venv/bin/python bench/wallclock.py            # prints a JSON list, one row per measure
    .venv/bin/python bench/wallclock.py --check    # exit 1 when a former bound is exceeded
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "detect")]


def _detect_table_100k() -> Callable[[], object]:
    from detect_helpers import make_nir

    from breachscope.detect import detect_table
    from breachscope.extract.units import TableUnit

    nirs = [make_nir(f"1{y:02d}0175{n:06d}") for y in range(40, 90) for n in range(100)]
    phones = [f"06 12 34 {i // 100:02d} {i % 100:02d}" for i in range(5000)]
    rows = [[nirs[i % len(nirs)], phones[i % len(phones)], "DUPONT", "Marie", "Cardiologie"]
            for i in range(100_000)]
    table = TableUnit(["NIR", "Tel", "Nom", "Prénom", "Service"], rows)
    return lambda: detect_table(table)


def _credentials_prose() -> Callable[[], object]:
    from breachscope.detect.secrets import scan_credentials

    text = "Le patient a été vu en consultation, contrôle à 3 mois. Traitement inchangé.\n" * 50_000
    return lambda: list(scan_credentials(text))


def _scan_text_corpus() -> Callable[[], object]:
    from test_identifiers import _corpus

    from breachscope.detect.text import scan_text
    from breachscope.extract.units import TextUnit

    lines, _ = _corpus()
    text = "\n".join(lines)
    return lambda: scan_text(TextUnit(text))


def _demo_5000() -> Callable[[], object]:
    from breachscope.demo import generate_leak

    def run() -> object:
        with tempfile.TemporaryDirectory() as out:
            return generate_leak(Path(out), n_patients=5000, n_staff=200)
    return run


#: name, set-up returning the timed work, the bound the test used to assert (seconds), source
MEASURES: list[tuple[str, Callable[[], Callable[[], object]], float, str]] = [
    ("detect_table 100k rows x 5 columns", _detect_table_100k, 10.0,
     "tests/detect/test_detect_tables.py"),
    ("scan_credentials 50k lines of prose", _credentials_prose, 1.0,
     "tests/detect/test_secrets.py"),
    ("scan_text identifiers corpus", _scan_text_corpus, 5.0,
     "tests/detect/test_identifiers.py"),
    ("generate_leak 5000 patients", _demo_5000, 20.0, "tests/demo/test_demo_generator.py"),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 past a former bound")
    args = parser.parse_args()
    rows, over = [], False
    for name, setup, bound, source in MEASURES:
        work = setup()
        start = time.perf_counter()
        work()
        seconds = time.perf_counter() - start
        over |= seconds > bound
        rows.append({"measure": name, "seconds": round(seconds, 3), "former_bound_s": bound,
                     "within": seconds <= bound, "test": source})
    print(json.dumps(rows, indent=2, ensure_ascii=False))
    return 1 if args.check and over else 0


if __name__ == "__main__":
    sys.exit(main())
