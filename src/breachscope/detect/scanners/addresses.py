"""Addresses in free text: street lines (``ADDRESS``), postal code + commune pairs checked
against the shipped list (``POSTAL_CODE``, ``CITY``). See :mod:`breachscope.detect.addresses`.

This module runs before the person-name scanners (modules run in name order), so a street
named after someone (``rue Victor Hugo``) is taken as an address first."""

from __future__ import annotations

from breachscope.detect.addresses import find_cities, find_postal_codes, find_street_lines

SCANNERS = [
    ("ADDRESS", find_street_lines),
    ("POSTAL_CODE", find_postal_codes),
    ("CITY", find_cities),
]
