"""Detection sets: AP-HP eds-pseudo's synthetic clinical notes (one ``.txt`` per note) and
ANS's HL7 v2 samples (the message files as they are), their truth and the scoring.

eds-pseudo: set-based per file, values normalized on both sides (dates to YYYY-MM-DD, phones
to national digits, e-mails lower-case, identifiers alphanumeric upper-case, NIR on its first
13 digits since the truth's SECU values mostly have 13, cities folded; NIR_SHAPED is NIR's
recall on the SECU values a real NIR could be, see nir_shaped). Names are scored as
folded tokens: the tokens of PERSON / LAST_NAME / FIRST_NAME findings against the tokens of the
NOM / PRENOM spans of the same file.

ANS HL7: the truth of each PID segment is its name (PID-5 family and given), birth date
(PID-7), sex (PID-8), the IPP (PID-3 with type PI) and the INS/NIR (PID-3 type INS/NH/INS-C) when
its key is valid; identity recall is the share of those truth values found in the same file
(the file's records or findings).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from common import fold

DATASETS = Path(__file__).resolve().parents[3] / "shared" / "datasets"
EDS = DATASETS / "eds-pseudo" / "train.jsonl"
ANS = DATASETS / "ans-hl7v2"

EDS_MAP = {"DATE_NAISSANCE": "BIRTH_DATE", "TEL": "PHONE", "MAIL": "EMAIL",
           "IPP": "PATIENT_ID", "NDA": "STAY_ID", "SECU": "NIR", "ZIP": "POSTAL_CODE",
           "VILLE": "CITY"}
NAME_LABELS = {"NOM", "PRENOM"}
NAME_ENTITIES = {"PERSON", "LAST_NAME", "FIRST_NAME"}
MONTHS = {"janv": 1, "jan": 1, "fev": 2, "fevr": 2, "mars": 3, "mar": 3, "avr": 4, "avril": 4,
          "mai": 5, "juin": 6, "juil": 7, "juillet": 7, "aout": 8, "sept": 9, "sep": 9,
          "oct": 10, "nov": 11, "dec": 12, "janvier": 1, "fevrier": 2, "septembre": 9,
          "octobre": 10, "novembre": 11, "decembre": 12}
OVERSEAS = ("262", "269", "590", "594", "596", "508", "681", "687", "689")


# ---- normalization ------------------------------------------------------------------------

def _year(y: str) -> int:
    n = int(y)
    return n if len(y) == 4 else (1900 + n if n > 25 else 2000 + n)


def norm_date(s: str) -> str:
    t = fold(s)
    m = re.search(r"(\d{4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})", t)
    if m:
        y, mo, d = int(m[1]), int(m[2]), int(m[3])
    else:
        m = re.search(r"(\d{1,2})\s*[-/.|\s]\s*(\d{1,2})\s*[-/.|\s]\s*(\d{4}|\d{2})\b", t)
        if m:
            d, mo, y = int(m[1]), int(m[2]), _year(m[3])
        else:
            m = re.search(r"(\d{1,2})(?:er)?,?\s+([a-z]+)\.?,?\s+(\d{4}|\d{2})\b", t)
            digits = re.sub(r"\D", "", t)
            if m and (m[2] in MONTHS or m[2][:4] in MONTHS):
                d, mo, y = int(m[1]), MONTHS.get(m[2], MONTHS.get(m[2][:4], 0)), _year(m[3])
            elif len(digits) == 8:
                d, mo, y = int(digits[:2]), int(digits[2:4]), int(digits[4:])
            else:
                return t
    if not (1 <= mo <= 12 and 1 <= d <= 31):
        return t
    return f"{y:04d}-{mo:02d}-{d:02d}"


def norm_phone(s: str) -> str:
    d = re.sub(r"\D", "", s)
    if d.startswith("00"):
        d = d[2:]
    if d.startswith("33") and len(d) in (11, 12):
        d = "0" + d[2:].removeprefix("0")
    elif len(d) == 12 and d[:3] in OVERSEAS:
        d = "0" + d[3:]
    return d


def norm_value(entity: str, s: str) -> str:
    if entity == "BIRTH_DATE":
        return norm_date(s)
    if entity == "PHONE":
        return norm_phone(s)
    if entity == "EMAIL":
        # Some truth spans are written with spaces ("jean . dupont @ chu . fr")
        return re.sub(r"\s+", "", s).lower()
    if entity == "NIR":
        return re.sub(r"\D", "", s.upper().replace("2A", "19").replace("2B", "18"))[:13]
    if entity == "POSTAL_CODE":
        return re.sub(r"\D", "", s)
    if entity == "CITY":
        return re.sub(r"[\s\-']+", " ", fold(s)).removesuffix(" cedex").strip()
    # IPP / NDA: some truth spans take their cue along (``NDA98765431256``)
    return re.sub(r"^(NDA|IPP|NIP)(?=\d)", "", re.sub(r"[^0-9A-Z]", "", s.upper()))


def valid_phone(s: str) -> bool:
    """A truth phone span that is a number at all: phonenumbers accepts it (French by default,
    or with its country code). Some eds-pseudo phones are generated digits that no country
    allocates (``00`` + 8 digits, ``+CC`` + random digits, 5 or 9 digits): a detector that
    validates numbers cannot find them, so the target is scored on the valid ones."""
    import phonenumbers

    text = s.strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(text, "FR"))
    except phonenumbers.NumberParseException:
        return False


_NIR_BODY = re.compile(r"[1278]\d{4}(?:\d\d|2[AB])\d{6}")


def nir_shaped(s: str) -> bool:
    """A truth SECU span that could be a real NIR: 13 characters (written without the key) or
    15 with the key ``stdnum.fr.nir`` accepts, with a NIR's structure: sex 1/2/7/8, month
    01–12, 20–42 or 50–99 (INSEE's pseudo months), département 01–99 or 2A/2B (97x/98x take
    a 2-digit commune), commune and order number not 0. Many eds-pseudo SECU values are
    generated digits no NIR looks like (first digit 0, 3, 4, 9, month 00 or 13–19, 11, 12, 14
    or 16 digits): a detector that checks the structure cannot find them, so NIR recall is also
    scored on the shaped ones (NIR_SHAPED)."""
    from stdnum.fr import nir as stdnum_nir

    compact = re.sub(r"[\s.\-]", "", s.strip().upper())
    if len(compact) == 15:
        if not stdnum_nir.is_valid(compact):
            return False
    elif len(compact) != 13:
        return False
    body = compact[:13]
    if not _NIR_BODY.fullmatch(body):
        return False
    month = int(body[3:5])
    if not (1 <= month <= 12 or 20 <= month <= 42 or 50 <= month <= 99):
        return False
    department = body[5:7]
    if department == "00":
        return False
    if department in ("97", "98"):
        commune, order = body[8:10], body[10:13]
        return commune != "00" and order != "000"
    return body[7:10] != "000" and body[10:13] != "000"


def name_tokens(s: str) -> set[str]:
    return {t for t in re.split(r"[^a-z]+", fold(s)) if len(t) > 1}


# ---- eds-pseudo ---------------------------------------------------------------------------

@dataclass
class Note:
    file: str
    text: str
    spans: list[tuple[str, str]]  # (label, text)


def load_eds(limit: int | None = None, prefix: str = "") -> list[Note]:
    notes = []
    with EDS.open(encoding="utf-8") as f:
        for i, line in enumerate(f):
            if limit is not None and i >= limit:
                break
            n = json.loads(line)
            text = n["note_text"]
            notes.append(Note(f"{prefix}note_{i:04d}.txt", text,
                              [(e["label"], text[e["start"]:e["end"]]) for e in n["entities"]]))
    return notes


def write_eds(notes: list[Note], dump: Path) -> None:
    for n in notes:
        (dump / n.file).parent.mkdir(parents=True, exist_ok=True)
        (dump / n.file).write_text(n.text, encoding="utf-8")


def eds_truth(notes: list[Note]) -> dict[str, set]:
    truth: dict[str, set] = defaultdict(set)
    for n in notes:
        for label, text in n.spans:
            if label in EDS_MAP:
                e = EDS_MAP[label]
                truth[e].add((n.file, norm_value(e, text)))
                if e == "PHONE" and valid_phone(text):
                    truth["PHONE_VALID"].add((n.file, norm_value(e, text)))
                if e == "NIR" and nir_shaped(text):
                    truth["NIR_SHAPED"].add((n.file, norm_value(e, text)))
            elif label in NAME_LABELS:
                truth["NAME_TOKEN"] |= {(n.file, t) for t in name_tokens(text)}
    return truth


def found_sets(findings: list[tuple[str, str, str]], files: set[str]) -> dict[str, set]:
    """``(file, entity, value)`` findings into normalized sets per scored entity."""
    out: dict[str, set] = defaultdict(set)
    for file, entity, value in findings:
        if file not in files:
            continue
        if entity in NAME_ENTITIES:
            out["NAME_TOKEN"] |= {(file, t) for t in name_tokens(value)}
        elif entity in EDS_MAP.values():
            out[entity].add((file, norm_value(entity, value)))
        elif entity == "DATE":  # Presidio's dates of any role, scored on birth dates
            out["DATE"].add((file, norm_date(value)))
    return out


def prf(truth: set, found: set) -> dict:
    tp = len(truth & found)
    p = tp / len(found) if found else None
    r = tp / len(truth) if truth else None
    f1 = 2 * p * r / (p + r) if p and r else (0.0 if p is not None and r is not None else None)
    return {"truth": len(truth), "found": len(found), "tp": tp, "precision": p, "recall": r,
            "f1": f1}


def score_eds(truth: dict[str, set], found: dict[str, set], presidio: bool = False) -> dict:
    out = {}
    for e in ("BIRTH_DATE", "PHONE", "PHONE_VALID", "EMAIL", "PATIENT_ID", "STAY_ID", "NIR",
              "NIR_SHAPED", "POSTAL_CODE", "CITY", "NAME_TOKEN"):
        if presidio and e == "NIR_SHAPED":
            continue
        if e in ("PHONE_VALID", "NIR_SHAPED"):
            # Recall on the valid / shaped values only; precision is PHONE's / NIR's (same
            # findings).
            s = prf(truth[e], found.get(e.split("_")[0], set()))
            s["precision"] = s["f1"] = None
            out[e] = s
        elif presidio and e == "BIRTH_DATE":
            s = prf(truth[e], found.get("DATE", set()))
            s["precision"] = s["f1"] = None  # any date: no birth-date precision
            out[e] = s
        elif presidio and e not in ("PHONE", "EMAIL", "NAME_TOKEN"):
            continue
        else:
            out[e] = prf(truth[e], found.get(e, set()))
    return out


def misses(truth: dict[str, set], found: dict[str, set], notes: list[Note], entity: str,
           n: int = 3) -> list[str]:
    """A few missed truth values of ``entity`` with a little of their note (for the report;
    the caller masks them)."""
    texts = {x.file: x.text for x in notes}
    out = []
    for file, value in sorted(truth[entity] - found.get(entity, set()))[:n]:
        out.append(f"{file}: {value!r} in {texts[file][:90]!r}")
    return out


# ---- ANS HL7 v2 ---------------------------------------------------------------------------

def hl7_files(limit: int | None = None) -> list[Path]:
    files = []
    for p in sorted(ANS.rglob("*")):
        if p.is_file() and p.suffix.lower() in (".er7", ".hl7", ".txt") \
                and p.read_bytes().lstrip(b"\xef\xbb\xbf").startswith(b"MSH"):
            files.append(p)
    return files[:limit] if limit is not None else files


def nir_key_valid(nir: str) -> bool:
    nir = nir.strip().upper()
    if not re.fullmatch(r"[12378]\d{2}(0[1-9]|1[0-2]|[2-9]\d)(\d{2}|2A|2B)\d{6}\d{2}", nir):
        return False
    body = nir[:13].replace("2A", "19").replace("2B", "18")
    return 97 - int(body) % 97 == int(nir[13:])


@dataclass
class Pid:
    file: str
    fields: dict[str, str]  # last_name, first_name, birth_date, sex, patient_id..., nir
    invalid_ins: list[str]


def parse_hl7(path: Path, rel: str) -> tuple[list[Pid], str]:
    """The PID segments of a message file; the MSH-2 encoding characters."""
    text = path.read_bytes().decode("utf-8", errors="replace").lstrip("\ufeff")
    segs = [s for s in re.split(r"[\r\n]+", text) if s]
    fs = text[3]
    enc = text[4:8]
    comp, rep = enc[0], enc[1]
    pids = []
    for seg in segs:
        if not seg.startswith("PID"):
            continue
        f = seg.split(fs)

        def get(i: int, f: list[str] = f) -> str:
            return f[i] if len(f) > i else ""

        fields: dict[str, str] = {}
        name = get(5).split(rep)[0].split(comp)
        if name and name[0]:
            fields["last_name"] = name[0]
        if len(name) > 1 and name[1]:
            fields["first_name"] = name[1]
        if re.match(r"\d{8}", get(7)):
            d = get(7)
            fields["birth_date"] = f"{d[:4]}-{d[4:6]}-{d[6:8]}"
        if get(8):
            fields["sex"] = get(8)[:1]
        invalid = []
        for k, ident in enumerate(get(3).split(rep)):
            c = ident.split(comp)
            kind = c[4] if len(c) > 4 else ""
            if not c[0]:
                continue
            if kind in ("INS", "NH", "INS-C", "INS-NIR", "INS-NIA"):
                if nir_key_valid(c[0]):
                    fields["nir"] = c[0]
                else:
                    invalid.append(c[0])
            elif kind == "PI":
                fields[f"patient_id_{k}"] = c[0]
        pids.append(Pid(rel, fields, invalid))
    return pids, enc


def write_hl7(files: list[Path], dump: Path, prefix: str = "") -> dict[str, Path]:
    out = {}
    for i, p in enumerate(files):
        rel = f"{prefix}hl7/{i:03d}_{p.name}"
        (dump / rel).parent.mkdir(parents=True, exist_ok=True)
        (dump / rel).write_bytes(p.read_bytes())
        out[rel] = p
    return out


def score_hl7(pids: list[Pid], records: list[dict], findings: list[dict]) -> dict:
    seen: dict[str, dict[str, set]] = defaultdict(lambda: defaultdict(set))
    for r in records:
        s = seen[r["path"]]
        for key in ("last_name", "first_name", "birth_date", "sex", "nir", "patient_id"):
            if r.get(key):
                s[key].add(_norm_hl7(key, str(r[key])))
    ent = {"LAST_NAME": "last_name", "FIRST_NAME": "first_name", "BIRTH_DATE": "birth_date",
           "NIR": "nir", "PATIENT_ID": "patient_id", "SEX": "sex"}
    for f in findings:
        if f["entity"] in ent:
            seen[f["file"]][ent[f["entity"]]].add(_norm_hl7(ent[f["entity"]], f["value"]))
    per: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    complete = 0
    missed = []
    for pid in pids:
        ok = True
        for key, value in pid.fields.items():
            k = "patient_id" if key.startswith("patient_id") else key
            hit = _norm_hl7(k, value) in seen[pid.file][k]
            per[k][0] += hit
            per[k][1] += 1
            if not hit:
                ok = False
                missed.append((pid.file, k, value))
        complete += ok
    found = sum(v[0] for v in per.values())
    total = sum(v[1] for v in per.values())
    return {"pids": len(pids), "complete_pids": complete,
            "identity_recall": found / total if total else None,
            "fields": {k: {"found": v[0], "truth": v[1]} for k, v in per.items()},
            "invalid_ins": sum(len(p.invalid_ins) for p in pids), "missed": missed}


def _norm_hl7(key: str, v: str) -> str:
    if key in ("last_name", "first_name"):
        return re.sub(r"[^a-z]", "", fold(v))
    if key == "sex":
        return v.strip()[:1].upper()
    if key == "birth_date":
        return norm_date(v) if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", v) else v
    return re.sub(r"[^0-9A-Z]", "", v.upper())
