"""Words of the CNIL and ARS drafts, in French and English. Codes (roles, data categories,
entities, sensitive-care categories) are the case's; a code without a label here is shown as
it is rather than dropped."""

from __future__ import annotations

ROLES = {
    "fr": {"PATIENT": "patients", "STAFF": "personnels de l'établissement",
           "UNKNOWN": "rôle non déterminé"},
    "en": {"PATIENT": "patients", "STAFF": "staff of the establishment",
           "UNKNOWN": "role not determined"},
}

CATEGORIES = {
    "fr": {
        "IDENTITY": "état civil et identification (nom, prénom, date de naissance, sexe, "
                    "identifiant patient)",
        "CONTACT": "coordonnées (adresse postale, téléphone, adresse électronique)",
        "NATIONAL_ID": "numéro de sécurité sociale (NIR) ou pièce d'identité",
        "HEALTH": "données de santé (séjours, unités de soins, diagnostics, traitements, actes)",
        "FINANCIAL": "données bancaires (IBAN, carte de paiement)",
        "CREDENTIALS": "identifiants de connexion (comptes, mots de passe)",
    },
    "en": {
        "IDENTITY": "civil status and identification (name, first name, birth date, sex, "
                    "patient number)",
        "CONTACT": "contact details (postal address, phone number, e-mail address)",
        "NATIONAL_ID": "social security number (NIR) or identity document",
        "HEALTH": "health data (stays, care units, diagnoses, treatments, procedures)",
        "FINANCIAL": "banking data (IBAN, payment card)",
        "CREDENTIALS": "login credentials (accounts, passwords)",
    },
}

ENTITIES = {
    "fr": {
        "PERSON": "noms complets", "LAST_NAME": "noms", "FIRST_NAME": "prénoms",
        "BIRTH_DATE": "dates de naissance", "SEX": "sexe", "AGE": "âges",
        "PATIENT_ID": "identifiants patient (IPP)", "STAY_ID": "numéros de séjour",
        "RPPS": "numéros RPPS", "FINESS": "numéros FINESS", "ADDRESS": "adresses postales",
        "POSTAL_CODE": "codes postaux", "CITY": "communes", "PHONE": "numéros de téléphone",
        "EMAIL": "adresses électroniques", "NIR": "numéros de sécurité sociale (NIR)",
        "ID_DOCUMENT": "numéros de pièce d'identité", "IBAN": "IBAN",
        "PAYMENT_CARD": "numéros de carte de paiement", "VISIT_DATE": "dates de venue",
        "CARE_UNIT": "unités de soins", "ICD10_CODE": "codes de diagnostic (CIM-10)",
        "DIAGNOSIS": "diagnostics en clair", "MEDICATION": "médicaments",
        "PROCEDURE": "actes médicaux", "CREDENTIAL": "identifiants de connexion",
    },
    "en": {
        "PERSON": "full names", "LAST_NAME": "last names", "FIRST_NAME": "first names",
        "BIRTH_DATE": "birth dates", "SEX": "sex", "AGE": "ages",
        "PATIENT_ID": "patient numbers", "STAY_ID": "stay numbers", "RPPS": "RPPS numbers",
        "FINESS": "FINESS numbers", "ADDRESS": "postal addresses", "POSTAL_CODE": "postal codes",
        "CITY": "towns", "PHONE": "phone numbers", "EMAIL": "e-mail addresses",
        "NIR": "social security numbers (NIR)", "ID_DOCUMENT": "identity document numbers",
        "IBAN": "IBANs", "PAYMENT_CARD": "payment card numbers", "VISIT_DATE": "visit dates",
        "CARE_UNIT": "care units", "ICD10_CODE": "diagnosis codes (ICD-10)",
        "DIAGNOSIS": "diagnoses in words", "MEDICATION": "medications",
        "PROCEDURE": "medical procedures", "CREDENTIAL": "login credentials",
    },
}

SENSITIVE = {
    "fr": {
        "psychiatry": "psychiatrie", "addiction": "addictologie", "hiv": "VIH",
        "sti": "infections sexuellement transmissibles", "hiv_sti": "VIH et IST (CeGIDD)",
        "self_harm": "tentatives de suicide, automutilation",
        "sexual_abuse": "violences sexuelles", "pregnancy_termination": "IVG",
        "chromosomal": "anomalies chromosomiques", "genetic_counselling": "conseil génétique",
        "genetic_testing": "tests génétiques", "genetics": "génétique",
        "sexual_health": "santé sexuelle",
        "sensitive_unit": "unité de soins sensible (d'après son nom)",
    },
    "en": {
        "psychiatry": "psychiatry", "addiction": "addiction care", "hiv": "HIV",
        "sti": "sexually transmitted infections", "hiv_sti": "HIV and STI (CeGIDD)",
        "self_harm": "suicide attempts, self-harm", "sexual_abuse": "sexual violence",
        "pregnancy_termination": "pregnancy termination",
        "chromosomal": "chromosomal anomalies", "genetic_counselling": "genetic counselling",
        "genetic_testing": "genetic testing", "genetics": "genetics",
        "sexual_health": "sexual health",
        "sensitive_unit": "sensitive care unit (from its name)",
    },
}

LEVELS = {
    "fr": {"low": "faible", "medium": "moyenne", "high": "élevée", "very high": "très élevée"},
    "en": {"low": "low", "medium": "medium", "high": "high", "very high": "very high"},
}

STATUSES = {
    "fr": {"failed": "fichiers illisibles (erreur de lecture)",
           "encrypted": "fichiers chiffrés (mot de passe inconnu)",
           "partial": "fichiers lus en partie",
           "skipped": "fichiers non lus (limite ou type non pris en charge)",
           "pending": "fichiers pas encore analysés"},
    "en": {"failed": "unreadable files (read error)", "encrypted": "encrypted files (unknown "
           "password)", "partial": "files read in part",
           "skipped": "files not read (a limit or an unsupported type)",
           "pending": "files not analysed yet"},
}

DOC_CLASSES = {
    "fr": {"patient_list": "listes et tables de patients",
           "staff_directory": "annuaires du personnel",
           "personal_data_table": "autres tables de données personnelles",
           "document_with_personal_data": "documents (courriers, comptes rendus...) contenant "
                                          "des données personnelles",
           "archive": "archives", "no_personal_data": "sans donnée personnelle trouvée",
           "unclassified": "non classés (non lus)"},
    "en": {"patient_list": "patient lists and tables", "staff_directory": "staff directories",
           "personal_data_table": "other personal data tables",
           "document_with_personal_data": "documents (letters, reports...) holding personal data",
           "archive": "archives", "no_personal_data": "no personal data found",
           "unclassified": "unclassified (not read)"},
}

# Likely consequences (Art. 33(3)(c)), each tied to the data category, role or flag that
# makes it likely; picked in cnil.py from what the case holds.
CONSEQUENCES = {
    "fr": {
        "phishing": "Hameçonnage ciblé et escroqueries : courriels, SMS ou appels se faisant "
                    "passer pour l'établissement ou l'Assurance maladie, rendus crédibles par "
                    "les données divulguées (coordonnées, dates de venue, service).",
        "identity_fraud": "Usurpation d'identité : ouverture de comptes, souscription de "
                          "crédits ou fraude aux prestations sociales à l'aide de l'état civil "
                          "et du numéro de sécurité sociale.",
        "medical_secrecy": "Atteinte au secret médical : révélation d'informations de santé à "
                           "des tiers (employeur, entourage, assureur), détresse morale.",
        "discrimination": "Discrimination et stigmatisation liées aux soins sensibles "
                          "(psychiatrie, addictions, VIH, IVG...) : préjudice familial, "
                          "professionnel ou social.",
        "extortion": "Chantage ou extorsion : des personnes peuvent être contactées par les "
                     "attaquants ou des tiers menaçant de révéler leurs informations de santé.",
        "financial_fraud": "Fraude financière : prélèvements ou virements frauduleux à partir "
                           "des coordonnées bancaires.",
        "account_takeover": "Prise de contrôle de comptes à partir des identifiants de "
                            "connexion divulgués, et intrusion dans d'autres systèmes.",
        "minors": "Des mineurs sont concernés : personnes vulnérables, exposées plus "
                  "longtemps aux conséquences de la divulgation.",
        "staff": "Personnels : hameçonnage ciblé visant l'établissement (ingénierie sociale) "
                 "et risque de harcèlement.",
    },
    "en": {
        "phishing": "Targeted phishing and scams: e-mails, text messages or calls posing as "
                    "the establishment or the health insurance, made credible by the disclosed "
                    "data (contact details, visit dates, department).",
        "identity_fraud": "Identity theft: accounts opened, loans taken out or social benefit "
                          "fraud using the civil status and the social security number.",
        "medical_secrecy": "Breach of medical confidentiality: health information revealed to "
                           "third parties (employer, relatives, insurer), distress.",
        "discrimination": "Discrimination and stigma linked to sensitive care (psychiatry, "
                          "addiction, HIV, pregnancy termination...): family, professional or "
                          "social harm.",
        "extortion": "Blackmail or extortion: people may be contacted by the attackers or "
                     "others threatening to reveal their health information.",
        "financial_fraud": "Financial fraud: fraudulent direct debits or transfers using the "
                           "banking details.",
        "account_takeover": "Account takeover using the disclosed credentials, and intrusion "
                            "into other systems.",
        "minors": "Minors are concerned: vulnerable people, exposed longer to the consequences "
                  "of the disclosure.",
        "staff": "Staff: targeted phishing against the establishment (social engineering) and "
                 "a risk of harassment.",
    },
}

# What a person must write, by field path (the marker's text).
FILL = {
    "fr": {
        "notification.initial_reference": "numéro de la notification initiale donné par la "
                                          "CNIL",
        "organisation.name": "raison sociale de l'établissement",
        "organisation.siren": "numéro SIREN",
        "organisation.finess": "numéro FINESS",
        "organisation.address": "adresse de l'établissement",
        "organisation.legal_representative": "nom et qualité du représentant légal",
        "contact.name": "nom du délégué à la protection des données (DPO) ou du contact",
        "contact.email": "adresse électronique du contact",
        "contact.phone": "téléphone du contact",
        "contact.address": "adresse postale du contact",
        "declarant.name": "nom et fonction du déclarant",
        "declarant.email": "adresse électronique du déclarant",
        "declarant.phone": "téléphone du déclarant",
        "dates.incident": "date (et heure si connue) du début de l'incident",
        "dates.discovery": "date et heure de la prise de connaissance (AAAA-MM-JJ HH:MM)",
        "dates.reasons_for_delay": "motifs du retard de notification au-delà de 72 heures",
        "nature.circumstances": "comment l'incident s'est produit (rançongiciel, intrusion, "
                                "vecteur d'attaque) et comment il a été découvert",
        "nature.other_breach_types": "atteinte à la disponibilité ou à l'intégrité (systèmes "
                                     "chiffrés, données modifiées) : oui / non",
        "measures.taken": "mesures prises pour remédier à la violation et en limiter les effets",
        "measures.planned": "mesures envisagées",
        "information_of_people.means": "moyens d'information des personnes (courrier "
                                       "individuel, courriel, communication publique)",
        "information_of_people.date": "date prévue de l'information des personnes",
        "incident.description": "description de l'incident et des systèmes touchés",
        "incident.ongoing": "incident en cours ou maîtrisé",
        "impact_on_care.description": "conséquences sur la prise en charge des patients "
                                      "(mode dégradé, déprogrammations, transferts)",
        "notifications.cnil_date": "date de la notification à la CNIL",
        "notifications.complaint": "plainte déposée (date, service) : oui / non",
        "notifications.support_requested": "appui demandé au CERT Santé : oui / non",
    },
    "en": {
        "notification.initial_reference": "number the CNIL gave the initial notification",
        "organisation.name": "legal name of the establishment",
        "organisation.siren": "SIREN number",
        "organisation.finess": "FINESS number",
        "organisation.address": "address of the establishment",
        "organisation.legal_representative": "name and title of the legal representative",
        "contact.name": "name of the data protection officer (DPO) or contact",
        "contact.email": "e-mail address of the contact",
        "contact.phone": "phone number of the contact",
        "contact.address": "postal address of the contact",
        "declarant.name": "name and position of the declarant",
        "declarant.email": "e-mail address of the declarant",
        "declarant.phone": "phone number of the declarant",
        "dates.incident": "date (and time if known) the incident began",
        "dates.discovery": "date and time of becoming aware (YYYY-MM-DD HH:MM)",
        "dates.reasons_for_delay": "reasons for notifying later than 72 hours",
        "nature.circumstances": "how the incident happened (ransomware, intrusion, attack "
                                "vector) and how it was discovered",
        "nature.other_breach_types": "loss of availability or integrity (encrypted systems, "
                                     "altered data): yes / no",
        "measures.taken": "measures taken to address the breach and limit its effects",
        "measures.planned": "measures planned",
        "information_of_people.means": "how people will be informed (individual letter, "
                                       "e-mail, public communication)",
        "information_of_people.date": "planned date of informing the people",
        "incident.description": "description of the incident and the systems affected",
        "incident.ongoing": "incident ongoing or contained",
        "impact_on_care.description": "consequences for patient care (degraded mode, "
                                      "cancelled appointments, transfers)",
        "notifications.cnil_date": "date of the notification to the CNIL",
        "notifications.complaint": "complaint filed (date, police service): yes / no",
        "notifications.support_requested": "support requested from CERT Santé: yes / no",
    },
}

LINKAGE = {
    "fr": {"exact": "par clés exactes (NIR, ou nom, prénom et date de naissance, téléphone "
                    "ou courriel)",
           "splink": "par clés exactes et par appariement probabiliste (Splink) pour les "
                     "fautes de frappe et les noms d'usage"},
    "en": {"exact": "by exact keys (NIR, or name, first name and birth date, phone or e-mail)",
           "splink": "by exact keys and by probabilistic record linkage (Splink) for typos "
                     "and married names"},
}

MARKER = {"fr": "À COMPLÉTER : ", "en": "TO BE FILLED: "}
