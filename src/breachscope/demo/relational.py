"""The relational shapes of the demo leak: a normalized GAP database backup (PostgreSQL
``pg_dump``), the hospital pharmacy's MySQL dump and split CSV exports of the patient record
system, with the hospital's unit table. Child rows (stays, diagnoses, dispensations, movements)
name nobody: their facts reach a person only through keys (IPP, stay number, ``id_patient``),
declared or to be inferred from the values. A few child rows reference an IPP found nowhere in
the leak: orphans, counted in the truth.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING

from breachscope.demo.care import (
    DRUGS,
    RETROCESSION,
    UNIT_BY_CODE,
    UNITS,
    drug_reason,
    icd10_reason,
    stay_diagnoses,
    stay_unit,
    unit_reason,
)
from breachscope.demo.common import (
    ARCHIVE_TIME,
    REFERENCE_DATE,
    csv_text,
    random_day,
    zip_bytes,
)
from breachscope.demo.identifiers import fold_name, format_phone
from breachscope.demo.truth import TruthKeyLink, TruthOrphan

if TYPE_CHECKING:
    from breachscope.demo.generator import _Ledger, _Person, _Registry

# Contract paths, relative to the leak folder.
GAP_ARCHIVE = "archives/gap_sauvegarde_20240210.zip"
GAP_SQL = f"{GAP_ARCHIVE}!/gap_prod.sql"
UNIT_TABLE = f"{GAP_ARCHIVE}!/referentiel/unites.csv"
PHARMA_SQL = "pharmacie/retrocession_2023.sql"
SPLIT_DIR = "exports/extraction_dpi_20240208"
SPLIT_PATIENTS = f"{SPLIT_DIR}/patients.csv"
SPLIT_MOVES = f"{SPLIT_DIR}/mouvements.csv"
SPLIT_DIAGNOSES = f"{SPLIT_DIR}/diagnostics.csv"

KEY_LINKS = (
    TruthKeyLink(GAP_SQL, "sejour", "ipp", GAP_SQL, "patient", "ipp", False),
    TruthKeyLink(GAP_SQL, "diagnostic", "num_sejour", GAP_SQL, "sejour", "num_sejour", True),
    TruthKeyLink(PHARMA_SQL, "dispensation", "id_patient", PHARMA_SQL, "patient", "id_patient",
                 True),
    TruthKeyLink(SPLIT_MOVES, "", "IPP", SPLIT_PATIENTS, "", "IPP", False),
    TruthKeyLink(SPLIT_DIAGNOSES, "", "NDA", SPLIT_MOVES, "", "NDA", False),
)

_FIRST_STAY = date(2021, 1, 1)


@dataclass(slots=True)
class _Stay:
    nda: str
    ipp: str
    person: _Person | None  # None: an orphan stay, its IPP is nowhere else in the leak
    unit: str
    start: date
    end: date | None
    diagnoses: list[tuple[str, str]] = field(default_factory=list)

    def reasons(self) -> list[str | None]:
        return [unit_reason(self.unit), *(icd10_reason(c) for c, _ in self.diagnoses)]


def _stay(rng: random.Random, reg: _Registry, ipp: str, person: _Person | None,
          sex: str | None, birth: date | None, with_diagnoses: bool) -> _Stay:
    start = random_day(rng, max(_FIRST_STAY, birth or _FIRST_STAY),
                       REFERENCE_DATE - timedelta(days=1))
    age = (start.year - birth.year - ((start.month, start.day) < (birth.month, birth.day))
           if birth else 40)
    unit = stay_unit(rng, sex, age)
    long_stay = UNIT_BY_CODE[unit].sensitive in ("psychiatry", "addiction")
    end: date | None = start + timedelta(days=rng.randint(3, 40) if long_stay
                                          else rng.choice((0, 0, 1, 2, 3, 5, 8, 12)))
    if end >= REFERENCE_DATE:
        end = None  # still in the unit on the day of the attack
    stay = _Stay(reg.stay(rng, start.year), ipp, person, unit, start, end)
    if with_diagnoses:
        stay.diagnoses = stay_diagnoses(rng, unit, age)
    return stay


def _stays(people: list[_Person], rng: random.Random, reg: _Registry, n_orphans: int,
           weights: tuple[int, ...]) -> list[_Stay]:
    """Stays of ``people`` (at least one each) and ``n_orphans`` orphan stays (no diagnoses),
    sorted by date."""
    stays = []
    for p in people:
        assert p.ipp is not None
        for _ in range(rng.choices(range(1, len(weights) + 1), weights=weights)[0]):
            stays.append(_stay(rng, reg, p.ipp, p, p.sex, p.birth_date, True))
    for _ in range(n_orphans):
        stays.append(_stay(rng, reg, reg.ipp(rng), None, rng.choice("FM"),
                           date(1950, 1, 1) + timedelta(days=rng.randrange(15000)), False))
    stays.sort(key=lambda s: (s.start, s.nda))
    return stays


# ------------------------------------------------------------------------------ GAP (pg_dump)

_PG_HEAD = """\
--
-- PostgreSQL database dump
--

-- Dumped from database version 13.11 (Debian 13.11-0+deb11u1)
-- Dumped by pg_dump version 13.11 (Debian 13.11-0+deb11u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: diagnostic; Type: TABLE; Schema: public; Owner: gap
--

CREATE TABLE public.diagnostic (
    id_diagnostic integer NOT NULL,
    num_sejour character varying(10) NOT NULL,
    code_cim10 character varying(8) NOT NULL,
    type_diag character varying(3) NOT NULL
);


ALTER TABLE public.diagnostic OWNER TO gap;

--
-- Name: patient; Type: TABLE; Schema: public; Owner: gap
--

CREATE TABLE public.patient (
    ipp character varying(10) NOT NULL,
    nom character varying(80) NOT NULL,
    prenom character varying(80) NOT NULL,
    sexe character(1),
    date_naissance date,
    nir character varying(15),
    telephone character varying(20),
    email character varying(120),
    adresse character varying(200),
    code_postal character varying(5),
    ville character varying(80)
);


ALTER TABLE public.patient OWNER TO gap;

--
-- Name: sejour; Type: TABLE; Schema: public; Owner: gap
--

CREATE TABLE public.sejour (
    num_sejour character varying(10) NOT NULL,
    ipp character varying(10) NOT NULL,
    uf character varying(8) NOT NULL,
    date_entree date NOT NULL,
    date_sortie date,
    mode_entree character varying(20)
);


ALTER TABLE public.sejour OWNER TO gap;

"""

_PG_TAIL = """\
--
-- Name: diagnostic diagnostic_pkey; Type: CONSTRAINT; Schema: public; Owner: gap
--

ALTER TABLE ONLY public.diagnostic
    ADD CONSTRAINT diagnostic_pkey PRIMARY KEY (id_diagnostic);


--
-- Name: patient patient_pkey; Type: CONSTRAINT; Schema: public; Owner: gap
--

ALTER TABLE ONLY public.patient
    ADD CONSTRAINT patient_pkey PRIMARY KEY (ipp);


--
-- Name: sejour sejour_pkey; Type: CONSTRAINT; Schema: public; Owner: gap
--

ALTER TABLE ONLY public.sejour
    ADD CONSTRAINT sejour_pkey PRIMARY KEY (num_sejour);


--
-- Name: sejour_ipp_idx; Type: INDEX; Schema: public; Owner: gap
--

CREATE INDEX sejour_ipp_idx ON public.sejour USING btree (ipp);


--
-- Name: diagnostic diagnostic_num_sejour_fkey; Type: FK CONSTRAINT; Schema: public; Owner: gap
--

ALTER TABLE ONLY public.diagnostic
    ADD CONSTRAINT diagnostic_num_sejour_fkey FOREIGN KEY (num_sejour) REFERENCES public.sejour(num_sejour);


--
-- PostgreSQL database dump complete
--

"""  # noqa: E501

_ENTRY_MODES = ("domicile", "domicile", "urgences", "mutation", "transfert")


def _copy_cell(value: str | None) -> str:
    if value is None or value == "":
        return "\\N"
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def _copy_block(table: str, columns: list[str], rows: list[list[str | None]]) -> str:
    lines = [f"--\n-- Data for Name: {table}; Type: TABLE DATA; Schema: public; Owner: gap\n--\n",
             f"COPY public.{table} ({', '.join(columns)}) FROM stdin;"]
    lines += ["\t".join(_copy_cell(c) for c in row) for row in rows]
    lines.append("\\.\n\n")
    return "\n".join(lines) + "\n"


def unit_table_csv() -> bytes:
    rows = [["code_uf", "libelle_uf", "pole"]]
    rows += [[u.code, u.label, u.pole] for u in UNITS if u.in_table]
    return csv_text(rows, ";", "\r\n").encode("utf-8")


@dataclass(slots=True)
class Relational:
    """What the relational writers return: file bytes by contract path and the truth bits."""

    contents: dict[str, bytes] = field(default_factory=dict)
    leaves: list[str] = field(default_factory=list)  # leaf files written (members included)
    containers: list[str] = field(default_factory=list)
    orphans: list[TruthOrphan] = field(default_factory=list)


def gap_backup(patients: list[_Person], rng: random.Random, reg: _Registry, ledger: _Ledger,
               out: Relational) -> None:
    """The GAP backup: ``patient``, ``sejour`` (IPP, unit code, dates) and ``diagnostic``
    (stay number, ICD-10 code, DP/DAS); only ``diagnostic → sejour`` is declared. In a zip
    with the hospital's unit table (``referentiel/unites.csv``)."""
    people = sorted(patients, key=lambda p: p.ipp or "")
    n_orphans = max(2, round(len(people) * 0.025)) if people else 0
    stays = _stays(people, rng, reg, n_orphans, (55, 30, 10, 5))
    patient_rows = []
    for p in people:
        assert p.birth_date is not None
        nir = p.nir if rng.random() < 0.85 else None
        phone = rng.choice(p.phones) if p.phones and rng.random() < 0.9 else None
        email = p.email if p.email and rng.random() < 0.6 else None
        patient_rows.append([
            p.ipp, p.last_name.upper(), p.first_name, p.sex, p.birth_date.isoformat(), nir,
            format_phone(phone, rng.choice(("compact", "spaced"))) if phone else None,
            email, p.street, p.postal_code, p.city,
        ])
        ledger.expose(p, GAP_SQL, birth=True, nir=nir, phone=phone, email=email, address=True)
    stay_rows, diagnosis_rows = [], []
    for row, s in enumerate(stays, start=1):
        stay_rows.append([s.nda, s.ipp, s.unit, s.start.isoformat(),
                          s.end.isoformat() if s.end else None, rng.choice(_ENTRY_MODES)])
        if s.person is None:
            out.orphans.append(TruthOrphan(GAP_SQL, "sejour", row, "ipp", s.ipp))
            continue
        for code, kind in s.diagnoses:
            diagnosis_rows.append([str(len(diagnosis_rows) + 1), s.nda, code, kind])
        ledger.expose(s.person, GAP_SQL, health=True, reasons=s.reasons())
    sql = (_PG_HEAD
           + _copy_block("diagnostic", ["id_diagnostic", "num_sejour", "code_cim10",
                                        "type_diag"], diagnosis_rows)
           + _copy_block("patient", ["ipp", "nom", "prenom", "sexe", "date_naissance", "nir",
                                     "telephone", "email", "adresse", "code_postal", "ville"],
                         patient_rows)
           + _copy_block("sejour", ["num_sejour", "ipp", "uf", "date_entree", "date_sortie",
                                    "mode_entree"], stay_rows)
           + _PG_TAIL)
    out.contents[GAP_ARCHIVE] = zip_bytes([
        ("gap_prod.sql", sql.encode("utf-8")),
        ("referentiel/unites.csv", unit_table_csv()),
    ], ARCHIVE_TIME)
    out.leaves += [GAP_SQL, UNIT_TABLE]
    out.containers.append(GAP_ARCHIVE)


# ------------------------------------------------------------------------------ pharmacy (MySQL)

_MYSQL_HEAD = """\
-- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)
--
-- Host: srv-pharma.ch-armentieres.local    Database: pharma_retro
-- ------------------------------------------------------
-- Server version	8.0.36

/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!40101 SET @OLD_CHARACTER_SET_RESULTS=@@CHARACTER_SET_RESULTS */;
/*!40101 SET @OLD_COLLATION_CONNECTION=@@COLLATION_CONNECTION */;
/*!50503 SET NAMES utf8mb4 */;
/*!40103 SET @OLD_TIME_ZONE=@@TIME_ZONE */;
/*!40103 SET TIME_ZONE='+00:00' */;
/*!40014 SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0 */;
/*!40014 SET @OLD_FOREIGN_KEY_CHECKS=@@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS=0 */;
/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;
/*!40111 SET @OLD_SQL_NOTES=@@SQL_NOTES, SQL_NOTES=0 */;

--
-- Table structure for table `patient`
--

DROP TABLE IF EXISTS `patient`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!50503 SET character_set_client = utf8mb4 */;
CREATE TABLE `patient` (
  `id_patient` int NOT NULL AUTO_INCREMENT,
  `ipp` varchar(10) DEFAULT NULL,
  `nom` varchar(80) NOT NULL,
  `prenom` varchar(80) NOT NULL,
  `date_naissance` date DEFAULT NULL,
  `sexe` char(1) DEFAULT NULL,
  PRIMARY KEY (`id_patient`),
  UNIQUE KEY `uk_patient_ipp` (`ipp`)
) ENGINE=InnoDB AUTO_INCREMENT={next_patient} DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_ai_ci;
/*!40101 SET character_set_client = @saved_cs_client */;

--
-- Dumping data for table `patient`
--

LOCK TABLES `patient` WRITE;
/*!40000 ALTER TABLE `patient` DISABLE KEYS */;
"""

_MYSQL_MIDDLE = """\
/*!40000 ALTER TABLE `patient` ENABLE KEYS */;
UNLOCK TABLES;

--
-- Table structure for table `dispensation`
--

DROP TABLE IF EXISTS `dispensation`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!50503 SET character_set_client = utf8mb4 */;
CREATE TABLE `dispensation` (
  `id_dispensation` int NOT NULL AUTO_INCREMENT,
  `id_patient` int NOT NULL,
  `date_dispensation` date NOT NULL,
  `medicament` varchar(160) NOT NULL,
  `quantite` int NOT NULL,
  `uf_prescriptrice` varchar(8) DEFAULT NULL,
  PRIMARY KEY (`id_dispensation`),
  KEY `fk_dispensation_patient` (`id_patient`),
  CONSTRAINT `fk_dispensation_patient` FOREIGN KEY (`id_patient`) REFERENCES `patient` (`id_patient`)
) ENGINE=InnoDB AUTO_INCREMENT={next_dispensation} DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_ai_ci;
/*!40101 SET character_set_client = @saved_cs_client */;

--
-- Dumping data for table `dispensation`
--

LOCK TABLES `dispensation` WRITE;
/*!40000 ALTER TABLE `dispensation` DISABLE KEYS */;
"""  # noqa: E501

_MYSQL_TAIL = """\
/*!40000 ALTER TABLE `dispensation` ENABLE KEYS */;
UNLOCK TABLES;
/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;

/*!40101 SET SQL_MODE=@OLD_SQL_MODE */;
/*!40014 SET FOREIGN_KEY_CHECKS=@OLD_FOREIGN_KEY_CHECKS */;
/*!40014 SET UNIQUE_CHECKS=@OLD_UNIQUE_CHECKS */;
/*!40101 SET CHARACTER_SET_CLIENT=@OLD_CHARACTER_SET_CLIENT */;
/*!40101 SET CHARACTER_SET_RESULTS=@OLD_CHARACTER_SET_RESULTS */;
/*!40101 SET COLLATION_CONNECTION=@OLD_COLLATION_CONNECTION */;
/*!40111 SET SQL_NOTES=@OLD_SQL_NOTES */;

-- Dump completed on 2024-02-10  3:12:44
"""


def _mysql_value(value: str | int | None) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, int):
        return str(value)
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _mysql_insert(table: str, rows: list[list]) -> str:
    if not rows:
        return ""
    values = ",".join("(" + ",".join(_mysql_value(v) for v in row) + ")" for row in rows)
    return f"INSERT INTO `{table}` VALUES {values};\n"


def pharmacy_dump(patients: list[tuple[_Person, str]], rng: random.Random, ledger: _Ledger,
                  out: Relational) -> None:
    """Outpatient dispensations of the hospital pharmacy (antiretrovirals, opioid substitution,
    biologics): ``dispensation.id_patient`` references ``patient.id_patient`` (declared)."""
    people = sorted(patients, key=lambda t: (fold_name(t[0].last_name),
                                             fold_name(t[0].first_name), t[0].truth_id))
    patient_rows, dispensations = [], []
    for id_patient, (p, drug_key) in enumerate(people, start=1):
        assert p.birth_date is not None
        patient_rows.append([id_patient, p.ipp, p.last_name.upper(), p.first_name,
                             p.birth_date.isoformat(), p.sex])
        ledger.expose(p, PHARMA_SQL, birth=True)
        unit = dict(RETROCESSION)[drug_key]
        first = random_day(rng, date(2023, 1, 2), date(2023, 10, 31))
        for month in range(rng.randint(1, 4)):
            day = first + timedelta(days=28 * month + rng.randint(0, 3))
            dispensations.append((day, id_patient, DRUGS[drug_key].text.split(",")[0],
                                  rng.choice((28, 30, 56)), unit))
        ledger.expose(p, PHARMA_SQL, health=True,
                      reasons=[drug_reason(drug_key), unit_reason(unit)])
    dispensations.sort(key=lambda d: (d[0], d[1]))
    rows = [[i, pid, day.isoformat(), drug, qty, unit]
            for i, (day, pid, drug, qty, unit) in enumerate(dispensations, start=1)]
    text = (_MYSQL_HEAD.replace("{next_patient}", str(len(patient_rows) + 1))
            + _mysql_insert("patient", patient_rows)
            + _MYSQL_MIDDLE.replace("{next_dispensation}", str(len(rows) + 1))
            + _mysql_insert("dispensation", rows)
            + _MYSQL_TAIL)
    out.contents[PHARMA_SQL] = text.encode("utf-8")
    out.leaves.append(PHARMA_SQL)


def retrocession_drug(rng: random.Random, sensitive: bool) -> str:
    options = [d for d, _ in RETROCESSION if bool(DRUGS[d].sensitive) == sensitive]
    return rng.choice(options)


# ------------------------------------------------------------------------------ split exports


def split_exports(patients: list[_Person], rng: random.Random, reg: _Registry, ledger: _Ledger,
                  out: Relational) -> None:
    """Three CSV files of one extraction: ``patients.csv`` (IPP and identity),
    ``mouvements.csv`` (stay number, IPP, unit code, dates) and ``diagnostics.csv`` (stay
    number, ICD-10 code): no identity in the child files."""
    people = sorted(patients, key=lambda p: p.ipp or "")
    n_orphans = max(1, round(len(people) * 0.05)) if people else 0
    stays = _stays(people, rng, reg, n_orphans, (60, 30, 10))
    rows = [["IPP", "NOM", "PRENOM", "DATE_NAISSANCE", "SEXE", "CODE_POSTAL", "VILLE",
             "TELEPHONE"]]
    for p in people:
        assert p.birth_date is not None
        phone = rng.choice(p.phones) if p.phones and rng.random() < 0.8 else None
        rows.append([p.ipp or "", p.last_name.upper(), p.first_name, f"{p.birth_date:%d/%m/%Y}",
                     p.sex or "", p.postal_code or "", p.city or "",
                     format_phone(phone, rng.choice(("spaced", "dotted"))) if phone else ""])
        ledger.expose(p, SPLIT_PATIENTS, birth=True, phone=phone, address=True)
    moves = [["NDA", "IPP", "UF", "DATE_ENTREE", "DATE_SORTIE"]]
    diagnoses = [["NDA", "CODE_CIM10", "TYPE_DIAG"]]
    for s in stays:
        moves.append([s.nda, s.ipp, s.unit, f"{s.start:%d/%m/%Y}",
                      f"{s.end:%d/%m/%Y}" if s.end else ""])
        if s.person is None:
            # The header is line 1: the n-th data row is line n + 1.
            out.orphans.append(TruthOrphan(SPLIT_MOVES, "", len(moves), "IPP", s.ipp))
            continue
        ledger.link(s.person, SPLIT_MOVES, [unit_reason(s.unit)])
        for code, kind in s.diagnoses:
            diagnoses.append([s.nda, code, kind])
        if s.diagnoses:
            ledger.link(s.person, SPLIT_DIAGNOSES, [icd10_reason(c) for c, _ in s.diagnoses])
    for path, table in ((SPLIT_PATIENTS, rows), (SPLIT_MOVES, moves),
                        (SPLIT_DIAGNOSES, diagnoses)):
        out.contents[path] = csv_text(table, ";", "\r\n").encode("utf-8")
        out.leaves.append(path)
