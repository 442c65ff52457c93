"""Accuracy corpus: synthetic French hospital documents with exact ground truth.

Each document is built from *segments*: plain text, or a mention of an entity (its surface as
written and its normalized value). Noise (OCR confusions, dropped accents, typos, broken lines,
extra spaces inside numbers) is applied per segment, so the generator knows for every mention
what the noisy text still says:

- an identifier whose characters were garbled (``0``→``O``, ``1``→``l``, ``5``→``S``...) no
  longer validates: it leaves the truth and is listed under ``garbled`` (a detector reporting
  it is wrong);
- an identifier with an extra space inside stays in the truth (a reader still sees it), tagged
  ``spaced``;
- a name is kept *as written*: ``Bernard`` printed ``Bemard`` by the OCR is the mention
  ``Bemard``; dropped accents likewise.

Truth per document (``truth.json`` next to — never inside — the corpus directory): the file,
its kind and encoding, its mentions ``{entity, value, surface, tags}`` for NIR, IBAN, PHONE,
EMAIL, PAYMENT_CARD, RPPS, FINESS, BIRTH_DATE, ICD10_CODE and PERSON, every date written in it
(``dates``, used to judge a generic date detector), the garbled identifiers and the traps
(things that look like an identifier, a birth date, a code or a name and are not).

Deterministic by seed::

    .venv/bin/python bench/accuracy/generate.py OUT_DIR --docs 2000 --seed 7
"""

from __future__ import annotations

import argparse
import json
import random
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from email.header import Header
from pathlib import Path

import phonenumbers
from faker import Faker
from stdnum import iban as std_iban
from stdnum import luhn

SCORED = (
    "NIR", "IBAN", "PHONE", "EMAIL", "PAYMENT_CARD", "RPPS", "FINESS", "BIRTH_DATE",
    "ICD10_CODE", "PERSON",
)
IDENTIFIERS = ("NIR", "IBAN", "PHONE", "EMAIL", "PAYMENT_CARD", "RPPS", "FINESS")

# Real ICD-10 (CIM-10) codes with their French labels.
ICD10 = [
    ("I10", "Hypertension essentielle"),
    ("I25.1", "Cardiopathie artérioscléreuse"),
    ("I21.9", "Infarctus aigu du myocarde, sans précision"),
    ("I50.0", "Insuffisance cardiaque congestive"),
    ("I63.9", "Infarctus cérébral, sans précision"),
    ("I26.9", "Embolie pulmonaire sans mention de cœur pulmonaire aigu"),
    ("I80.2", "Phlébite et thrombophlébite d'autres vaisseaux profonds des membres inférieurs"),
    ("E11.9", "Diabète sucré de type 2, sans complication"),
    ("E10.9", "Diabète sucré de type 1, sans complication"),
    ("E66.0", "Obésité due à un excès calorique"),
    ("E87.1", "Hypo-osmolarité et hyponatrémie"),
    ("J18.9", "Pneumopathie, sans précision"),
    ("J44.1", "Maladie pulmonaire obstructive chronique avec épisodes aigus"),
    ("J45.9", "Asthme, sans précision"),
    ("J96.0", "Insuffisance respiratoire aiguë"),
    ("K35.8", "Appendicite aiguë, autre et sans précision"),
    ("K80.2", "Calcul de la vésicule biliaire sans cholécystite"),
    ("K21.9", "Reflux gastro-œsophagien sans œsophagite"),
    ("K70.3", "Cirrhose alcoolique du foie"),
    ("K92.2", "Hémorragie gastro-intestinale, sans précision"),
    ("N39.0", "Infection des voies urinaires, siège non précisé"),
    ("N20.0", "Calcul du rein"),
    ("C50.9", "Tumeur maligne du sein, sans précision"),
    ("C34.1", "Tumeur maligne du lobe supérieur, bronches ou poumon"),
    ("C18.7", "Tumeur maligne du côlon sigmoïde"),
    ("C61", "Tumeur maligne de la prostate"),
    ("S72.0", "Fracture du col du fémur"),
    ("S06.0", "Commotion cérébrale"),
    ("G40.9", "Epilepsie, sans précision"),
    ("G30.9", "Maladie d'Alzheimer, sans précision"),
    ("G20", "Maladie de Parkinson"),
    ("F03", "Démence, sans précision"),
    ("F32.2", "Episode dépressif sévère sans symptômes psychotiques"),
    ("F20.0", "Schizophrénie paranoïde"),
    ("F10.2", "Troubles mentaux et du comportement liés à l'utilisation d'alcool : syndrome "
              "de dépendance"),
    ("F11.2", "Troubles liés à l'utilisation d'opiacés : syndrome de dépendance"),
    ("F41.1", "Anxiété généralisée"),
    ("F43.1", "Etat de stress post-traumatique"),
    ("B24", "Immunodéficience humaine virale, sans précision"),
    ("Z21", "Infection asymptomatique par le virus de l'immunodéficience humaine"),
    ("A56.0", "Infection à chlamydia de la partie inférieure de l'appareil génito-urinaire"),
    ("A51.0", "Syphilis génitale primaire"),
    ("O04.9", "Avortement médical, complet ou sans précision, sans complication"),
    ("Q90.9", "Syndrome de Down, sans précision"),
    ("Z31.5", "Conseil génétique"),
    ("O80.0", "Accouchement spontané par présentation du sommet"),
    ("R07.4", "Douleur thoracique, sans précision"),
    ("R50.9", "Fièvre, sans précision"),
    ("A41.9", "Sepsis, sans précision"),
    ("U07.1", "COVID-19, virus identifié"),
    ("M54.5", "Lombalgie basse"),
    ("M17.1", "Autres gonarthroses primaires"),
    ("D50.9", "Anémie par carence en fer, sans précision"),
    ("T42.4", "Intoxication par benzodiazépines"),
    ("Z51.1", "Séance de chimiothérapie pour tumeur"),
    ("Z95.1", "Présence d'un pontage aorto-coronaire"),
    ("L40.0", "Psoriasis vulgaris"),
    ("H25.9", "Cataracte sénile, sans précision"),
]

MEDICATIONS = [
    "Doliprane 1000 mg", "Kardegic 75 mg", "Bisoprolol 2,5 mg", "Atorvastatine 40 mg",
    "Metformine 850 mg", "Lovenox 4000 UI", "Amoxicilline 1 g", "Levothyrox 75 µg",
    "Seresta 10 mg", "Tramadol 50 mg", "Ramipril 5 mg", "Furosémide 40 mg", "Inexium 20 mg",
    "Xarelto 20 mg", "Eliquis 5 mg", "Paroxétine 20 mg", "Olanzapine 10 mg", "Méthadone 40 mg",
]
UNITS = [
    "cardiologie", "pneumologie", "médecine interne", "gériatrie", "chirurgie viscérale",
    "orthopédie", "neurologie", "psychiatrie adulte", "addictologie", "maladies infectieuses",
    "gynécologie-obstétrique", "oncologie", "urgences", "néphrologie", "endocrinologie",
]
# Words and phrases that contain capitalized words but name no person.
NAME_TRAPS = [
    "la maladie de Parkinson", "un syndrome de Cushing", "la maladie de Crohn",
    "le test de Glasgow", "la manœuvre de Heimlich", "l'hôpital Saint-Louis",
    "la place du Général de Gaulle", "le boulevard Victor Hugo", "l'avenue Jean Jaurès",
    "le centre Georges Pompidou", "la clinique Pasteur", "l'échelle de Norton",
    "un score de Wells", "le signe de Lasègue", "la classification de Child-Pugh",
]
EXTRA_LAST = ["Le Gall", "N'Diaye", "Da Silva", "De La Fontaine", "Saint-Martin", "Nguyen",
              "Ben Ali", "Petit", "Blanc", "Marchand", "Boulanger", "Lefort", "Bernard"]
EXTRA_FIRST_M = ["Jean-Pierre", "Jean-Baptiste", "Marc-Antoine", "Louis", "Mohamed"]
EXTRA_FIRST_F = ["Marie-Claude", "Anne-Sophie", "Marie", "Fatou", "Hélène"]

OCR_CONFUSIONS = {"0": "O", "O": "0", "1": "l", "l": "1", "5": "S", "S": "5", "8": "B",
                  "B": "8", "I": "1"}
DIGIT_GARBLE = {"0": "O", "1": "l", "5": "S", "8": "B", "2": "Z", "6": "b", "9": "g",
                "3": "B", "4": "A", "7": "T"}
MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
          "septembre", "octobre", "novembre", "décembre"]


# --------------------------------------------------------------------------- identifiers


def make_nir(rng: random.Random, sex: int, born: date) -> str:
    dept = rng.choice(["75", "69", "13", "33", "59", "31", "2A", "2B", "44", "35", "06",
                       "92", "93", "94", "67", "29", "971"[:2]])
    body = f"{sex}{born.year % 100:02d}{born.month:02d}{dept}{rng.randint(1, 990):03d}" \
           f"{rng.randint(1, 999):03d}"
    numeric = int(body.replace("2A", "19").replace("2B", "18"))
    return f"{body}{97 - numeric % 97:02d}"


def bad_nir(rng: random.Random, nir: str) -> str:
    key = int(nir[13:])
    return nir[:13] + f"{(key + rng.randint(1, 90)) % 97 or 1:02d}"


def luhn_complete(rng: random.Random, prefix: str, length: int) -> str:
    body = prefix + "".join(str(rng.randint(0, 9)) for _ in range(length - len(prefix) - 1))
    return body + luhn.calc_check_digit(body)


def luhn_broken(number: str) -> str:
    last = (int(number[-1]) + 1 + int(number[0])) % 10
    out = number[:-1] + str(last)
    return out if not luhn.is_valid(out) else number[:-1] + str((last + 1) % 10)


def make_phone(rng: random.Random, mobile: bool | None = None) -> str:
    while True:
        first = rng.choice("67") if mobile or (mobile is None and rng.random() < 0.5) else \
            rng.choice("123459")
        national = "0" + first + "".join(str(rng.randint(0, 9)) for _ in range(8))
        parsed = phonenumbers.parse(national, "FR")
        if phonenumbers.is_valid_number(parsed):
            return national


def phone_e164(national: str) -> str:
    return "+33" + national[1:]


def phone_surface(rng: random.Random, national: str) -> str:
    pairs = [national[i : i + 2] for i in range(0, 10, 2)]
    style = rng.random()
    if style < 0.45:
        return " ".join(pairs)
    if style < 0.6:
        return ".".join(pairs)
    if style < 0.72:
        return national
    if style < 0.8:
        return "-".join(pairs)
    if style < 0.92:
        return "+33 " + national[1] + " " + " ".join(pairs[1:])
    return "+33 (0)" + national[1] + " " + " ".join(pairs[1:])


def nir_surface(rng: random.Random, nir: str) -> str:
    style = rng.random()
    if style < 0.5:
        return f"{nir[0]} {nir[1:3]} {nir[3:5]} {nir[5:7]} {nir[7:10]} {nir[10:13]} {nir[13:]}"
    if style < 0.8:
        return nir
    return f"{nir[:13]} {nir[13:]}"


def iban_surface(rng: random.Random, value: str) -> str:
    if rng.random() < 0.7:
        return " ".join(value[i : i + 4] for i in range(0, len(value), 4))
    return value


def card_surface(rng: random.Random, number: str) -> str:
    if rng.random() < 0.7:
        return " ".join(number[i : i + 4] for i in range(0, 16, 4))
    return number


def date_surface(rng: random.Random, d: date, styles: str = "all") -> str:
    r = rng.random()
    if styles == "numeric" or r < 0.55:
        return f"{d.day:02d}/{d.month:02d}/{d.year}"
    if r < 0.7:
        return f"{d.day:02d}.{d.month:02d}.{d.year}"
    if r < 0.78:
        return f"{d.day:02d}-{d.month:02d}-{d.year}"
    if r < 0.95:
        day = "1er" if d.day == 1 else str(d.day)
        return f"{day} {MONTHS[d.month - 1]} {d.year}"
    return f"{d.day}/{d.month}/{d.year}"


def icd_surface(rng: random.Random, code: str) -> str:
    return code.replace(".", "") if "." in code and rng.random() < 0.3 else code


# --------------------------------------------------------------------------- segments


@dataclass
class Seg:
    text: str
    entity: str | None = None
    value: str | None = None
    tags: list[str] = field(default_factory=list)
    is_date: str | None = None  # normalized date written here (any role)


class Builder:
    def __init__(self) -> None:
        self.segs: list[Seg] = []
        self.traps: list[dict] = []

    def t(self, text: str) -> Builder:
        self.segs.append(Seg(text))
        return self

    def e(self, entity: str, value: str, surface: str) -> Builder:
        self.segs.append(Seg(surface, entity, value))
        return self

    def date(self, d: date, surface: str, birth: bool = False) -> Builder:
        seg = Seg(surface, "BIRTH_DATE" if birth else None, d.isoformat() if birth else None)
        seg.is_date = d.isoformat()
        self.segs.append(seg)
        return self

    def trap(self, kind: str, text: str) -> Builder:
        self.traps.append({"kind": kind, "surface": text})
        self.segs.append(Seg(text))
        return self


@dataclass
class Person:
    first: str
    last: str
    sex: int  # 1 male, 2 female
    born: date
    maiden: str | None = None

    def civ(self, short: bool = True) -> str:
        if self.sex == 1:
            return "M." if short else "Monsieur"
        return "Mme" if short else "Madame"


@dataclass
class DocTruth:
    file: str
    kind: str
    encoding: str
    noise: str
    template: bool
    mentions: list[dict]
    dates: list[str]
    garbled: list[dict]
    traps: list[dict]


# --------------------------------------------------------------------------- noise


def strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text)
                   if not unicodedata.combining(c)).replace("œ", "oe").replace("Œ", "OE")


def _typo(rng: random.Random, text: str, rate: float) -> str:
    words = text.split(" ")
    for i, w in enumerate(words):
        if len(w) > 4 and w.isalpha() and rng.random() < rate:
            j = rng.randint(1, len(w) - 3)
            words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :] if rng.random() < 0.6 else \
                w[:j] + w[j + 1 :]
    return " ".join(words)


def _ocr_plain(rng: random.Random, text: str, rate: float) -> str:
    out = []
    i = 0
    while i < len(text):
        c = text[i]
        if text.startswith("rn", i) and rng.random() < 0.3:
            out.append("m")
            i += 2
            continue
        if c in OCR_CONFUSIONS and rng.random() < rate:
            out.append(OCR_CONFUSIONS[c])
        elif c == " " and rng.random() < rate:
            out.append("  ")
        else:
            out.append(c)
        i += 1
    return "".join(out)


def _garble_identifier(rng: random.Random, surface: str, entity: str) -> str:
    positions = [i for i, c in enumerate(surface) if c.isdigit()]
    if entity == "ICD10_CODE":  # in the category (F43.l would still say F43)
        positions = [i for i in positions if i < 3]
    if not positions:  # e-mail: the OCR loses the at sign
        return surface.replace("@", rng.choice(["(a", "©", " @ ", "a"]), 1)
    i = rng.choice(positions)
    return surface[:i] + DIGIT_GARBLE[surface[i]] + surface[i + 1 :]


def _space_identifier(rng: random.Random, surface: str) -> str | None:
    spots = [i for i in range(1, len(surface))
             if surface[i - 1].isdigit() and surface[i].isdigit()]
    if not spots:
        return None
    i = rng.choice(spots)
    return surface[:i] + " " + surface[i:]


def apply_noise(rng: random.Random, b: Builder, noise: str) -> list[Seg]:
    """Noisy copies of the segments, with the truth updated (see the module docstring)."""
    out: list[Seg] = []
    for seg in b.segs:
        s = Seg(seg.text, seg.entity, seg.value, list(seg.tags), seg.is_date)
        if noise in ("ocr", "ascii"):
            s.text = strip_accents(s.text)
            if s.entity == "PERSON":
                s.value = " ".join(s.text.split())
        if noise == "ocr":
            if s.entity is None:
                before = s.text
                s.text = _ocr_plain(rng, s.text, 0.02)
                if s.is_date and s.text != before:
                    s.is_date = None
            elif s.entity == "PERSON":
                if "rn" in s.text and rng.random() < 0.5:
                    s.text = s.text.replace("rn", "m", 1)
                    s.value = " ".join(s.text.split())
                    s.tags.append("ocr")
            elif s.entity == "BIRTH_DATE" or s.entity in IDENTIFIERS or s.entity == "ICD10_CODE":
                r = rng.random()
                if r < 0.12:
                    s.text = _garble_identifier(rng, s.text, s.entity)
                    s.tags.append("garbled")
                    s.is_date = None
                elif r < 0.22 and s.entity in ("NIR", "IBAN", "PHONE", "PAYMENT_CARD", "RPPS",
                                               "FINESS"):
                    spaced = _space_identifier(rng, s.text)
                    if spaced:
                        s.text = spaced
                        s.tags.append("spaced")
        elif noise == "typos" and s.entity is None:
            s.text = _typo(rng, s.text, 0.04)
        out.append(s)
    return out


def wrap(text: str, protected: list[tuple[int, int]], width: int) -> str:
    """Hard-wrap at spaces (OCR line breaks), never inside a protected span."""
    chars = list(text)
    col = 0
    k = 0
    for i, c in enumerate(chars):
        while k < len(protected) and protected[k][1] <= i:
            k += 1
        inside = k < len(protected) and protected[k][0] <= i < protected[k][1]
        if c == "\n":
            col = 0
            continue
        col += 1
        if c == " " and col >= width and not inside:
            chars[i] = "\n"
            col = 0
    return "".join(chars)


def render(rng: random.Random, b: Builder, noise: str) -> tuple[str, list[dict], list[str],
                                                               list[dict]]:
    segs = apply_noise(rng, b, noise)
    parts: list[str] = []
    protected: list[tuple[int, int]] = []
    mentions: list[dict] = []
    garbled: list[dict] = []
    dates: list[str] = []
    pos = 0
    for s in segs:
        if s.is_date:
            dates.append(s.is_date)
        if s.entity and s.entity != "PERSON":
            protected.append((pos, pos + len(s.text)))
        if s.entity:
            item = {"entity": s.entity, "value": s.value, "surface": s.text, "tags": s.tags}
            (garbled if "garbled" in s.tags else mentions).append(item)
        parts.append(s.text)
        pos += len(s.text)
    text = "".join(parts)
    if noise == "ocr":
        text = wrap(text, protected, rng.randint(55, 80))
    return text, mentions, sorted(set(dates)), garbled


# --------------------------------------------------------------------------- documents


class Gen:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.fake = Faker("fr_FR")
        self.fake.seed_instance(seed)
        self.today = date(2024, 6, 1)

    # people ---------------------------------------------------------------

    def person(self, sex: int | None = None, age: tuple[int, int] = (18, 95)) -> Person:
        rng = self.rng
        sex = sex or rng.choice((1, 2))
        if rng.random() < 0.12:
            first = rng.choice(EXTRA_FIRST_M if sex == 1 else EXTRA_FIRST_F)
        else:
            first = self.fake.first_name_male() if sex == 1 else self.fake.first_name_female()
        last = rng.choice(EXTRA_LAST) if rng.random() < 0.12 else self.fake.last_name()
        born = self.today - timedelta(days=rng.randint(age[0] * 365, age[1] * 365))
        maiden = self.fake.last_name() if sex == 2 and rng.random() < 0.2 else None
        return Person(first, last, sex, born, maiden)

    def age(self, p: Person, at: date) -> int:
        return at.year - p.born.year - ((at.month, at.day) < (p.born.month, p.born.day))

    def name_patient(self, b: Builder, p: Person) -> None:
        """The patient's full name, one of the ways reports write it."""
        rng = self.rng
        r = rng.random()
        up = p.last.upper()
        if p.maiden and r < 0.5:
            b.t(f"{p.civ(rng.random() < 0.5)} ")
            name = f"{p.maiden.upper()} épouse {up} {p.first}"
            b.e("PERSON", name, name)
            return
        if r < 0.3:
            b.t(f"{p.civ(False)} ")
            b.e("PERSON", f"{up} {p.first}", f"{up} {p.first}")
        elif r < 0.55:
            b.t(f"{p.civ()} ")
            b.e("PERSON", f"{p.first} {up}", f"{p.first} {up}")
        elif r < 0.75:
            b.t(f"{p.civ()} ")
            b.e("PERSON", f"{p.first} {p.last}", f"{p.first} {p.last}")
        else:
            b.e("PERSON", f"{up} {p.first}", f"{up} {p.first}")

    def name_short(self, b: Builder, p: Person) -> None:
        b.t(f"{p.civ()} ")
        b.e("PERSON", p.last, p.last)

    def name_doctor(self, b: Builder, d: Person, signature: bool = False) -> None:
        rng = self.rng
        title = rng.choice(["Dr", "Dr", "Docteur", "Pr", "Dr."])
        r = rng.random()
        if signature and r < 0.4:
            name = f"{d.first[0]}. {d.last.upper()}"
        elif r < 0.35:
            name = d.last
        elif r < 0.7:
            name = f"{d.first} {d.last.upper()}"
        else:
            name = f"{d.first} {d.last}"
        b.t(f"{title} ")
        b.e("PERSON", name, name)

    # fragments ------------------------------------------------------------

    def letterhead(self, b: Builder, city: str, unit: str) -> tuple[str, str]:
        rng = self.rng
        finess = luhn_complete(rng, rng.choice(["75", "69", "13", "33", "59", "31", "44"]), 9)
        phone = make_phone(rng, mobile=False)
        b.t(f"CENTRE HOSPITALIER DE {city.upper()}\nService de {unit}\n")
        if rng.random() < 0.7:
            b.t(rng.choice(["FINESS : ", "N° FINESS ", "FINESS EJ "]))
            b.e("FINESS", finess, finess)
            b.t("\n")
        b.t(rng.choice(["Secrétariat : ", "Tél. ", "Standard : "]))
        b.e("PHONE", phone_e164(phone), phone_surface(rng, phone))
        if rng.random() < 0.3:
            b.t(" - ")
            b.trap("phone_extension", f"poste {rng.randint(1000, 9999)}")
        b.t("\n\n")
        return finess, phone

    def identity_block(self, b: Builder, p: Person, nir: str | None) -> None:
        rng = self.rng
        style = rng.random()
        if style < 0.45:
            b.t(rng.choice(["Patiente : " if p.sex == 2 else "Patient : ", "Nom du patient : ",
                            "Concerne : "]))
            self.name_patient(b, p)
            b.t(rng.choice([", né" + ("e" if p.sex == 2 else "") + " le ", " - né(e) le ",
                            " DDN : ", ", date de naissance : "]))
            b.date(p.born, date_surface(rng, p.born), birth=True)
            b.t("\n")
        elif style < 0.7:
            b.t("Nom : ")
            b.e("PERSON", p.last.upper(), p.last.upper())
            b.t("    Prénom : ")
            b.e("PERSON", p.first, p.first)
            b.t(rng.choice(["\nDate de naissance : ", "\nDate naiss. : ", "\nNé(e) le : "]))
            b.date(p.born, date_surface(rng, p.born, "numeric"), birth=True)
            b.t("\n")
        else:
            # The date follows the name on the identity line with no cue word.
            b.t("Identité : ")
            self.name_patient(b, p)
            b.t(" (")
            b.date(p.born, date_surface(rng, p.born, "numeric"), birth=True)
            b.t(f", {self.age(p, self.today)} ans)\n")
        if nir:
            b.t(rng.choice(["N° SS : ", "NIR : ", "N° de sécurité sociale : ", "INS : "]))
            b.e("NIR", nir, nir_surface(rng, nir))
            b.t("\n")
        if rng.random() < 0.3:
            b.t(f"IPP : {rng.randint(10**7, 10**8 - 1)}\n")
        b.t("\n")

    def maybe_traps(self, b: Builder, n: int = 1) -> None:
        rng = self.rng
        for _ in range(n):
            r = rng.random()
            if r < 0.15:
                b.trap("lot_number", f"Lot n° {make_phone(rng)} ")
            elif r < 0.25:
                b.trap("order_number", f"(commande n° {make_phone(rng, mobile=False)}) ")
            elif r < 0.35:
                nir = make_nir(rng, rng.choice((1, 2)), date(1970, 5, 5))
                b.trap("bad_nir", f"Ancien n° saisi par erreur : {bad_nir(rng, nir)}. ")
            elif r < 0.42:
                card = luhn_broken(luhn_complete(rng, "4970", 16))
                b.trap("bad_card", f"Référence de transaction {card}. ")
            elif r < 0.5:
                b.trap("bad_rpps", f"RPPS {luhn_broken(luhn_complete(rng, '10', 11))} (à "
                                   f"vérifier). ")
            elif r < 0.58:
                b.trap("icd_lookalike", rng.choice([
                    "Supplémentation en vitamine B12. ", "Le patient est installé salle C12. ",
                    "Box E10 libéré à 14h. ", "Imprimer au format A4. ",
                    "Armoire à pharmacie K35, étagère 2. "]))
            elif r < 0.66:
                b.trap("short_phone", f"Bip interne {rng.randint(10, 99)} {rng.randint(10, 99)} "
                                      f"{rng.randint(10, 99)}. ")
            else:
                b.trap("name_lookalike", f"Antécédent évoqué : {rng.choice(NAME_TRAPS)}. ")

    def diagnoses(self, b: Builder, k: int) -> None:
        rng = self.rng
        codes = rng.sample(ICD10, k)
        b.t(rng.choice(["Diagnostic principal : ", "DP : ", "Codage CIM-10 : "]))
        for i, (code, label) in enumerate(codes):
            if i == 1:
                b.t("\nDiagnostics associés : ")
            elif i > 1:
                b.t(", ")
            if rng.random() < 0.5:
                b.e("ICD10_CODE", code, icd_surface(rng, code))
                b.t(f" {label}")
            else:
                b.t(f"{label} (")
                b.e("ICD10_CODE", code, icd_surface(rng, code))
                b.t(")")
        b.t("\n")

    def relative(self, b: Builder, p: Person) -> None:
        rng = self.rng
        link = rng.choice(["sa fille", "son fils", "son épouse", "son époux", "sa sœur",
                           "son neveu"])
        rel = self.person(sex=2 if link.startswith("sa ") or link.endswith("se") else 1,
                          age=(20, 70))
        phone = make_phone(rng, mobile=True)
        b.t(f"Personne à prévenir : {link}, ")
        r = rng.random()
        if r < 0.5:
            b.t(f"{rel.civ()} ")
            b.e("PERSON", f"{rel.first} {rel.last.upper()}", f"{rel.first} {rel.last.upper()}")
        else:
            b.e("PERSON", f"{rel.first} {rel.last}", f"{rel.first} {rel.last}")
        b.t(", joignable au ")
        b.e("PHONE", phone_e164(phone), phone_surface(rng, phone))
        if rng.random() < 0.3:
            b.t(" ou par courriel ")
            email = self.email_of(rel)
            b.e("EMAIL", email, email)
        if rng.random() < 0.25:
            b.t(f" ({link.split()[1]} né{'e' if rel.sex == 2 else ''} le ")
            b.date(rel.born, date_surface(rng, rel.born), birth=True)
            b.t(")")
        b.t(".\n")

    def email_of(self, p: Person, pro: str | None = None) -> str:
        def slug(s: str) -> str:
            return re.sub(r"[^a-z]", "", strip_accents(s).lower())
        if pro:
            return f"{slug(p.first)}.{slug(p.last)}@{pro}"
        if self.rng.random() < 0.5:
            return f"{slug(p.first)}.{slug(p.last)}{self.rng.randint(1, 99)}@" + \
                self.rng.choice(["gmail.com", "orange.fr", "free.fr", "laposte.net",
                                 "hotmail.fr", "wanadoo.fr"])
        return self.fake.free_email().lower()

    def money(self, b: Builder, p: Person) -> None:
        rng = self.rng
        if rng.random() < 0.5:
            iban = self.fake.iban()
            assert std_iban.is_valid(iban)
            b.t(rng.choice(["Remboursement du trop-perçu sur le compte IBAN ",
                            "RIB transmis par la famille : ", "IBAN : "]))
            b.e("IBAN", iban, iban_surface(rng, iban))
            b.t(".\n")
        else:
            card = self.fake.credit_card_number(rng.choice(["visa16", "mastercard"]))
            if len(card) != 16:
                card = luhn_complete(rng, "4970", 16)
            b.t(rng.choice(["Dépassement d'honoraires réglé par CB n° ",
                            "Carte bancaire : ", "Paiement par carte ",
                            "Règlement carte bleue "]))
            b.e("PAYMENT_CARD", card, card_surface(rng, card))
            b.t(f", exp. {rng.randint(1, 12):02d}/{rng.randint(25, 29)}.\n")

    def signature(self, b: Builder, d: Person, rpps: str, finess_city: str) -> None:
        rng = self.rng
        b.t("\n" + rng.choice(["Bien confraternellement,\n", "Cordialement,\n", ""]))
        self.name_doctor(b, d, signature=True)
        b.t("\n" + rng.choice(["Praticien hospitalier", "Chef de service", "Interne",
                               "Médecin"]))
        if rng.random() < 0.8:
            b.t(rng.choice(["\nRPPS : ", "\nN° RPPS ", " - RPPS "]))
            b.e("RPPS", rpps, rpps)
        if rng.random() < 0.4:
            b.t(f"\nCH {finess_city}")
        b.t("\n")

    # document kinds --------------------------------------------------------

    def visit_dates(self) -> tuple[date, date]:
        start = self.today - timedelta(days=self.rng.randint(1, 900))
        return start, start + timedelta(days=self.rng.randint(1, 20))

    def consultation(self, b: Builder) -> None:
        rng = self.rng
        p, doc, gp = self.person(), self.person(age=(30, 65)), self.person(age=(30, 70))
        city, unit = self.fake.city(), rng.choice(UNITS)
        self.letterhead(b, city, unit)
        visit, _ = self.visit_dates()
        b.t("COMPTE RENDU DE CONSULTATION du ")
        b.date(visit, date_surface(rng, visit))
        b.t("\n\n")
        self.identity_block(b, p, make_nir(rng, p.sex, p.born) if rng.random() < 0.6 else None)
        b.t("Cher confrère, cher ")
        self.name_doctor(b, gp)
        b.t(",\n\nJ'ai vu en consultation ")
        self.name_short(b, p)
        b.t(f", {self.age(p, visit)} ans, adressé" + ("e" if p.sex == 2 else "") +
            f" pour {rng.choice(ICD10)[1].lower()}. ")
        self.maybe_traps(b, rng.randint(0, 2))
        b.t(f"Traitement habituel : {', '.join(rng.sample(MEDICATIONS, 3))}.\n")
        if rng.random() < 0.5:
            self.diagnoses(b, rng.randint(1, 3))
        if rng.random() < 0.4:
            self.relative(b, p)
        if rng.random() < 0.3:
            phone = make_phone(rng, mobile=True)
            b.t("Le patient est joignable au ")
            b.e("PHONE", phone_e164(phone), phone_surface(rng, phone))
            b.t(".\n")
        b.t(f"Prochain rendez-vous le {rng.randint(1, 28)} {rng.choice(MONTHS)} 2024.\n")
        self.signature(b, doc, luhn_complete(rng, "10", 11), city)

    def discharge(self, b: Builder) -> None:
        rng = self.rng
        p = self.person()
        docs = [self.person(age=(28, 65)) for _ in range(2)]
        nurse = self.person(age=(22, 60))
        city, unit = self.fake.city(), rng.choice(UNITS)
        self.letterhead(b, city, unit)
        start, end = self.visit_dates()
        b.t("LETTRE DE LIAISON A LA SORTIE\n\n")
        self.identity_block(b, p, make_nir(rng, p.sex, p.born) if rng.random() < 0.7 else None)
        b.t("Hospitalisation du ")
        b.date(start, date_surface(rng, start, "numeric"))
        b.t(" au ")
        b.date(end, date_surface(rng, end, "numeric"))
        b.t(f" en {unit}.\n\n")
        self.name_patient(b, p)
        b.t(f", {self.age(p, start)} ans, a été admis" + ("e" if p.sex == 2 else "") +
            " par les urgences. Pris" + ("e" if p.sex == 2 else "") + " en charge par ")
        self.name_doctor(b, docs[1])
        b.t(". Surveillance infirmière assurée par ")
        b.t(rng.choice(["l'IDE ", "IDE : ", nurse.civ() + " "]))
        b.e("PERSON", f"{nurse.first} {nurse.last}", f"{nurse.first} {nurse.last}")
        b.t(". ")
        self.maybe_traps(b, rng.randint(0, 2))
        b.t("\n\n")
        self.diagnoses(b, rng.randint(1, 4))
        b.t(f"\nTraitement de sortie : {', '.join(rng.sample(MEDICATIONS, rng.randint(2, 5)))}."
            "\n")
        if rng.random() < 0.5:
            self.relative(b, p)
        if rng.random() < 0.35:
            self.money(b, p)
        self.signature(b, docs[0], luhn_complete(rng, "10", 11), city)

    def prescription(self, b: Builder) -> None:
        rng = self.rng
        p, doc = self.person(), self.person(age=(28, 65))
        city = self.fake.city()
        b.t(f"ORDONNANCE\n{city.upper()}\n")
        self.name_doctor(b, doc)
        b.t(f"\n{rng.choice(UNITS).capitalize()}\nN° RPPS : ")
        rpps = luhn_complete(rng, "10", 11)
        b.e("RPPS", rpps, rpps)
        b.t("\nFINESS : ")
        finess = luhn_complete(rng, rng.choice(["75", "69", "13", "59"]), 9)
        b.e("FINESS", finess, finess)
        b.t("\n\n")
        when, _ = self.visit_dates()
        b.t("Le ")
        b.date(when, date_surface(rng, when))
        b.t("\n\n")
        self.identity_block(b, p, make_nir(rng, p.sex, p.born) if rng.random() < 0.5 else None)
        if rng.random() < 0.5:
            b.t(f"Poids : {rng.randint(45, 110)} kg\n")
        for med in rng.sample(MEDICATIONS, rng.randint(1, 4)):
            b.t(f"- {med} : {rng.randint(1, 3)} cp/j pendant {rng.randint(5, 30)} jours\n")
        self.maybe_traps(b, rng.randint(0, 1))
        b.t("\nQSP 1 mois. Renouvelable 2 fois.\n")
        self.name_doctor(b, doc, signature=True)
        b.t("\n")

    def nursing(self, b: Builder) -> None:
        rng = self.rng
        p = self.person(age=(60, 98))
        nurses = [self.person(age=(22, 60)) for _ in range(rng.randint(2, 3))]
        doc = self.person(age=(28, 65))
        b.t(f"TRANSMISSIONS CIBLEES - {rng.choice(UNITS).upper()}\nChambre "
            f"{rng.randint(100, 450)}  ")
        self.name_patient(b, p)
        if rng.random() < 0.6:
            b.t(" DDN ")
            b.date(p.born, date_surface(rng, p.born, "numeric"), birth=True)
        b.t("\n\n")
        day, _ = self.visit_dates()
        for n in nurses:
            b.date(day, date_surface(rng, day, "numeric"))
            b.t(f" {rng.randint(6, 22)}h{rng.randint(0, 59):02d} - IDE ")
            style = rng.random()
            if style < 0.5:
                b.e("PERSON", f"{n.first} {n.last.upper()}", f"{n.first} {n.last.upper()}")
            elif style < 0.8:
                b.e("PERSON", n.first, n.first)
            else:
                b.e("PERSON", f"{n.first[0]}. {n.last}", f"{n.first[0]}. {n.last}")
            b.t(rng.choice([
                f" : Patient{'e' if p.sex == 2 else ''} agité{'e' if p.sex == 2 else ''} "
                "cette nuit, TA 14/8, douleur EVA 6/10. ",
                " : Pansement refait, plaie propre. Glycémie 1,32 g/l. ",
                " : Appel de la famille, ",
                " : Chute sans gravité, médecin prévenu. ",
                f" : {rng.choice(MEDICATIONS)} administré à 8h. "]))
            if rng.random() < 0.35:
                b.t("vu avec ")
                self.name_doctor(b, doc)
                b.t(". ")
            if rng.random() < 0.25:
                self.maybe_traps(b, 1)
            b.t("\n")
        if rng.random() < 0.4:
            self.relative(b, p)

    def email(self, b: Builder) -> tuple[str, str]:
        """An e-mail between colleagues about a patient; returns (headers, charset)."""
        rng = self.rng
        a, c = self.person(age=(25, 65)), self.person(age=(25, 65))
        p = self.person()
        dom = rng.choice(["chu-nord.fr", "ch-valdeloire.fr", "aphp.fr", "hopital-ouest.fr"])
        ea, ec = self.email_of(a, dom), self.email_of(c, dom)
        day, _ = self.visit_dates()
        charset = rng.choice(["utf-8", "utf-8", "windows-1252"])
        b.t("Bonjour ")
        b.e("PERSON", c.first, c.first)
        b.t(",\n\nPeux-tu rappeler ")
        self.name_patient(b, p)
        b.t(rng.choice([" (née le " if p.sex == 2 else " (né le ", " (DDN "]))
        b.date(p.born, date_surface(rng, p.born), birth=True)
        b.t(") au ")
        phone = make_phone(rng, mobile=True)
        b.e("PHONE", phone_e164(phone), phone_surface(rng, phone))
        b.t(" pour décaler son rendez-vous du ")
        b.date(day, date_surface(rng, day))
        b.t(" ? ")
        if rng.random() < 0.5:
            b.t("Son adresse mail : ")
            em = self.email_of(p)
            b.e("EMAIL", em, em)
            b.t(". ")
        if rng.random() < 0.4:
            b.t("Son numéro de sécu pour le dossier : ")
            nir = make_nir(rng, p.sex, p.born)
            b.e("NIR", nir, nir_surface(rng, nir))
            b.t(". ")
        if rng.random() < 0.4:
            code, label = rng.choice(ICD10)
            b.t(f"Motif : {label.lower()} (")
            b.e("ICD10_CODE", code, icd_surface(rng, code))
            b.t(").")
        self.maybe_traps(b, rng.randint(0, 1))
        b.t("\n\nMerci,\n")
        b.e("PERSON", a.first, a.first)
        b.t("\n--\n")
        b.e("PERSON", f"{a.first} {a.last.upper()}", f"{a.first} {a.last.upper()}")
        b.t(f"\nSecrétariat de {rng.choice(UNITS)}\nTél : ")
        ph = make_phone(rng, mobile=False)
        b.e("PHONE", phone_e164(ph), phone_surface(rng, ph))
        b.t("\n")
        # The headers are part of the file: their names and addresses are truth too.
        # A display name with accents is written as an RFC 2047 encoded word, as mailers do;
        # one time in five (UTF-8 messages only) raw, as RFC 6532 allows.
        raw_ok = charset == "utf-8" and rng.random() < 0.2

        def display(name: str) -> str:
            if name.isascii() or raw_ok:
                return name
            return Header(name, "utf-8").encode()

        head = Builder()
        head.t("From: ")
        head.e("PERSON", f"{a.first} {a.last}", display(f"{a.first} {a.last}"))
        head.t(" <")
        head.e("EMAIL", ea, ea)
        head.t(">\nTo: ")
        head.e("PERSON", f"{c.first} {c.last}", display(f"{c.first} {c.last}"))
        head.t(" <")
        head.e("EMAIL", ec, ec)
        # Header values stay ASCII here (no RFC 2047 encoded words): the subject names the
        # patient as written, without accents.
        subject = strip_accents(f"{p.last.upper()} {p.first}")
        head.t(">\nSubject: RDV ")
        head.e("PERSON", subject, subject)
        head.t("\n")
        head.t(f"Date: {day.strftime('%a, %d %b %Y')} 10:12:00 +0200\nMIME-Version: 1.0\n")
        b.segs = head.segs + b.segs
        return "", charset

    def template(self, b: Builder) -> None:
        rng = self.rng
        r = rng.random()
        if r < 0.5:
            city, unit = self.fake.city(), rng.choice(UNITS)
            self.letterhead(b, city, unit)
        ph = rng.choice([
            ("«NOM»", "«PRENOM»", "«DDN»", "«NIR»", "«MEDECIN»"),
            ("[NOM PATIENT]", "[PRENOM PATIENT]", "[DATE DE NAISSANCE]", "[N° SS]",
             "[NOM DU MEDECIN]"),
            ("{{ patient.nom }}", "{{ patient.prenom }}", "{{ patient.ddn }}",
             "{{ patient.nir }}", "{{ medecin.nom }}"),
            ("____________", "____________", "__/__/____", "_ __ __ __ ___ ___ __",
             "____________"),
            ("XXXXXXXX", "Xxxxxx", "JJ/MM/AAAA", "X XX XX XX XXX XXX XX", "XXXXXXXX"),
            ("NOM", "Prénom", "jj/mm/aaaa", "...............", "............"),
        ])
        nom, prenom, ddn, nir, med = ph
        b.t(rng.choice(["MODELE - COMPTE RENDU D'HOSPITALISATION\n\n",
                        "Modèle de courrier de convocation\n\n",
                        "TRAME ORDONNANCE\n\n"]))
        b.t(f"Madame, Monsieur {nom} {prenom}\nNé(e) le : {ddn}\nN° de sécurité sociale : "
            f"{nir}\n\n")
        b.t(f"Patient : {nom} {prenom}\nMédecin traitant : Dr {med}\n\n")
        b.t(rng.choice([
            f"Nous avons le plaisir de vous convoquer le {ddn} à 9h00 en {rng.choice(UNITS)}.\n",
            f"M./Mme {nom}, {prenom}, a été hospitalisé(e) du {ddn} au {ddn}.\n",
            "Diagnostic principal : ____________  Code CIM-10 : ___.__\n",
        ]))
        b.t(f"Personne à prévenir : M./Mme {nom} {prenom} - Tél : __ __ __ __ __\n")
        b.t(f"\nSignature : Dr {med}\nIDE référent(e) : {prenom} {nom}\n")

    def table(self, b: Builder) -> str:
        """A CSV with meaningless headers; returns the delimiter used."""
        rng = self.rng
        delim = rng.choice([";", ",", ";"])
        cols = ["last", "first", "birth", "nir", "phone", "email", "cp"]
        rng.shuffle(cols)
        cols = cols[: rng.randint(4, 7)]
        if "birth" not in cols and rng.random() < 0.5:
            cols.append("birth")
        if rng.random() < 0.3:
            cols.append("iban")
        visit = rng.random() < 0.5
        if visit:
            cols.append("visit")
        head = rng.choice([
            [f"col{i + 1}" for i in range(len(cols))],
            [chr(65 + i) for i in range(len(cols))],
            [f"champ_{i + 1:02d}" for i in range(len(cols))],
            [f"X{i}" for i in range(len(cols))],
        ])
        b.t(delim.join(head) + "\n")
        for _ in range(rng.randint(5, 40)):
            p = self.person()
            cells: list[tuple[str, str | None, str | None, str | None]] = []
            for c in cols:
                if c == "last":
                    cells.append((p.last.upper(), None, None, None))
                elif c == "first":
                    cells.append((p.first, None, None, None))
                elif c == "birth":
                    cells.append((f"{p.born.day:02d}/{p.born.month:02d}/{p.born.year}",
                                  "BIRTH_DATE", p.born.isoformat(), p.born.isoformat()))
                elif c == "visit":
                    v, _ = self.visit_dates()
                    cells.append((f"{v.day:02d}/{v.month:02d}/{v.year}", None, None,
                                  v.isoformat()))
                elif c == "nir":
                    nir = make_nir(rng, p.sex, p.born)
                    cells.append((nir, "NIR", nir, None))
                elif c == "phone":
                    ph = make_phone(rng)
                    cells.append((ph if rng.random() < 0.5 else " ".join(
                        ph[i : i + 2] for i in range(0, 10, 2)), "PHONE", phone_e164(ph), None))
                elif c == "email":
                    em = self.email_of(p)
                    cells.append((em, "EMAIL", em, None))
                elif c == "iban":
                    iban = self.fake.iban()
                    cells.append((iban, "IBAN", iban, None))
                else:
                    cells.append((self.fake.postcode(), None, None, None))
            for i, (text, ent, val, dt) in enumerate(cells):
                if i:
                    b.t(delim)
                if ent:
                    b.e(ent, val, text)
                    if dt:
                        b.segs[-1].is_date = dt
                elif dt:
                    b.date(date.fromisoformat(dt), text)
                else:
                    b.t(text)
            b.t("\n")
        return delim


KINDS = [
    ("consultation", 0.2), ("discharge", 0.18), ("prescription", 0.12), ("nursing", 0.12),
    ("email", 0.12), ("table", 0.1), ("template", 0.08), ("ocr", 0.08),
]


def generate(out: Path, n_docs: int = 2000, seed: int = 7) -> list[DocTruth]:
    """Write ``n_docs`` documents under ``out`` and return their truth."""
    g = Gen(seed)
    rng = g.rng
    out.mkdir(parents=True, exist_ok=True)
    names = [k for k, _ in KINDS]
    weights = [w for _, w in KINDS]
    truths: list[DocTruth] = []
    for i in range(n_docs):
        kind = rng.choices(names, weights)[0]
        b = Builder()
        noise = "clean"
        encoding = "utf-8"
        suffix = ".txt"
        folder = {"consultation": "comptes_rendus", "discharge": "comptes_rendus",
                  "prescription": "ordonnances", "nursing": "soins", "email": "mails",
                  "table": "exports", "template": "modeles", "ocr": "scans"}[kind]
        if kind == "ocr":
            getattr(g, rng.choice(["consultation", "discharge", "prescription"]))(b)
            noise = "ocr"
        elif kind == "email":
            _, encoding = g.email(b)
            suffix = ".eml"
        elif kind == "table":
            g.table(b)
            suffix = ".csv"
        else:
            getattr(g, kind)(b)
        if noise == "clean" and kind not in ("table", "email"):
            r = rng.random()
            noise = "typos" if r < 0.15 else "ascii" if r < 0.22 else "clean"
        if kind != "email" and rng.random() < 0.3:
            encoding = "cp1252"
        text, mentions, dates, garbled = render(rng, b, noise)
        if kind == "email":
            charset = "windows-1252" if encoding == "windows-1252" else "utf-8"
            head, _, body = text.partition("MIME-Version: 1.0\n")
            text = (head + "MIME-Version: 1.0\nContent-Type: text/plain; charset=\"" + charset +
                    "\"\nContent-Transfer-Encoding: 8bit\n\n" + body)
        rel = f"{folder}/{kind}_{i:05d}{suffix}"
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        enc = "cp1252" if encoding in ("cp1252", "windows-1252") else "utf-8"
        data = text.encode(enc, errors="replace")
        if kind == "table" and rng.random() < 0.2:
            data = data.replace(b"\n", b"\r\n")
        path.write_bytes(data)
        # A character the encoding cannot hold became "?": drop mentions no longer present.
        def survives(m: dict, enc: str = enc) -> bool:
            return m["surface"].encode(enc, errors="replace").decode(enc) == m["surface"]

        kept = [m for m in mentions if survives(m)]
        lost = [m for m in mentions if not survives(m)]
        for m in lost:
            m["tags"].append("unencodable")
        truths.append(DocTruth(rel, kind, enc, noise, kind == "template", kept, dates,
                               garbled + lost, b.traps))
    return truths


def write_truth(truths: list[DocTruth], path: Path) -> None:
    path.write_text(json.dumps([asdict(t) for t in truths], ensure_ascii=False, indent=0),
                    encoding="utf-8")


def load_truth(path: Path) -> list[DocTruth]:
    return [DocTruth(**d) for d in json.loads(path.read_text(encoding="utf-8"))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out", type=Path, help="corpus directory (created)")
    ap.add_argument("--docs", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--truth", type=Path, help="truth file (default: OUT.truth.json)")
    args = ap.parse_args()
    truths = generate(args.out, args.docs, args.seed)
    truth_path = args.truth or args.out.with_name(args.out.name + ".truth.json")
    write_truth(truths, truth_path)
    n = sum(len(t.mentions) for t in truths)
    print(f"{len(truths)} documents, {n} mentions -> {args.out} (truth: {truth_path})")


if __name__ == "__main__":
    main()
