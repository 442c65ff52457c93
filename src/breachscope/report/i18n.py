"""The report's words in French (default: the hospital's language) and English, and numbers
written the way each language writes them (``1 234`` / ``1,234``)."""

from __future__ import annotations

from typing import Any

LANGS = ("fr", "en")

# File types grouped the way a director names them (breachscope.filetypes names).
TYPE_GROUPS: dict[str, tuple[str, ...]] = {
    "tables": ("csv", "xlsx", "xlsb", "xls", "ods", "json", "xml"),
    "databases": ("sql", "sqlite", "access", "dbf"),
    "documents": ("text", "html", "docx", "doc", "odt", "rtf", "pptx", "ppt", "onenote", "pdf",
                  "office_encrypted"),
    "images": ("png", "jpeg", "tiff", "gif", "bmp", "webp", "heic", "jp2", "emf", "wmf"),
    "mail": ("eml", "mbox", "msg", "pst", "p7m"),
    "health_messages": ("hl7", "hprim", "fhir", "cda"),
    "archives": ("zip", "tar", "gzip", "bzip2", "xz", "7z", "rar"),
}


def type_group(file_type: str | None) -> str:
    for group, names in TYPE_GROUPS.items():
        if file_type in names:
            return group
    return "other"


_FR: dict[str, Any] = {
    "title": "Rapport de qualification de la fuite de données", "case_placeholder": "DOSSIER",
    "sensitive_reasons": {"psychiatry": "psychiatrie", "addiction": "addictologie",
                          "hiv_sti": "VIH / IST", "hiv": "VIH", "sti": "IST",
                          "pregnancy_termination": "IVG", "sexual_health": "santé sexuelle",
                          "genetics": "génétique", "chromosomal": "anomalies chromosomiques",
                          "genetic_counselling": "conseil génétique",
                          "genetic_testing": "tests génétiques", "self_harm": "automutilation",
                          "sexual_abuse": "violences sexuelles",
                          "sensitive_unit": "unité sensible"},
    "case": "Dossier", "generated": "produit le", "by": "par",
    "intro": "Chiffres tirés de la base du dossier ; chacun renvoie (note [n]) à la commande "
             "d'export qui liste ce qu'il compte. Ce rapport ne contient aucun identifiant de "
             "personne : les noms de fichiers qui en contiennent sont masqués.",
    "summary": "Synthèse pour la direction",
    "people_total": "personnes concernées", "of_whom_unresolved": "dont {n} connues seulement "
    "par un nom de famille (mentions non résolues)",
    "patients": "patients", "staff": "personnels", "health": "avec des données de santé",
    "sensitive": "soins sensibles", "minors": "mineurs (moins de 18 ans au {date})",
    "records": "enregistrements (fiches de personnes)", "files": "fichiers",
    "findings": "données détectées",
    "period": "Période couverte par les données",
    "period_text": "Les dates de séjour et de consultation trouvées vont du {first} au {last} "
                   "({n} dates).",
    "period_none": "Aucune date de séjour ou de consultation trouvée.",
    "by_role": "Personnes par rôle", "by_category": "Personnes par catégorie de données",
    "by_severity": "Personnes par gravité (méthode ENISA)",
    "sensitive_title": "Soins sensibles",
    "sensitive_text": "{n} personnes ont reçu des soins sensibles (psychiatrie, addictologie, "
                      "VIH/IST, IVG, génétique...), chacune sur une preuve conservée dans le "
                      "dossier.",
    "undecided_text": "{n} autres restent indécises : elles ont été prises en charge dans des "
                      "unités connues seulement par un code qu'aucune table d'unités ne décode. "
                      "Elles ne sont pas « non sensibles » : fournir la table des unités de "
                      "l'hôpital (breachscope units --case DOSSIER UNITES.csv) les tranche.",
    "undecided_none": "Aucune personne ne reste indécise : toutes les unités de soins codées "
                      "ont été décodées.",
    "undecided_card": "+ {n} indécises",
    "empty_class": "doc_class vide (fichier non lu)",
    "leaked_kinds": "Fichiers qui ont fuité :",
    "by_kind_filter": "par type (voir « Quels fichiers ont fuité »)",
    "top_level_filter": "file sans « ! » (hors membres d'archives), somme de size",
    "reason": "Motif", "people": "Personnes", "kinds_title": "Quels fichiers ont fuité",
    "kind": "Nature", "class": "Classe de document",
    "claim_title": "Revendication de l'attaquant et constat",
    "claim_text": "Revendication :", "quotes": ("« ", " »"),
    "claim_nothing": "Ni nombre de personnes ou d'enregistrements, ni volume, ni nature de "
                     "données reconnus dans ce texte.",
    "point": "Point", "claimed": "Annoncé", "found": "Constaté",
    "verdict": "Verdict",
    "drill": "Détail",
    "top_files": "Principales sources de personnes", "file": "Fichier", "type": "Type",
    "entities": "Données détectées par nature", "entity": "Nature", "distinct": "Valeurs "
    "distinctes",
    "problems": "Fichiers non lus, chiffrés ou lus en partie", "status": "État",
    "problems_note": "État tel que l'export des fichiers l'écrit : failed = échec de lecture, "
                     "encrypted = chiffré, skipped = ignoré, partial = lu en partie (ce qui a "
                     "été lu avant une limite est gardé et compté ; le motif dit ce qui n'a pas "
                     "été lu).",
    "problems_more": "… et {n} de plus : voir l'export des fichiers.",
    "no_problems": "Tous les fichiers ont été lus.",
    "waves": "Ce qui a changé depuis la vague précédente",
    "one_wave": "Une seule vague (un seul scan) : pas de vague précédente à comparer.",
    "wave": "Vague (scan n°)", "started": "Début",
    "new": "Nouveaux (dernière vague)", "before": "Avant",
    "new_files_list": "Fichiers de la dernière vague",
    "relations": "Bases de données reconstituées",
    "key_links": "Liens de clés entre tables", "attached": "Lignes rattachées à leur personne",
    "orphans": "Lignes orphelines (personne absente de la fuite)",
    "facts": "Faits rattachés", "units": "Valeurs d'unités de soins",
    "method": "Méthode",
    "method_exact": "Les personnes sont les fiches (lignes de tables, bloc patient d'un "
                    "document, patient d'un message) regroupées par clés exactes : NIR, ou nom "
                    "et date de naissance, ou nom et e-mail ou téléphone.",
    "method_splink": "Les personnes sont les fiches (lignes de tables, bloc patient d'un "
                     "document, patient d'un message) regroupées par clés exactes (NIR, nom et "
                     "date de naissance, nom et e-mail ou téléphone) puis par appariement "
                     "probabiliste (Splink).",
    "method_error": "L'appariement probabiliste a échoué ; seules les clés exactes ont servi.",
    "method_rest": "Les bases fuitées sont reconstituées : les lignes filles (séjours, "
                   "diagnostics, factures) sont rattachées à leur personne par les clés "
                   "déclarées ou déduites. Catégories au sens du RGPD : une ligne qui place une "
                   "personne dans une unité de soins ou à une date de séjour expose des données "
                   "de santé (l'unité d'un personnel est son lieu de travail). Gravité selon la "
                   "méthode ENISA 2013. Mineurs : nés moins de 18 ans avant la date du rapport.",
    "qc": "Contrôle qualité par échantillonnage",
    "qc_none": "Aucun contrôle par échantillon n'a encore été fait (breachscope qc).",
    "qc_miss": "Taux d'oubli sur les fichiers où rien de personnel n'a été trouvé",
    "qc_row_miss": "Taux d'oubli sur les lignes de tables rattachées à personne",
    "qc_fp": "Taux de faux positifs sur ce qui a été trouvé",
    "qc_line": "{k} sur {n} ({est} ; intervalle de confiance à 95 % de Wilson : {low} à {high})",
    "qc_unmarked": "aucun élément examiné",
    "qc_when": "Échantillon examiné le {when}.",
    "evidence": "Preuves : d'où vient chaque chiffre",
    "evidence_note": "Chaque chiffre se vérifie en exportant la liste qu'il compte puis en la "
                     "filtrant (tableur, DuckDB...). DOSSIER est le dossier du scan.",
    "filter": "filtre :", "review": "dans la revue (breachscope serve) :",
    "none": "aucun", "yes": "oui", "no": "non",
    "verdicts": {"confirmed": "confirmé", "exaggerated": "exagéré",
                 "not_found": "non constaté"},
    "points": {"people": "Personnes", "records": "Enregistrements", "bytes": "Volume",
               "medical_history": "Antécédents, données médicales",
               "postal_address": "Adresses postales", "phone": "Téléphones",
               "email": "Adresses e-mail", "national_id": "N° de sécurité sociale, pièces "
               "d'identité", "financial": "Données bancaires", "credentials": "Mots de passe, "
               "identifiants", "identity": "Noms, dates de naissance"},
    "kind_found": "{n} personnes ({f} données détectées)",
    "entity_names": {
        "PERSON": "nom complet", "LAST_NAME": "nom de famille", "FIRST_NAME": "prénom",
        "BIRTH_DATE": "date de naissance", "SEX": "sexe", "AGE": "âge",
        "PATIENT_ID": "identifiant patient (IPP)", "STAY_ID": "numéro de séjour",
        "RPPS": "n° RPPS (professionnel de santé)", "FINESS": "n° FINESS (établissement)",
        "ADDRESS": "adresse", "POSTAL_CODE": "code postal", "CITY": "commune",
        "PHONE": "téléphone", "EMAIL": "e-mail", "NIR": "n° de sécurité sociale (NIR)",
        "ID_DOCUMENT": "pièce d'identité", "IBAN": "IBAN", "PAYMENT_CARD": "carte bancaire",
        "VISIT_DATE": "date de séjour ou de consultation", "CARE_UNIT": "unité de soins",
        "ICD10_CODE": "code diagnostic (CIM-10)", "DIAGNOSIS": "diagnostic en clair",
        "MEDICATION": "médicament", "PROCEDURE": "acte médical",
        "CREDENTIAL": "mot de passe, identifiant de connexion"},
    "roles": {"PATIENT": "patients", "STAFF": "personnels", "UNKNOWN": "rôle inconnu"},
    "categories": {"IDENTITY": "identité", "CONTACT": "coordonnées",
                   "NATIONAL_ID": "n° de sécurité sociale / pièce d'identité",
                   "HEALTH": "santé", "FINANCIAL": "données bancaires",
                   "CREDENTIALS": "mots de passe, identifiants"},
    "severities": {"very high": "très élevée", "high": "élevée", "medium": "moyenne",
                   "low": "faible"},
    "classes": {"patient_list": "listes et dossiers de patients",
                "staff_directory": "annuaires du personnel",
                "personal_data_table": "tables de données personnelles",
                "document_with_personal_data": "documents avec données personnelles",
                "no_personal_data": "sans donnée personnelle", "archive": "archives",
                "unclassified": "non classés (non lus)"},
    "groups": {"tables": "tableaux et exports", "databases": "bases de données",
               "documents": "documents (courriers, comptes rendus...)",
               "images": "images et scans", "mail": "messageries",
               "health_messages": "messages de santé (HPRIM, HL7, CDA, FHIR)",
               "archives": "archives", "other": "autres"},
    "statuses": {"failed": "échec", "partial": "partiel", "skipped": "ignoré",
                 "encrypted": "chiffré", "pending": "en attente", "scanned": "lu"},
}

_EN: dict[str, Any] = {
    "title": "Data breach qualification report", "case_placeholder": "CASE",
    "sensitive_reasons": {"psychiatry": "psychiatry", "addiction": "addiction",
                          "hiv_sti": "HIV / STI", "hiv": "HIV", "sti": "STI",
                          "pregnancy_termination": "abortion", "sexual_health": "sexual health",
                          "genetics": "genetics", "chromosomal": "chromosomal anomalies",
                          "genetic_counselling": "genetic counselling",
                          "genetic_testing": "genetic testing", "self_harm": "self-harm",
                          "sexual_abuse": "sexual abuse",
                          "sensitive_unit": "sensitive unit"},
    "case": "Case", "generated": "generated", "by": "by",
    "intro": "Figures come from the case store; each refers (note [n]) to the export command "
             "that lists what it counts. This report holds no personal identifier: file names "
             "that contain one are masked.",
    "summary": "Summary for the director",
    "people_total": "people affected", "of_whom_unresolved": "of whom {n} known only by a "
    "surname (unresolved mentions)",
    "patients": "patients", "staff": "staff", "health": "with health data",
    "sensitive": "sensitive care", "minors": "minors (under 18 on {date})",
    "records": "records (person entries)", "files": "files", "findings": "findings",
    "period": "Period the data covers",
    "period_text": "The stay and visit dates found run from {first} to {last} ({n} dates).",
    "period_none": "No stay or visit date found.",
    "by_role": "People by role", "by_category": "People by category of data",
    "by_severity": "People by severity (ENISA method)",
    "sensitive_title": "Sensitive care",
    "sensitive_text": "{n} people received sensitive care (psychiatry, addiction, HIV/STI, "
                      "abortion, genetics...), each on evidence kept in the case.",
    "undecided_text": "{n} more are undecided: they were cared for in units known only by a code "
                      "that no unit table decodes. They are not \"not sensitive\": the "
                      "hospital's unit table (breachscope units --case CASE UNITS.csv) settles "
                      "them.",
    "undecided_none": "No one is left undecided: every coded care unit was decoded.",
    "undecided_card": "+ {n} undecided",
    "empty_class": "doc_class empty (file not read)",
    "leaked_kinds": "Files that leaked:",
    "by_kind_filter": "by type (see \"What kinds of files leaked\")",
    "top_level_filter": "file without \"!\" (not an archive member), sum of size",
    "reason": "Reason", "people": "People", "kinds_title": "What kinds of files leaked",
    "kind": "Kind", "class": "Document class",
    "claim_title": "The attacker's claim beside the findings",
    "claim_text": "Claim:", "quotes": ("“", "”"),
    "claim_nothing": "No count of people or records, volume or kind of data recognised in "
                     "this text.", "point": "Point", "claimed": "Claimed", "found": "Found",
    "verdict": "Verdict",
    "drill": "Details",
    "top_files": "Largest sources of people", "file": "File", "type": "Type",
    "entities": "Findings by kind", "entity": "Kind", "distinct": "Distinct values",
    "problems": "Files not read, encrypted or read in part", "status": "Status",
    "problems_note": "Status as the files export writes it. partial: what was read before a "
                     "limit is kept and counted; the reason says what was not read.",
    "problems_more": "… and {n} more: see the files export.",
    "no_problems": "Every file was read.",
    "waves": "What changed since the previous wave",
    "one_wave": "A single wave (one scan): no previous wave to compare with.",
    "wave": "Wave (scan no.)", "started": "Started",
    "new": "New (last wave)", "before": "Before",
    "new_files_list": "Files of the last wave",
    "relations": "Databases rebuilt",
    "key_links": "Key links between tables", "attached": "Table rows attached to their person",
    "orphans": "Orphan rows (their person is not in the dump)",
    "facts": "Facts attached", "units": "Care-unit values",
    "method": "Method",
    "method_exact": "People are records (table rows that identify a person, a document's "
                    "patient block, a message's patient) grouped by exact keys: NIR, or name "
                    "and birth date, or name and e-mail or phone.",
    "method_splink": "People are records (table rows that identify a person, a document's "
                     "patient block, a message's patient) grouped by exact keys (NIR, name and "
                     "birth date, name and e-mail or phone), then by probabilistic record "
                     "linkage (Splink).",
    "method_error": "The probabilistic linkage failed; only exact keys were used.",
    "method_rest": "The leaked databases are rebuilt: child rows (stays, diagnoses, invoices) "
                   "are joined to their person through declared or inferred keys. Categories "
                   "follow GDPR: a row that places a person in a care unit or at a visit date "
                   "exposes health data (a staff member's unit is their workplace). Severity "
                   "follows the ENISA 2013 method. Minors: born less than 18 years before the "
                   "report date.",
    "qc": "Quality control by sampling",
    "qc_none": "No sample has been reviewed yet (breachscope qc).",
    "qc_miss": "Miss rate in the files where nothing personal was found",
    "qc_row_miss": "Miss rate in the table rows attached to no one",
    "qc_fp": "False-positive rate in what was found",
    "qc_line": "{k} of {n} ({est}; 95 % Wilson confidence interval: {low} to {high})",
    "qc_unmarked": "no item reviewed",
    "qc_when": "Sample reviewed on {when}.",
    "evidence": "Evidence: where each figure comes from",
    "evidence_note": "Each figure can be checked by exporting the list it counts and filtering "
                     "it (spreadsheet, DuckDB...). CASE is the scanned case directory.",
    "filter": "filter:", "review": "in the review UI (breachscope serve):",
    "none": "none", "yes": "yes", "no": "no",
    "verdicts": {"confirmed": "confirmed", "exaggerated": "exaggerated",
                 "not_found": "not found"},
    "points": {"people": "People", "records": "Records", "bytes": "Volume",
               "medical_history": "Medical history, health data",
               "postal_address": "Postal addresses", "phone": "Phone numbers",
               "email": "E-mail addresses", "national_id": "Social security numbers, ID "
               "documents", "financial": "Bank details", "credentials": "Passwords, logins",
               "identity": "Names, birth dates"},
    "kind_found": "{n} people ({f} findings)",
    "entity_names": {
        "PERSON": "full name", "LAST_NAME": "last name", "FIRST_NAME": "first name",
        "BIRTH_DATE": "birth date", "SEX": "sex", "AGE": "age",
        "PATIENT_ID": "patient number", "STAY_ID": "stay number",
        "RPPS": "RPPS number (health professional)", "FINESS": "FINESS number (facility)",
        "ADDRESS": "address", "POSTAL_CODE": "postal code", "CITY": "city",
        "PHONE": "phone", "EMAIL": "e-mail", "NIR": "social security number (NIR)",
        "ID_DOCUMENT": "ID document", "IBAN": "IBAN", "PAYMENT_CARD": "payment card",
        "VISIT_DATE": "stay or visit date", "CARE_UNIT": "care unit",
        "ICD10_CODE": "diagnosis code (ICD-10)", "DIAGNOSIS": "diagnosis in words",
        "MEDICATION": "medication", "PROCEDURE": "medical procedure",
        "CREDENTIAL": "password, login"},
    "roles": {"PATIENT": "patients", "STAFF": "staff", "UNKNOWN": "unknown role"},
    "categories": {"IDENTITY": "identity", "CONTACT": "contact details",
                   "NATIONAL_ID": "social security number / ID document",
                   "HEALTH": "health", "FINANCIAL": "bank details",
                   "CREDENTIALS": "passwords, logins"},
    "severities": {"very high": "very high", "high": "high", "medium": "medium", "low": "low"},
    "classes": {"patient_list": "patient lists and records",
                "staff_directory": "staff directories",
                "personal_data_table": "tables of personal data",
                "document_with_personal_data": "documents with personal data",
                "no_personal_data": "no personal data", "archive": "archives",
                "unclassified": "unclassified (not read)"},
    "groups": {"tables": "tables and exports", "databases": "databases",
               "documents": "documents (letters, reports...)", "images": "images and scans",
               "mail": "mailboxes", "health_messages": "health messages (HPRIM, HL7, CDA, FHIR)",
               "archives": "archives", "other": "other"},
    "statuses": {"failed": "failed", "partial": "partial", "skipped": "skipped",
                 "encrypted": "encrypted", "pending": "pending", "scanned": "read"},
}

WORDS: dict[str, dict[str, Any]] = {"fr": _FR, "en": _EN}


def words(lang: str) -> dict[str, Any]:
    if lang not in WORDS:
        raise ValueError(f"unknown language {lang!r}: choose one of {', '.join(LANGS)}")
    return WORDS[lang]


def number(n: float | int | None, lang: str) -> str:
    """``1234`` → ``1 234`` (French, narrow no-break space) or ``1,234`` (English)."""
    if n is None:
        return "—"
    text = f"{int(n):,}" if float(n).is_integer() else f"{n:,.1f}"
    return text.replace(",", "\u202f") if lang == "fr" else text


def percent(fraction: float, lang: str) -> str:
    """``0.0206`` → ``2,1 %`` (French) or ``2.1 %``."""
    text = f"{100 * fraction:.1f}"
    return (text.replace(".", ",") if lang == "fr" else text) + "\u00a0%"


def size(n: float, lang: str) -> str:
    """Bytes in decimal units, ``Go`` in French."""
    units = ("o", "ko", "Mo", "Go", "To") if lang == "fr" else ("B", "KB", "MB", "GB", "TB")
    value = float(n)
    for unit in units:
        if value < 1000 or unit == units[-1]:
            text = f"{value:,.0f}" if unit == units[0] else f"{value:,.1f}"
            if lang == "fr":
                text = text.replace(",", "\u202f").replace(".", ",")
            return f"{text} {unit}"
        value /= 1000
    return f"{n} {units[0]}"  # pragma: no cover


def date(iso: str | None, lang: str) -> str:
    """``2023-01-15`` → ``15/01/2023`` (French) or ``2023-01-15``."""
    if not iso:
        return "—"
    if lang == "fr" and len(iso) >= 10 and iso[4] == "-":
        return f"{iso[8:10]}/{iso[5:7]}/{iso[:4]}"
    return iso[:10]
