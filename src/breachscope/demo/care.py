"""Reference data of the demo hospital's care: unit codes, ICD-10 codes and drugs, each with
whether it reveals sensitive care — the truth's own definition, chosen to be unambiguous (the
demo tests check it against :mod:`breachscope.assess.sensitive`).

Unit codes are the hospital's own (``UF``): numeric codes (``3201``) and opaque ones (``U45``)
are listed in the unit table the leak holds (``referentiel/unites.csv``); readable codes
(``PSYA``, ``ADDICTO``, ``CEGIDD2``) are not, and must be decoded from their letters.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Unit:
    code: str
    label: str
    sensitive: str | None  # sensitive-care category, None when the unit reveals nothing
    in_table: bool  # listed in the leak's unit table
    pole: str = ""


# The hospital's units. Sensitive categories: psychiatry, addiction, sexual_health,
# pregnancy_termination (REFERENCES.md, "Sensitive care").
UNITS: tuple[Unit, ...] = (
    Unit("1101", "Urgences adultes", None, True, "Urgences"),
    Unit("1102", "UHCD", None, True, "Urgences"),
    Unit("1205", "Cardiologie", None, True, "Médecine"),
    Unit("1310", "Médecine polyvalente", None, True, "Médecine"),
    Unit("1420", "Gériatrie aiguë", None, True, "Gériatrie"),
    Unit("1510", "Pneumologie", None, True, "Médecine"),
    Unit("1610", "Gastro-entérologie", None, True, "Médecine"),
    Unit("1720", "Maladies infectieuses et tropicales", None, True, "Médecine"),
    Unit("2105", "Chirurgie orthopédique", None, True, "Chirurgie"),
    Unit("2900", "Bloc opératoire", None, True, "Chirurgie"),
    Unit("3201", "Psychiatrie adulte secteur 59G21", "psychiatry", True, "Santé mentale"),
    Unit("3202", "Psychiatrie adulte secteur 59G22", "psychiatry", True, "Santé mentale"),
    Unit("3310", "CMP Armentières", "psychiatry", True, "Santé mentale"),
    Unit("U45", "Addictologie - sevrage hospitalier", "addiction", True, "Santé mentale"),
    Unit("U46", "CSAPA - consultations", "addiction", True, "Santé mentale"),
    Unit("4410", "Maternité", None, True, "Femme-enfant"),
    Unit("4420", "Centre d'orthogénie", "pregnancy_termination", True, "Femme-enfant"),
    Unit("5101", "Pédiatrie", None, True, "Femme-enfant"),
    Unit("7701", "CeGIDD", "sexual_health", True, "Santé publique"),
    Unit("9100", "Pharmacie à usage intérieur", None, True, "Pharmacie"),
    Unit("9200", "Direction des soins", None, True, "Direction"),
    # Readable codes, not in the unit table: decoded from their letters.
    Unit("PSYA", "Psychiatrie adulte", "psychiatry", False),
    Unit("ADDICTO", "Addictologie", "addiction", False),
    Unit("CEGIDD2", "CeGIDD (antenne 2)", "sexual_health", False),
    Unit("CARDIO", "Cardiologie", None, False),
    Unit("PNEUMO", "Pneumologie", None, False),
    Unit("URG", "Urgences", None, False),
)
UNIT_BY_CODE = {u.code: u for u in UNITS}

# The staff directory's services and their unit codes (a workplace, never care).
STAFF_SERVICE_UNITS = {
    "Urgences": "1101", "Cardiologie": "1205", "Médecine polyvalente": "1310",
    "Gériatrie": "1420", "Chirurgie orthopédique": "2105", "Psychiatrie adulte": "3201",
    "Addictologie": "U45", "Maternité": "4410", "Pédiatrie": "5101",
    "Bloc opératoire": "2900", "Pharmacie": "9100", "Direction des soins": "9200",
}

# ICD-10 codes (ATIH) with their French label; the sensitive ones and their category.
ICD10_LABELS = {
    "F10.2": "Troubles mentaux et du comportement liés à l'utilisation d'alcool : syndrome de "
             "dépendance",
    "F10.3": "Troubles liés à l'utilisation d'alcool : syndrome de sevrage",
    "F11.2": "Troubles liés à l'utilisation d'opiacés : syndrome de dépendance",
    "F19.2": "Troubles liés à l'utilisation de drogues multiples : syndrome de dépendance",
    "F20.0": "Schizophrénie paranoïde",
    "F31.1": "Trouble affectif bipolaire, épisode actuel maniaque sans symptômes psychotiques",
    "F32.2": "Épisode dépressif sévère sans symptômes psychotiques",
    "F43.1": "État de stress post-traumatique",
    "F60.3": "Personnalité émotionnellement labile",
    "B20": "Immunodéficience humaine virale [VIH], à l'origine de maladies infectieuses",
    "B24": "Immunodéficience humaine virale [VIH], sans précision",
    "Z21": "Infection asymptomatique par le virus de l'immunodéficience humaine [VIH]",
    "A56.0": "Infection à chlamydia de la partie inférieure de l'appareil génito-urinaire",
    "O04.9": "Avortement médical, complet ou sans précision, sans complication",
    "Z11.3": "Examen spécial de dépistage d'infections à transmission sexuelle",
    "O80": "Accouchement unique et spontané",
    "O34.2": "Soins maternels pour cicatrice utérine due à une intervention chirurgicale",
    "S06.0": "Commotion cérébrale", "S52.5": "Fracture de l'extrémité inférieure du radius",
    "R07.4": "Douleur thoracique, sans précision", "R55": "Syncope et collapsus",
    "S93.4": "Entorse et foulure de la cheville", "I21.4": "Infarctus sous-endocardique aigu",
    "I48": "Fibrillation et flutter auriculaires", "I50.0": "Insuffisance cardiaque congestive",
    "I10": "Hypertension essentielle (primitive)", "J18.9": "Pneumopathie, sans précision",
    "N39.0": "Infection des voies urinaires, siège non précisé",
    "E11.9": "Diabète sucré de type 2, sans complication", "A41.9": "Sepsis, sans précision",
    "R26.8": "Anomalies de la démarche et de la motilité", "S72.0": "Fracture du col du fémur",
    "S82.6": "Fracture de la malléole externe", "M16.9": "Coxarthrose, sans précision",
    "J44.1": "Maladie pulmonaire obstructive chronique avec épisodes aigus",
    "J45.9": "Asthme, sans précision", "K80.2": "Calcul de la vésicule biliaire sans cholécystite",
    "K85.9": "Pancréatite aiguë, sans précision", "K57.3": "Diverticulose du côlon",
    "J21.9": "Bronchiolite aiguë, sans précision", "A08.4": "Infection intestinale virale",
    "E78.0": "Hypercholestérolémie essentielle",
}
SENSITIVE_ICD10 = {
    "F10.2": "addiction", "F10.3": "addiction", "F11.2": "addiction", "F19.2": "addiction",
    "F20.0": "psychiatry", "F31.1": "psychiatry", "F32.2": "psychiatry", "F43.1": "psychiatry",
    "F60.3": "psychiatry", "B20": "hiv", "B24": "hiv", "Z21": "hiv", "A56.0": "sti",
    "O04.9": "pregnancy_termination",
}

# Principal diagnoses by unit (the code's first letters or the table code), and the
# associated diagnoses any adult stay may carry (a few of them sensitive).
_DP_BY_UNIT = {
    "1101": ("S06.0", "S52.5", "R07.4", "R55", "S93.4"),
    "URG": ("S06.0", "R07.4", "R55", "S93.4"),
    "1102": ("R55", "S06.0", "R07.4"),
    "1205": ("I21.4", "I48", "I50.0"), "CARDIO": ("I21.4", "I48", "I50.0"),
    "1310": ("J18.9", "N39.0", "E11.9", "A41.9"),
    "1420": ("R26.8", "I50.0", "S72.0", "N39.0"),
    "1510": ("J44.1", "J18.9", "J45.9"), "PNEUMO": ("J44.1", "J18.9", "J45.9"),
    "1610": ("K80.2", "K85.9", "K57.3"),
    "1720": ("B24", "B20", "A41.9", "J18.9"),
    "2105": ("S72.0", "S82.6", "M16.9"),
    "3201": ("F20.0", "F32.2", "F31.1", "F60.3"), "3202": ("F20.0", "F32.2", "F43.1"),
    "3310": ("F32.2", "F43.1", "F60.3"), "PSYA": ("F20.0", "F32.2", "F31.1"),
    "U45": ("F10.2", "F10.3"), "U46": ("F11.2", "F19.2"), "ADDICTO": ("F10.2", "F11.2"),
    "4410": ("O80", "O34.2"), "4420": ("O04.9",),
    "5101": ("J21.9", "A08.4", "J18.9"),
    "7701": ("Z11.3", "A56.0"), "CEGIDD2": ("Z11.3", "A56.0"),
}
_DAS = ("I10", "E11.9", "E78.0", "I10", "E11.9", "F10.2", "Z21")
_DAS_WEIGHTS = (30, 20, 20, 0, 0, 4, 2)


def _any(sex: str | None, age: int) -> bool:
    return True


# (code, weight, eligible(sex, age)) of the GAP backup's and the split exports' stays.
STAY_UNITS: tuple[tuple[str, int, object], ...] = (
    ("1101", 16, lambda sex, age: age >= 16), ("URG", 4, lambda sex, age: age >= 16),
    ("1102", 4, lambda sex, age: age >= 16),
    ("1205", 7, lambda sex, age: age >= 25), ("CARDIO", 3, lambda sex, age: age >= 25),
    ("1310", 7, lambda sex, age: age >= 16), ("1420", 6, lambda sex, age: age >= 70),
    ("1510", 4, lambda sex, age: age >= 16), ("PNEUMO", 2, lambda sex, age: age >= 16),
    ("1610", 4, lambda sex, age: age >= 16), ("1720", 4, lambda sex, age: age >= 18),
    ("2105", 6, _any),
    ("3201", 4, lambda sex, age: age >= 18), ("3202", 2, lambda sex, age: age >= 18),
    ("3310", 2, lambda sex, age: age >= 18), ("PSYA", 3, lambda sex, age: age >= 18),
    ("U45", 3, lambda sex, age: age >= 18), ("U46", 2, lambda sex, age: age >= 18),
    ("ADDICTO", 2, lambda sex, age: age >= 18),
    ("4410", 5, lambda sex, age: sex == "F" and 18 <= age <= 45),
    ("4420", 2, lambda sex, age: sex == "F" and 16 <= age <= 45),
    ("5101", 6, lambda sex, age: age < 16),
    ("7701", 2, lambda sex, age: age >= 16), ("CEGIDD2", 2, lambda sex, age: age >= 16),
)


def stay_unit(rng: random.Random, sex: str | None, age: int) -> str:
    eligible = [u for u in STAY_UNITS if u[2](sex, age)]  # type: ignore[operator]
    return rng.choices([u[0] for u in eligible], weights=[u[1] for u in eligible])[0]


def stay_diagnoses(rng: random.Random, unit: str, age: int) -> list[tuple[str, str]]:
    """``[(code, "DP"), (code, "DAS")...]`` of one stay."""
    dp = rng.choice(_DP_BY_UNIT[unit])
    out = [(dp, "DP")]
    if age >= 18 and rng.random() < 0.4:
        das = rng.choices(_DAS, weights=_DAS_WEIGHTS)[0]
        if das != dp:
            out.append((das, "DAS"))
    return out


def unit_reason(code: str) -> str | None:
    """``unit:CODE`` when the unit reveals sensitive care."""
    return f"unit:{code}" if UNIT_BY_CODE[code].sensitive else None


def icd10_reason(code: str) -> str | None:
    return f"icd10:{code}" if code in SENSITIVE_ICD10 else None


@dataclass(frozen=True, slots=True)
class Drug:
    text: str  # as written in a letter or a dispensation row
    name: str  # the reason's name: an active ingredient
    atc: str
    sensitive: str | None  # antipsychotic, opioid_substitution, alcohol_dependence,
    #                        antiretroviral, pregnancy_termination


DRUGS = {
    "olanzapine": Drug("ZYPREXA 10 mg, 1 comprimé le soir", "olanzapine", "N05AH03",
                       "antipsychotic"),
    "risperidone": Drug("risperidone 2 mg matin et soir", "risperidone", "N05AX08",
                        "antipsychotic"),
    "aripiprazole": Drug("ABILIFY 15 mg le matin", "aripiprazole", "N05AX12", "antipsychotic"),
    "methadone": Drug("METHADONE AP-HP sirop 60 mg par jour", "methadone", "N07BC02",
                      "opioid_substitution"),
    "buprenorphine": Drug("SUBUTEX 8 mg par jour", "buprenorphine", "N07BC01",
                          "opioid_substitution"),
    "acamprosate": Drug("AOTAL 333 mg, 2 comprimés 3 fois par jour", "acamprosate", "N07BB03",
                        "alcohol_dependence"),
    "bictegravir": Drug("BIKTARVY 50 mg/200 mg/25 mg, 1 comprimé par jour", "bictegravir",
                        "J05AR20", "antiretroviral"),
    "dolutegravir": Drug("TIVICAY 50 mg, 1 comprimé par jour", "dolutegravir", "J05AX12",
                         "antiretroviral"),
    "mifepristone": Drug("MIFEGYNE 200 mg, 1 comprimé", "mifepristone", "G03XB01",
                         "pregnancy_termination"),
    "misoprostol": Drug("GYMISO 200 microgrammes, 2 comprimés 36 à 48 heures après",
                        "misoprostol", "G02AD06", None),
    "oxazepam": Drug("SERESTA 50 mg selon protocole de sevrage", "oxazepam", "N05BA04", None),
    "aspirin": Drug("KARDEGIC 75 mg, 1 sachet par jour", "acetylsalicylic acid", "B01AC06",
                    None),
    "bisoprolol": Drug("bisoprolol 2,5 mg le matin", "bisoprolol", "C07AB07", None),
    "atorvastatine": Drug("atorvastatine 40 mg le soir", "atorvastatine", "C10AA05", None),
    "ramipril": Drug("ramipril 5 mg le matin", "ramipril", "C09AA05", None),
    "amoxicilline": Drug("amoxicilline 1 g, 3 fois par jour pendant 7 jours", "amoxicilline",
                         "J01CA04", None),
    "paracetamol": Drug("DOLIPRANE 1000 mg si douleur, 3 fois par jour au maximum",
                        "paracetamol", "N02BE01", None),
    "enoxaparine": Drug("LOVENOX 4000 UI, 1 injection par jour pendant 35 jours",
                        "enoxaparine", "B01AB05", None),
    "adalimumab": Drug("HUMIRA 40 mg", "adalimumab", "L04AB04", None),
    "etanercept": Drug("ENBREL 50 mg", "etanercept", "L04AB01", None),
    "darbepoetin": Drug("ARANESP 40 microgrammes", "darbepoetine", "B03XA02", None),
}


def drug_reason(key: str) -> str | None:
    drug = DRUGS[key]
    return f"drug:{drug.name}" if drug.sensitive else None


# Hospital pharmacy dispensations to outpatients (rétrocession): (drug, prescribing unit).
RETROCESSION = (
    ("bictegravir", "1720"), ("dolutegravir", "1720"), ("methadone", "U46"),
    ("buprenorphine", "U46"), ("adalimumab", "1610"), ("etanercept", "1310"),
    ("darbepoetin", "1310"),
)

# Words of prose that reveal sensitive care (the letters' cues).
SENSITIVE_WORDS = ("IVG", "sevrage alcoolique", "VIH")
