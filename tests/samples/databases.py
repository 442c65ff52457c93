"""Database samples: a mysqldump, a PostgreSQL plain dump and an SQLite file, each with a
small ``patient`` table (see :mod:`tests.samples`)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

#: Valid test NIRs: 13 digits + key 97 - (13 digits mod 97).
NIR_1 = "254037512345655"
NIR_2 = "185057512345673"


def _nir(first13: str) -> str:
    return first13 + f"{97 - int(first13) % 97:02d}"


assert _nir("2540375123456") == NIR_1 and _nir("1850575123456") == NIR_2

MYSQLDUMP = r"""-- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)
--
-- Host: localhost    Database: hopital
-- ------------------------------------------------------
-- Server version	8.0.36

/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!40101 SET NAMES utf8mb4 */;
/*!40014 SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0 */;

--
-- Table structure for table `patient`
--

DROP TABLE IF EXISTS `patient`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!50503 SET character_set_client = utf8mb4 */;
CREATE TABLE `patient` (
  `id` int NOT NULL AUTO_INCREMENT,
  `nom` varchar(100) NOT NULL,
  `prenom` varchar(100) DEFAULT NULL COMMENT 'prénom usuel, (premier)',
  `date_naissance` date DEFAULT NULL,
  `nir` char(15) DEFAULT NULL,
  `telephone` varchar(20) DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `idx_nom` (`nom`,`prenom`)
) ENGINE=InnoDB AUTO_INCREMENT=4 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_ai_ci;
/*!40101 SET character_set_client = @saved_cs_client */;

--
-- Dumping data for table `patient`
--

LOCK TABLES `patient` WRITE;
/*!40000 ALTER TABLE `patient` DISABLE KEYS */;
INSERT INTO `patient` VALUES {ROWS};
/*!40000 ALTER TABLE `patient` ENABLE KEYS */;
UNLOCK TABLES;
INSERT INTO `sejour` (`patient_id`, `service`, `motif`) VALUES {SEJOUR};
/*!40101 SET CHARACTER_SET_CLIENT=@OLD_CHARACTER_SET_CLIENT */;

-- Dump completed on 2024-02-12 10:00:00
""".replace("{ROWS}",
    r"(1,'Martin','Paul','1961-11-02',NULL,NULL),"
    r"(2,'Dupont','Marie','1954-03-07','{NIR_1}','06 12 34 56 78'),"
    r"(3,'L\'Hôte','Zoé',NULL,'{NIR_2}',NULL)",
).replace("{SEJOUR}", "(2,'Cardiologie','douleur, ''thoracique''')").replace(
    "{NIR_1}", NIR_1).replace("{NIR_2}", NIR_2)

PGDUMP = """--
-- PostgreSQL database dump
--

-- Dumped from database version 16.2
-- Dumped by pg_dump version 16.2

SET statement_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);

CREATE FUNCTION public.touch() RETURNS trigger
    LANGUAGE plpgsql
    AS $$BEGIN NEW.updated := now(); RETURN NEW; END;$$;

CREATE TABLE public.patient (
    id integer NOT NULL,
    nom text NOT NULL,
    prenom text,
    date_naissance date,
    nir character(15),
    telephone text,
    CONSTRAINT patient_id_check CHECK ((id > 0))
);

ALTER TABLE public.patient OWNER TO hopital;

COPY public.patient (id, nom, prenom, date_naissance, nir, telephone) FROM stdin;
1\tMartin\tPaul\t1961-11-02\t\\N\t\\N
2\tDupont\tMarie\t1954-03-07\t{NIR_1}\t06 12 34 56 78
\\.

INSERT INTO public.patient VALUES (3, 'L''Hôte', 'Zoé', NULL, '{NIR_2}', NULL);

--
-- PostgreSQL database dump complete
--
""".replace("{NIR_1}", NIR_1).replace("{NIR_2}", NIR_2)

#: The same three patients in every sample: (entity, value) a scan must find in each.
FINDINGS = [("NIR", NIR_1), ("NIR", NIR_2), ("PHONE", "+33612345678"),
            ("BIRTH_DATE", "1961-11-02"), ("BIRTH_DATE", "1954-03-07"),
            ("LAST_NAME", "Martin"), ("LAST_NAME", "Dupont"), ("LAST_NAME", "L'Hôte"),
            ("FIRST_NAME", "Paul"), ("FIRST_NAME", "Marie"), ("FIRST_NAME", "Zoé")]


def make_mysqldump(path: Path) -> list[tuple[str, str]]:
    path.write_text(MYSQLDUMP, encoding="utf-8")
    return list(FINDINGS)


def make_pgdump(path: Path) -> list[tuple[str, str]]:
    path.write_text(PGDUMP, encoding="utf-8")
    return list(FINDINGS)


def make_sqlite(path: Path) -> list[tuple[str, str]]:
    path.unlink(missing_ok=True)
    conn = sqlite3.connect(path)
    conn.executescript("""
        CREATE TABLE patient (id INTEGER PRIMARY KEY, nom TEXT, prenom TEXT,
                              date_naissance TEXT, nir TEXT, telephone TEXT, photo BLOB);
        CREATE TABLE sejour (patient_id INTEGER, service TEXT, motif TEXT);
        CREATE VIEW v AS SELECT nom FROM patient;
    """)
    conn.executemany("INSERT INTO patient VALUES (?, ?, ?, ?, ?, ?, ?)", [
        (1, "Martin", "Paul", "1961-11-02", None, None, b"\x89PNG\r\n\x1a\n\x00"),
        (2, "Dupont", "Marie", "1954-03-07", NIR_1, "06 12 34 56 78", None),
        (3, "L'Hôte", "Zoé", None, NIR_2, None, None),
    ])
    conn.execute("INSERT INTO sejour VALUES (2, 'Cardiologie', 'douleur thoracique')")
    conn.commit()
    conn.close()
    return list(FINDINGS)
