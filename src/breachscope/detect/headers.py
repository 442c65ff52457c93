"""What a column header says: tokenization and the header vocabulary (French and English).

Headers are folded (accents, case) and split into tokens on anything not alphanumeric and on
camelCase, so ``Date_Naiss``, ``date naissance``, ``dateNaissance`` and ``DATE-NAISS.`` read
alike. A trailing number is dropped from a word token (``TEL2`` → ``TEL``, ``ADRESSE1``).
:func:`header_label` maps tokens to the entity the header announces; value checks happen in
:mod:`breachscope.detect.columns`.
"""

from __future__ import annotations

import re

from breachscope.detect.validators import fold

_CAMEL = re.compile(r"(?<=[a-zà-ÿ])(?=[A-Z])")
_NON_ALNUM = re.compile(r"[^A-Z0-9]+")
_TRAILING_NUMBER = re.compile(r"(?<=[A-Z])\d+$")


def header_tokens(header: str) -> tuple[str, ...]:
    """``"N° Sécu_Social2"`` → ``("N", "SECU", "SOCIAL")``."""
    folded = fold(_CAMEL.sub(" ", header))
    return tuple(_TRAILING_NUMBER.sub("", t) for t in _NON_ALNUM.split(folded) if t)


def _any(tokens: tuple[str, ...], words: frozenset[str]) -> bool:
    return any(t in words for t in tokens)


def _phrase(tokens: tuple[str, ...], phrase: str) -> bool:
    return f" {phrase} " in f" {' '.join(tokens)} "


_NUMBER_WORDS = frozenset({"N", "NO", "NUM", "NUMERO", "NUMBER", "NR", "ID", "IDENTIFIANT", "CODE"})

EMAIL_WORDS = frozenset({"MAIL", "MAILS", "EMAIL", "EMAILS", "COURRIEL", "MEL"})
IBAN_WORDS = frozenset({"IBAN", "RIB", "BBAN"})
NIR_WORDS = frozenset({"NIR", "NIA", "INS", "NSS", "SECU", "NUMSECU", "NIRPP", "INSEE"})
PHONE_WORDS = frozenset({
    "TEL", "TELS", "TELEPHONE", "TELEPHONES", "PHONE", "PHONES", "PORTABLE", "MOBILE", "FIXE",
    "GSM", "CELL", "CELLULAIRE", "FAX", "MOB", "TELEPHONEFIXE", "TELEPHONEPORTABLE",
})
_BIRTH_TOKEN = re.compile(r"(?:DATE?|DT|D)?NAIS|BIRTH|DDN|DOB|DTN|DATNAI")
_BIRTH_PLACE_WORDS = frozenset({
    "LIEU", "VILLE", "COMMUNE", "PAYS", "DEPT", "DEPARTEMENT", "CP", "CODE", "INSEE", "PLACE",
    "CITY", "COUNTRY", "NOM", "NAME", "PRENOM", "RANG", "ORDRE", "POIDS", "TERME",
})
VISIT_WORDS = frozenset({
    "ENTREE", "ADMISSION", "ADMISSIONS", "ADMIS", "VENUE", "VISITE", "VISIT", "SORTIE",
    "CONSULTATION", "CONSULT", "RDV", "HOSPITALISATION", "HOSPIT", "ARRIVEE", "DISCHARGE",
    "APPOINTMENT", "ENCOUNTER", "SEJOUR", "INTERVENTION", "ACTE", "EXAMEN", "PASSAGE",
    "OPERATION", "PRELEVEMENT", "URGENCES",
})
# "Durée de séjour", "mode de sortie", "service d'entrée": about the stay, not its date.
_NOT_A_VISIT_DATE = frozenset({
    "DUREE", "NB", "NOMBRE", "MODE", "TYPE", "MOTIF", "LIEU", "HEURE", "PROVENANCE",
    "DESTINATION", "CODE", "SERVICE", "UNITE", "UF", "UM", "SECTEUR", "POLE", "STATUT",
})
# Dates that in a staff table are the employment's, not a stay's.
EMPLOYMENT_DATE_WORDS = frozenset({"ENTREE", "SORTIE", "ARRIVEE"})
DATE_WORDS = frozenset({"DATE", "DT", "JOUR", "DAY", "DATETIME", "TIMESTAMP", "LE"})
SEX_WORDS = frozenset({"SEXE", "SEX", "GENRE", "GENDER", "CIVILITE", "CIV"})
POSTAL_WORDS = frozenset({"CP", "CODEPOSTAL", "ZIP", "ZIPCODE", "POSTCODE", "POSTAL"})
CITY_WORDS = frozenset({"VILLE", "COMMUNE", "CITY", "LOCALITE", "TOWN", "SUBURB"})
ADDRESS_WORDS = frozenset({
    "ADRESSE", "ADDRESS", "ADR", "ADDR", "RUE", "VOIE", "DOMICILE", "STREET", "ADRESSEPOSTALE",
})
_ADDRESS_EXCLUDED = frozenset({"IP", "WEB", "URL", "SITE", "MAC"})
STAY_WORDS = frozenset({"NDA", "IEP"})
PATIENT_ID_WORDS = frozenset({"IPP", "NIP", "MRN", "DOSSIER", "IDPATIENT", "PATIENTID"})
# Professional, establishment, card and credential columns (values checked in columns.py).
RPPS_WORDS = frozenset({"RPPS", "ADELI", "IDNPS", "INPP", "PSIDNAT", "IDNATPS"})
FINESS_WORDS = frozenset({"FINESS", "FINEG", "FINEJ", "IDNST"})
_CARD_WORDS = frozenset({"CB", "CARD", "CARDNUMBER", "CREDITCARD", "PAN", "CCNUMBER"})
_PAYMENT_CARD_WORDS = frozenset({"BANCAIRE", "BLEUE", "CREDIT", "PAIEMENT", "VISA"})
_NOT_A_CARD = frozenset({
    "VITALE", "IDENTITE", "GRISE", "MUTUELLE", "CPS", "CPE", "SEJOUR", "FIDELITE", "AGENT",
    "PROFESSIONNELLE", "TIERS", "EXPIRATION", "EXP", "TYPE", "CRYPTOGRAMME", "CVV", "TITULAIRE",
})
_PASSWORD_WORDS = frozenset({
    "PASSWORD", "PASSWD", "PWD", "MDP", "MOTDEPASSE", "PASSWORDHASH", "HASHEDPASSWORD",
    "USERPASSWORD", "PASS", "PASSWORDS",
})
_SECRET_WORDS = frozenset({
    "TOKEN", "APIKEY", "SECRET", "CLIENTSECRET", "ACCESSTOKEN", "REFRESHTOKEN", "APITOKEN",
    "SECRETKEY", "PRIVATEKEY", "AUTHTOKEN",
})
_NOT_A_SECRET = frozenset({
    "DATE", "EXPIRATION", "EXPIRE", "EXPIRES", "TYPE", "ID", "LENGTH", "POLICY", "RESET",
    "CHANGED", "UPDATED", "CREATED", "ALGO", "ALGORITHM", "SALT", "COUNT", "NB", "VALIDITE",
    "TTL", "FICHIER", "FILE",
})
# Health columns (values checked in columns.py): ICD-10 codes (``CIM10``, ``DP``, ``DAS``,
# ``code_diag``; the trailing 10 is dropped by tokenization), diagnosis labels, medications,
# CCAM procedures.
ICD10_WORDS = frozenset({"CIM", "ICD", "DP", "DAS", "DR", "DAD", "DPP", "CIMDP", "CIMDAS"})
DIAGNOSIS_WORDS = frozenset({
    "DIAG", "DIAGS", "DIAGNOSTIC", "DIAGNOSTICS", "DIAGNOSIS", "DIAGNOSES", "PATHOLOGIE",
    "PATHOLOGIES", "LIBDIAG", "CODEDIAG",
})
MEDICATION_WORDS = frozenset({
    "TRAITEMENT", "TRAITEMENTS", "MEDICAMENT", "MEDICAMENTS", "MOLECULE", "MOLECULES", "DCI",
    "MEDICATION", "MEDICATIONS", "DRUG", "DRUGS", "PRESCRIPTION", "SPECIALITE",
})
PROCEDURE_WORDS = frozenset({"CCAM", "ACTE", "ACTES", "CODEACTE", "PROCEDURE", "PROCEDURES"})
CARE_UNIT_WORDS = frozenset({
    "SERVICE", "UNITE", "UF", "UM", "SECTEUR", "POLE", "WARD", "UNIT", "SERVICES",
})
FIRST_NAME_WORDS = frozenset({
    "PRENOM", "PRENOMS", "FIRSTNAME", "FORENAME", "GIVENNAME", "PRENOMUSUEL",
})
LAST_NAME_WORDS = frozenset({
    "NOM", "NAME", "LASTNAME", "SURNAME", "PATRONYME", "NOMUSAGE", "NOMNAISSANCE",
    "NOMFAMILLE", "NOMUSUEL", "NOMMARITAL", "FAMILYNAME",
})
PERSON_WORDS = frozenset({"NOMPRENOM", "IDENTITE", "FULLNAME", "PATIENT", "NOMCOMPLET"})
# A name column about someone else than the row's person (doctor, next of kin, company...).
OTHER_PARTY_WORDS = frozenset({
    "MEDECIN", "PRESCRIPTEUR", "REFERENT", "TRAITANT", "ETABLISSEMENT", "FICHIER", "PRODUIT",
    "MEDICAMENT", "SOCIETE", "ENTREPRISE", "EMPLOYEUR", "MUTUELLE", "ORGANISME", "CAISSE",
    "CONTACT", "PREVENIR", "URGENCE", "PERE", "MERE", "CONJOINT", "TUTEUR", "REPRESENTANT",
    "DOCTEUR", "DR", "PRATICIEN", "INTERVENANT", "OPERATEUR", "SAISIE", "UTILISATEUR", "USER",
    "AUTEUR", "CREATEUR", "VALIDEUR", "SIGNATAIRE", "DESTINATAIRE", "EXPEDITEUR", "CHIRURGIEN",
    "ANESTHESISTE", "INFIRMIER", "BANQUE", "PAYS", "JOUR", "MOIS", "FILE", "PRODUCT", "DOCTOR",
    "COMPANY", "EXAMEN", "ACTE", "DOCUMENT", "LOGICIEL", "HOST", "SERVEUR", "DOMAINE",
})
FREE_TEXT_WORDS = frozenset({
    "COMMENTAIRE", "COMMENTAIRES", "COMMENT", "COMMENTS", "OBSERVATION", "OBSERVATIONS",
    "NOTE", "NOTES", "REMARQUE", "REMARQUES", "MOTIF", "DESCRIPTION", "LIBELLE", "TEXTE",
    "DETAIL", "DETAILS", "CR", "COMPTE", "RENDU", "INFO", "INFOS",
})
STAFF_WORDS = frozenset({
    "FONCTION", "GRADE", "MATRICULE", "POSTE", "RPPS", "ADELI", "METIER", "QUALIFICATION",
    "EMPLOI", "AGENT", "EMBAUCHE", "SALAIRE", "QUOTITE", "CONTRAT", "ECHELON",
    # a planning: shifts, on-call duties, rotations
    "HORAIRE", "HORAIRES", "GARDE", "GARDES", "ASTREINTE", "ASTREINTES", "ROULEMENT",
    "VACATION", "VACATIONS", "SHIFT", "CRENEAU",
})
PATIENT_WORDS = frozenset({
    "IPP", "NIP", "PATIENT", "PATIENTS", "DOSSIER", "NDA", "IDPATIENT", "MRN",
})


def is_birth_header(tokens: tuple[str, ...]) -> bool:
    if _phrase(tokens, "NE LE") or _phrase(tokens, "NEE LE") or _phrase(tokens, "NE E LE"):
        return True
    return any(_BIRTH_TOKEN.match(t) for t in tokens) and not _any(tokens, _BIRTH_PLACE_WORDS)


def is_birth_place(tokens: tuple[str, ...]) -> bool:
    return any(_BIRTH_TOKEN.match(t) for t in tokens)


def is_date_header(tokens: tuple[str, ...]) -> bool:
    """The header says the column holds dates (of any kind)."""
    return _any(tokens, DATE_WORDS) or is_birth_header(tokens) or _any(tokens, VISIT_WORDS)


def is_staff_header(tokens: tuple[str, ...]) -> bool:
    """Staff evidence: job title, grade, employee number (``matricule``, not ``matricule
    INSEE`` which is a NIR), extension (``poste``), professional ids (RPPS, ADELI)..."""
    if "MATRICULE" in tokens and "INSEE" in tokens:
        return False
    return _any(tokens, STAFF_WORDS) or _phrase(tokens, "STATUT AGENT")


def is_patient_header(tokens: tuple[str, ...]) -> bool:
    """Strong patient evidence in a header: IPP, patient, file or stay number."""
    return _any(tokens, PATIENT_WORDS)


def header_label(tokens: tuple[str, ...], *, staff_table: bool = False) -> str | None:
    """The entity a header announces, or ``None``. Rules are tried from the most specific
    (``adresse mail`` is an e-mail, ``nom de naissance`` a last name, ``ID patient`` a patient
    id) to the most generic. ``staff_table``: ``date d'entrée`` is then a hiring date."""
    if not tokens:
        return None
    label: str | None = None
    if credential_header_kind(tokens) is not None:
        label = "CREDENTIAL"
    elif _any(tokens, EMAIL_WORDS) or _phrase(tokens, "E MAIL"):
        label = "EMAIL"
    elif _any(tokens, IBAN_WORDS):
        label = "IBAN"
    elif _is_card_header(tokens):
        label = "PAYMENT_CARD"
    elif _is_nir_header(tokens):
        label = "NIR"
    elif _any(tokens, RPPS_WORDS) or _phrase(tokens, "IDENTIFICATION NATIONALE PP") or _phrase(
        tokens, "IDENTIFIANT PP"
    ):
        label = "RPPS"
    elif _any(tokens, FINESS_WORDS):
        label = "FINESS"
    elif _any(tokens, PHONE_WORDS):
        label = "PHONE"
    elif is_birth_header(tokens):
        label = "BIRTH_DATE"
    elif _any(tokens, STAY_WORDS) or (_any(tokens, {"SEJOUR", "VENUE"})
                                      and _any(tokens, _NUMBER_WORDS)):
        label = "STAY_ID"
    elif _any(tokens, PATIENT_ID_WORDS) or ("PATIENT" in tokens and _any(tokens, _NUMBER_WORDS)):
        label = "PATIENT_ID"
    elif (health := health_header_label(tokens)) is not None:
        label = health
    elif _any(tokens, VISIT_WORDS) and not _any(tokens, _NOT_A_VISIT_DATE):
        employment = staff_table and _any(tokens, EMPLOYMENT_DATE_WORDS)
        label = None if employment else "VISIT_DATE"
    elif _any(tokens, SEX_WORDS):
        label = "SEX"
    elif _any(tokens, POSTAL_WORDS) or _phrase(tokens, "CODE POSTAL"):
        label = None if is_birth_place(tokens) else "POSTAL_CODE"
    elif _any(tokens, CITY_WORDS):
        birth_or_code = is_birth_place(tokens) or "CODE" in tokens or "INSEE" in tokens
        label = None if birth_or_code else "CITY"
    elif _any(tokens, ADDRESS_WORDS):
        label = None if _any(tokens, _ADDRESS_EXCLUDED) else "ADDRESS"
    elif _any(tokens, CARE_UNIT_WORDS):
        label = "CARE_UNIT"
    else:
        label = _name_label(tokens)
    return label


def _is_card_header(tokens: tuple[str, ...]) -> bool:
    """``N° CB``, ``numéro de carte bancaire``, ``card_number``, ``PAN`` (not ``carte
    vitale``, ``carte d'identité``, ``date d'expiration``, ``titulaire de la carte``...)."""
    if _any(tokens, _NOT_A_CARD) or _any(tokens, DATE_WORDS):
        return False
    if _any(tokens, _CARD_WORDS) or _phrase(tokens, "CREDIT CARD"):
        return True
    return "CARTE" in tokens and (_any(tokens, _PAYMENT_CARD_WORDS) or _any(tokens, _NUMBER_WORDS))


def credential_header_kind(tokens: tuple[str, ...]) -> str | None:
    """``password`` (``mot de passe``, ``pwd``, ``password_hash``), ``hash`` (a bare ``hash``
    column: only crypt-style values count) or ``secret`` (``token``, ``api_key``,
    ``client_secret``); ``None`` for other headers and for headers *about* a credential
    (``date d'expiration du mot de passe``, ``token_type``)."""
    if not tokens or _any(tokens, _NOT_A_SECRET) or _any(tokens, DATE_WORDS):
        return None
    joined = "".join(tokens)
    if _any(tokens, _PASSWORD_WORDS) or _phrase(tokens, "MOT DE PASSE") or joined in (
        _PASSWORD_WORDS
    ):
        return "password"
    if _any(tokens, _SECRET_WORDS) or joined in _SECRET_WORDS or _phrase(tokens, "API KEY"):
        return "secret"
    if tokens in (("HASH",), ("HASHED",), ("PASSWORD", "HASH")):
        return "hash"
    return None


def health_header_label(tokens: tuple[str, ...]) -> str | None:
    """``ICD10_CODE``, ``DIAGNOSIS``, ``MEDICATION`` or ``PROCEDURE`` for a health column
    header; ``None`` when it is about a date (``date acte``, ``date diagnostic``)."""
    if _any(tokens, DATE_WORDS) or is_birth_header(tokens) or "HEURE" in tokens:
        return None
    code = _any(tokens, _NUMBER_WORDS)
    if _any(tokens, ICD10_WORDS) or (code and _any(tokens, DIAGNOSIS_WORDS)):
        return "ICD10_CODE"
    if _any(tokens, PROCEDURE_WORDS):
        return "PROCEDURE"
    if _any(tokens, DIAGNOSIS_WORDS):
        return "DIAGNOSIS"
    if _any(tokens, MEDICATION_WORDS):
        return "MEDICATION"
    return None


def is_foreign_ssn_header(tokens: tuple[str, ...]) -> bool:
    """``soc_sec_id``, ``SSN``, ``social security number``: a social security number that
    may be another country's (not a NIR); columns.py keeps it as a person identifier."""
    return "SSN" in tokens or _phrase(tokens, "SOC SEC") or _phrase(tokens, "SOCIAL SECURITY")


def _is_nir_header(tokens: tuple[str, ...]) -> bool:
    if is_foreign_ssn_header(tokens):
        return True
    if _any(tokens, NIR_WORDS) and not ("CODE" in tokens and "INSEE" in tokens):
        return True
    if _phrase(tokens, "SECURITE SOCIALE") or _phrase(tokens, "SECU SOCIALE"):
        return True
    return "SS" in tokens and _any(tokens, _NUMBER_WORDS)


def _name_label(tokens: tuple[str, ...]) -> str | None:
    if _any(tokens, OTHER_PARTY_WORDS) or _any(tokens, FREE_TEXT_WORDS):
        return None
    has_first = _any(tokens, FIRST_NAME_WORDS) or _phrase(tokens, "FIRST NAME") or _phrase(
        tokens, "GIVEN NAME")
    has_last = _any(tokens, LAST_NAME_WORDS)
    # "first_and_surname", "nom prénom": both parts, a full name ("NAME" alone is no
    # surname: "given name", "first name").
    surname = any(t in LAST_NAME_WORDS and t != "NAME" for t in tokens)
    if has_first or ("FIRST" in tokens and surname):
        return "PERSON" if "NOM" in tokens or surname else "FIRST_NAME"
    if _any(tokens, PERSON_WORDS) or _phrase(tokens, "NOM COMPLET") or _phrase(
        tokens, "FULL NAME"
    ):
        return "PERSON"
    if has_last or _phrase(tokens, "LAST NAME") or _phrase(tokens, "FAMILY NAME"):
        return "LAST_NAME"
    return None
