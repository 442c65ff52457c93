"""Rebuild the health reference files from the edsnlp wheel (not used at run time).

    python src/breachscope/data/health/_build.py EDSNLP_WHEEL [/usr/share/dict/french]

- ``cim10.tsv.gz``: ``code<TAB>label`` from ``edsnlp/resources/cim10.csv.gz`` (ATIH CIM-10 FR,
  codes without the dot, long French label).
- ``drugs.tsv.gz``: ``name<TAB>ATC`` from ``edsnlp/resources/drugs.json`` (Romedi names), less
  names that are ordinary French words (checked against a word list, e.g. Debian's ``wfrench``,
  only used here, not shipped) or too short to be told from an abbreviation, except a few
  well-known drugs kept on purpose.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import sys
import unicodedata
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

# Ordinary words that the word list may not flag, or drug names that are mostly something else
# in a report (lab results, excipients, forms, classes).
EXTRA_STOP = {
    "calcium", "potassium", "magnesium", "glucose", "zinc", "selenium", "manganese", "cobalt",
    "xenon", "ether", "phenol", "glycerol", "sorbitol", "albumine", "biotine", "cafeine",
    "nicotine", "hematine", "levulose", "tuberculine", "oxygene", "fer", "fluor", "cuivre",
    "soufre", "phosphore", "vaseline", "gel", "sirop", "pommade", "collyre", "solution",
    "suppositoire", "vitamines", "toniques", "expectorants", "antiseptiques", "antidotes",
    "insectes", "acariens", "goudrons", "gelatines", "silicones", "bromures", "associations",
    "divers", "art", "cristal", "drill", "muse", "diane", "thais", "carlin", "estima", "decan",
    "fractal", "pneumo", "lierre", "concerta", "bismuth", "quinine", "ginkgo", "ginseng",
    "diastase", "glucagon", "insuline", "uree", "vitamine", "lactose", "sodium", "chlorure",
    "eau", "sel", "iode", "argent", "or", "plomb", "charbon", "aspirine",
}
KEEP = {"aspirine", "morphine", "paracetamol", "codeine", "lithium", "heparine", "insuline",
        "emla", "ixel", "orap", "serc", "evra", "yaz", "tobi"}


def fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[\s'’\-]+", " ", text).strip()


def main(wheel: str, words_path: str = "/usr/share/dict/french") -> None:
    words = {fold(w) for w in Path(words_path).read_text(encoding="utf-8").split()}
    with zipfile.ZipFile(wheel) as z:
        cim = z.read("edsnlp/resources/cim10.csv.gz")
        drugs = json.loads(z.read("edsnlp/resources/drugs.json"))
    rows = csv.DictReader(io.StringIO(gzip.decompress(cim).decode("utf-8")))
    lines = sorted({f"{r['code'].strip()}\t{' '.join(r['long'].split())}" for r in rows})
    with gzip.open(HERE / "cim10.tsv.gz", "wt", encoding="utf-8", compresslevel=9) as out:
        out.write("\n".join(lines) + "\n")
    names: dict[str, tuple[str, str]] = {}
    for atc, found in sorted(drugs.items()):
        for name in found:
            key = fold(name)
            if key in KEEP or not (
                key in EXTRA_STOP or key in words or len(key) <= 4 or key.isdigit()
            ):
                names.setdefault(key, (" ".join(name.split()), atc))
    with gzip.open(HERE / "drugs.tsv.gz", "wt", encoding="utf-8", compresslevel=9) as out:
        out.write("\n".join(f"{n}\t{a}" for n, a in sorted(names.values())) + "\n")
    print(len(lines), "codes,", len(names), "drug names")


if __name__ == "__main__":
    main(*sys.argv[1:])
