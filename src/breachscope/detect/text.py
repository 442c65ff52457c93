"""Free-text detection: regex candidates, then validation by the normalizers.

Every pattern is compiled once and run with ``finditer`` over the whole unit, so the cost is
a few regex passes per text whatever its size. Candidates are tried in a fixed order (e-mail,
IBAN, NIR, phone, birth date) and a candidate overlapping an already accepted span is
dropped, so that the digits of an IBAN or of an e-mail's local part are not reported again
as a NIR or a phone number.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from bisect import bisect_right
from collections.abc import Callable, Iterator

from breachscope.detect.candidates import with_first_characters
from breachscope.detect.model import Finding
from breachscope.detect.validators import (
    nir_body_shaped,
    nir_is_strict,
    normalize_email,
    normalize_iban,
    normalize_nir,
    normalize_phone,
    parse_date,
)
from breachscope.detect.windows import finditer_near_digits
from breachscope.extract.units import TextUnit

_SEP = r"[ .\-\u00a0\u202f]?"  # one optional separator: space, dot, dash, (narrow) nbsp

_EMAIL_CANDIDATE = re.compile(
    r"(?<![\w.+\-])[A-Za-z0-9À-ÖØ-öø-ÿ._%+\-']+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,24}\b"
)
# Two letters, two check digits, then groups of up to four alphanumerics (spaces between
# groups allowed). The match may run into a following word: see _iban_in.
_IBAN_CANDIDATE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,8}(?: ?[A-Z0-9]{1,4})?\b")
_NIR_CANDIDATE = re.compile(
    rf"(?<![0-9A-Za-z])[1-478](?:{_SEP}\d){{4}}{_SEP}(?:\d{_SEP}\d|2{_SEP}[ABab])"
    rf"(?:{_SEP}\d){{8}}(?![0-9A-Za-z])"
)
# French national (0X + 8 digits) or international (+33 / 0033, optional "(0)") numbers, and
# other international numbers starting with + or 00, not glued to another digit.
# Letterheads write "(33) 1 45 56 78 90" and "+33 (0)1 ..." or "+33 01 ..."; the digits may
# be spaced one by one ("0 1 4 5 5 6 7 8 9 0", "0 4 - 0 7 - 4 3 - 3 6 - 4 0").
# Less usual layouts of a national number, written in pairs: slashes ("06/28/42/50/36"), and
# a number split by a line break between two pairs ("01 45 56\n78 90", a wrapped column).
_PSEP = r"(?:[ \u00a0\u202f]?[.\-–][ \u00a0\u202f]?|[ \u00a0\u202f])?"
_PAIR_SEP = r"[ .\-\u00a0\u202f]?"
_SLASHED = r"(?<![\d/])0[1-9](?:/\d\d){4}(?![/\d])"
_WRAPPED = "|".join(
    rf"(?<![\d+])0[1-9](?:{_PAIR_SEP}\d\d){{{k}}}{_PAIR_SEP}[ \t]*\r?\n[ \t]*\d\d"
    rf"(?:{_PAIR_SEP}\d\d){{{3 - k}}}"
    for k in range(4)
)
_PHONE_CANDIDATE = re.compile(  # the lookahead first: a cheap test before the lookbehinds
    rf"(?=[0+(])(?:(?<![\d+])(?<!\d[/.\-])(?:(?:(?:\+|00){_PSEP}3{_PSEP}3|\(\s?3\s?3\s?\)){_PSEP}(?:\(0\){_PSEP}|0{_PSEP})?"
    rf"[1-9]|0{_PSEP}[1-9])(?:{_PSEP}\d){{8}}"
    rf"|(?<![\d+])(?:\+|00)[1-9][\d .\-()]{{6,16}}\d"
    rf"|{_SLASHED}|{_WRAPPED})"
)
_DATE_LIKE = re.compile(r"\d{2}([.\-])\d{2}\1(?:19|20)\d{2}\b")  # "02-07-1992 42"
_GROUP_AFTER = re.compile(r"([ .\-–/\u00a0\u202f]?)(\d+)")
_GROUP_BEFORE = re.compile(r"(\d+)([ .\-–/\u00a0\u202f])$")
_DIGIT_GROUPS = re.compile(r"\d+")
# Reference numbers that look like phone numbers: "lot 0612345678", "commande n° 01...".
_PHONE_REFERENCE_BEFORE = re.compile(
    r"(?:\blot|\bcommande|\bcde|\bcmd|\border|\br[ée]f(?:[ée]rence)?|\bfacture|\bbon|\bsiret"
    r"|\bsiren|\bfiness|\brpps|\badeli|\bdossier|\bipp|\bnda|\bticket)\b"
    r"(?:\s*(?:n°|no\b\.?|num(?:[ée]ro)?\b\.?|#|:|de\s+lot\b))*\s*[:.]?\s*$",
    re.IGNORECASE,
)

_DATE_TEXT = (
    r"(?:\d{1,2}[/.\-|]\d{1,2}[/.\-|](?:\d{4}|\d{2})(?!\d)"
    r"|\d{1,2} \d{1,2} (?:19|20)\d{2}(?![ ]?\d)"  # 22 08 1923
    r"|(?:[0-3] \d|[1-9]) [01] \d (?:1 [89]|2 0)(?: \d){2}(?!\d| \d(?!\d))"  # 2 2 0 8 1 9 2 3
    r"|\d{4}-\d{1,2}-\d{1,2}(?!\d)"
    r"|\d{1,2}(?:er)?,?[\s\-]+[A-Za-zÀ-ÿ]{3,9}\.?[\s\-]+\d{4}(?!\d))"
)
_BIRTH_CUE = (
    r"(?:\bn[ée]e?\s*(?:\(e\))?\s+le"
    r"|\bDDN"
    r"|\bD\.D\.N\.?"
    r"|\bdate\s+de\s+naissance"
    r"|\bdate\s+naiss\.?"
    r"|\bnaissance"
    r"|\bmise?\s+au\s+monde\s+le"
    r"|\bdate\s+of\s+birth|\bDOB"
    r"|\bborn(?:\s+on)?)"
)
# Forms with one box per digit: the birth date's eight boxes may be followed at once by
# another boxed field (``Né le 1 9 1 0 1 9 8 7 2 8 7 0 5 8 8 ...``, the NIR). Without a cue
# the run is ambiguous; after one, its first eight digits are the date.
_BOXED_DATE_BEFORE_FIELD = r"[0-3] \d [01] \d (?:1 [89]|2 0) \d \d(?= \d(?: \d){5})"
_BIRTH_DATE = re.compile(
    rf"{_BIRTH_CUE}\s*[:=\-–]?\s*(?:le\s+)?"
    rf"(?:(?:lun|mar|mer|jeu|ven|sam|dim)[a-z]*\.?,?\s+)?"  # né le jeu, 4 déc 1941
    rf"(?P<date>{_DATE_TEXT}|{_BOXED_DATE_BEFORE_FIELD})",
    re.IGNORECASE,
)

_WEEKDAY = re.compile(r"^(?:lun|mar|mer|jeu|ven|sam|dim)[a-z]*\.?,?\s+", re.IGNORECASE)
_SPACED_DMY = re.compile(r"(\d{1,2})[ |](\d{1,2})[ |](\d{4})")


def parse_prose_date(raw: str) -> str | None:
    """:func:`parse_date` with the spellings of prose: ``22|8|1923``, ``22 08 1923``, digits
    spaced one by one (``2 2 0 8 1 9 2 3``), a weekday first (``jeu, 4 déc 1941``), a comma
    after the day (``12, Mai 1973``)."""
    text = _WEEKDAY.sub("", raw.strip()).replace(",", " ")
    compact = text.replace(" ", "")
    if compact.isdigit() and len(text) == 2 * len(compact) - 1 and len(compact) in (7, 8):
        text = f"{compact[:-6]}/{compact[-6:-4]}/{compact[-4:]}"  # spaced digits
    elif m := _SPACED_DMY.fullmatch(text):
        text = f"{m.group(1)}/{m.group(2)}/{m.group(3)}"
    else:
        text = text.replace("|", "/")
    return parse_date(" ".join(text.split()))


def _line_starts(text: str) -> list[int]:
    return [0, *(m.end() for m in re.finditer("\n", text))]


class _Spans:
    """Accepted, non-overlapping character spans kept sorted, to drop in O(log n) the
    candidates overlapping an earlier finding.

    Two sorted lists: the spans of the earlier scanners (``_starts``/``_ends``) and those of
    the running one (``_new_*``), merged by :meth:`settle` after each scanner. A scanner yields
    in text order, so its spans are appended; one sorted list took a ``list.insert`` in the
    middle per finding, quadratic on a long text (185 000 findings in 8 MB of prose)."""

    def __init__(self) -> None:
        self._starts: list[int] = []
        self._ends: list[int] = []
        self._new_starts: list[int] = []
        self._new_ends: list[int] = []

    @staticmethod
    def _hit(starts: list[int], ends: list[int], start: int, end: int) -> bool:
        i = bisect_right(starts, start)
        if i > 0 and ends[i - 1] > start:
            return True
        return i < len(starts) and starts[i] < end

    def overlaps(self, start: int, end: int) -> bool:
        return self._hit(self._starts, self._ends, start, end) or self._hit(
            self._new_starts, self._new_ends, start, end)

    def add(self, start: int, end: int) -> None:
        starts, ends = self._new_starts, self._new_ends
        if not starts or starts[-1] <= start:
            starts.append(start)
            ends.append(end)
        else:
            i = bisect_right(starts, start)
            starts.insert(i, start)
            ends.insert(i, end)

    def settle(self) -> None:
        """Merge the running scanner's spans into the earlier ones (both sorted)."""
        if not self._new_starts:
            return
        pairs = sorted(zip(self._starts + self._new_starts, self._ends + self._new_ends,
                           strict=True))
        self._starts = [s for s, _ in pairs]
        self._ends = [e for _, e in pairs]
        self._new_starts, self._new_ends = [], []


def _iban_in(candidate: str) -> tuple[str, int] | None:
    """The longest valid IBAN at the start of ``candidate`` and its length in characters.

    The candidate regex may swallow the next word (``... 189 CODE``), so shorter prefixes
    are tried, longest first; IBANs are 15 to 34 characters.
    """
    positions = [i + 1 for i, c in enumerate(candidate) if c != " "]
    for n in range(min(34, len(positions)), 14, -1):
        value = normalize_iban(candidate[: positions[n - 1]])
        if value is not None:
            return value, positions[n - 1]
    return None


# ``scheme://user:password@host``: what precedes the '@' is a password, not an e-mail.
_URL_USERINFO = re.compile(r"://[^\s/@]*:$")


# Addresses spaced out against harvesters: "tlabelle @ medimail . com", "prenom . nom @ chu
# . fr". In the local part a dot is spaced on both sides or on none, so that the end of a
# sentence ("... le dossier. tlabelle @ ...") is not taken in.
_SPACED_EMAIL = re.compile(
    r"(?<![\w.+\-])[A-Za-z0-9_%+\-]+(?:(?:\.| \. )[A-Za-z0-9_%+\-]+)* ?@ ?"
    r"[A-Za-z0-9\-]+(?: ?\. ?[A-Za-z0-9\-]+)*? ?\. ?[A-Za-z]{2,24}\b"
)
# Addresses hidden from harvesters with words or brackets: "prenom.nom [at] hopital.fr",
# "prenom.nom(at)hopital(dot)fr", "prenom.nom arobase hopital point fr", "nom[@]chu.fr".
_OBFUSCATED_AT = r"(?:\s*[\[({<]\s*(?:at|@|arobase)\s*[\])}>]\s*|\s+(?:arobase|(?-i:AT))\s+)"
_OBFUSCATED_DOT = r"(?:\s*[\[({<]\s*(?:dot|point|\.)\s*[\])}>]\s*|\s+(?:dot|point)\s+|\.| \. )"
_OBFUSCATED_EMAIL = re.compile(
    rf"(?<![\w.+\-])(?P<local>[A-Za-z0-9_%+\-]+(?:{_OBFUSCATED_DOT}[A-Za-z0-9_%+\-]+)*)"
    rf"{_OBFUSCATED_AT}"
    rf"(?P<domain>[A-Za-z0-9\-]+(?:{_OBFUSCATED_DOT}[A-Za-z0-9\-]+)*{_OBFUSCATED_DOT}"
    r"[A-Za-z]{2,24})\b",
    re.IGNORECASE,
)
_OBFUSCATION_HINT = re.compile(  # case spelt out: faster than IGNORECASE on every text
    r"[\[({<][ \t]*(?:[aA][tT]|@|[aA][rR][oO][bB][aA][sS][eE])[ \t]*[\])}>]"
    r"|[aA][rR][oO][bB][aA][sS][eE]|\sAT\s"
)
_SPACED_AT = re.compile(r" @|@ ")
_OBFUSCATED_DOT_RE = re.compile(_OBFUSCATED_DOT, re.IGNORECASE)

# Words glued to an address by a text extraction that lost the space, seen by the change of
# case: "...@ap-hp.frSmith" (the next word), "Joseph ARNOULDarnould@..." (a name in capitals
# before a lower-case address).
_GLUED_AFTER = re.compile(r"(?<=\.)[a-z]{2,24}(?=[A-Z][a-z])")
_GLUED_BEFORE = re.compile(r"[A-Z]{3,}(?=[a-z][a-z0-9._%+\-]*@)")


def _unglued(text: str, start: int, end: int) -> tuple[int, int]:
    """The span of an e-mail candidate without the words glued to it (see _GLUED_AFTER)."""
    at = text.find("@", start, end)
    dot = text.rfind(".", at, end)
    if dot > at and (tld := _GLUED_AFTER.match(text, dot + 1, end)) is not None:
        end = tld.end()
    if (caps := _GLUED_BEFORE.match(text, start, at + 1)) is not None and not any(
        c.isupper() for c in text[caps.end() : at]
    ):
        start = caps.end()
    return start, end


def _emails(text: str) -> Iterator[tuple[int, int, str, float, str]]:
    # The plain and the spaced addresses hold an '@': a text without one (a line of words
    # megabytes long) skips their passes; the obfuscated ones ("[at]") are searched anyway.
    at = "@" in text
    for m in _EMAIL_CANDIDATE.finditer(text) if at else ():
        if _URL_USERINFO.search(text, max(0, m.start() - 200), m.start()):
            continue
        start, end = _unglued(text, *m.span())
        value = normalize_email(text[start:end])
        if value is not None:
            glued = (start, end) != m.span()
            yield start, end, value, 0.8 if glued else 0.95, (
                "regex+email_unglued" if glued else "regex+email"
            )
    for m in _around(text, _SPACED_AT, _SPACED_EMAIL) if at else ():
        if " " in m.group() and (value := normalize_email(m.group().replace(" ", ""))):
            yield m.start(), m.end(), value, 0.8, "regex+email_spaced"
    for m in _around(text, _OBFUSCATION_HINT, _OBFUSCATED_EMAIL):
        local, domain = (_OBFUSCATED_DOT_RE.sub(".", m.group(g)) for g in ("local", "domain"))
        if (value := normalize_email(f"{local}@{domain}")) is not None:
            yield m.start(), m.end(), value, 0.8, "regex+email_obfuscated"


def _around(text: str, hint: re.Pattern[str], pattern: re.Pattern[str]) -> Iterator[re.Match[str]]:
    """The matches of ``pattern`` that hold a match of the cheap ``hint`` (an '@' with a space
    beside it, an ``[at]``), searched only near each hint: over a whole text these patterns
    backtrack at every word."""
    done = -1
    for h in hint.finditer(text):
        if h.start() < done:
            continue
        for m in pattern.finditer(text, max(0, h.start() - 120), h.end() + 160):
            if m.start() <= h.start() < m.end():
                done = m.end()
                yield m
                break


def _ibans(text: str) -> Iterator[tuple[int, int, str, float, str]]:
    for m in _IBAN_CANDIDATE.finditer(text):
        found = _iban_in(m.group())
        if found is not None:
            value, length = found
            yield m.start(), m.start() + length, value, 0.99, "regex+iban_mod97"


def _nirs(text: str) -> Iterator[tuple[int, int, str, float, str]]:
    for m in _NIR_CANDIDATE.finditer(text):
        if m.group()[0] == "3" and _is_cued_card(text, m):
            continue  # an Amex number whose last digits happen to form a NIR key
        value = normalize_nir(m.group())
        if value is not None:
            confidence = 0.99 if nir_is_strict(value) else 0.9
            yield m.start(), m.end(), value, confidence, "regex+nir_key"


# A social security number written without its key (13 characters) after a cue:
# "N° d'immatriculation", "N° SS", "NSS", "sécurité sociale", "NIR"...
_NIR_CUE = re.compile(
    r"(?=[nNsSiIaAcC])(?:n°\s*d['’]\s*immatriculation|\bimmatriculation\b|\bn°\s*S\.?S\b"
    r"|\bNSS\b|\bs[ée]curit[ée]\s+sociale\b|\bNIR\b|\bnum[ée]ro\s+d['’]\s*assur[ée]"
    r"|\bassurance\s+maladie\b|\bINS\b|\bn°\s*d['’]\s*id(?:entification)?\s+national"
    r"|\bn°\s*d['’]\s*identification\b|\bassur[ée]e?\s*:)",
    re.IGNORECASE,
)
_KEYLESS_NIR = re.compile(
    rf"(?<![0-9A-Za-z])(?P<nir>[1-478](?:{_SEP}\d){{4}}{_SEP}(?:\d{_SEP}\d|2{_SEP}[ABab])"
    rf"(?:{_SEP}\d){{6}})(?P<key>(?:{_SEP}\d){{2}})?(?!{_SEP}[0-9A-Za-z])"
)


def _keyless_nirs(text: str) -> Iterator[tuple[int, int, str, float, str]]:
    """NIRs written without their key after a cue, as their 13 characters (confidence 0.6:
    no key to check them)."""
    # The number must start within 100 characters after the cue.
    for cue in finditer_near_digits(_NIR_CUE, text, before=160, after=1):
        m = _KEYLESS_NIR.search(text, cue.end(), cue.end() + 100)
        if m is None or text.count("\n", cue.end(), m.start()) > 1:
            continue
        nir = _NIR_SEPARATORS.sub("", m.group("nir")).upper()
        if not 1 <= int(nir[3:5]) <= 99:
            continue
        if m.group("key") is None:  # a wrong key is not a NIR (a typo or another number)
            yield m.start(), m.end(), nir, 0.6, "context+nir_keyless"


_NIR_SEPARATORS = re.compile(r"[^0-9A-Za-z]")

# A run of at least 13 digits whose groups are parted by one separator (a space, a dot, a
# dash, a (narrow) nbsp): "1 8 5 0 7 0 8 1 6 9 3 8 9", "2 720649 460 891", and the runs of
# prescription forms where the NIR's boxes touch a date's ("2720949 844 236 1 3 1 0 1 9 7 2",
# "1 0 0 2 2 0 1 7 1 9 1 0 9 6 1 8 1 3 9 2 3"). Each character is a digit or a separator,
# so the match is one pass over the run whatever its length (no backtracking).
_DIGIT_RUN = re.compile(r"(?<![0-9A-Za-z+])\d(?:[ .\-\u00a0\u202f]?\d){12,}")
# How a run of 13, 21 or 29 digits splits into an 8-digit date (ddmmyyyy) and a NIR without
# its key: (digits before the NIR, digits after it).
_RUN_LAYOUTS = {13: ((0, 0),), 21: ((8, 0), (0, 8)), 29: ((8, 8),)}
_NOT_DIGIT = re.compile(r"\D")


def _keyless_nir_runs(text: str) -> Iterator[tuple[int, int, str, float, str]]:
    """NIRs without their key in runs of spaced or grouped digits, as their 13 characters
    (confidence 0.6), when a cue is before them (``Son numéro d'assuré est 1 9 2 0 5 ...``,
    ``Assuré : ANDRE TARDITO N° 2 9 2 0 ...``, a date's boxes between) or when a birth date
    agrees with their year of birth (digits 2–3): on their line (``Née le 24/03/87, 1 8 7 0 4
    ...``, ``Foubert, Daniel Rene  1 8 5 0 7 ...  1 1 1 0 1 9 8 5``), in the run itself (a
    prescription row's boxes), or in the identity block above (a date alone on its line, a
    ``né le``). The 13 characters must have a NIR's structure (:func:`nir_body_shaped`)."""
    context: _RunContext | None = None
    for m in _DIGIT_RUN.finditer(text):
        start, end = m.span()
        if end < len(text) and (text[end].isalpha() or text[end] == "/"):
            if text[end] != "/":
                continue  # glued to a word: a reference, not a NIR
            end = _drop_last_group(text, start, end)  # "... 1 030458906358 18/04/03"
        if start > 0 and text[start - 1] == "/":
            start = _drop_first_group(text, start, end)
        if end - start < 13:
            continue
        context = context or _RunContext(text)
        found = context.nir_in_run(start, end)
        if found is None and (trimmed := _boxes_only(text, start, end)) != (start, end):
            found = context.nir_in_run(*trimmed)  # "... 1 4 0 5 1 9 8 0 24 avenue"
        if found is not None:
            yield found


def _drop_last_group(text: str, start: int, end: int) -> int:
    i = end
    while i > start and text[i - 1].isdigit():
        i -= 1
    return max(start, i - 1)


def _drop_first_group(text: str, start: int, end: int) -> int:
    i = start
    while i < end and text[i].isdigit():
        i += 1
    return min(end, i + 1)


def _boxes_only(text: str, start: int, end: int) -> tuple[int, int]:
    """A run of digits spaced one by one (boxes) without a longer group at either end: the
    street number after a form's last box (``1 9 8 0 24 avenue``) is another field."""
    if text[end - 2 : end].isdigit():
        end = _drop_last_group(text, start, end)
    if text[start : start + 2].isdigit():
        start = _drop_first_group(text, start, end)
    return start, end


def _ddmmyyyy_year(digits: str) -> int | None:
    value = parse_date(f"{digits[:2]}/{digits[2:4]}/{digits[4:]}")
    return int(value[:4]) if value is not None and int(value[:4]) >= 1890 else None


class _RunContext:
    """What the keyless runs of one text are checked against, each read once over the whole
    text and only when a run needs it (line starts, NIR cues, dates), then found by bisection:
    a text full of 13-digit numbers costs no window search per number."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._lines: list[int] | None = None
        self._cues: list[int] | None = None
        self._dates: list[tuple[int, int, str]] | None = None
        self._date_starts: list[int] = []

    @property
    def lines(self) -> list[int]:
        if self._lines is None:
            self._lines = _line_starts(self.text)
        return self._lines

    def line_of(self, i: int) -> tuple[int, int]:
        """The start and the end (the line break) of the line holding position ``i``."""
        k = bisect_right(self.lines, i) - 1
        end = self.lines[k + 1] - 1 if k + 1 < len(self.lines) else len(self.text)
        return self.lines[k], end

    def cue_before(self, start: int) -> bool:
        """A NIR cue ending at most 100 characters before, with at most one line break
        between."""
        if self._cues is None:
            # Near digits only, as _keyless_nirs finds its cues: a cue that counts ends at
            # most 100 characters before a run of digits (a 64 MB line of words held one run
            # and cost a pass of the pattern over all of it).
            self._cues = [cue.end() for cue in
                          finditer_near_digits(_NIR_CUE, self.text, before=160, after=1)]
        k = bisect_right(self._cues, start) - 1
        if k < 0 or self._cues[k] < start - 100:
            return False
        return self.text.count("\n", self._cues[k], start) <= 1

    def dates(self, lo: int, hi: int) -> list[tuple[int, int, str]]:
        """The dates starting in [lo, hi): start, end and the year's last two digits of the
        dates that could be birth dates (valid, not in the future)."""
        if self._dates is None:
            import datetime as dt

            this_year = dt.date.today().year
            self._dates = []
            for d in _ANY_DATE.finditer(self.text):
                value = parse_prose_date(d.group())
                if value is not None and int(value[:4]) <= this_year:
                    self._dates.append((d.start(), d.end(), value[2:4]))
            self._date_starts = [d[0] for d in self._dates]
        i = bisect_right(self._date_starts, lo - 1)
        j = bisect_right(self._date_starts, hi - 1)
        return self._dates[i:j]

    def nir_in_run(self, start: int, end: int) -> tuple[int, int, str, float, str] | None:
        text = self.text
        run = text[start:end]
        digits = _NOT_DIGIT.sub("", run)
        layouts = _RUN_LAYOUTS.get(len(digits))
        if layouts is None:
            return None
        positions: list[int] = []
        group_starts: set[int] = set()
        if len(digits) > 13:  # where each digit sits, the digits beginning a group (the cuts)
            positions = [i for i, c in enumerate(run) if c.isdigit()]
            group_starts = {k for k, i in enumerate(positions) if not run[i - 1 : i].isdigit()}
        for before, after in layouts:
            cut = len(digits) - after
            if (before and before not in group_starts) or (after and cut not in group_starts):
                continue
            body = digits[before:cut]
            dates = [d for d in (digits[:before], digits[cut:]) if d]
            years = [_ddmmyyyy_year(d) for d in dates]
            if not nir_body_shaped(body) or None in years:
                continue
            span = (
                (start + positions[before], start + positions[cut - 1] + 1) if positions
                else (start, end)
            )
            if self.cue_before(start):
                return *span, body, 0.6, "context+nir_keyless"
            line_start, _ = self.line_of(start)
            if _PHONE_REFERENCE_BEFORE.search(text[max(line_start, start - 30) : start]):
                continue  # "commande 1850708169389 du 11/10/1985": an order number
            if self.birth_year_agrees(start, end, body[1:3], years):
                return *span, body, 0.6, "context+nir_keyless_birth"
        return None

    def birth_year_agrees(self, start: int, end: int, yy: str, run_years: list) -> bool:
        """A date that could be a birth date (not in the future) and whose year ends with
        the NIR's ``yy``: one of the run's own dates, a date on the NIR's line (up to 60
        characters before it, 40 after), or, in the 8 lines above (400 characters at most), a
        date alone on its line or after a birth cue (the identity block of a form or a
        letter)."""
        import datetime as dt

        this_year = dt.date.today().year
        if any(year % 100 == int(yy) and year <= this_year for year in run_years):
            return True
        line_start, line_end = self.line_of(start)
        for d_start, d_end, d_yy in self.dates(max(line_start, start - 60), end + 41):
            if d_yy == yy and (d_end <= start or (d_start >= end and d_end <= line_end)):
                return True
        k = bisect_right(self.lines, start) - 1
        above = self.lines[max(0, k - 8)]
        while above < line_start - 400:
            above = self.lines[bisect_right(self.lines, above)]
        for d_start, d_end, d_yy in self.dates(above, line_start):
            if d_yy != yy:
                continue
            d_line_start, d_line_end = self.line_of(d_start)
            if not _text_around(self.text, d_line_start, d_start, d_end, d_line_end):
                return True  # a date alone on its line
            cue = _BIRTH_DATE.search(self.text, max(d_line_start, d_start - 60), d_end)
            if cue is not None and cue.start("date") == d_start:
                return True
        return False


def _text_around(text: str, line_start: int, start: int, end: int, line_end: int) -> bool:
    """Whether anything but blanks is on the line around [start, end)."""
    return bool(text[line_start:start].strip() or text[end:line_end].strip())


def _is_cued_card(text: str, m: re.Match[str]) -> bool:
    from breachscope.detect.identifiers import cue_before, normalize_card

    return normalize_card(m.group()) is not None and cue_before(text, m.start()) == "card"


def _in_longer_run(text: str, start: int, end: int, number: str) -> bool:
    """True when the number continues a run of digit groups: ``06 12 34 56 78 90``,
    ``9 06 12 34 56 78``, ``0612345678901``. A neighbouring group only counts when it is
    glued on, or short (1–2 digits) and written with the number's own separator: in
    ``né le 12/03/1954 06 12 34 56 78`` the year is another token."""
    separators = {c for c in number if not c.isdigit()}
    # A number not written in pairs after its first group (``029 931 9329``) is no usual French
    # layout: any neighbouring group with its separator makes it part of a run of figures (a
    # table of measurements), whatever that group's length.
    longest = 99 if any(len(g) in (3, 4) for g in _DIGIT_GROUPS.findall(number)[1:]) else 2
    after = _GROUP_AFTER.match(text, end)
    if after and (not after.group(1) or (len(after.group(2)) <= longest and after.group(1) in
                                         separators)):
        return True
    before = _GROUP_BEFORE.search(text, max(0, start - 24), start)
    return bool(before and len(before.group(1)) <= longest and before.group(2) in separators)


def _phones(text: str) -> Iterator[tuple[int, int, str, float, str]]:
    for m in _PHONE_CANDIDATE.finditer(text):
        start, end = m.span()
        if _in_longer_run(text, start, end, m.group()) or _DATE_LIKE.match(m.group()):
            continue
        line_start = text.rfind("\n", 0, start) + 1
        if _PHONE_REFERENCE_BEFORE.search(text[max(line_start, start - 30) : start]):
            continue
        if _FOREIGN_CODE_BEFORE.search(text, max(line_start, start - 12), start):
            continue  # "(34) 02.29.18.05.95": a foreign country code, then no French number
        value = normalize_phone(m.group())
        if value is not None:
            yield start, end, value, 0.9, "phonenumbers"
        elif (value := _french_shape(m.group())) and _phone_cue_before(text, line_start, start):
            yield start, end, value, 0.6, "context+phone_shape"


# A bracketed country code other than France's just before a number: "(34) 02 29 18 05 95",
# "(66)0457053315". The digits after it are not a French number (France's "(33)" is read as
# part of the number by _PHONE_CANDIDATE).
_FOREIGN_CODE_BEFORE = re.compile(r"\(\s?(?!3\s?3\s?\))\d(?:\s?\d){1,2}\s?\)[ \t]?$")


def _phone_cue_before(text: str, line_start: int, start: int) -> bool:
    """A phone cue before the number on its line or, when the number begins its line, at the
    end of the line above: directories and letterheads put the name or the label on one line
    and the number on the next (``Dr. Gregory Ambrose\n04 01 09 96 36``, ``Tél :\n01...``)."""
    if _PHONE_CUE_BEFORE.search(text, max(line_start, start - 40), start):
        return True
    if line_start == 0 or text[line_start:start].strip():
        return False
    above_end = line_start - 1
    if above_end > 0 and text[above_end - 1] == "\r":
        above_end -= 1
    above_start = text.rfind("\n", 0, above_end) + 1
    above_end = len(text[above_start:above_end].rstrip()) + above_start
    return _PHONE_CUE_BEFORE.search(text, max(above_start, above_end - 40), above_end) is not None


# "Tél :", "Fax", "joignable au", "numéro de bureau :" just before a number with a French
# number's shape that phonenumbers does not know (an unallocated or made-up range): still a
# phone number as far as the leak is concerned, at a lower confidence.
_PHONE_CUE_BEFORE = re.compile(
    r"(?:\bt[ée]l(?:[ée]phone|[ée]phonique|[ée]phonie)?\b|\bfax\b|\bportable\b|\bmobile\b"
    r"|\bjoignables?\b|\bappeler\b|\bcontact\b|\bbureau\b|\bfax[ée]e?\b|\bfaxer\b"
    r"|\bphone\b|\bstandard\b|\bsecr[ée]tariat\b)[^\d\n]{0,25}$"
    # a directory: "Dr A. DAGENS 07 16 20 26 77"
    r"|\b(?:Dr|Pr|Docteur|Professeur|Mme|Mlle|Madame|Monsieur)\b[^\d\n]{2,40}$",
    re.IGNORECASE,
)


def _french_shape(raw: str) -> str | None:
    """``+33`` and the 9 national digits of a number shaped as a French one (``0X`` and 8
    digits, or ``+33``/``(33)`` and 9), whether or not the range is allocated."""
    digits = _NOT_DIGIT.sub("", raw)
    if len(digits) == 10 and digits[0] == "0" and digits[1] != "0":
        return "+33" + digits[1:]
    if digits.startswith("0033"):
        digits = digits[2:]
    if digits.startswith("330") and len(digits) == 12:
        digits = "33" + digits[3:]
    if digits.startswith("33") and len(digits) == 11 and digits[2] != "0":
        return "+" + digits
    return None


def _birth_dates(text: str) -> Iterator[tuple[int, int, str, float, str]]:
    for m in finditer_near_digits(_BIRTH_DATE, text, before=160, after=30):
        value = parse_prose_date(m.group("date"))
        if value is not None:
            yield m.start("date"), m.end("date"), value, 0.9, "context+date"
    yield from _uncued_birth_dates(text)


def _uncued_birth_dates(text: str) -> Iterator[tuple[int, int, str, float, str]]:
    """Dates without a cue before them, in one pass over the dates: followed by the age they
    give, after a sex field or a social security number in a patient row, after a name."""
    for m in finditer_near_digits(_ANY_DATE, text, before=1, after=30):
        start, end = m.span()
        if (age := _AGE_AFTER.match(text, end)) is not None:
            value = parse_prose_date(m.group())
            if value is not None and _age_fits(value, int(age.group("age"))):
                yield start, end, value, 0.85, "context+age"
                continue
        if _TIME_AFTER.match(text, end):
            continue
        before = text[max(0, start - 3) : start].rstrip(" \t")
        if (before[-1:] in _ROW_ENDS and _ROW_BEFORE.search(text, max(0, start - 40), start)) or (
            before[-1:] == "|" and _IDS_AFTER.match(text, end)
        ):
            value = parse_prose_date(m.group())
            if value is not None and _plausible_birth(value):
                yield start, end, value, 0.8, "context+identity_row"
            continue
        if (hit := _after_name(text, m)) is not None:
            yield hit


# An identity line: a name, then its birth date, separated by a comma, spaces or a line break
# (``DUPONT Marie, 23/04/1976``). A date followed by a time is a timestamp
# (``JALONNET Christine 18/02/2019 16:34``).
_ANY_DATE = re.compile(rf"(?<![\d/.\-|])(?:{_DATE_TEXT})")
_TIME_AFTER = re.compile(r"[ \t]*(?:[àa][ \t]*)?\d{1,2}[:h]\d")


# Patient rows in lists: the date after a sex field (``DUPONT Marie | F | 12/03/1954``) or
# right after a social security number (``LIMONE Sandra  2 9 1 4 ... 6 5 4  2 9 0 2 1 9 9 5``).
_ROW_BEFORE = re.compile(
    r"(?:\|[ \t]*[MFH][ \t]*\|[ \t]*|(?<!\d)(?<!\d )(?:\d ?){12,14}\d[ \t]+)\Z"
)
# The same rows when the sex field is garbled: the date field followed by the IPP and NDA
# fields (``| 0 5 0 8 2 0 0 3 | 5976349378 | 87954386``) is the patient's birth date.
_IDS_AFTER = re.compile(
    r"[ \t]*\|[ \t]*[A-Za-z]{0,3}\d[A-Za-z0-9]{5,19}[ \t]*\|[ \t]*"
    r"(?:(?:visite[ \t]+)?dossier[ \t]+)?[A-Za-z]{0,3}\d[A-Za-z0-9]{5,19}(?![\w/]|[.,]\d)",
    re.IGNORECASE,
)
# "(04/08/1991, 32 ans)": a date followed by an age that it explains is a birth date.
_ROW_ENDS = frozenset("|0123456789")
_AGE_AFTER = re.compile(
    r"\s*[,;(]\s*(?:[âa]g[ée]e?\s+de\s+)?(?P<age>\d{1,3})\s*ans\b", re.IGNORECASE
)
# A date followed by a social security number is the row's other date (a prescription's).
_NIR_AFTER = re.compile(r"[ \t]+(?:\d ?){12,14}\d(?![ ]?\d)")
_LAST_WORD = re.compile(r"([A-Za-zÀ-ÿ][A-Za-zÀ-ÿ'’\-]*)\.?[ \t]*$")
_NOT_NAMES = frozenset(
    ["le", "la", "les", "du", "au", "aux", "de", "des", "et", "en", "le", "date", "fait", "vu",
     "vue", "par", "sur", "depuis", "jusqu", "avant", "apres", "après", "entre", "dès", "des",
     "cedex", "paris", "lyon", "marseille", "chu", "hôpital", "hopital", "service", "clinique",
     "centre", "naissance", "ddn", "arrivée", "arrivee", "sortie", "entrée", "entree",
     "admission", "jusqu'au", "imprimé", "imprime", "édité", "edite", "signé", "signe",
     "validé", "valide", "janvier", "février", "fevrier", "mars", "avril", "mai", "juin",
     "juillet", "août", "aout", "septembre", "octobre", "novembre", "décembre", "decembre"]
)


def _after_name(text: str, m: re.Match[str]) -> tuple[int, int, str, float, str] | None:
    end = _name_end_before(text, m.start())
    if end is None:
        return None
    line_start = text.rfind("\n", 0, end) + 1
    word = _LAST_WORD.search(text, max(line_start, end - 40), end)
    if word is None or not word.group(1)[0].isupper() or word.group(1).lower() in _NOT_NAMES:
        return None
    value = parse_prose_date(m.group())
    if value is None or not _plausible_birth(value) or _NIR_AFTER.match(text, m.end()):
        return None
    if not _looks_like_a_patient_name(text[max(line_start, end - 80) : end]):
        return None
    return m.start(), m.end(), value, 0.8, "context+name"


def _name_end_before(text: str, start: int) -> int | None:
    """Where the word before a date ends when only a comma, blanks or one line break separate
    them (``DUPONT Marie, 23/04/1976``), or None."""
    i = start
    while i > 0 and text[i - 1] in " \t":
        i -= 1
    if i > 0 and text[i - 1] in ",\n":
        i -= 1
        while i > 0 and text[i - 1] in " \t":
            i -= 1
    if i == start or i == 0 or not (text[i - 1].isalpha() or text[i - 1] == "."):
        return None
    return i


# Two to six capitalized words (initials allowed, glued ones too: the "C.C." or "J.-C." of a
# compound first name) ending the text: "Mirella Rousset", "TRAVIS GUILLAUMET", "Adenet G.",
# "FADIL MARIONS, Yassine", "Maximilien C.C.". Cheap on purpose: it runs for every date after
# a capitalized word, and the names scanner is far too slow for that.
_NAME_WORD = r"[A-ZÀ-Ý](?:[A-Za-zÀ-ÿ'’\-]*|(?:\.-?[A-ZÀ-Ý])+)\.?"
_NAME_TAIL = re.compile(
    rf"(?:^|(?<=[\s:(\-–]))((?:{_NAME_WORD},?[ \t]+){{1,5}}{_NAME_WORD})[ \t]*$"
)
_NOT_PATIENT = frozenset(
    ["dr", "dr.", "docteur", "pr", "pr.", "professeur", "interne", "chef", "cadre", "service",
     "hôpital", "hopital", "chu", "ch", "clinique", "centre", "unité", "unite", "pôle", "pole",
     "département", "departement", "institut", "groupe", "hospitalier", "hospitalière",
     "assistance", "publique", "cedex", "rue", "avenue", "boulevard", "place", "rdv",
     "rendez-vous", "rappel", "convocation"]
)


def _looks_like_a_patient_name(window: str) -> bool:
    m = _NAME_TAIL.search(window)
    if m is None:
        return False
    words = [w.strip(".,").lower() for w in m.group(1).split()]
    before = window[: m.start(1)].split()
    if before and before[-1].strip(".,:").lower() in _NOT_PATIENT:
        return False  # "Dr Jean LAMY 12/03/2020": a professional, the date is not his birth
    return not any(w in _NOT_PATIENT or w in _NOT_NAMES for w in words)


def _plausible_birth(value: str) -> bool:
    import datetime as dt

    return int(value[:4]) >= 1890 and value <= dt.date.today().isoformat()


def _age_fits(birth: str, age: int) -> bool:
    """The age is what the date gives at a plausible time of writing (1985 to next year):
    a visit date followed by an age ('vu le 12/03/2024, 75 ans') does not fit."""
    import datetime as dt

    return age <= 120 and 1985 <= int(birth[:4]) + age <= dt.date.today().year + 1


Scanner = Callable[[str], Iterator[tuple[int, int, str, float, str]]]

_CORE_SCANNERS: tuple[tuple[str, Scanner], ...] = (
    ("EMAIL", _emails),
    ("IBAN", _ibans),
    ("NIR", _nirs),
    ("NIR", _keyless_nirs),
    ("NIR", _keyless_nir_runs),
    ("PHONE", _phones),
    ("BIRTH_DATE", _birth_dates),
)


def _plugin_scanners() -> tuple[tuple[str, Scanner], ...]:
    """Scanners of the modules in ``breachscope.detect.scanners``: each module exposes
    ``SCANNERS``, a list of ``(entity, scanner)`` run after the core ones, in module name
    order; a scanner yields ``(start, end, normalized value, confidence, detector)``. A span
    already taken by an earlier scanner is not reported twice."""
    from breachscope.detect import scanners

    found: list[tuple[str, Scanner]] = []
    for info in sorted(pkgutil.iter_modules(scanners.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{scanners.__name__}.{info.name}")
        found.extend(getattr(module, "SCANNERS", ()))
    return tuple(found)


_SCANNERS = _CORE_SCANNERS + _plugin_scanners()


def scan_text(unit: TextUnit) -> list[Finding]:
    """Findings in a text unit, each located at ``line N`` (``page 3, line 4`` when the unit
    has a name), in text order."""
    text = unit.text
    if not text:
        return []
    starts = _line_starts(text)
    prefix = f"{unit.name}, " if unit.name else ""
    accepted = _Spans()
    found: list[tuple[int, Finding]] = []
    for entity, scanner in _SCANNERS:
        for start, end, value, confidence, detector in scanner(text):
            if accepted.overlaps(start, end):
                continue
            accepted.add(start, end)
            line = unit.first_line + bisect_right(starts, start) - 1
            found.append(
                (start, Finding(entity, value, f"{prefix}line {line}", confidence, detector))
            )
        accepted.settle()
    found.sort(key=lambda pair: pair[0])
    return [finding for _, finding in found]


def scan_texts(units: list[TextUnit]) -> list[list[Finding]]:
    """:func:`scan_text` of each unit, the same findings, with the names' spaCy pass batched
    over all the units (:func:`breachscope.detect.names.prepare_names`): for many small
    letters, one model call instead of one per letter."""
    from breachscope.detect.names import prepare_names

    prepare_names([unit.text for unit in units if unit.text])
    return [scan_text(unit) for unit in units]


def find_phones(text: str) -> list[str]:
    """The phone numbers (E.164) found in a piece of text, such as a messy table cell."""
    return [value for _, _, value, _, _ in _phones(text)]


def find_emails(text: str) -> list[str]:
    """The e-mail addresses (lower case) found in a piece of text."""
    return [value for _, _, value, _, _ in _emails(text)]


# Issue 15: the patterns run over whole texts or many windows, with a look-ahead on the
# characters a match can start with (detect/candidates.py): the same matches, found faster.
_ANY_DATE, _BIRTH_DATE, _PHONE_REFERENCE_BEFORE = (
    with_first_characters(p) for p in (_ANY_DATE, _BIRTH_DATE, _PHONE_REFERENCE_BEFORE))
