"""Sensitive care: units whose mere mention reveals psychiatry, addiction, HIV or sexual
health, pregnancy termination or genetics (REFERENCES.md, "Sensitive care"); ICD-10 codes and
CCAM acts; drugs by their ATC class (:func:`sensitive_drug_category`,
:func:`sensitive_drug_table`); explicit words of letters and notes, negations handled
(:func:`text_sensitive_category`, :func:`sensitive_text_regex`, :func:`sensitive_text_sql`).
See docs/severity.md, "Sensitive care: drugs and words"."""

from __future__ import annotations

import re
from functools import cache

from breachscope.detect.health import (
    NEGATION_GAP_WORDS,
    NEGATION_WORDS,
    NEGATIVE_ANSWER,
    NEGATIVE_RESULT,
    NON_SENSITIVE_READINGS,
    POSITIVE_RESULT,
    RESULT_TAIL,
    TEST_GAP_WORDS,
    TEST_WORDS,
    drug_names,
    fold_text,
)
from breachscope.detect.validators import fold

# Matched on accent- and case-folded unit names.
SENSITIVE_UNIT_PATTERNS = re.compile(
    r"PSYCHIATR|PEDOPSY|PEDO-PSY|\bCMP\b|\bCATTP\b|ADDICT|\bCSAPA\b|\bCAARUD\b|ALCOOLOG|"
    r"TOXICOMAN|\bCEGIDD\b|\bVIH\b|\bSIDA\b|\bIST\b|ORTHOGENI|\bIVG\b|PLANNING FAMILIAL|"
    r"GENETIQU|SANTE SEXUELLE"
)


def is_sensitive_unit(folded_unit: str) -> bool:
    return bool(SENSITIVE_UNIT_PATTERNS.search(folded_unit))


# ICD-10 ranges and CCAM acts that reveal sensitive care (REFERENCES.md, "Sensitive care").
# (category, first 3-character category, last one) or (category, code prefix): a range covers
# every subcode; a prefix such as ``Z20.6`` covers ``Z20.6`` and its ATIH extensions. Tried in
# order: addiction (F10–F19) before psychiatry (F00–F99).
SENSITIVE_CODE_RANGES: tuple[tuple[str, str, str], ...] = (
    ("addiction", "F10", "F19"),
    ("psychiatry", "F00", "F99"),
    ("self_harm", "X60", "X84"),
    ("hiv", "B20", "B24"),
    ("hiv", "Z21", "Z21"),
    ("hiv", "R75", "R75"),
    ("sti", "A50", "A64"),
    ("chromosomal", "Q90", "Q99"),
    ("pregnancy_termination", "O04", "O04"),
)
SENSITIVE_CODE_PREFIXES: tuple[tuple[str, str], ...] = (
    ("hiv", "Z20.6"),
    ("hiv", "Z71.7"),
    ("genetic_counselling", "Z31.5"),
    ("sexual_abuse", "T74.2"),
    ("pregnancy_termination", "O07.4"),
    ("pregnancy_termination", "O07.9"),
    ("pregnancy_termination", "JNJD002"),  # CCAM: pregnancy termination by aspiration
    ("pregnancy_termination", "JNJP001"),  # CCAM: medical pregnancy termination
)
_CODE = re.compile(r"([A-Z])(\d{2})(?:\.?([0-9A-Z+]{0,3}))?")


def _dotted(code: str) -> str:
    text = code.strip().upper().replace(" ", "")
    if re.fullmatch(r"[A-Z]{4}\d{3}.*", text):  # CCAM
        return text[:7]
    text = text.replace(".", "")
    return text if len(text) <= 3 else f"{text[:3]}.{text[3:]}"


def is_sensitive_code(code: str) -> str | None:
    """The sensitive-care category of an ICD-10 code (``F32.1``, ``F321``, ``B20``) or a CCAM
    act (``JNJD002``), or ``None``: ``psychiatry``, ``addiction``, ``self_harm``, ``hiv``,
    ``sti``, ``chromosomal``, ``genetic_counselling``, ``sexual_abuse``,
    ``pregnancy_termination``."""
    value = _dotted(code)
    for category, prefix in SENSITIVE_CODE_PREFIXES:
        if value.startswith(prefix):
            return category
    m = _CODE.fullmatch(value)
    if not m:
        return None
    category3 = m.group(1) + m.group(2)
    for category, first, last in SENSITIVE_CODE_RANGES:
        if first[0] == category3[0] and first <= category3 <= last:
            return category
    return None


def sensitive_code_regex() -> str:
    """:func:`is_sensitive_code` as one regular expression over normalized values (``F32.1``,
    ``JNJD002``), for SQL (RE2): every category of a range is spelled out."""
    parts = []
    for _category, first, last in SENSITIVE_CODE_RANGES:
        numbers = "|".join(f"{n:02d}" for n in range(int(first[1:]), int(last[1:]) + 1))
        parts.append(f"{first[0]}(?:{numbers})")
    parts.extend(re.escape(prefix) for _category, prefix in SENSITIVE_CODE_PREFIXES)
    return rf"^(?:{'|'.join(parts)})"


# --------------------------------------------------------------------------- drugs (ATC)

# ATC classes whose prescription reveals sensitive care, as (category, code prefix). A drug
# name is looked up in the shipped list (data/health/drugs.tsv.gz) and its ATC code classified
# here; NOT_SENSITIVE_ATC_PREFIXES are tried first.
# - hiv: protease inhibitors J05AE, nucleoside/nucleotide reverse-transcriptase inhibitors
#   J05AF, non-nucleoside ones J05AG, integrase inhibitors J05AJ, HIV combinations J05AR, and
#   the HIV drugs of J05AX (enfuvirtide J05AX07, raltegravir J05AX08 and dolutegravir J05AX12
#   under their former codes, maraviroc J05AX09, elvitegravir J05AX11, ibalizumab J05AX23,
#   fostemsavir J05AX29, lenacapavir J05AX31). Truvada (J05AR03) is also PrEP: HIV care too.
# - addiction: drugs used in opioid dependence N07BC (methadone, buprenorphine, buprenorphine
#   with naloxone) and in alcohol dependence N07BB01 disulfiram, N07BB03 acamprosate, N07BB04
#   naltrexone, N07BB05 nalmefene. Not baclofen (M03BX01, chiefly an antispastic: the list
#   files the Baclocur brand under the bare N07BB group, which is left out), not tobacco N07BA.
# - psychiatry: antipsychotics N05A, lithium N05AN included (a mood stabiliser for bipolar
#   disorder).
# - pregnancy_termination: mifepristone G03XB01 (Mifegyne, Miffee), used in France to end a
#   pregnancy (IVG, IMG, or after a fetal death).
# Antidepressants (N06A) are not here: general practitioners prescribe them widely, and for
# pain (amitriptyline, duloxetine), migraine, insomnia, anxiety or enuresis; a prescription
# says little about psychiatric care. Nor are anxiolytics and hypnotics (N05B, N05C).
SENSITIVE_ATC_PREFIXES: tuple[tuple[str, str], ...] = (
    ("hiv", "J05AE"), ("hiv", "J05AF"), ("hiv", "J05AG"), ("hiv", "J05AJ"), ("hiv", "J05AR"),
    ("hiv", "J05AX07"), ("hiv", "J05AX08"), ("hiv", "J05AX09"), ("hiv", "J05AX11"),
    ("hiv", "J05AX12"), ("hiv", "J05AX23"), ("hiv", "J05AX29"), ("hiv", "J05AX31"),
    ("addiction", "N07BC"), ("addiction", "N07BB01"), ("addiction", "N07BB03"),
    ("addiction", "N07BB04"), ("addiction", "N07BB05"),
    ("psychiatry", "N05A"),
    ("pregnancy_termination", "G03XB01"),
)
# Codes inside those classes that are not sensitive care: hepatitis C protease inhibitors
# still filed under J05AE in the list (telaprevir, boceprevir, simeprevir), hepatitis B drugs
# of J05AF (adefovir, entecavir, telbivudine), and droperidol (N05AD08: an antiemetic in
# anaesthesia in France).
NOT_SENSITIVE_ATC_PREFIXES: tuple[str, ...] = (
    "J05AE11", "J05AE12", "J05AE14", "J05AF08", "J05AF10", "J05AF11", "N05AD08",
)
# Brands of a sensitive ATC code sold for something else: Zeffix is lamivudine 100 mg for
# hepatitis B (HIV lamivudine is Epivir).
NOT_SENSITIVE_DRUG_NAMES = frozenset({"zeffix"})


def atc_sensitive_category(atc: str) -> str | None:
    """The sensitive-care category of an ATC code (``J05AR20`` → ``hiv``), or ``None``."""
    code = atc.strip().upper()
    if code.startswith(NOT_SENSITIVE_ATC_PREFIXES):
        return None
    for category, prefix in SENSITIVE_ATC_PREFIXES:
        if code.startswith(prefix):
            return category
    return None


def _drug_form(name: str) -> str:
    """A drug name folded as the detectors match it (``detect/health.py``)."""
    return " ".join(fold_text(name).split())


@cache
def _sensitive_drugs() -> dict[str, tuple[str, str]]:
    """Drug form → (category, name as listed), for the drugs of a sensitive class."""
    out: dict[str, tuple[str, str]] = {}
    for name, atc in drug_names().items():
        category = atc_sensitive_category(atc)
        form = _drug_form(name)
        if category and form not in NOT_SENSITIVE_DRUG_NAMES:
            out[form] = (category, name)
    return out


def sensitive_drug_category(name: str) -> str | None:
    """The sensitive-care category of a drug name as found (``Subutex``, ``méthadone``,
    ``BIKTARVY``, ``olanzapine``): ``hiv``, ``addiction``, ``psychiatry``,
    ``pregnancy_termination``, or ``None`` (not in the list, or of another class:
    ``paracétamol``, ``sertraline``, ``valaciclovir``, ``sofosbuvir``). The name is folded and
    looked up like :mod:`breachscope.detect.health` does, then its ATC code is classified by
    :func:`atc_sensitive_category`."""
    found = _sensitive_drugs().get(_drug_form(name))
    return found[0] if found else None


def sensitive_drug_table() -> list[tuple[str, str]]:
    """``(folded name, category)`` for every listed drug of a sensitive class, folded by
    :func:`~breachscope.detect.validators.fold` (= the SQL ``fold()`` macro), to load into a
    temporary table and join with ``fold(value)`` of MEDICATION findings. A few hundred rows,
    sorted, one per folded name."""
    table = {fold(name): category for category, name in _sensitive_drugs().values()}
    return sorted(table.items())


# --------------------------------------------------------------------------- words

# Explicit words of letters and notes, by category, as upper-case regular expressions over
# text folded by validators.fold (= SQL fold(): accents off, upper case, hyphens and
# apostrophes as one space). Each is wrapped in ASCII word boundaries, which Python (re.ASCII)
# and RE2 read alike. Decisions (docs/severity.md, "Sensitive care: drugs and words"):
# tobacco withdrawal is not addiction care, and "sevrage" alone is not either (weaning from a
# ventilator, from breastfeeding); hepatitis C is not sensitive care (nor are its ICD-10 codes);
# "dépression" alone is not (mild forms are common and the word has other senses: only severe,
# melancholic or major depressive episodes are); a test is not care ("sérologie VIH", "dépistage
# des IST": only a positive result is); "PrEP" counts only as a whole value or with a context
# ("sous PrEP"), not "prép." (préparation).
TEXT_CUES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("pregnancy_termination", (
        r"IVG", r"INTERRUPTIONS? (?:VOLONTAIRES? |MEDICALES? )?DE (?:LA )?GROSSESSES?",
        r"AVORTEMENTS? (?:PROVOQUES?|MEDICAUX|MEDICAL)", r"ORTHOGENI[A-Z]*",
    )),
    ("hiv", (
        r"VIH", r"HIV", r"SIDA", r"SEROPOSITI[A-Z]*", r"TRITHERAPIES?",
        r"(?:TRAITEMENTS? )?ANTI ?RETROVIRA[A-Z]*", r"PROPHYLAXIE PRE ?EXPOSITION",
        r"^PREP$", r"(?:SOUS|EN) PREP",
        r"PREP (?:VIH|HIV|ORALE|A LA DEMANDE|EN CONTINU|QUOTIDIENNE)",
        r"(?:INITIATION|PRESCRIPTION|CONSULTATION|RENOUVELLEMENT|SUIVI) (?:DE |D )?(?:LA )?PREP",
    )),
    ("sti", (
        r"IST", r"MST", r"(?:INFECTIONS?|MALADIES?) SEXUELLEMENT TRANSMISSIBLES?",
        r"SYPHILI[A-Z]*", r"CHLAMYDIOSES?", r"CHLAMYDIAE? TRACHOMATIS", r"GONOCOCCI[A-Z]*",
        r"GONORRHEES?", r"BLENNORRAGI[A-Z]*", r"HERPES GENITA[A-Z]*", r"CONDYLOMES?",
        r"LYMPHOGRANULOMATOSE VENERIENNE", r"CHANCRES? MOUS?", r"CEGIDD", r"CIDDIST",
        r"SANTE SEXUELLE",
    )),
    ("addiction", (
        r"TOXICOMAN[A-Z]*", r"ADDICTIONS?", r"ADDICTOLOG[A-Z]*", r"CONDUITES? ADDICTIVES?",
        r"ALCOOLISME", r"ALCOOLOG[A-Z]*", r"ALCOOLO ?DEPENDAN[A-Z]*", r"ETHYLISME",
        r"DEPENDANCES? (?:(?:A L|AUX|AU|A LA|A) )?(?:ALCOOL|ALCOOLIQUES?|ETHYLIQUES?|OPIACES"
        r"|OPIOIDES|HEROINE|COCAINE|CANNABIS|DROGUES?|TOXIQUES)",
        r"SEVRAGES? (?:(?:EN|D|DE L|A L|DE|DES|DU|AUX|AU|A LA|DE LA) )?(?:ALCOOL|ALCOOLIQUES?"
        r"|ETHYLIQUES?|OPIACES?|OPIOIDES?|HEROINE|COCAINE|CANNABI[A-Z]*|DROGUES?|TOXIQUES)",
        r"CURES? DE SEVRAGE", r"DELIRIUM TREMENS", r"HEROINOMAN[A-Z]*", r"COCAINOMAN[A-Z]*",
        r"USAGE(?:R|RS)? DE DROGUES?",
        r"TROUBLES? DE L USAGE (?:DE L ALCOOL|D ALCOOL|DE SUBSTANCES?|D OPIACES|D OPIOIDES"
        r"|DE DROGUES?)",
        r"(?:TRAITEMENTS? (?:DE SUBSTITUTION|SUBSTITUTIFS?)|SUBSTITUTION) (?:AUX|DES|EN) "
        r"OPI(?:ACES|OIDES)",
        r"TSO", r"CSAPA", r"CAARUD",
    )),
    ("self_harm", (
        r"TENTATIVES? (?:DE SUICIDE|D AUTOLYSE)", r"AUTOLYSES?",
        r"GESTES? (?:AUTOLYTIQUES?|SUICIDAIRES?|AUTO ?AGRESSIFS?)",
        r"INTOXICATIONS? MEDICAMENTEUSES? VOLONTAIRES?", r"TS MEDICAMENTEUSES?", r"TS PAR [A-Z]+",
        r"(?:ANTECEDENTS?|ATCD) (?:DE |D )?TS", r"AUTO ?MUTILATIONS?", r"SCARIFICATIONS?",
        r"IDEES? SUICIDAIRES?",
    )),
    ("sexual_abuse", (
        r"VIOLS?", r"AGRESSIONS? SEXUELLES?", r"ABUS SEXUELS?", r"VIOLENCES? SEXUELLES?",
        r"INCESTES?", r"ATTOUCHEMENTS?(?: SEXUELS?)?",
    )),
    ("psychiatry", (
        r"(?:PEDO ?)?PSYCHIATR[A-Z]*", r"SCHIZOPHREN[A-Z]*", r"SCHIZO ?AFFECTI[A-Z]*",
        r"TROUBLES? BIPOLAIRES?", r"PSYCHOSES?", r"PSYCHOSE CHRONIQUE",
        r"(?:EPISODES?|DECOMPENSATIONS?|TROUBLES?) PSYCHOTIQUES?", r"BOUFFEES? DELIRANTES?",
        r"MELANCOLI[A-Z]*", r"DEPRESSIONS? (?:SEVERES?|MELANCOLIQUES?)",
        r"EPISODES? DEPRESSIFS? (?:MAJEURS?|SEVERES?|CARACTERISES?)",
        r"SYNDROMES? DEPRESSIFS? SEVERES?", r"ANOREXIE MENTALE",
        r"TROUBLES? DE (?:LA )?PERSONNALITE", r"PERSONNALITE BORDERLINE",
        r"HOSPITALISATIONS? (?:SOUS CONTRAINTE|D OFFICE|A LA DEMANDE D UN TIERS)",
        r"SOINS (?:PSYCHIATRIQUES )?(?:SOUS CONTRAINTE|SANS CONSENTEMENT|A LA DEMANDE D UN TIERS"
        r"|A LA DEMANDE DU REPRESENTANT DE L ETAT|EN CAS DE PERIL IMMINENT)",
        r"SDRE", r"SDT", r"SPDT", r"SPDRE", r"SPPI", r"HDT", r"SISMOTHERAPIES?",
        r"ELECTRO ?CONVULSIVOTHERAPIES?", r"CMP", r"CATTP", r"CENTRE MEDICO PSYCHOLOGIQUE",
    )),
    ("chromosomal", (
        r"TRISOMIES? (?:21|18|13)", r"SYNDROME DE (?:DOWN|TURNER|KLINEFELTER)",
    )),
    ("genetic_counselling", (
        r"CONSEILS? GENETIQUES?", r"CONSULTATIONS? (?:DE |D )?(?:ONCO ?)?GENETIQUE",
        r"ONCO ?GENETI[A-Z]*",
    )),
    ("genetic_testing", (
        r"CARYOTYPES?", r"(?:TESTS?|ANALYSES?|EXAMENS?|ETUDES?) (?:DES CARACTERISTIQUES )?"
        r"GENETIQUES?",
    )),
)
TEXT_CATEGORIES = tuple(category for category, _ in TEXT_CUES)
# Categories whose words a test names ("sérologie VIH", "dépistage des IST", "dépistage de la
# trisomie 21"): for them a test without a positive result is not care.
_TESTED = ("hiv", "sti", "chromosomal")


def _alternatives(categories=None) -> str:
    return "|".join(p for category, patterns in TEXT_CUES
                    if categories is None or category in categories for p in patterns)


def _cue_regex() -> str:
    groups = "|".join(f"(?P<{category}>{'|'.join(patterns)})" for category, patterns in TEXT_CUES)
    return rf"\b(?:{groups})\b"


def _cleared_regex() -> str:
    """Mentions that are not sensitive care, blanked before the cues are looked for: negated
    ("pas de", "absence de", "sans"... and up to four filler words, "toxicomanie : non"), a
    negative result ("VIH négatif", "sérologies VIH et VHC négatives"), a test named before an
    HIV or STI word, and the other readings of a cue (a trithérapie for Helicobacter)."""
    cues, tested = _alternatives(), _alternatives(_TESTED)
    return (
        rf"\b(?:(?:{NEGATION_WORDS})(?: (?:{NEGATION_GAP_WORDS})){{0,4}} (?:{cues})"
        rf"|(?:{TEST_WORDS})(?: (?:{TEST_GAP_WORDS})){{0,3}} (?:{tested})"
        rf"|(?:{cues}){RESULT_TAIL}(?:{NEGATIVE_RESULT})"
        rf"|(?:{cues}) ?[:=] ?(?:{NEGATIVE_ANSWER})"
        rf"|{'|'.join(NON_SENSITIVE_READINGS)})\b"
    )


def _positive_regex() -> str:
    """An HIV or STI word with a positive result ("sérologie VIH positive", "VIH+"): care,
    whatever test is named before it."""
    return (rf"\b(?:{_alternatives(_TESTED)})\b *(?:1 (?:ET )?2 )?[:=]? *"
            rf"(?:{POSITIVE_RESULT})")


_CUES_RE = re.compile(_cue_regex(), re.ASCII)
_CLEARED_RE = re.compile(_cleared_regex(), re.ASCII)
_POSITIVE_RE = re.compile(_positive_regex(), re.ASCII)


def text_sensitive_category(text: str) -> str | None:
    """The sensitive-care category of explicit words in ``text`` (a letter, a note, a
    DIAGNOSIS or PROCEDURE value), or ``None``: ``pregnancy_termination``, ``hiv``, ``sti``,
    ``addiction``, ``self_harm``, ``sexual_abuse``, ``psychiatry``, ``chromosomal``,
    ``genetic_counselling``, ``genetic_testing`` (:data:`TEXT_CUES`; the first cue in the text
    decides). Negated mentions, negative results, tests named without a positive result and
    other readings are blanked first (``pas de VIH``, ``sérologie VIH négative``,
    ``trithérapie anti-Helicobacter``); an HIV or STI word with a positive result counts
    first. :func:`sensitive_text_sql` is the same rule in SQL."""
    folded = fold(text)
    positive = _POSITIVE_RE.search(folded)
    if positive:
        cue = _CUES_RE.search(positive.group())
        return cue.lastgroup if cue else "hiv"
    cue = _CUES_RE.search(_CLEARED_RE.sub(" ", folded))
    return cue.lastgroup if cue else None


def sensitive_text_regex() -> str:
    """The words of :data:`TEXT_CUES` as one regular expression over ``fold()``-ed text, for
    DuckDB (RE2) and Python (``re.ASCII``) alike, with ASCII word boundaries. Its only
    capturing groups are the categories, in :data:`TEXT_CATEGORIES` order (named alike):
    ``regexp_extract(fold(v), regex, ['pregnancy_termination', 'hiv', ...])`` tells which. It
    does not see negations: use it on values the detectors kept (they drop negated mentions
    and tests), or :func:`sensitive_text_sql` on any text."""
    return _cue_regex()


def sensitive_text_sql(folded: str) -> str:
    """SQL (DuckDB, RE2): true when :func:`text_sensitive_category` is not ``None`` for the
    text whose folded form is the SQL expression ``folded`` (e.g. ``fold(value)``, with the
    ``fold`` macro of :func:`~breachscope.resolve.people.install_fold_macro`)."""
    cues = _cue_regex().replace("'", "''")
    cleared = _cleared_regex().replace("'", "''")
    positive = _positive_regex().replace("'", "''")
    return (f"(regexp_matches({folded}, '{positive}') OR "
            f"regexp_matches(regexp_replace({folded}, '{cleared}', ' ', 'g'), '{cues}'))")
