"""Fixtures for the hostile-input tests: the hostile corpus and a larger leak of ordinary
files, each built once per session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from corpus import CorpusTruth, build_corpus  # pytest puts tests/hostile on sys.path

# -------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def hostile_corpus(tmp_path_factory: pytest.TempPathFactory) -> CorpusTruth:
    """The hostile dump, built once per session (about 2 s, ~160 MB on disk)."""
    root = tmp_path_factory.mktemp("hostile-corpus")
    return build_corpus(root)


@pytest.fixture(scope="session")
def ordinary_leak(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A larger leak of ordinary files: several demo leaks side by side (different seeds)."""
    from breachscope.demo import generate_leak

    out = tmp_path_factory.mktemp("ordinary-leak")
    leak = out / "leak"
    for seed in range(4):
        generate_leak(out / f"g{seed}", seed=100 + seed, n_patients=3000)
        shutil.move(out / f"g{seed}" / "leak", leak / f"wave{seed}")
    return leak
