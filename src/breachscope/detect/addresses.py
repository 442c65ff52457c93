"""French postal addresses in free text: street lines, and postal code + commune pairs checked
against the shipped list of communes and postal codes (``breachscope/data/geo``, from the
npm package ``codes-postaux``: INSEE geographic code and La Poste / DGFiP postal codes).

- **Street line** → ``ADDRESS``: a number (``12``, ``12 bis``, ``3B``), a type of way (``rue``,
  ``avenue``, ``bd``, ``chemin``, ``impasse``, ``allée``, ``place``, ``route``, ``quai``,
  ``cours``, ``résidence``...) and a name made of capitalized words, numbers and particles
  (``rue de la Paix``, ``rue du 8 Mai 1945``, ``avenue Jean-Jaurès``). ``lieu-dit``,
  ``résidence``, ``hameau`` and ``lotissement`` need no number. The value is the line as found,
  spaces collapsed; the span covers the way's name, so a street named after someone is an
  address, not a person.
- **Postal code + commune** → ``POSTAL_CODE`` and ``CITY``: five digits followed (``75015
  Paris``, ``33000, Bordeaux``) or preceded (``Marseille, 13006``) by the name of a commune
  that has this postal code (or its routing label: ``75013 PARIS``), accents, case, hyphens
  and ``St``/``Saint`` ignored. ``CEDEX`` codes, absent from the list, are accepted when
  followed by a commune of the same département (with ``CEDEX``: 0.85, without: 0.7). A
  known code alone is a postal code right after a street line (``7 rue Blaise Pascal 65000``)
  or after a cue (``dans le 75001``, ``CP``); right after a street line, a code-shaped number
  and capitalized words are a postal code and a commune even when the list does not know them
  (0.7 / 0.6: a new commune, a typo, a foreign code). Other five digits are not a postal code.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from functools import cache
from importlib import resources

from breachscope.detect.candidates import with_first_characters
from breachscope.detect.health import fold_text
from breachscope.detect.windows import finditer_near_digits

Hit = tuple[int, int, str, float, str]

# --------------------------------------------------------------------------- reference data


def _fold_name(name: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9 ]", " ", fold_text(name)).split())


def _name_variants(name: str) -> set[str]:
    base = _fold_name(name)
    forms = {base}
    for long, short in (("sainte ", "ste "), ("saint ", "st ")):
        for form in list(forms):
            if f" {long}" in f" {form}":
                forms.add(f" {form}".replace(f" {long}", f" {short}").strip())
    return forms


@cache
def postal_communes() -> dict[str, frozenset[str]]:
    """Postal code → folded commune names and routing labels (with ``st``/``ste`` forms)."""
    raw = (resources.files("breachscope") / "data" / "geo" / "postal_codes.tsv.gz").read_bytes()
    table: dict[str, set[str]] = {}
    for line in gzip.decompress(raw).decode("utf-8").splitlines():
        if not line:
            continue
        code, name, routing = line.split("\t")
        names = table.setdefault(code, set())
        names |= _name_variants(name) | _name_variants(routing)
    return {code: frozenset(names) for code, names in table.items()}


def _department(code: str) -> str:
    return code[:3] if code.startswith("97") or code.startswith("98") else code[:2]


@cache
def department_communes() -> dict[str, frozenset[str]]:
    table: dict[str, set[str]] = {}
    for code, names in postal_communes().items():
        table.setdefault(_department(code), set()).update(names)
    return {dept: frozenset(names) for dept, names in table.items()}


def is_postal_code(code: str) -> bool:
    """A postal code of the shipped list (not a CEDEX one)."""
    return code in postal_communes()


def commune_for(code: str, text: str) -> str | None:
    """The longest commune name of ``code`` that ``text`` starts with (as found in ``text``),
    or ``None``."""
    names = postal_communes().get(code)
    if not names:
        return None
    return _longest_prefix(text, names)


_LETTERS_OR_DIGITS = re.compile(r"[^\W_]+")
_WORD_RE = re.compile(r"[^\W_][\w'’-]*")


def _longest_prefix(text: str, names: frozenset[str]) -> str | None:
    """The longest prefix of ``text`` (ending on a word boundary) whose folded form is one of
    ``names``; returned as written in ``text``."""
    words = list(_LETTERS_OR_DIGITS.finditer(text))
    best: str | None = None
    folded_words: list[str] = []
    for m in words[:8]:
        folded_words.append(_fold_name(m.group()))
        if " ".join(folded_words) in names:
            best = text[: m.end()]
    return best


# --------------------------------------------------------------------------- postal code + city

_POSTAL_CITY = re.compile(
    r"(?<![\w.,/+-])(?:F-?\s?)?(\d{2}\s?\d{3})(?![\w/]|[.,]\d)[ \t]*,?[ \t]*"
    r"([^\W\d_][^\n\r\t,;:()\[\]/|0-9]{0,60})"
)
# A postal code alone: five digits not inside a longer number.
_CODE_ALONE = re.compile(r"(?<![\w.,/+-])(\d{5})(?![\w/]|[.,]\d)")
# Cues that make five digits a postal code by themselves: "dans le 75001", "CP 33000".
_CODE_CUE_BEFORE = re.compile(
    r"(?:\bdans\s+le|\bcode\s+postal|\bc\.?p\.?)\s*[:.]?\s*$", re.IGNORECASE)
# "Marseille, 13006": a commune written before its code (up to five words before it).
_WORDS_BEFORE = re.compile(r"((?:[^\W\d_][\w'’-]*[ \t]+){0,4}[^\W\d_][\w'’-]*)[ \t]*,?[ \t]*$")
# "Facture n° 33000", "lot 75013": a reference number, not a postal code.
_REFERENCE_BEFORE = re.compile(
    r"(?:\bn°|\bno\.?|\bnum(?:[ée]ro)?\.?|#|\blot|\bcommande|\bfacture|\br[ée]f(?:[ée]rence)?"
    r"|\bdossier|\bticket|\bipp|\bnda|\bcompte|\bcode|\bmatricule)\s*[:.]?\s*$",
    re.IGNORECASE,
)
_CEDEX = re.compile(r"[ \t]+cedex\b", re.IGNORECASE)
# A street line just before the code ("7 rue Blaise Pascal 65000"): the code is its postal code.
_STREET_GAP = 3
# After a street line, a code-shaped number and capitalized words are a postal code and a
# commune even when the list does not know them (a CEDEX code, a new commune, a typo):
# "12 rue du Docteur Gachet 2B784 Levallois-Perret".
# The complement of a street line may come between it and the code: "170 RUE DU CALVAIRE, APPT
# 283, 29372 NANTES", "STUDIO 25", "BAT B", "BP 12" (La Poste's address line 2 and box).
_COMPLEMENT = (
    r"(?:[ \t]*,?[ \t]*(?i:app(?:ar)?t(?:ement)?|apt|studio|b[âa]t(?:iment)?|[ée]tage|esc(?:alier)?"
    r"|porte|log(?:ement)?|bo[iî]te|bp|cs)\.?[ \t]*[\w-]{1,6}(?![\w-]))?"
)
_AFTER_STREET = re.compile(
    rf"{_COMPLEMENT}"
    r"[ \t]*,?[ \t]*\n?[ \t]*((?:\d{2}|2[AB])[ \t]?\d{3})(?![\w/]|[.,]\d)[ \t]*,?[ \t]*"
    r"((?:[A-ZÀ-Ý][\w'’-]*)(?:(?:[ -]|[ \t]?-[ \t]?)(?!(?:CHU|CHR|CH|H[ôO]PITAL|H[ôo]pital|CLINIQUE"
    r"|Clinique|CENTRE|Centre|T[ÉEée][Ll]|Tel|Fax|FAX)\b)"
    r"(?:[A-ZÀ-Ý][\w'’-]*|sur|sous|en|la|le|les|de|du)){0,4})?")
# A commune named without its code after a locative word: "habitent à Marseille", "un neveu
# près de Toulouse", "née dans la ville de Nantes", "CHU de Dijon". Only names of the list, and
# not when a capitalized word follows ("à Marie DUPONT": a person, Marie being a commune too).
_CITY_CUE = re.compile(
    r"(?<![\w-])(?:[àaÀ]|(?i:dans|pr[èe]s\s+de|(?:dans\s+la\s+)?ville\s+de|r[ée]gion\s+de"
    r"|p[ée]riph[ée]rie\s+de|environs\s+de|CHU\s+de|CHR\s+de|CH\s+de))[ \t]+(?=[A-ZÀ-Ý])"
)
_CAPITALIZED_NEXT = re.compile(r"[ \t]+[A-ZÀ-Ý\d]")  # "à Marie DUPONT", "à Mars 2023"
_MONTHS = frozenset({"janvier", "fevrier", "mars", "avril", "mai", "juin", "juillet", "aout",
                     "septembre", "octobre", "novembre", "decembre"})

_last: tuple[str, list[tuple[str, Hit]]] | None = None


def _postal_hits(text: str) -> list[tuple[str, Hit]]:
    """Postal codes and communes: code + commune (``75015 Paris``, ``33000, Bordeaux``; a
    CEDEX code with ``CEDEX`` or with a commune of its département: ``31020 TOULOUSE``),
    commune + code (``Marseille, 13006``), and a known code alone after a street line or a cue
    (``7 rue Blaise Pascal 65000``, ``dans le 75001``)."""
    global _last
    if _last is not None and _last[0] is text:
        return _last[1]
    hits: list[tuple[str, Hit]] = []
    taken: set[int] = set()
    for m in finditer_near_digits(_POSTAL_CITY, text, before=4, after=80):
        code = m.group(1).replace(" ", "")
        rest = m.group(2)
        if _is_reference(text, m.start()):
            continue
        city = commune_for(code, rest)
        confidence = 0.95
        if city is None:
            # CEDEX codes are not in the list: accept "59037 LILLE CEDEX", and with less
            # confidence "31020 TOULOUSE", when the commune belongs to the code's département.
            names = department_communes().get(_department(code))
            city = _longest_prefix(rest, names) if names else None
            if city is None:
                continue
            confidence = 0.85 if _CEDEX.match(rest, len(city)) else 0.7
        city_start = m.start(2)
        taken.add(m.start(1))
        hits.append(("POSTAL_CODE", (m.start(1), m.end(1), code, confidence, "list+postal_code")))
        hits.append(("CITY", (city_start, city_start + len(city), " ".join(city.split()),
                              confidence, "list+postal_code")))
    streets = [end for _s, end, *_ in find_street_lines(text)]
    for end in streets:
        m = _AFTER_STREET.match(text, end)
        if m is None or m.start(1) in taken:
            continue
        code = m.group(1).replace(" ", "").replace("\t", "")
        if is_postal_code(code) and m.group(2) is None:
            continue  # a known code alone: below
        taken.add(m.start(1))
        hits.append(("POSTAL_CODE", (m.start(1), m.end(1), code, 0.7, "street+postal_code")))
        if m.group(2):
            city = m.group(2).rstrip(" -")
            hits.append(("CITY", (m.start(2), m.start(2) + len(city), city, 0.6,
                                  "street+postal_code")))
    for m in finditer_near_digits(_CODE_ALONE, text, before=1, after=1):
        code = m.group(1)
        if m.start() in taken or not is_postal_code(code) or _is_reference(text, m.start()):
            continue
        before = text[max(0, m.start() - 80):m.start()]
        commune = _commune_before(code, before)
        if commune is not None:
            start = m.start() - len(before) + commune[0]
            hits.append(("POSTAL_CODE", (m.start(), m.end(), code, 0.9, "list+postal_code")))
            hits.append(("CITY", (start, start + len(commune[1]), " ".join(commune[1].split()),
                                  0.9, "list+postal_code")))
        elif _CODE_CUE_BEFORE.search(before) or any(
                0 <= m.start() - end <= _STREET_GAP and not text[end:m.start()].strip(" ,")
                for end in streets):
            hits.append(("POSTAL_CODE", (m.start(), m.end(), code, 0.8, "list+postal_code")))
    cities = {start for entity, (start, *_rest) in hits if entity == "CITY"}
    for m in _CITY_CUE.finditer(text):
        if m.end() in cities:
            continue
        name = _commune_at(text, m.end())
        if name is None or _fold_name(name) in _MONTHS or _CAPITALIZED_NEXT.match(
            text, m.end() + len(name)
        ):
            continue
        hits.append(("CITY", (m.end(), m.end() + len(name), " ".join(name.split()), 0.6,
                              "context+city")))
    hits.sort(key=lambda h: h[1][0])
    _last = (text, hits)
    return hits


@cache
def commune_names() -> frozenset[str]:
    """Every folded commune name and routing label of the list."""
    return frozenset(name for names in postal_communes().values() for name in names)


@cache
def _commune_name_prefixes() -> frozenset[str]:
    """The leading words of every commune name ("nogent", "nogent sur", "nogent sur marne")."""
    out: set[str] = set()
    for name in commune_names():
        words = name.split()
        out.update(" ".join(words[:i]) for i in range(1, len(words) + 1))
    return frozenset(out)


_WORD = re.compile(r"[^\W_]+")


def _commune_at(text: str, start: int) -> str | None:
    """The longest commune name of the list that starts at ``start`` (as written), stopping
    at the first word that no name continues with: each "à Paris" of a text costs a word or
    two, not eight."""
    names, prefixes = commune_names(), _commune_name_prefixes()
    best: str | None = None
    folded: list[str] = []
    for m in _WORD.finditer(text, start, start + 60):
        folded.append(_fold_name(m.group()))
        joined = " ".join(folded)
        if joined not in prefixes:
            break
        if joined in names:
            best = text[start : m.end()]
    return best


def _is_reference(text: str, start: int) -> bool:
    line_start = text.rfind("\n", 0, start) + 1
    return bool(_REFERENCE_BEFORE.search(text, max(line_start, start - 30), start))


def _commune_before(code: str, before: str) -> tuple[int, str] | None:
    """``(offset in before, name)`` of a commune of ``code`` written just before it."""
    names = postal_communes().get(code)
    m = _WORDS_BEFORE.search(before)
    if not names or m is None:
        return None
    words = list(_WORD_RE.finditer(m.group(1)))
    for i in range(len(words)):  # the longest name first
        candidate = m.group(1)[words[i].start():]
        if _fold_name(candidate) in names:
            return m.start(1) + words[i].start(), candidate.rstrip()
    return None


def find_postal_codes(text: str) -> Iterator[Hit]:
    for entity, hit in _postal_hits(text):
        if entity == "POSTAL_CODE":
            yield hit


def find_cities(text: str) -> Iterator[Hit]:
    for entity, hit in _postal_hits(text):
        if entity == "CITY":
            yield hit


# --------------------------------------------------------------------------- street lines

_WAY = (
    r"rue|avenue|av\.?|bd\.?|boulevard|bld|blvd|chemin|ch\.|impasse|imp\.|all[ée]e|place|pl\."
    r"|route|rte|quai|cours|square|sq\.|passage|sentier|voie|villa|cit[ée]|faubourg|fbg"
    r"|rond-point|parvis|esplanade|promenade|mont[ée]e|traverse|ruelle|sente|chauss[ée]e"
    r"|clos|parc|domaine|ZA|ZI|ZAC|lieu-dit|lieudit|r[ée]sidence|r[ée]s\.|hameau|lotissement"
    r"|lot\.|b[âa]timent|b[âa]t\."
)
_NO_NUMBER_WAY = re.compile(r"(?i:lieu-dit|lieudit|r[ée]sidence|r[ée]s\.|hameau|lotissement)")
_PARTICLE = r"(?i:de\s+la|de\s+l['’]|de|du|des|d['’]|la|le|les|l['’]|aux?|en|sur|sous|l[eè]s|à|et)"
# A number in a street's name ("rue du 8 Mai 1945"), but not the first two digits of a postal
# code written with a space ("15 avenue de la Gare 43 957 Nice").
_NAME_WORD = (
    r"(?:[A-ZÀ-ÖØ-Ý][\wÀ-ÿ'’.\-]*|[dlDL]['’][A-ZÀ-ÖØ-Ý][\wÀ-ÿ'’.\-]*"
    r"|\d{1,4}(?:er|e|ème|eme)?(?![\d\w])(?![ \t]\d{3}(?!\d)))"
)
_NAME = (
    rf"(?:{_PARTICLE}[ \t]*)*{_NAME_WORD}"
    rf"(?:[ \t]+(?:{_PARTICLE}[ \t]+)*{_NAME_WORD}|-{_NAME_WORD}){{0,7}}"
)
_WAY_WORD = re.compile(rf"\b(?=[a-zA-ZéÉ])(?i:{_WAY})(?!\w)")
_NAME_AFTER = re.compile(rf"[ \t]+({_NAME})")
_NUMBER_BEFORE = re.compile(
    r"(?<![\w,.\-/])(\d{1,4})(?:[ \t]*(?i:bis|ter|quater)\b|[A-Da-d]\b)?[ \t]*,?[ \t]*$"
)


_last_streets: tuple[str, list[Hit]] | None = None


def find_street_lines(text: str) -> Iterator[Hit]:
    """Street lines: each type of way found, with a capitalized name after it and a number
    before it (none needed for ``lieu-dit``, ``résidence``, ``hameau``, ``lotissement``).
    Cached for the last text seen: the postal codes after a street line read them too."""
    global _last_streets
    if _last_streets is None or _last_streets[0] is not text:
        _last_streets = (text, list(_street_lines(text)))
    return iter(_last_streets[1])


def _street_lines(text: str) -> Iterator[Hit]:
    for way in _WAY_WORD.finditer(text):
        name_m = _NAME_AFTER.match(text, way.end())
        if name_m is None:
            continue
        number = _NUMBER_BEFORE.search(text, max(0, way.start() - 16), way.start())
        if number is None:
            if not _NO_NUMBER_WAY.fullmatch(way.group()):
                continue
            start, confidence = way.start(), 0.75
        else:
            start, confidence = number.start(), 0.9
        name = name_m.group(1).rstrip(".'’-")
        end = name_m.start(1) + len(name)
        yield start, end, " ".join(text[start:end].split()), confidence, "regex+street"


# Issue 15: the patterns run over whole texts or many windows, with a look-ahead on the
# characters a match can start with (detect/candidates.py): the same matches, found faster.
_REFERENCE_BEFORE, _AFTER_STREET = (
    with_first_characters(p) for p in (_REFERENCE_BEFORE, _AFTER_STREET))
