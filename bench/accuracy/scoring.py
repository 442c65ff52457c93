"""Scoring: findings of a tool against the corpus truth.

Everything is compared as *sets of (file, entity, normalized value)*: a value found twice in
a file counts once, a value found in the wrong file does not count.

- Identifiers (NIR, IBAN, PHONE, EMAIL, PAYMENT_CARD, RPPS, FINESS), BIRTH_DATE and
  ICD10_CODE: exact normalized values, over every file (prose, e-mails and tables).
- PERSON, *strict* (the headline): names in prose files (every kind but the CSV tables,
  templates included), as mention sets per file, compared after whitespace normalization and
  removal of a leading civility or title (``Mme``, ``Dr``, ``IDE``...) and of surrounding
  punctuation. A tool's ``LAST_NAME`` and ``FIRST_NAME`` findings in prose count as mentions.
- PERSON, *relaxed*: a predicted mention matches a true one of the same file when one
  contains the other as whole words, case and accents ignored (``DUPONT`` matches
  ``DUPONT épouse MARTIN Marie``). Precision is the share of predicted mentions that match a
  true one, recall the share of true mentions matched by a prediction.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import phonenumbers

PERSON_ENTITIES = ("PERSON", "LAST_NAME", "FIRST_NAME")
EXACT_ENTITIES = ("NIR", "IBAN", "PHONE", "EMAIL", "PAYMENT_CARD", "RPPS", "FINESS",
                  "BIRTH_DATE", "ICD10_CODE")
TITLES = {"m", "mr", "mme", "mlle", "madame", "monsieur", "mademoiselle", "dr", "docteur", "pr",
          "professeur", "ide", "me", "patient", "patiente"}
MONTHS = {m: i + 1 for i, m in enumerate(
    ["janvier", "fevrier", "mars", "avril", "mai", "juin", "juillet", "aout", "septembre",
     "octobre", "novembre", "decembre"])}
MONTHS.update({"janv": 1, "fev": 2, "fevr": 2, "avr": 4, "juil": 7, "sept": 9, "oct": 10,
               "nov": 11, "dec": 12})


def fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text)
                   if not unicodedata.combining(c)).casefold()


def norm_person(text: str) -> str:
    words = text.split()
    while words and fold(words[0]).rstrip(".:") in TITLES:
        words = words[1:]
    return " ".join(words).strip(" ,;:()[]\"'-")


def parse_any_date(text: str) -> str | None:
    """A date in the usual French forms, as YYYY-MM-DD (for tools that only say DATE)."""
    t = fold(text).strip()
    m = re.fullmatch(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})", t)
    if m:
        d, mo, y = int(m[1]), int(m[2]), int(m[3])
    elif m := re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", t):
        y, mo, d = int(m[1]), int(m[2]), int(m[3])
    elif m := re.fullmatch(r"(\d{1,2})(?:er)?\s+([a-z]+)\.?\s+(\d{4})", t):
        if m[2] not in MONTHS:
            return None
        d, mo, y = int(m[1]), MONTHS[m[2]], int(m[3])
    else:
        return None
    try:
        from datetime import date

        return date(y, mo, d).isoformat()
    except ValueError:
        return None


def norm_value(entity: str, value: str) -> str:
    """Both sides go through this, so small formatting differences do not count."""
    value = value.strip()
    if entity in ("NIR", "IBAN", "FINESS"):
        return re.sub(r"[^0-9A-Za-z]", "", value).upper()
    if entity in ("PAYMENT_CARD", "RPPS"):
        return re.sub(r"\D", "", value)
    if entity == "EMAIL":
        return value.lower()
    if entity == "PHONE":
        try:
            parsed = phonenumbers.parse(value, "FR")
            return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
        except phonenumbers.NumberParseException:
            return re.sub(r"[^\d+]", "", value)
    if entity == "ICD10_CODE":
        code = re.sub(r"[^0-9A-Za-z]", "", value).upper()
        return code[:3] + "." + code[3:] if len(code) > 3 else code
    if entity in PERSON_ENTITIES:
        return norm_person(value)
    return value


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        if p is None or r is None or p + r == 0:
            return None if p is None or r is None else 0.0
        return 2 * p * r / (p + r)


@dataclass
class Report:
    counts: dict[str, Counts] = field(default_factory=dict)
    errors: dict[str, dict[str, list]] = field(default_factory=dict)  # entity -> fp/fn samples
    extra: dict[str, object] = field(default_factory=dict)


def _words(text: str) -> str:
    return " " + " ".join(re.findall(r"[a-z0-9']+", fold(text))) + " "


def _contains(a: str, b: str) -> bool:
    wa, wb = _words(a), _words(b)
    return wa.strip() != "" and wb.strip() != "" and (wa in wb or wb in wa)


def score(truths: list, predictions: Iterable[tuple[str, str, str]],
          date_entity: str | None = None, max_errors: int = 30) -> Report:
    """Score ``predictions`` — ``(file, entity, value)`` with our entity names — against the
    truth (``generate.DocTruth`` list). ``date_entity`` names a generic date entity (the
    tool has no birth dates): its values are scored as a date detector and for the recall of
    birth dates."""
    kinds = {t.file: t.kind for t in truths}
    truth_sets: dict[str, set[tuple[str, str]]] = defaultdict(set)
    garbled: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for t in truths:
        for m in t.mentions:
            if m["entity"] == "PERSON" and t.kind == "table":
                continue
            truth_sets[m["entity"]].add((t.file, norm_value(m["entity"], m["value"])))
        for m in t.garbled:
            if m.get("value"):
                garbled[m["entity"]].add((t.file, norm_value(m["entity"], m["value"])))
    pred_sets: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for file, entity, value in predictions:
        file = file.split("!/")[0]
        if file not in kinds:
            continue
        if entity in PERSON_ENTITIES:
            if kinds[file] == "table":
                continue
            entity = "PERSON"
        pred_sets[entity].add((file, norm_value(entity, value)))

    rep = Report()
    for entity in (*EXACT_ENTITIES, "PERSON"):
        truth, pred = truth_sets[entity], pred_sets[entity]
        if entity == "BIRTH_DATE" and date_entity:
            continue
        c = Counts(len(truth & pred), len(pred - truth), len(truth - pred))
        rep.counts[entity] = c
        rep.errors[entity] = {
            "false_positives": sorted(pred - truth)[:max_errors],
            "false_negatives": sorted(truth - pred)[:max_errors],
        }
        rep.extra[f"{entity}_fp_on_garbled"] = len(pred & garbled[entity])

    # Relaxed person score.
    by_file_t: dict[str, set[str]] = defaultdict(set)
    by_file_p: dict[str, set[str]] = defaultdict(set)
    for f, v in truth_sets["PERSON"]:
        by_file_t[f].add(v)
    for f, v in pred_sets["PERSON"]:
        by_file_p[f].add(v)
    matched_p = sum(1 for f, ps in by_file_p.items() for p in ps
                    if any(_contains(p, t) for t in by_file_t.get(f, ())))
    matched_t = sum(1 for f, ts in by_file_t.items() for t in ts
                    if any(_contains(p, t) for p in by_file_p.get(f, ())))
    n_p = sum(len(v) for v in by_file_p.values())
    n_t = sum(len(v) for v in by_file_t.values())
    rp = matched_p / n_p if n_p else None
    rr = matched_t / n_t if n_t else None
    rep.extra["PERSON_relaxed"] = (rp, rr, 2 * rp * rr / (rp + rr) if rp and rr else None)

    # Templates: names reported in template files (the truth has none there).
    rep.extra["template_person_mentions"] = sum(
        1 for f, _ in pred_sets["PERSON"] if kinds.get(f) == "template")
    rep.extra["template_files_with_person"] = len(
        {f for f, _ in pred_sets["PERSON"] if kinds.get(f) == "template"})

    if date_entity:
        all_dates = {(t.file, d) for t in truths for d in t.dates}
        dates = {(f, parse_any_date(v) or f"?{v}") for f, v in pred_sets[date_entity]}
        births = truth_sets["BIRTH_DATE"]
        found = births & dates
        rep.counts["BIRTH_DATE"] = Counts(len(found), 0, len(births - found))
        correct = len(dates & all_dates)
        rep.extra["date_detector"] = Counts(correct, len(dates) - correct,
                                            len(all_dates - dates))
    return rep
