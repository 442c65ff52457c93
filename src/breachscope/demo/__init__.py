"""Synthetic French hospital leak with its exact ground truth (demo, tests, benchmarks)."""

from breachscope.demo.generator import generate_leak
from breachscope.demo.identifiers import fold_name
from breachscope.demo.truth import (
    Decoy,
    Truth,
    TruthFile,
    TruthFinding,
    TruthKeyLink,
    TruthOrphan,
    TruthPerson,
    TruthUnit,
)

__all__ = [
    "Decoy",
    "Truth",
    "TruthFile",
    "TruthFinding",
    "TruthKeyLink",
    "TruthOrphan",
    "TruthPerson",
    "TruthUnit",
    "fold_name",
    "generate_leak",
]
