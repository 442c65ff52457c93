"""RPPS (and ADELI), FINESS and payment card numbers in free text: checksum and context
(see :mod:`breachscope.detect.identifiers`)."""

from __future__ import annotations

from breachscope.detect.identifiers import scan_cards, scan_finess, scan_rpps

SCANNERS = [
    ("PAYMENT_CARD", scan_cards),
    ("RPPS", scan_rpps),
    ("FINESS", scan_finess),
]
