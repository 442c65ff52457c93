"""Rebuild ``postal_codes.tsv.gz`` from the npm package ``codes-postaux`` (not used at run time).

    npm pack codes-postaux && tar xzf codes-postaux-*.tgz
    python src/breachscope/data/geo/_build.py package/codes-postaux.json

One line per (postal code, commune): ``code<TAB>commune name<TAB>routing label`` (the routing
label, *libellé d'acheminement*, is what envelopes carry: ``PARIS`` for ``Paris 13e
Arrondissement``).
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(source: str) -> None:
    rows = json.loads(Path(source).read_text(encoding="utf-8"))
    lines = sorted({f"{r['codePostal']}\t{r['nomCommune']}\t{r['libelleAcheminement']}"
                    for r in rows})
    with gzip.open(HERE / "postal_codes.tsv.gz", "wt", encoding="utf-8", compresslevel=9) as out:
        out.write("\n".join(lines) + "\n")
    print(len(lines), "lines")


if __name__ == "__main__":
    main(*sys.argv[1:])
