"""The text views of the CNIL and ARS drafts: the JSON documents of
:mod:`breachscope.notify.cnil` turned into titled sections of labelled rows, tables and
bullets, which one Markdown and one HTML template render (``data/notify/draft.*.j2``). Made
from the JSON only, so the text cannot say what the JSON does not."""

from __future__ import annotations

import datetime as dt
from typing import Any

from breachscope.notify import cnil_text as tx
from breachscope.notify.cnil_facts import SEVERITY_LEVELS

CNIL_NAME = "cnil-notification"
ARS_NAME = "ars-declaration"


def text_lines(text: str) -> list[str] | None:
    lines = [ln.strip().lstrip("-•*").strip() for ln in text.splitlines()]
    return [ln for ln in lines if ln] or None


def or_none(text: str) -> str | None:
    return text.strip() or None


def fmt_int(n: int, lang: str) -> str:
    return f"{n:,}".replace(",", "\u202f" if lang == "fr" else ",")


def files_text(n: int, lang: str) -> str:
    """``1 fichier``, ``37 fichiers``."""
    word = ("fichier" if lang == "fr" else "file") + ("s" if n > 1 else "")
    return f"{fmt_int(n, lang)} {word}"


def fmt_bytes(n: int, lang: str) -> str:
    units = ("o", "ko", "Mo", "Go", "To") if lang == "fr" else ("B", "KB", "MB", "GB", "TB")
    value = float(n)
    for unit in units:
        if value < 1000 or unit == units[-1]:
            text = f"{value:.0f}" if unit == units[0] else f"{value:.1f}"
            return f"{text.replace('.', ',') if lang == 'fr' else text} {unit}"
        value /= 1000
    return str(n)  # pragma: no cover


def fmt_when(value: str | None, lang: str) -> str | None:
    if not value:
        return None
    when = dt.datetime.fromisoformat(value)
    has_time = "T" in value or " " in value
    if lang == "fr":
        return when.strftime("%d/%m/%Y à %H:%M" if has_time else "%d/%m/%Y")
    return when.strftime("%Y-%m-%d %H:%M" if has_time else "%Y-%m-%d")


def label_of(table: dict[str, dict[str, str]], lang: str, code: str) -> str:
    return table[lang].get(code, code)


def _row(label: str, value: Any = None, *, fill: str | None = None,
         lines: list[str] | None = None) -> dict[str, Any]:
    return {"label": label, "value": None if value is None else str(value), "fill": fill,
            "lines": lines}


def _fill_row(label: str, value: str | None, path: str, lang: str,
              lines: list[str] | None = None) -> dict[str, Any]:
    if value is None and not lines:
        return _row(label, fill=tx.FILL[lang][path])
    return _row(label, value, lines=lines)


def _wave_text(wave: dict[str, int], lang: str) -> str:
    n = lambda v: fmt_int(v, lang)  # noqa: E731
    if lang == "fr":
        return (f"{n(wave['files'])} fichier(s) nouveau(x) ({n(wave['files_before'])} "
                f"auparavant), {n(wave['people'])} personne(s) nouvelle(s) "
                f"({n(wave['people_before'])} déjà connue(s))")
    return (f"{n(wave['files'])} new file(s) ({n(wave['files_before'])} before), "
            f"{n(wave['people'])} new person(s) ({n(wave['people_before'])} already known)")


def _role_rows(counts: dict[str, int], lang: str) -> list[dict[str, Any]]:
    return [_row(f"— {label_of(tx.ROLES, lang, r).capitalize()}", fmt_int(v, lang))
            for r, v in counts.items()]


def _counts_table(head: list[str], counts: dict[str, int], labels: dict[str, dict[str, str]],
                  lang: str) -> dict[str, Any]:
    return {"head": head, "rows": [[label_of(labels, lang, k), fmt_int(v, lang)]
                                   for k, v in counts.items()]}


def cnil_view(doc: dict[str, Any]) -> dict[str, Any]:
    lang = doc["lang"]
    fr = lang == "fr"

    def t(a: str, b: str) -> str:
        return a if fr else b

    n = lambda v: fmt_int(v, lang)  # noqa: E731
    org, contact, dates, nature = doc["organisation"], doc["contact"], doc["dates"], doc["nature"]
    people, sens, sev = doc["people"], doc["sensitive_data"], doc["severity"]
    complementary = doc["notification"]["type"] == "complementary"
    sections: list[dict[str, Any]] = []

    sections.append({"title": t("Type de notification", "Type of notification"), "rows": [
        _row(t("Notification", "Notification"),
             t("complémentaire", "complementary") if complementary
             else t("initiale", "initial")),
        _fill_row(t("Référence de la notification initiale",
                    "Reference of the initial notification"),
                  doc["notification"]["initial_reference"], "notification.initial_reference",
                  lang) if complementary else None,
        _row(t("Chiffres comparés au brouillon du", "Figures compared with the draft of"),
             fmt_when(doc["notification"]["previous_generated_at"], lang))
        if doc["notification"]["previous_generated_at"] else None,
    ], "paras": [t("Notification initiale : les informations sont complétées par une "
                   "notification complémentaire dès qu'elles sont connues (article 33, "
                   "paragraphe 4, du RGPD).",
                   "Initial notification: the information is completed by a complementary "
                   "notification as soon as it is known (GDPR Art. 33(4)).")]
        if not complementary else []})

    sections.append({"title": t("Organisme", "Organisation"), "rows": [
        _fill_row(t("Raison sociale", "Name"), org["name"], "organisation.name", lang),
        _fill_row("SIREN", org["siren"], "organisation.siren", lang),
        _fill_row(t("Adresse", "Address"), None, "organisation.address", lang,
                  lines=text_lines(org["address"] or "")),
        _fill_row(t("Représentant légal", "Legal representative"),
                  org["legal_representative"], "organisation.legal_representative", lang),
        _row(t("Secteur", "Sector"), t("santé (établissement de santé)",
                                       "health (health establishment)")),
    ]})

    sections.append({"title": t("Personne à contacter (délégué à la protection des données)",
                                "Contact point (data protection officer)"), "rows": [
        _fill_row(t("Nom", "Name"), contact["name"], "contact.name", lang),
        _fill_row(t("Courriel", "E-mail"), contact["email"], "contact.email", lang),
        _fill_row(t("Téléphone", "Phone"), contact["phone"], "contact.phone", lang),
        _fill_row(t("Adresse", "Address"), None, "contact.address", lang,
                  lines=text_lines(contact["address"] or "")) if contact["address"] else None,
    ]})

    deadline_rows = [
        _fill_row(t("Début de la violation", "Start of the breach"),
                  fmt_when(dates["incident"], lang), "dates.incident", lang),
        _fill_row(t("Prise de connaissance", "Became aware"),
                  fmt_when(dates["discovery"], lang), "dates.discovery", lang),
    ]
    if dates["deadline_72h"]:
        late = dates["deadline_passed"] and not complementary
        deadline_rows.append(_row(
            t("Échéance des 72 heures", "72-hour deadline"),
            fmt_when(dates["deadline_72h"], lang) + t(" (heure de Paris)", " (Paris time)")
            + ("" if "T" in dates["discovery"] else t(
                ", comptée depuis 00:00 faute d'heure de prise de connaissance",
                ", counted from 00:00 as no time of becoming aware is given")) + (
                t(", dépassée à la date de ce brouillon", ", passed when this draft was made")
                if late else "")))
        if late:
            deadline_rows.append(_row(t("Motifs du retard", "Reasons for the delay"),
                                      fill=tx.FILL[lang]["dates.reasons_for_delay"]))
    else:
        deadline_rows.append(_row(
            t("Échéance des 72 heures", "72-hour deadline"),
            t("calculée dès que la date de prise de connaissance est renseignée",
              "computed once the date of becoming aware is given")))
    sections.append({"title": t("Dates", "Dates"), "rows": deadline_rows, "paras": [
        t("La notification doit parvenir à la CNIL dans les 72 heures suivant la prise de "
          "connaissance de la violation (article 33 du RGPD) ; au-delà, elle est accompagnée "
          "des motifs du retard.",
          "The CNIL must be notified within 72 hours of becoming aware of the breach (GDPR "
          "Art. 33); a later notification states the reasons for the delay.")]})

    files = nature["files"]
    period = nature["period"]
    nature_rows = [
        _row(t("Type d'atteinte", "Type of breach"),
             t("perte de confidentialité (données copiées par des attaquants et publiées)",
               "loss of confidentiality (data copied by attackers and published)")),
        _row(t("Disponibilité, intégrité", "Availability, integrity"),
             fill=tx.FILL[lang]["nature.other_breach_types"]),
        _row(t("Circonstances", "Circumstances"), fill=tx.FILL[lang]["nature.circumstances"]),
        _row(t("Fichiers publiés analysés", "Published files analysed"),
             t(f"{files_text(files['total'], lang)} ({fmt_bytes(files['bytes'], lang)}), "
               f"dont {n(files['with_personal_data'])} contenant des données personnelles",
               f"{files_text(files['total'], lang)} ({fmt_bytes(files['bytes'], lang)}), "
               f"{n(files['with_personal_data'])} of them holding personal data")),
    ]
    if period:
        nature_rows.append(_row(t("Période couverte par les données", "Period the data covers"),
                                t(f"du {fmt_when(period['first'], lang)} au "
                                  f"{fmt_when(period['last'], lang)}",
                                  f"{period['first']} to {period['last']}")))
    if nature["waves"]:
        nature_rows.append(_row(t("Vagues de publication analysées", "Publication waves analysed"),
                                n(nature["waves"])))
    wave = nature["last_wave"]
    if wave:
        nature_rows.append(_row(t("Dernière vague", "Last wave"), _wave_text(wave, lang)))
    sections.append({"title": t("Nature de la violation", "Nature of the breach"),
                     "rows": nature_rows, "tables": [
        _counts_table([t("Catégorie de documents", "Kind of document"), t("Fichiers", "Files")],
                      files["by_doc_class"], tx.DOC_CLASSES, lang),
        _counts_table([t("Type de fichier", "File type"), t("Fichiers", "Files")],
                      files["by_type"], {"fr": {}, "en": {}}, lang),
    ]})

    role_rows = [_row(label_of(tx.ROLES, lang, r).capitalize(), n(v))
                 for r, v in people["by_role"].items()]
    sections.append({"title": t("Personnes concernées", "People concerned"), "rows": [
        _row(t("Nombre approximatif de personnes", "Approximate number of people"),
             n(people["total"])),
        *role_rows,
        _row(t("Dont mineurs (personnes vulnérables)", "Of whom minors (vulnerable people)"),
             n(people["minors"])),
        _row(t("Identifiées (nom complet ou identifiant)", "Identified (full name or identifier)"),
             n(people["identified"])),
        _row(t("Connues par une mention non résolue", "Known by an unresolved mention"),
             n(people["unresolved"])),
        _row(t("Nombre approximatif d'enregistrements", "Approximate number of records"),
             n(doc["records"]["total"])),
    ], "paras": [t("Les patients d'un établissement de santé sont des personnes vulnérables "
                   "au sens des lignes directrices européennes sur l'analyse d'impact "
                   "(WP248).",
                   "Patients of a health establishment are vulnerable people in the sense of "
                   "the European guidelines on impact assessment (WP248).")]
        if people["by_role"].get("PATIENT") else []})

    roles = sorted({r for c in doc["data_categories"] for r in c["by_role"]})
    sections.append({"title": t("Catégories de données", "Categories of data"), "rows": [
        _row(t("Personnes dont le numéro de sécurité sociale (NIR) est divulgué",
               "People whose social security number (NIR) is disclosed"), n(doc["nir_people"])),
    ], "tables": [
        {"head": [t("Catégorie", "Category"), t("Personnes", "People"),
                  *[label_of(tx.ROLES, lang, r).capitalize() for r in roles]],
         "rows": [[c["label"], n(c["people"]), *[n(c["by_role"].get(r, 0)) for r in roles]]
                  for c in doc["data_categories"]]},
        {"head": [t("Donnée trouvée", "Data found"), t("Occurrences", "Occurrences"),
                  t("Valeurs distinctes", "Distinct values")],
         "rows": [[k["label"], n(k["occurrences"]), n(k["distinct_values"])]
                  for k in doc["data_kinds"]]},
    ]})

    sens_rows = [
        _row(t("Personnes dont des données de santé sont divulguées",
               "People whose health data are disclosed"), n(sens["health_people"])),
        _row(t("Dont soins sensibles", "Of whom sensitive care"), n(sens["sensitive_people"])),
        *[_row(f"— {label_of(tx.SENSITIVE, lang, k)}", n(v))
          for k, v in sens["by_category"].items()],
        _row(t("Soins sensibles non déterminés (unité non décodée)",
               "Sensitive care undecided (unit not decoded)"), n(sens["undecided"])),
    ]
    sections.append({"title": t("Données sensibles (article 9 du RGPD)",
                                "Sensitive data (GDPR Art. 9)"), "rows": sens_rows,
                     "paras": [t("Une personne peut relever de plusieurs catégories de soins "
                                 "sensibles.", "A person may fall in several categories of "
                                 "sensitive care.")]})

    sections.append({"title": t("Conséquences probables pour les personnes",
                                "Likely consequences for the people"),
                     "bullets": [c["text"] for c in doc["likely_consequences"]],
                     "paras": [] if doc["likely_consequences"] else [t(
                         "Aucune donnée personnelle n'a été trouvée dans la copie analysée : "
                         "les conséquences sont à évaluer au vu des circonstances.",
                         "No personal data was found in the copy analysed: the consequences "
                         "are to be assessed from the circumstances.")]})

    measures = doc["measures"]
    sections.append({"title": t("Mesures prises et envisagées", "Measures taken and planned"),
                     "rows": [
        _fill_row(t("Mesures prises", "Measures taken"), None, "measures.taken", lang,
                  lines=measures["taken"]),
        _fill_row(t("Mesures envisagées", "Measures planned"), None, "measures.planned", lang,
                  lines=measures["planned"]),
        _row(t("Analyse des données publiées", "Analysis of the published data"),
             lines=measures["by_breachscope"]),
    ]})

    sections.append({"title": t("Évaluation de la gravité", "Severity assessment"), "rows": [
        _row(t("Méthode", "Method"), t("ENISA 2013 (contexte du traitement × facilité "
                                       "d'identification + circonstances)",
                                       "ENISA 2013 (data processing context × ease of "
                                       "identification + circumstances)")),
        *[_row(t("Gravité ", "Severity ") + tx.LEVELS[lang][lvl], n(sev["by_level"][lvl]))
          for lvl in SEVERITY_LEVELS],
    ]})

    info = doc["information_of_people"]
    info_rows = [
        _row(t("Information des personnes (article 34)", "Informing the people (Art. 34)"),
             t(f"requise — risque élevé pour {n(info['people'])} personne(s)",
               f"required — high risk for {n(info['people'])} person(s)") if info["required"]
             else t("non requise — aucune personne à risque élevé",
                    "not required — nobody at high risk")),
        *_role_rows(info["by_role"], lang),
    ]
    if info["required"]:
        info_rows += [_row(t("Moyens", "Means"), fill=tx.FILL[lang]["information_of_people.means"]),
                      _row(t("Date", "Date"), fill=tx.FILL[lang]["information_of_people.date"])]
    sections.append({"title": t("Information des personnes concernées",
                                "Informing the people concerned"), "rows": info_rows})

    sections.append({"title": t("Méthode et limites", "Method and limits"), "rows": [
        _row(t("Outil", "Tool"), doc["method"]["tool"]),
    ], "bullets": doc["method"]["limits"]})

    delta = doc["since_previous"]
    if complementary:
        if delta:
            def change(d: dict[str, int]) -> str:
                return (f"{n(d['previous'])} → {n(d['current'])} "
                        f"({'+' if d['change'] >= 0 else ''}{n(d['change'])})")
            sections.insert(1, {"title": t("Évolution depuis la précédente notification",
                                           "Changes since the previous notification"), "rows": [
                _row(t("Personnes", "People"), change(delta["people"])),
                *[_row(f"— {label_of(tx.ROLES, lang, r).capitalize()}", change(d))
                  for r, d in delta["people_by_role"].items()],
                _row(t("Enregistrements", "Records"), change(delta["records"])),
                _row(t("Soins sensibles", "Sensitive care"), change(delta["sensitive_people"])),
                _row(t("Gravité élevée ou très élevée", "High or very high severity"),
                     change(delta["high_or_above"])),
                _row(t("Fichiers", "Files"), change(delta["files"])),
            ]})
        else:
            sections.insert(1, {"title": t("Évolution depuis la précédente notification",
                                           "Changes since the previous notification"),
                                "paras": [t("Aucune version précédente n'a été trouvée dans ce "
                                            "dossier : tous les chiffres actuels sont donnés.",
                                            "No previous draft was found in this folder: all "
                                            "current figures are given.")],
                                "rows": [_row(t("Dernière vague de publication",
                                                "Last publication wave"),
                                              _wave_text(wave, lang))] if wave else []})
    return _finish_view(doc, sections, t(
        "Notification de violation de données personnelles à la CNIL — brouillon",
        "Personal data breach notification to the CNIL — draft"), t(
        "Brouillon pré-rempli par breachscope à partir de l'analyse des données publiées "
        "(article 33 du RGPD). Il ne contient que des nombres, jamais d'identité. Les champs "
        "marqués « À COMPLÉTER » sont à renseigner avant le dépôt sur le téléservice de la CNIL.",
        "Draft pre-filled by breachscope from the analysis of the published data (GDPR "
        "Art. 33). It holds counts only, never an identity. Fields marked \"TO BE FILLED\" must "
        "be completed before filing on the CNIL's online service."))


def ars_view(doc: dict[str, Any]) -> dict[str, Any]:
    lang = doc["lang"]
    fr = lang == "fr"

    def t(a: str, b: str) -> str:
        return a if fr else b

    n = lambda v: fmt_int(v, lang)  # noqa: E731
    est, dec, dates, data = (doc["establishment"], doc["declarant"], doc["dates"],
                             doc["impact_on_data"])
    complementary = doc["declaration"]["type"] == "complementary"
    sections: list[dict[str, Any]] = [
        {"title": t("Déclaration", "Declaration"), "rows": [
            _row(t("Type", "Type"), t("complémentaire", "follow-up") if complementary
                 else t("initiale", "initial")),
            _row(t("Cadre", "Legal basis"),
                 t("incident grave de sécurité des systèmes d'information (article L.1111-8-2 "
                   "du code de la santé publique, décret n° 2016-1214 modifié par le décret "
                   "n° 2022-715), déclaré sur le portail de signalement des événements "
                   "sanitaires indésirables", "serious information-system security incident "
                   "(Public Health Code L.1111-8-2, decree 2016-1214 as amended by decree "
                   "2022-715), declared on the national portal for adverse health events")),
        ]},
        {"title": t("Établissement", "Establishment"), "rows": [
            _fill_row(t("Raison sociale", "Name"), est["name"], "organisation.name", lang),
            _fill_row("FINESS", est["finess"], "organisation.finess", lang),
            _row("SIREN", est["siren"]) if est["siren"] else None,
            _fill_row(t("Adresse", "Address"), None, "organisation.address", lang,
                      lines=text_lines(est["address"] or "")),
            _row(t("Représentant légal", "Legal representative"), est["legal_representative"])
            if est["legal_representative"] else None,
        ]},
        {"title": t("Déclarant", "Declarant"), "rows": [
            _fill_row(t("Nom", "Name"), dec["name"], "declarant.name", lang),
            _fill_row(t("Courriel", "E-mail"), dec["email"], "declarant.email", lang),
            _fill_row(t("Téléphone", "Phone"), dec["phone"], "declarant.phone", lang),
        ]},
        {"title": t("Incident", "Incident"), "rows": [
            _fill_row(t("Date de début", "Start date"), fmt_when(dates["incident"], lang),
                      "dates.incident", lang),
            _fill_row(t("Date de détection", "Detected on"), fmt_when(dates["discovery"], lang),
                      "dates.discovery", lang),
            _row(t("Nature", "Nature"),
                 t("acte malveillant (fuite de données publiées par les attaquants)",
                   "malicious act (leak of data published by the attackers)")),
            _row(t("Description et systèmes touchés", "Description and systems affected"),
                 fill=tx.FILL[lang]["incident.description"]),
            _row(t("État", "Status"), fill=tx.FILL[lang]["incident.ongoing"]),
        ]},
        {"title": t("Conséquences sur la prise en charge des patients",
                    "Consequences for patient care"), "rows": [
            _row(t("Description", "Description"), fill=tx.FILL[lang]["impact_on_care.description"]),
        ]},
        {"title": t("Conséquences sur les données", "Consequences for the data"), "rows": [
            _row(t("Personnes concernées", "People concerned"), n(data["people"])),
            *_role_rows(data["by_role"], lang),
            _row(t("Dont mineurs", "Of whom minors"), n(data["minors"])),
            _row(t("Personnes dont des données de santé sont divulguées",
                   "People whose health data are disclosed"), n(data["health_people"])),
            _row(t("Dont soins sensibles", "Of whom sensitive care"), n(data["sensitive_people"])),
            *[_row(f"— {label_of(tx.SENSITIVE, lang, k)}", n(v))
              for k, v in data["sensitive_by_category"].items()],
            _row(t("Personnes dont le NIR est divulgué", "People whose NIR is disclosed"),
                 n(data["nir_people"])),
            _row(t("Enregistrements", "Records"), n(data["records"])),
            _row(t("Fichiers publiés analysés", "Published files analysed"),
                 f"{n(data['files'])} ({fmt_bytes(data['bytes'], lang)})"),
            _row(t("Période couverte", "Period covered"),
                 f"{fmt_when(data['period']['first'], lang)} – "
                 f"{fmt_when(data['period']['last'], lang)}") if data["period"] else None,
            _row(t("Gravité élevée ou très élevée (ENISA)", "High or very high severity (ENISA)"),
                 n(data["high_or_above"])),
        ]},
        {"title": t("Mesures", "Measures"), "rows": [
            _fill_row(t("Mesures prises", "Measures taken"), None, "measures.taken", lang,
                      lines=doc["measures"]["taken"]),
            _fill_row(t("Mesures envisagées", "Measures planned"), None, "measures.planned",
                      lang, lines=doc["measures"]["planned"]),
            _row(t("Analyse des données publiées", "Analysis of the published data"),
                 lines=doc["measures"]["by_breachscope"]),
        ]},
        {"title": t("Autres démarches", "Other steps"), "rows": [
            _row(t("Notification à la CNIL", "Notification to the CNIL"),
                 t(f"brouillon joint ({CNIL_NAME})", f"draft attached ({CNIL_NAME})"),
                 fill=tx.FILL[lang]["notifications.cnil_date"]),
            _row(t("Plainte", "Complaint"), fill=tx.FILL[lang]["notifications.complaint"]),
            _row(t("Appui du CERT Santé", "CERT Santé support"),
                 fill=tx.FILL[lang]["notifications.support_requested"]),
        ]},
    ]
    return _finish_view(doc, sections, t(
        "Déclaration d'incident de sécurité des systèmes d'information (ARS / CERT Santé) — "
        "brouillon", "Information-system security incident declaration (ARS / CERT Santé) — "
        "draft"), t(
        "Brouillon pré-rempli par breachscope pour la déclaration sur le portail de signalement "
        "des événements sanitaires indésirables. Il ne contient que des nombres, jamais "
        "d'identité. Les champs marqués « À COMPLÉTER » sont à renseigner.",
        "Draft pre-filled by breachscope for the declaration on the national portal for "
        "adverse health events. It holds counts only, never an identity. Fields marked \"TO BE "
        "FILLED\" must be completed."))


def _finish_view(doc: dict[str, Any], sections: list[dict[str, Any]], title: str,
                 intro: str) -> dict[str, Any]:
    lang = doc["lang"]
    for s in sections:
        s["rows"] = [r for r in s.get("rows", []) if r is not None]
        s.setdefault("paras", [])
        s.setdefault("tables", [])
        s.setdefault("bullets", [])
        s["tables"] = [tb for tb in s["tables"] if tb["rows"]]
    generated = dt.datetime.fromisoformat(doc["generated_at"])
    return {"lang": lang, "title": title, "intro": intro, "sections": sections,
            "marker": tx.MARKER[lang], "colon": " : " if lang == "fr" else ": ",
            "generated": (f"Généré le {generated:%d/%m/%Y à %H:%M} par {doc['generator']}"
                          if lang == "fr" else
                          f"Generated on {generated:%Y-%m-%d %H:%M} by {doc['generator']}"),
            "n_fill": len(doc["to_fill"]),
            "fill_note": (f"{len(doc['to_fill'])} champ(s) à compléter." if lang == "fr"
                          else f"{len(doc['to_fill'])} field(s) to fill.")}
