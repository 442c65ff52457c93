"""Health data in free text and table cells: ICD-10 (CIM-10) codes, diagnoses by label,
medications, care units and CCAM procedures.

Reference data ships under ``breachscope/data/health`` (see its README): the ATIH CIM-10 FR code
list with French labels and a list of French drug names (brand names and active ingredients),
both taken from the ``edsnlp`` package. They are loaded lazily, once per process.

- **ICD-10 codes**: ``I25.1`` or ``I251`` (ATIH extensions such as ``B24.+0``, ``F10.20``), valid
  only when the code is in the list. A code-shaped token in prose is a reference number unless
  a cue says otherwise: a cue word before it on the same line (``CIM-10``, ``diagnostic``,
  ``code``, ``DP :``, ``DAS :``...), ``(CIM10)`` after it, the code's own label after it, or a
  list of codes (codes separated by commas, semicolons, slashes or ``et``).
- **Diagnoses** and **medications**: one Aho-Corasick automaton over the accent- and
  case-folded text, matched on word boundaries, leftmost-longest. A diagnosis negated by its
  context ("pas de", "absence de", "toxicomanie : non", "VIH négatif") or named as a test
  without a positive result ("sérologie VIH") is dropped.
- **Sensitive-care words** in the same automaton (:data:`_SENSITIVE_CUES`): "sevrage
  alcoolique", "TS médicamenteuse", "trithérapie", "PrEP", "viol"... as diagnoses, and acts
  ("IVG", "caryotype", "SDRE") as PROCEDURE findings, given by :func:`find_ccam`. Their
  categories are assess/sensitive.py's (``text_sensitive_category``).
- **Care units**: a unit word (``service``, ``unité``, ``centre``, ``consultation``...) followed
  by a specialty, unit acronyms (``CMP``, ``CeGIDD``, ``CSAPA``...) and a few specialty words
  that are units by themselves (``addictologie``, ``orthogénie``).
- **CCAM procedures**: four letters and three digits (``JNJD002``) with a cue (``CCAM``,
  ``acte``, ``code``...), or one of the acts known to be sensitive.
"""

from __future__ import annotations

import gzip
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterator
from functools import cache
from importlib import resources

from breachscope.detect.candidates import with_first_characters

Hit = tuple[int, int, str, float, str]

# --------------------------------------------------------------------------- reference data


def _data_lines(name: str) -> list[list[str]]:
    raw = (resources.files("breachscope") / "data" / "health" / name).read_bytes()
    text = gzip.decompress(raw).decode("utf-8")
    return [line.split("\t") for line in text.splitlines() if line]


@cache
def icd10_codes() -> dict[str, str]:
    """ATIH CIM-10 codes without the dot (``I251``, ``B24+0``) → French label."""
    return {code: label for code, label in _data_lines("cim10.tsv.gz")}


@cache
def drug_names() -> dict[str, str]:
    """Drug name as listed (``DOLIPRANE``, ``paracetamol``) → ATC code."""
    return {name: atc for name, atc in _data_lines("drugs.tsv.gz")}


# --------------------------------------------------------------------------- folding

_FOLD_TABLE: dict[int, str] = {}
for _c in range(0xC0, 0x250):
    _ch = chr(_c)
    _base = "".join(x for x in unicodedata.normalize("NFKD", _ch)
                    if not unicodedata.combining(x)).lower()
    if len(_base) == 1 and _base.isascii() and _base.isalpha():
        _FOLD_TABLE[_c] = _base
_FOLD_TABLE.update({ord("œ"): "oe", ord("Œ"): "oe", ord("æ"): "ae", ord("Æ"): "ae"})
for _ch in "-'’‐‑–_\n\r\t\u00a0\u202f":
    _FOLD_TABLE[ord(_ch)] = " "
for _c in range(ord("A"), ord("Z") + 1):
    _FOLD_TABLE[_c] = chr(_c + 32)
_EXPANDING = re.compile("[œŒæÆ]")


def fold_text(text: str) -> str:
    """Lower case, no accents, hyphens and apostrophes as spaces (``Œdème`` → ``oedeme``,
    ``d'Alzheimer`` → ``d alzheimer``). Only œ/æ change the length (see :func:`_fold_map`)."""
    return text.translate(_FOLD_TABLE)


def _fold_map(text: str) -> tuple[str, list[int]]:
    """The folded text and the folded positions right after each expanded character (œ → oe),
    to map folded offsets back to the original text."""
    folded = fold_text(text)
    if len(folded) == len(text):
        return folded, []
    marks: list[int] = []
    for n, m in enumerate(_EXPANDING.finditer(text)):
        marks.append(m.start() + n + 2)
    return folded, marks


def _original(pos: int, marks: list[int]) -> int:
    return pos - bisect_right(marks, pos) if marks else pos


# --------------------------------------------------------------------------- ICD-10

_ICD_SHAPE = re.compile(r"[A-Z]\d{2}[0-9+]{0,3}")


def normalize_icd10(raw: str) -> str | None:
    """``I251``, ``i25.1``, ``I25.1 `` → ``I25.1``; ``B20`` → ``B20``; a code not in the CIM-10
    list → ``None``. A trailing dagger or asterisk (``G01*``) is ignored."""
    text = raw.strip().upper().replace(".", "").replace(" ", "").rstrip("*†+")
    if not _ICD_SHAPE.fullmatch(text) or text not in icd10_codes():
        return None
    return text if len(text) == 3 else f"{text[:3]}.{text[3:]}"


def icd10_label(code: str) -> str | None:
    return icd10_codes().get(code.replace(".", "").upper())


_ICD_CANDIDATE = re.compile(
    r"(?<![A-Za-z0-9_./\\@#€$£])([A-Z]\d{2})(?:(\.?)([0-9+]{1,3}))?(?![A-Za-z0-9_]|[.,]\d|[%€$])"
)
# Words that announce codes, anywhere in the window before a code (same line).
_ICD_CUE = re.compile(
    r"\b(?:cim|c\.i\.m|icd|ant[ée]c[ée]dents?|atcd|diagnostics?|diagnostiques?|diag|codes?"
    r"|cod[ée]e?s?|codages?"
    r"|nosologi\w*|pathologies?|affections?|motifs?|pmsi|rum|rss|ghm)\b",
    re.IGNORECASE,
)
# Acronyms (upper case) that announce a code right after them: "DP : I21.0", "DAS E11.9".
_ICD_ACRONYM = re.compile(
    r"\b(?:DP|DR|DAS|DA|DAD|DRel|DPP|MMP|AE|FPP)\s*(?:n°\s*\d+\s*)?[:=\-–]?\s*$"
)
_ICD_CUE_AFTER = re.compile(
    r"\s*[(\[^|,:]?\s*(?:CIM|ICD)"
    r"|\^[^^|\n]{0,120}\^(?:I10|ICD|CIM|ICD10|CIM10|CIM-10|ICD-10)\b",  # HL7 CE: code^text^I10
    re.IGNORECASE,
)
# Keyboard keys, seats, rooms, grid cells, parts: not codes whatever else is said.
_NOT_A_CODE_BEFORE = re.compile(
    r"\b(?:touches?|clavier|appuye[rz]|appuyant|press|key|keys|salle|chambre|bureau|porte"
    r"|bâtiment|batiment|bat\.?|case|cellule|colonne|ligne|si[èe]ge|place|lot|réf\.?|ref\.?"
    r"|article|art\.?|modèle|mod[eè]le|version|vol|ticket|bus|route|autoroute|format)"
    r"\s*(?:n°\s*)?:?\s*$",
    re.IGNORECASE,
)
_CHAIN_GAP = re.compile(r"\s*(?:[,;/|+&]|\bet\b|\band\b|\bou\b)?\s*", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?]\s")

ICD_WINDOW = 60


def _line_window(text: str, start: int) -> str:
    """The text before ``start`` on its line (at most ``ICD_WINDOW`` characters), from the
    start of its sentence: a period after an abbreviation (``Diag.``) does not end one."""
    line_start = text.rfind("\n", 0, start) + 1
    window = text[max(line_start, start - ICD_WINDOW) : start]
    ends = [m for m in _SENTENCE_END.finditer(window)
            if _WORD_BEFORE.search(window, 0, m.start()) is None]
    return window[ends[-1].end() :] if ends else window


_WORD_BEFORE = re.compile(
    r"\b(?:diag|cf|r[ée]f|n|no|dr|pr|cod|ant[ée]c|atcd|ttt|trt|hosp|consult|p|env|etc)$",
    re.IGNORECASE,
)


def _label_follows(text: str, end: int, code: str) -> bool:
    """The code's own CIM-10 label (its first two words, folded) follows the code."""
    label = icd10_codes().get(code.replace(".", ""))
    if not label:
        return False
    words = _WORD.findall(fold_text(label))[:2]
    after = _WORD.findall(fold_text(text[end : end + 80]))[: len(words)]
    return bool(words) and after == words


_WORD = re.compile(r"[a-z0-9]+")


def _icd_candidates(text: str) -> list[tuple[int, int, str | None]]:
    out = []
    for m in _ICD_CANDIDATE.finditer(text):
        rest = m.group(3) or ""
        value = normalize_icd10(m.group(1) + rest)
        out.append((m.start(), m.end(), value))
    return out


def _chains(cands: list[tuple[int, int, str | None]], text: str) -> list[list[int]]:
    """Indexes of candidates grouped into lists written one after another (``E11.9, I10``)."""
    chains: list[list[int]] = []
    for i, (start, _end, _v) in enumerate(cands):
        if i and chains and _CHAIN_GAP.fullmatch(text, cands[i - 1][1], start):
            chains[-1].append(i)
        else:
            chains.append([i])
    return chains


def find_icd10(text: str) -> Iterator[Hit]:
    """ICD-10 codes of ``text`` with their context (see the module doc)."""
    if not _ICD_QUICK.search(text):
        return
    cands = _icd_candidates(text)
    for chain in _chains(cands, text):
        valid = [i for i in chain if cands[i][2] is not None]
        if not valid:
            continue
        first_start = cands[chain[0]][0]
        window = _line_window(text, first_start)
        if _NOT_A_CODE_BEFORE.search(window):
            continue
        chain_cue = bool(_ICD_CUE.search(window) or _ICD_ACRONYM.search(window)
                         or _LINE_CUE.match(text, text.rfind("\n", 0, first_start) + 1))
        last_end = cands[chain[-1]][1]
        chain_cue = chain_cue or bool(_ICD_CUE_AFTER.match(text, last_end))
        is_list = len(valid) >= 2 and len(valid) == len(chain)
        for i in valid:
            start, end, value = cands[i]
            assert value is not None
            if _label_follows(text, end, value):
                confidence = 0.97
            elif chain_cue:
                confidence = 0.95 if len(chain) == 1 else 0.93
            elif is_list:
                confidence = 0.85
            else:
                own = _line_window(text, start)
                if _ICD_ACRONYM.search(own) or _ICD_CUE_AFTER.match(text, end):
                    confidence = 0.95
                elif _after_diagnosis(text, start) or _own_label_before(text, start, value):
                    confidence = 0.9
                else:
                    continue
            yield start, end, value, confidence, "context+cim10"


_ICD_QUICK = re.compile(r"[A-Z]\d\d")
# A line that is a list of diagnoses: every valid code on it is one, however far from the cue.
_LINE_CUE = re.compile(
    r"\s*(?:diagnostics?(?:\s+(?:principal|associ[ée]s?|reli[ée]s?|de\s+sortie))?|DP|DAS|DR"
    r"|codage|codes?\s+CIM[\s-]*10)\s*:", re.IGNORECASE)
_OPEN_PAREN_BEFORE = re.compile(r"\(\s*$")


def _after_diagnosis(text: str, start: int) -> bool:
    """``infarctus du myocarde (I21.9)``: a code in brackets right after a diagnosis label."""
    paren = _OPEN_PAREN_BEFORE.search(text, max(0, start - 3), start)
    if not paren:
        return False
    before = text[: paren.start()].rstrip()
    return any(end == len(before) for _, end, _, _, _ in _term_hits(text)["DIAGNOSIS"])

_LABEL_WORD = re.compile(r"[a-z]{4,}")


def _own_label_before(text: str, start: int, code: str) -> bool:
    """``Conseil génétique (Z31.5)``, ``Appendicite aiguë, autre (K358)``: a code in brackets
    after words of its own CIM-10 label (at least two of them, or the only one)."""
    if not _OPEN_PAREN_BEFORE.search(text, max(0, start - 3), start):
        return False
    label = icd10_codes().get(code.replace(".", ""))
    if not label:
        return False
    wanted = set(_LABEL_WORD.findall(fold_text(label)))
    if not wanted:
        return False
    before = set(_LABEL_WORD.findall(fold_text(text[max(0, start - 160) : start])))
    return len(wanted & before) >= min(2, len(wanted))


# --------------------------------------------------------------------------- CCAM

# Acts whose mere presence is sensitive (pregnancy termination), accepted without a cue.
SENSITIVE_ACTS = frozenset({"JNJD002", "JNJP001"})
_CCAM_CANDIDATE = re.compile(r"(?<![A-Za-z0-9_./\\-])([A-Z]{4}\d{3})(?:[-.]\d(?:[-.]\d{1,3})?)?"
                             r"(?![A-Za-z0-9_])")
_CCAM_CUE = re.compile(
    r"\b(?:ccam|actes?|codes?|codages?|cod[ée]e?s?|interventions?|proc[ée]dures?|gestes?"
    r"|op[ée]rations?|chirurgie|r[ée]alis[ée]e?s?)\b",
    re.IGNORECASE,
)
_CCAM_SHAPE = re.compile(r"[A-Z]{4}\d{3}")
_CCAM_CODE = re.compile(r"([A-Z]{4}\d{3})(?:[-.]?\d(?:[-.]?\d{1,3})?)?$")
_CCAM_AFTER = re.compile(r"\s*\(?CCAM")


def normalize_ccam(raw: str) -> str | None:
    """A CCAM act code (``JNJD002``; an activity/phase suffix ``-1-0`` is dropped), by shape:
    no shipped list, so a column must say it holds acts."""
    text = raw.strip().upper()
    m = _CCAM_CODE.match(text)
    return m.group(1) if m else None


def find_ccam(text: str) -> Iterator[Hit]:
    """CCAM acts by their code (with a cue, or a sensitive act), then the sensitive acts named
    in words (``IVG``, ``caryotype``, ``SDRE``: PROCEDURE, see :data:`_SENSITIVE_CUES`) —
    except inside a care unit's name (``centre d'IVG``, ``consultation de conseil
    génétique``), which stays a unit."""
    yield from _ccam_codes(text)
    for hit in _term_hits(text)["PROCEDURE"]:
        if not _inside_care_unit(text, hit[0], hit[1]):
            yield hit


def _inside_care_unit(text: str, start: int, end: int) -> bool:
    for m in _CARE_UNIT.finditer(text, max(0, start - _CONTEXT), min(len(text), end + 40)):
        if m.start() < end and start < m.end():
            return True
    return False


def _ccam_codes(text: str) -> Iterator[Hit]:
    if not _CCAM_QUICK.search(text):
        return
    cands = list(_CCAM_CANDIDATE.finditer(text))
    previous_accepted_end = -1
    for m in cands:
        code = m.group(1)
        window = _line_window(text, m.start())
        chained = previous_accepted_end >= 0 and _CHAIN_GAP.fullmatch(
            text, previous_accepted_end, m.start())
        if code in SENSITIVE_ACTS:
            confidence = 0.95 if _CCAM_CUE.search(window) else 0.9
        elif _CCAM_CUE.search(window) or chained or _CCAM_AFTER.match(text, m.end()):
            confidence = 0.9
        else:
            continue
        previous_accepted_end = m.end()
        yield m.start(), m.end(), code, confidence, "context+ccam"


_CCAM_QUICK = re.compile(r"[A-Z]{4}\d{3}")

# --------------------------------------------------------------------------- terms

# Labels that are ordinary words more often than diagnoses in a leak.
_AMBIGUOUS_LABELS = frozenset({
    "agitation", "charbon", "gale", "goutte", "hostilite", "immobilite", "malaise", "paleur",
    "peste", "rage", "rougeur", "stupeur", "tristesse", "tics", "nervosite", "suractivite",
    "senilite", "somnolence", "telogene", "anagene", "cauchemars", "morve", "pian", "loase",
    "fasciculation", "eternuement", "hoquet", "fetichisme", "voyeurisme", "exhibitionnisme",
    "chimere", "cote cervicale", "cou palme", "douleur aigue", "avortement medical",
})
# Common names of diseases written in reports, beside the CIM-10 labels.
_EXTRA_DIAGNOSES = (
    "diabete", "diabete de type 1", "diabete de type 2", "diabete type 2", "diabete type 1",
    "hypertension arterielle", "depression", "syndrome depressif", "episode depressif majeur",
    "trouble bipolaire", "troubles bipolaires", "psychose", "schizophrenie", "alcoolisme",
    "dependance alcoolique", "dependance a l alcool", "toxicomanie", "addiction", "vih",
    "infection vih", "infection par le vih", "sida", "seropositivite vih", "hepatite b",
    "hepatite c", "tuberculose", "syphilis", "chlamydiose", "gonococcie", "herpes genital",
    "cancer", "cancer du sein", "cancer de la prostate", "cancer du poumon", "cancer du colon",
    "cancer colorectal", "infarctus du myocarde", "insuffisance cardiaque",
    "insuffisance renale", "insuffisance renale chronique", "accident vasculaire cerebral",
    "bpco", "maladie d alzheimer", "maladie de parkinson", "sclerose en plaques", "epilepsie",
    "obesite", "covid 19", "anorexie mentale", "boulimie", "tentative de suicide",
    "trisomie 21", "mucoviscidose", "drepanocytose", "hemophilie", "polyarthrite rhumatoide",
    "lupus", "asthme", "fibrillation auriculaire", "embolie pulmonaire", "pneumopathie",
    "leucemie", "lymphome", "myelome", "cirrhose", "hypothyroidie", "hyperthyroidie",
    "endometriose", "autisme", "trouble du spectre autistique", "troubles anxieux",
    "trouble anxieux generalise", "stress post traumatique", "etat de stress post traumatique",
    "syndrome de stress post traumatique", "demence", "maladie de crohn",
    "rectocolite hemorragique", "hepatite", "pneumonie", "bronchiolite", "meningite",
)

# Words of letters and notes that reveal sensitive care (assess/sensitive.py classifies them:
# its text_sensitive_category() is non-None for each of these forms, a test checks it),
# folded. Conditions, and the treatments that imply one (trithérapie, PrEP, opioid
# substitution), are DIAGNOSIS; acts (pregnancy termination, genetic tests and counselling,
# electroconvulsive therapy) and psychiatric care without consent are PROCEDURE. Tobacco
# withdrawal, hepatitis C and plain "dépression" or "sevrage" are not among them
# (docs/severity.md, "Sensitive care: drugs and words").
_SENSITIVE_CUES: dict[str, tuple[str, ...]] = {
    "DIAGNOSIS": (
        # addiction (alcohol, opiates and other drugs; not tobacco)
        "sevrage alcoolique", "sevrage ethylique", "sevrage en alcool", "sevrage d alcool",
        "sevrage de l alcool", "sevrage a l alcool", "sevrage aux opiaces",
        "sevrage aux opioides", "sevrage des opiaces", "sevrage en opiaces", "sevrage opiace",
        "sevrage a l heroine", "sevrage de l heroine", "sevrage en heroine",
        "sevrage de la cocaine", "sevrage en cocaine", "sevrage cannabique",
        "sevrage du cannabis", "sevrage en cannabis", "sevrage aux drogues",
        "syndrome de sevrage alcoolique", "cure de sevrage", "delirium tremens",
        "alcoolisme", "alcoolisme chronique", "ethylisme", "ethylisme chronique",
        "alcoolo dependance", "alcoolodependance", "alcoolo dependant", "alcoolo dependante",
        "dependance aux opiaces", "dependance aux opioides", "dependance a l heroine",
        "dependance a la cocaine", "dependance au cannabis", "toxicomanie", "toxicomanies",
        "toxicomane", "heroinomane", "heroinomanie", "cocainomane", "usager de drogues",
        "usagers de drogues", "usage de drogues", "trouble de l usage de l alcool",
        "troubles de l usage de l alcool", "conduite addictive", "conduites addictives",
        "traitement de substitution aux opiaces", "traitement de substitution aux opioides",
        "substitution aux opiaces", "tso",
        # HIV (a test is not care: see _context_clears)
        "vih", "hiv", "sida", "seropositif", "seropositive", "seropositivite", "tritherapie",
        "tritherapie antiretrovirale", "traitement antiretroviral", "antiretroviraux",
        "prep", "prophylaxie pre exposition",
        # sexually transmitted infections
        "ist", "mst", "infection sexuellement transmissible",
        "infections sexuellement transmissibles", "maladie sexuellement transmissible",
        "maladies sexuellement transmissibles", "syphilis", "chlamydiose",
        "chlamydia trachomatis", "gonococcie", "gonorrhee", "blennorragie", "herpes genital",
        "condylomes", "lymphogranulomatose venerienne",
        # psychiatry
        "schizophrenie", "schizophrene", "trouble schizo affectif", "troubles schizo affectifs",
        "trouble bipolaire", "troubles bipolaires", "psychose", "psychose chronique",
        "bouffee delirante", "bouffee delirante aigue", "episode psychotique",
        "decompensation psychotique", "trouble psychotique", "melancolie",
        "depression melancolique", "depression severe", "episode depressif severe",
        "episode depressif majeur", "anorexie mentale", "trouble de la personnalite",
        "troubles de la personnalite", "personnalite borderline",
        # self-harm
        "tentative de suicide", "tentatives de suicide", "tentative d autolyse", "autolyse",
        "geste autolytique", "gestes autolytiques", "geste suicidaire",
        "intoxication medicamenteuse volontaire", "ts medicamenteuse", "ts par pendaison",
        "ts par defenestration", "ts par phlebotomie", "ts par intoxication medicamenteuse",
        "ts par arme a feu", "ts par noyade", "automutilation", "automutilations",
        "scarifications", "idee suicidaire", "idees suicidaires",
        # sexual abuse
        "viol", "viols", "agression sexuelle", "agressions sexuelles", "abus sexuel",
        "abus sexuels", "violence sexuelle", "violences sexuelles", "inceste",
        "attouchements sexuels",
        # chromosomal anomalies
        "trisomie 21", "trisomie 18", "trisomie 13", "syndrome de klinefelter",
    ),
    "PROCEDURE": (
        "ivg", "ivg medicamenteuse", "ivg instrumentale", "ivg chirurgicale",
        "interruption volontaire de grossesse", "interruption medicale de grossesse",
        "interruption de grossesse", "avortement provoque",
        "caryotype", "caryotypes", "caryotype foetal", "caryotype constitutionnel",
        "test genetique", "tests genetiques", "analyse genetique", "analyses genetiques",
        "examen genetique", "examen des caracteristiques genetiques", "etude genetique",
        "conseil genetique", "oncogenetique",
        "hospitalisation sous contrainte", "soins sous contrainte", "soins sans consentement",
        "soins psychiatriques sans consentement", "hospitalisation d office",
        "hospitalisation a la demande d un tiers", "soins a la demande d un tiers",
        "soins psychiatriques a la demande d un tiers",
        "soins a la demande du representant de l etat",
        "soins psychiatriques a la demande du representant de l etat",
        "soins psychiatriques en cas de peril imminent", "sdre", "sdt", "spdt", "spdre",
        "sppi", "hdt", "sismotherapie", "electroconvulsivotherapie",
    ),
}
# Acronyms that are a cue only written as such (the original text must match): "IVG", not
# "ivg"; "PrEP", not "prep"; "TS médicamenteuse", not "ts".
_CASED_CUES: dict[str, re.Pattern[str]] = {
    **{form: re.compile(form.upper()) for form in (
        "ivg", "ist", "mst", "tso", "sdre", "sdt", "spdt", "spdre", "sppi", "hdt")},
    "prep": re.compile("PrEP|PREP"),
    **{form: re.compile(r"IVG\s.*") for form in _SENSITIVE_CUES["PROCEDURE"]
       if form.startswith("ivg ")},
    **{form: re.compile(r"TS\s.*") for form in _SENSITIVE_CUES["DIAGNOSIS"]
       if form.startswith("ts ")},
}

# Negation and test results, as upper-case regular expressions over folded text (accents off,
# hyphens and apostrophes as spaces), shared with assess/sensitive.py, which builds its SQL
# (RE2) twin from them: no look-around, no back-reference. "pas de", "absence de", "sans",
# "aucun", "ni"... then at most four filler words ("d'antécédent de", "de notion de").
NEGATION_WORDS = r"PAS|ABSENCE|SANS|AUCUNE?|NI|NON|JAMAIS|NIE|NIANT|DENIE|EXCLUE?S?|ELIMINEE?S?"
NEGATION_GAP_WORDS = (
    r"DE|D|DES|DU|LA|LE|L|UN|UNE|ANTECEDENTS?|ATCD|NOTIONS?|SIGNES?|ARGUMENTS?|HISTOIRE"
    r"|EPISODES?|SYNDROMES?|CONSOMMATION|PRISE|SUIVIS?|TRAITEMENTS?|PERSONNELS?|FAMILIAUX"
    r"|CONNUE?S?|ELEMENTS?|EVOCATEURS?|IDEES?|AUTRES?|RECENTS?"
)
# A test named before the words ("sérologie VIH", "dépistage des IST") is not care unless its
# result is positive ("sérologie VIH positive").
TEST_WORDS = r"SEROLOGIES?|DEPISTAGES?|TESTS?|TROD|ELISA|PCR|RECHERCHES?"
TEST_GAP_WORDS = (
    r"DE|D|DES|DU|LA|LE|L|ANTI|AC|ANTICORPS|AG|ANTIGENE|COMBINEE?|RAPIDE|SYSTEMATIQUE"
    r"|ORIENTEE?"
)
POSITIVE_RESULT = r"(?:POSITI(?:F|VE)S?|REACTI(?:F|VE)S?)\b|\+"
NEGATIVE_RESULT = r"(?:NEGATI(?:F|VE)S?|NEG|NON REACTI(?:F|VE)S?)\b"
# "Toxicomanie : non", "VIH : néant".
NEGATIVE_ANSWER = r"(?:NON|NEANT|0|AUCUNE?|ABSENTE?S?)\b"
# After the words: a short list of other tests ("VIH, VHB et VHC négatives"), then the result.
# Whole short words only (no backtracking through the letters of a long word).
RESULT_TAIL = r"(?:[ ,/]+[A-Z0-9]{1,5}\b){0,4}?[ ,/:=]*"
# Readings of a cue that are not sensitive care: a trithérapie against Helicobacter or high
# blood pressure, a positive serology for another infection, a cardiomyopathy ("CMP
# dilatée", for assess/sensitive.py: CMP is a care unit for the detectors).
NON_SENSITIVE_READINGS: tuple[str, ...] = (
    r"TRITHERAPIES? (?:ANTI ?(?:HYPERTENS|HELICOBACT|HP\b|H PYLORI|AGREG|DIABET|ANGIN"
    r"|TUBERCUL|BIOTI|ALGI)[A-Z]*|D ERADICATION|INHALEE?S?|BRONCH[A-Z]*|PAR IBP|IBP|HP\b"
    r"|HELICOBACTER|DE L HTA|HTA|POUR (?:L |LE |LA )?(?:HTA|HELICOBACTER|HP|BPCO|ASTHME))",
    r"(?:HELICOBACTER|PYLORI|ERADICATION)(?: [A-Z0-9]+){0,4} TRITHERAPIES?",
    r"SEROPOSITI[A-Z]*(?: (?:POUR|A|AU|AUX|VIS A VIS|EN|DE|D))?(?: (?:LA|LE|L|LES))? "
    r"(?:TOXO[A-Z]*|CMV|RUBEOLE|EBV|HSV|HEPATITES?|VHB|VHC|VZV|VARICELLE|LYME|BORREL[A-Z]*"
    r"|COVID|SARS|HTLV|HERPES|CYTOMEGALOVIRUS|PARVOVIRUS|MYCOPLASM[A-Z]*|BRUCELL[A-Z]*"
    r"|LEPTOSPIR[A-Z]*|HELICOBACTER|EPSTEIN)",
    r"CMP (?:DILATEE?S?|ISCHEMIQUES?|HYPERTROPHIQUES?|RESTRICTIVES?|OBSTRUCTIVES?|DU POST"
    r" PARTUM|RYTHMIQUES?|VALVULAIRES?|TOXIQUES?|ALCOOLIQUES?|DE STRESS|SEPTIQUES?"
    r"|HYPOKINETIQUES?|NON OBSTRUCTIVES?|D ORIGINE)",
)

_FLAGS = re.IGNORECASE | re.ASCII
_NEGATED_BEFORE = re.compile(
    rf"\b(?:{NEGATION_WORDS})(?: +(?:{NEGATION_GAP_WORDS})){{0,4}} +$", _FLAGS)
_TESTED_BEFORE = re.compile(rf"\b(?:{TEST_WORDS})(?: +(?:{TEST_GAP_WORDS})){{0,3}} +$", _FLAGS)
_POSITIVE_AFTER = re.compile(rf" *(?:1 +(?:ET +)?2 +)?[:=]? *(?:{POSITIVE_RESULT})", _FLAGS)
_NEGATIVE_AFTER = re.compile(
    rf"{RESULT_TAIL}(?:{NEGATIVE_RESULT})| *[:=] *(?:{NEGATIVE_ANSWER})", _FLAGS)
_READINGS = re.compile(rf"\b(?:{'|'.join(NON_SENSITIVE_READINGS)})", _FLAGS)
# Words that may start a negation or a test: checked on the last words before a term first,
# so that the regular expressions run only near one of them.
_TRIGGER_WORDS = frozenset({
    "pas", "absence", "sans", "aucun", "aucune", "ni", "non", "jamais", "nie", "niant", "denie",
    "exclu", "exclue", "exclus", "exclues", "elimine", "eliminee", "elimines", "eliminees",
    "serologie", "serologies", "depistage", "depistages", "test", "tests", "trod", "elisa",
    "pcr", "recherche", "recherches",
})
_CONTEXT = 80
_BEFORE = 60  # a negation word and four filler words
_AFTER = 48  # a short list of other tests and a result


def _context_clears(text: str, folded: str, start: int, end: int, o_start: int,
                    o_end: int) -> bool:
    """A term at ``folded[start:end]`` (``text[o_start:o_end]``) that is negated ("pas de",
    "absence de", "sans" and up to four filler words before it, "toxicomanie : non",
    "VIH ... négatif" after it) or named as a test without a positive result ("sérologie
    VIH", "dépistage des IST"): not a diagnosis. Only the same line counts. Cheap checks
    first: this runs on every diagnosis of every text."""
    window_start = max(0, o_start - _BEFORE)
    newline = text.rfind("\n", window_start, o_start)
    if newline >= 0:
        window_start = newline + 1
    before = folded[start - (o_start - window_start) : start]
    triggered = not _TRIGGER_WORDS.isdisjoint(before.split())
    if triggered and _NEGATED_BEFORE.search(before):
        return True
    after = folded[end : end + _AFTER]
    newline = text.find("\n", o_end, o_end + _AFTER)
    if newline >= 0:
        after = after[: newline - o_end]
    cleared = (triggered and _TESTED_BEFORE.search(before)) or (
        ("neg" in after or "non r" in after or after.lstrip()[:1] in (":", "="))
        and _NEGATIVE_AFTER.match(after))
    return bool(cleared) and not _POSITIVE_AFTER.match(after)


def _other_reading(folded: str, start: int, end: int) -> bool:
    """A sensitive cue inside a reading that is not sensitive care (see
    :data:`NON_SENSITIVE_READINGS`)."""
    lo = max(0, start - _CONTEXT)
    return any(m.start() <= start and end <= m.end()
               for m in _READINGS.finditer(folded, lo, end + _CONTEXT))


_SKIP_LABEL_START = ("autre ", "autres ")
_BRACKETS = re.compile(r"\s*[\[(][^\])]*[\])]")


def _label_variants(label: str) -> set[str]:
    """Folded forms of a CIM-10 label worth matching in prose: the label, without bracketed
    parts, without ``, sans précision`` / ``SAI``."""
    base = fold_text(label).replace(",", " ,")
    forms = {base, _BRACKETS.sub("", base)}
    for form in list(forms):
        for tail in (" , sans precision", " sans precision", " sai", " , sai"):
            if form.endswith(tail):
                forms.add(form[: -len(tail)])
    return {" ".join(f.replace(" ,", ",").split()) for f in forms}


@cache
def _automaton():
    """One automaton for diagnoses and medications: folded term → (entity, confidence)."""
    import ahocorasick

    auto = ahocorasick.Automaton()
    terms: dict[str, tuple[str, float]] = {}
    for code, label in icd10_codes().items():
        if code[0] in "VWXYZU":  # external causes, circumstances, special codes
            continue
        for form in _label_variants(label):
            if len(form) < 5 or form.startswith(_SKIP_LABEL_START) or form in _AMBIGUOUS_LABELS:
                continue
            if len(form.split()) > 8:
                continue
            terms.setdefault(form, ("DIAGNOSIS", 0.85 if " " in form else 0.8))
    for form in _EXTRA_DIAGNOSES:
        terms.setdefault(form, ("DIAGNOSIS", 0.85 if " " in form else 0.8))
    for entity, forms in _SENSITIVE_CUES.items():
        for form in forms:  # a cue's entity wins over a label's
            terms[form] = (entity, 0.85 if " " in form or form in _CASED_CUES else 0.8)
    for name in drug_names():
        form = " ".join(fold_text(name).split())
        if form not in terms:
            terms[form] = ("MEDICATION", 0.85)
    for form, value in terms.items():
        auto.add_word(form, (len(form), *value))
    auto.make_automaton()
    return auto


_DOSAGE_AFTER = re.compile(
    r"\s*(?:®|\(.*?\)\s*)?(?:LP\s*|[A-Z]{1,3}\s*)?\d+(?:[.,]\d+)?\s*"
    r"(?:mg|g|µg|mcg|ug|ml|mL|UI|U|cp|gél|gelules?|gélules?|comprimés?|gouttes?|sachets?|%)\b",
)
_PRESCRIPTION_BEFORE = re.compile(
    r"\b(?:traitements?|ttt|prescriptions?|prescrits?|sous|ordonnance|posologie|introduction"
    r"|arr[eê]t|relais|poursuite|m[ée]dicaments?)\b",
    re.IGNORECASE,
)


def _is_word_char(c: str) -> bool:
    return c.isalnum()


_last: tuple[str, dict[str, list[Hit]]] | None = None


def _term_hits(text: str) -> dict[str, list[Hit]]:
    """Leftmost-longest non-overlapping term matches, by entity (one pass for all): diagnoses
    and sensitive-care words (DIAGNOSIS), sensitive acts (PROCEDURE), drugs (MEDICATION). A
    diagnosis or act that the context negates or names as a test is dropped
    (:func:`_context_clears`)."""
    global _last
    if _last is not None and _last[0] is text:
        return _last[1]
    folded, marks = _fold_map(text)
    found: list[tuple[int, int, str, float]] = []
    n = len(folded)
    for end_index, (length, entity, confidence) in _automaton().iter(folded):
        start, end = end_index - length + 1, end_index + 1
        if start > 0 and _is_word_char(folded[start - 1]):
            continue
        if end < n and _is_word_char(folded[end]):
            continue
        cased = _CASED_CUES.get(folded[start:end])
        if cased is not None and not cased.fullmatch(
                text, _original(start, marks), _original(end, marks)):
            continue
        found.append((start, end, entity, confidence))
    found.sort(key=lambda f: (f[0], -(f[1] - f[0])))
    out: dict[str, list[Hit]] = {"DIAGNOSIS": [], "MEDICATION": [], "PROCEDURE": []}
    last_end = -1
    for start, end, entity, confidence in found:
        if start < last_end:
            continue
        last_end = end
        o_start, o_end = _original(start, marks), _original(end, marks)
        value = " ".join(text[o_start:o_end].split())
        if entity == "MEDICATION":
            if value.islower() and len(value) <= 5:
                continue
            line_start = text.rfind("\n", 0, o_start) + 1
            if _DOSAGE_AFTER.match(text, o_end) or _PRESCRIPTION_BEFORE.search(
                text, max(line_start, o_start - 40), o_start
            ):
                confidence = 0.95
            out[entity].append((o_start, o_end, value, confidence, "dictionary+bdpm"))
            continue
        if _context_clears(text, folded, start, end, o_start, o_end):
            continue
        form = folded[start:end]
        if form in _CUE_FORMS:
            if form.startswith(_READING_CUES) and _other_reading(folded, start, end):
                continue
            out[entity].append((o_start, o_end, value, confidence, "dictionary+care_words"))
        else:
            out[entity].append((o_start, o_end, value, confidence, "dictionary+cim10"))
    _last = (text, out)
    return out


_CUE_FORMS = frozenset(form for forms in _SENSITIVE_CUES.values() for form in forms)
_READING_CUES = ("tritherap", "seroposit")  # the cues of NON_SENSITIVE_READINGS


def find_diagnoses(text: str) -> Iterator[Hit]:
    yield from _term_hits(text)["DIAGNOSIS"]


def find_medications(text: str) -> Iterator[Hit]:
    yield from _term_hits(text)["MEDICATION"]


def find_medication_names(cell: str) -> list[str]:
    return [v for _, _, v, _, _ in find_medications(cell)]


# --------------------------------------------------------------------------- care units

_SPECIALTIES = (
    r"p[ée]do-?psychiatrie|psychiatrie(?:\s+adultes?|\s+infanto-juv[ée]nile|\s+g[ée]n[ée]rale)?"
    r"|sant[ée] mentale|addictologie|alcoologie|toxicomanie|tabacologie"
    r"|maternit[ée]|gyn[ée]cologie(?:[- ]obst[ée]trique)?|obst[ée]trique|orthog[ée]nie"
    r"|planification familiale|planning familial|IVG|interruption volontaire de grossesse"
    r"|g[ée]n[ée]tique(?: m[ée]dicale| clinique)?|conseil g[ée]n[ée]tique"
    r"|soins palliatifs|oncologie(?: m[ée]dicale)?|canc[ée]rologie|h[ée]matologie"
    r"|infectiologie|maladies infectieuses(?: et tropicales)?|r[ée]animation(?: m[ée]dicale)?"
    r"|soins intensifs|soins continus|cardiologie|pneumologie|neurologie|n[ée]phrologie|dialyse"
    r"|h[ée]modialyse|g[ée]riatrie|p[ée]diatrie|n[ée]onatologie|urgences"
    r"|chirurgie(?:\s+(?:digestive|orthop[ée]dique|cardiaque|thoracique|vasculaire"
    r"|ambulatoire|plastique|g[ée]n[ée]rale|visc[ée]rale|p[ée]diatrique))?"
    r"|m[ée]decine(?:\s+(?:interne|polyvalente|nucl[ée]aire|g[ée]n[ée]rale|physique))?"
    r"|radioth[ée]rapie|chimioth[ée]rapie|dermatologie|endocrinologie|diab[ée]tologie"
    r"|gastro-?ent[ée]rologie|h[ée]pato-?gastro-?ent[ée]rologie|h[ée]patologie|urologie|ORL"
    r"|ophtalmologie|rhumatologie|orthop[ée]die|traumatologie|r[ée][ée]ducation"
    r"|soins de suite(?: et de r[ée]adaptation)?|SSR|USLD|sexologie|sant[ée] sexuelle"
    r"|procr[ée]ation m[ée]dicalement assist[ée]e|PMA|AMP|assistance m[ée]dicale [àa] la "
    r"procr[ée]ation|d[ée]pistage(?: anonyme et gratuit| du VIH| des IST)?|VIH|IST"
)
_UNIT_HEAD = (
    r"services?|serv\.|unit[ée]s?|p[ôo]les?|d[ée]partements?|centres?|consultations?"
    r"|h[ôo]pital de jour|HDJ|cliniques?|secteurs?|UF|UM|USI|ward|h[ôo]pital|CHS"
)
_CARE_UNIT = re.compile(
    rf"\b(?=[sSuUpPdDcChHwW])(?:{_UNIT_HEAD})\s+(?:de\s+la\s+|de\s+l['’]\s*|de\s+|d['’]\s*|du\s+|des\s+|en\s+)?"
    rf"(?:{_SPECIALTIES})\b",
    re.IGNORECASE,
)
_UNIT_ACRONYM = re.compile(
    r"\b(?:CMP|CMPP|CATTP|CSAPA|CAARUD|CeGIDD|CEGIDD|CPEF|CIDDIST|CDAG|USP|UHCD|USLD|UHSA"
    r"|UMD|EPSM|UMJ|CPP|CECOS|CPDPN)\b"
)
_UNIT_WORD = re.compile(
    r"\b(?=[aAoOpPsSmM])(?:addictologie|orthog[ée]nie|p[ée]dopsychiatrie|psychiatrie"
    r"|soins palliatifs"
    r"|planning familial|maternit[ée]|alcoologie)\b",
    re.IGNORECASE,
)
_NOT_A_UNIT_BEFORE = re.compile(
    r"\b(?:cong[ée]s?|allocations?|prime|assurance|indemnit[ée]s?|ant[ée]c[ée]dents?\s+de)\s*"
    r"(?:de\s+|d['’]\s*)?$",
    re.IGNORECASE,
)


# A letterhead or form field naming the unit: "Unité : CEGIDD2", "Service : Cardiologie",
# "UF : 3201" (a coded unit is decoded later, with the hospital's unit table).
_UNIT_FIELD = re.compile(
    r"^[ \t]*(?:unit[ée](?:\s+(?:fonctionnelle|m[ée]dicale|de\s+soins))?|UF|UM|service"
    r"(?:\s+d['’]\s*hospitalisation)?)[ \t]*:[ \t]*([^\n:]{2,60}?)[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)


_DATE_LIKE = re.compile(r"\d{1,2}\s*[/.-]\s*\d{1,2}")


def find_care_units(text: str) -> Iterator[Hit]:
    hits: list[Hit] = [
        (m.start(1), m.end(1), " ".join(m.group(1).split()), 0.85, "field+care_unit")
        for m in _UNIT_FIELD.finditer(text)
        if any(c.isalnum() for c in m.group(1)) and not _DATE_LIKE.search(m.group(1))
    ]
    fields = [(s, e) for s, e, *_ in hits]
    hits += [
        (m.start(), m.end(), " ".join(m.group().split()), 0.9, "context+care_unit")
        for m in _CARE_UNIT.finditer(text)
        if not any(s <= m.start() < e for s, e in fields)
    ]
    hits.sort()
    taken = [(s, e) for s, e, _, _, _ in hits]
    starts = [s for s, _ in taken]
    for pattern, confidence in ((_UNIT_ACRONYM, 0.85), (_UNIT_WORD, 0.75)):
        for m in pattern.finditer(text):
            i = bisect_right(starts, m.start())
            if (i and taken[i - 1][1] > m.start()) or (i < len(starts) and starts[i] < m.end()):
                continue  # inside a longer unit name already found
            word = m.group()
            if _NOT_A_UNIT_BEFORE.search(text, max(0, m.start() - 30), m.start()):
                continue
            hits.append((m.start(), m.end(), word, confidence, "context+care_unit"))
    hits.sort()
    yield from hits


# Issue 15: the patterns run over whole texts or many windows, with a look-ahead on the
# characters a match can start with (detect/candidates.py): the same matches, found faster.
_NOT_A_CODE_BEFORE, _POSITIVE_AFTER = (
    with_first_characters(p) for p in (_NOT_A_CODE_BEFORE, _POSITIVE_AFTER))
