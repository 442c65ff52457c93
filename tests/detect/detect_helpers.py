"""Helpers shared by the detection tests."""

from __future__ import annotations


def make_nir(first13: str) -> str:
    """A NIR with its key computed independently of stdnum: 97 - (13 digits mod 97), with
    Corsica's 2A/2B read as 19/18."""
    digits = first13.upper()
    if digits[5:7] == "2A":
        digits = digits[:5] + "19" + digits[7:]
    elif digits[5:7] == "2B":
        digits = digits[:5] + "18" + digits[7:]
    return f"{first13.upper()}{97 - int(digits) % 97:02d}"
