"""Discharge letters and consultation reports of the demo leak (plain text and DOCX).

Each letter names its patient in a patient block (name, birth date, IPP, sometimes the NIR),
shows the unit (a code, a label or both), the diagnoses with their ICD-10 codes, the drugs and
prose with cues of sensitive care ("IVG", "sevrage alcoolique", "VIH"), and is signed by a
physician of the staff directory with their professional e-mail. The patient gets the letter's
health facts; the physician gets none of them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

from breachscope.demo.care import (
    DRUGS,
    ICD10_LABELS,
    UNIT_BY_CODE,
    drug_reason,
    icd10_reason,
)
from breachscope.demo.common import ARCHIVE_TIME, REFERENCE_DATE, random_day, zip_bytes
from breachscope.demo.identifiers import format_nir

if TYPE_CHECKING:
    from breachscope.demo.generator import _Ledger, _Person, _Registry

LETTERS_DIR = "courriers"


@dataclass(frozen=True, slots=True)
class _Variant:
    dp: str
    story: str
    drugs: tuple[str, ...]
    words: tuple[str, ...] = ()  # sensitive words the story holds (truth reasons)


@dataclass(frozen=True, slots=True)
class _Theme:
    title: str
    units: tuple[str, ...]
    variants: tuple[_Variant, ...]
    min_age: int = 18
    max_age: int = 120
    women_only: bool = False
    sensitive: bool = True

    def eligible(self, sex: str | None, age: int) -> bool:
        return (self.min_age <= age <= self.max_age
                and (not self.women_only or sex == "F"))


_CRH = "COMPTE RENDU D'HOSPITALISATION"
_CRC = "COMPTE RENDU DE CONSULTATION"

THEMES: dict[str, _Theme] = {
    "psychiatry": _Theme(_CRH, ("3201", "PSYA", "3202"), (
        _Variant("F20.0", "Hospitalisation pour une décompensation délirante dans un contexte "
                 "de rupture de traitement. Évolution favorable, critique partielle des idées "
                 "délirantes à la sortie.", ("olanzapine",)),
        _Variant("F32.2", "Hospitalisation pour un épisode dépressif sévère. Amélioration "
                 "progressive de l'humeur et du sommeil au cours du séjour.", ("aripiprazole",)),
        _Variant("F31.1", "Hospitalisation pour un épisode maniaque. Stabilisation de l'humeur "
                 "sous traitement, reprise d'un rythme de sommeil normal.", ("risperidone",)),
    )),
    "alcohol": _Theme(_CRH, ("U45", "ADDICTO"), (
        _Variant("F10.2", "Admission programmée pour un sevrage alcoolique. Sevrage sans "
                 "complication, pas de crise comitiale ni de delirium.",
                 ("oxazepam", "acamprosate"), ("sevrage alcoolique",)),
    )),
    "opioid": _Theme(_CRC, ("U46", "ADDICTO"), (
        _Variant("F11.2", "Suivi d'une dépendance aux opiacés. Traitement de substitution "
                 "stabilisé, pas de consommation déclarée depuis trois mois.",
                 ("methadone",)),
        _Variant("F11.2", "Dépendance aux opiacés ancienne. Traitement de substitution bien "
                 "toléré, reprise d'une activité professionnelle.", ("buprenorphine",)),
    )),
    "hiv": _Theme(_CRC, ("1720",), (
        _Variant("B24", "Infection par le VIH connue depuis plusieurs années. Charge virale "
                 "indétectable, bonne observance du traitement.", ("bictegravir",), ("VIH",)),
        _Variant("Z21", "Infection par le VIH découverte lors d'un bilan, asymptomatique. "
                 "Instauration du traitement ce jour.", ("dolutegravir",), ("VIH",)),
    )),
    "ivg": _Theme(_CRC, ("4420",), (
        _Variant("O04.9", "Demande d'IVG médicamenteuse à six semaines d'aménorrhée. Prise "
                 "du premier comprimé en consultation, le second à domicile. Consultation de "
                 "contrôle dans trois semaines.", ("mifepristone", "misoprostol"), ("IVG",)),
    ), min_age=16, max_age=45, women_only=True),
    "cegidd": _Theme(_CRC, ("CEGIDD2", "7701"), (
        # A negative screening: the unit reveals sexual-health care, the word "VIH" here
        # reveals no infection (no reason of its own).
        _Variant("Z11.3", "Consultation de dépistage : les sérologies du VIH, des hépatites "
                 "B et C et de la syphilis sont négatives, la recherche de chlamydia aussi.",
                 ()),
    ), min_age=16),
    "cardiology": _Theme(_CRH, ("1205", "CARDIO"), (
        _Variant("I21.4", "Hospitalisation pour une douleur thoracique. Coronarographie avec "
                 "pose d'un stent sur l'artère interventriculaire antérieure.",
                 ("aspirin", "bisoprolol", "atorvastatine", "ramipril")),
        _Variant("I48", "Découverte d'une fibrillation auriculaire à l'occasion de "
                 "palpitations. Ralentissement de la fréquence sous traitement.",
                 ("bisoprolol",)),
    ), min_age=30, sensitive=False),
    "pneumology": _Theme(_CRH, ("1510", "PNEUMO"), (
        _Variant("J18.9", "Pneumopathie aiguë droite. Apyrexie au troisième jour de "
                 "l'antibiothérapie.", ("amoxicilline", "paracetamol")),
    ), min_age=16, sensitive=False),
    "orthopedics": _Theme(_CRH, ("2105",), (
        _Variant("S72.0", "Fracture du col du fémur après une chute à domicile, "
                 "ostéosynthèse le lendemain de l'admission.", ("enoxaparine", "paracetamol")),
    ), min_age=50, sensitive=False),
    "pediatrics": _Theme(_CRH, ("5101",), (
        _Variant("J21.9", "Bronchiolite aiguë, oxygénothérapie pendant quarante-huit heures. "
                 "Alimentation reprise, retour à domicile.", ("paracetamol",)),
        _Variant("A08.4", "Gastro-entérite aiguë avec déshydratation modérée, réhydratation "
                 "par voie orale.", ("paracetamol",)),
    ), min_age=0, max_age=15, sensitive=False),
}
_SENSITIVE_THEMES = tuple(k for k, t in THEMES.items() if t.sensitive)
_OTHER_THEMES = tuple(k for k, t in THEMES.items() if not t.sensitive)


def pick_theme(rng: random.Random, sex: str | None, age: int, sensitive: bool) -> str:
    """A theme the patient is eligible for, sensitive if asked and possible."""
    order = (_SENSITIVE_THEMES, _OTHER_THEMES) if sensitive else (_OTHER_THEMES,
                                                                   _SENSITIVE_THEMES)
    for themes in order:
        options = [k for k in themes if THEMES[k].eligible(sex, age)]
        if options:
            return rng.choice(options)
    raise AssertionError(f"no letter theme for age {age}")  # pediatrics and pneumology cover all


def _unit_line(rng: random.Random, code: str) -> tuple[str, str]:
    """The unit as the letterhead shows it, and the truth's reason name for it."""
    unit = UNIT_BY_CODE[code]
    if not unit.in_table:
        return f"Unité : {code}", code
    style = rng.choice(("both", "code", "label"))
    if style == "both":
        return f"Service : {unit.label} (UF {code})", code
    if style == "code":
        return f"UF : {code}", code
    return f"Service : {unit.label}", unit.label


def _docx(blocks: list[list[str]]) -> bytes:
    """A minimal WordprocessingML package: one paragraph per block, its lines joined by soft
    line breaks (as a secretary types an address block)."""
    body = []
    for lines in blocks:
        runs = "<w:r><w:br/></w:r>".join(
            f'<w:r><w:t xml:space="preserve">{escape(line)}</w:t></w:r>' for line in lines)
        body.append(f"<w:p>{runs}</w:p>")
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    document = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<w:document xmlns:w="{w}"><w:body>{"".join(body)}'
        '<w:sectPr><w:pgSz w:w="11906" w:h="16838"/></w:sectPr></w:body></w:document>'
    )
    content_types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/word/document.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
        '<Override PartName="/docProps/core.xml" '
        'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
        '</Types>'
    )
    rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="word/document.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/'
        'relationships/metadata/core-properties" Target="docProps/core.xml"/>'
        '</Relationships>'
    )
    core = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
        'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        '<dc:creator>Secrétariat médical</dc:creator>'
        '<dcterms:created xsi:type="dcterms:W3CDTF">2024-02-11T02:47:00Z</dcterms:created>'
        '</cp:coreProperties>'
    )
    return zip_bytes([
        ("[Content_Types].xml", content_types.encode()),
        ("_rels/.rels", rels.encode()),
        ("word/document.xml", document.encode()),
        ("docProps/core.xml", core.encode()),
    ], ARCHIVE_TIME)


def write_letters(
    letters: list[tuple[_Person, bool]], doctors: list[_Person], rng: random.Random,
    reg: _Registry, ledger: _Ledger,
) -> dict[str, bytes]:
    """One letter per ``(patient, sensitive theme wanted)``; returns bytes by contract path."""
    out: dict[str, bytes] = {}
    for i, (p, sensitive) in enumerate(letters):
        assert p.birth_date is not None and p.ipp is not None
        day = random_day(rng, max(date(2023, 1, 2), p.birth_date + timedelta(days=1)),
                         REFERENCE_DATE - timedelta(days=2))
        age = p.age_at(day)
        key = pick_theme(rng, p.sex, age, sensitive)
        theme = THEMES[key]
        variant = rng.choice(theme.variants)
        code = rng.choice(theme.units)
        unit_line, unit_name = _unit_line(rng, code)
        nda = reg.stay(rng, day.year)
        female = p.sex == "F"
        civ, ne = ("Mme", "née") if female else ("M.", "né")
        nir = p.nir if p.nir and rng.random() < 0.4 else None
        if theme.title == _CRH:
            end = min(day + timedelta(days=rng.randint(2, 21)), REFERENCE_DATE - timedelta(days=1))
            when = f"Hospitalisation du {day:%d/%m/%Y} au {end:%d/%m/%Y}."
        else:
            end = day
            when = f"Consultation du {day:%d/%m/%Y}."
        patient = [f"{'Patiente' if female else 'Patient'} : {civ} {p.last_name.upper()} "
                   f"{p.first_name}, {ne} le {p.birth_date:%d/%m/%Y}", f"IPP : {p.ipp}"]
        if nir:
            patient.append(f"N° de sécurité sociale : {format_nir(nir, spaced=True)}")
        diagnosis = [f"Diagnostic principal : {ICD10_LABELS[variant.dp]} ({variant.dp})"]
        codes = [variant.dp]
        if age >= 40 and rng.random() < 0.4:
            diagnosis.append(f"Antécédents : {ICD10_LABELS['I10']} (I10)")
            codes.append("I10")
        drugs = ["Traitement :" if theme.title == _CRC else "Traitement de sortie :"]
        drugs += [f"- {DRUGS[d].text}" for d in variant.drugs] or ["- aucun"]
        doctor = doctors[i % len(doctors)] if doctors else None
        signature = ([f"Dr {doctor.first_name} {doctor.last_name.upper()}",
                      "Praticien hospitalier", doctor.email or ""] if doctor
                     else ["Le praticien hospitalier"])
        blocks = [
            ["CENTRE HOSPITALIER D'ARMENTIÈRES", unit_line],
            [f"Armentières, le {end + timedelta(days=rng.randint(1, 5)):%d/%m/%Y}"],
            [theme.title],
            patient,
            [when],
            [variant.story],
            diagnosis,
            drugs,
            ["Courrier adressé au médecin traitant. Prochain rendez-vous à programmer avec le "
             "secrétariat."],
            [line for line in signature if line],
        ]
        stem = "CRH" if theme.title == _CRH else "CR_consultation"
        docx = rng.random() < 0.35
        path = f"{LETTERS_DIR}/{day.year}/{stem}_{nda}.{'docx' if docx else 'txt'}"
        if docx:
            out[path] = _docx(blocks)
        else:
            out[path] = ("\n\n".join("\n".join(b) for b in blocks) + "\n").encode("utf-8")
        reasons = [f"unit:{unit_name}" if UNIT_BY_CODE[code].sensitive else None]
        reasons += [icd10_reason(c) for c in codes]
        reasons += [drug_reason(d) for d in variant.drugs]
        reasons += [f"word:{w}" for w in variant.words]
        ledger.expose(p, path, birth=True, nir=nir, health=True, reasons=reasons)
        if doctor is not None:
            ledger.expose(doctor, path, email=doctor.email)
    return out
