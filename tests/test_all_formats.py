"""Every format in one archive nested three levels deep: each file is found under its
contract path (``all.zip!/level2.tar.gz!/level3.zip!/...``) with its findings."""

from __future__ import annotations

import csv
import io
import tarfile
import zipfile

import pytest
from samples import EXTENSIONS, sample_makers


def _zip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _tar_gz(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


@pytest.mark.slow
def test_every_format_nested_three_levels_deep(tmp_path, cli):
    makers = sample_makers()
    assert {"csv", "xlsx", "json", "text", "xml", "html"} <= set(makers)
    files: dict[str, bytes] = {}
    expected: dict[str, list[tuple[str, str]]] = {}
    work = tmp_path / "samples"
    work.mkdir()
    for fmt, make in sorted(makers.items()):
        name = f"{fmt}_sample{EXTENSIONS[fmt]}"
        path = work / name
        expected[name] = make(path)
        files[name] = path.read_bytes()
    level3 = _zip(files)
    level2 = _tar_gz({"level3.zip": level3})
    dump = tmp_path / "dump"
    dump.mkdir()
    (dump / "all.zip").write_bytes(_zip({"level2.tar.gz": level2}))
    case = tmp_path / "case"
    res = cli("scan", dump, "--case", case)
    assert res.exit_code == 0, res.output
    out = tmp_path / "findings.csv"
    assert cli("export", "--case", case, "--what", "findings", "--format", "csv",
               "-o", out).exit_code == 0
    found: dict[str, set[tuple[str, str]]] = {}
    for row in csv.DictReader(out.open(encoding="utf-8")):
        found.setdefault(row["file"], set()).add((row["entity"], row["value"]))
    prefix = "all.zip!/level2.tar.gz!/level3.zip!/"
    missing = {}
    for name, wanted in expected.items():
        got = set()
        for file, pairs in found.items():
            if file == prefix + name or file.startswith(prefix + name + "!/"):
                got |= pairs
        lost = set(wanted) - got
        if lost:
            missing[name] = sorted(lost)
    assert not missing, f"findings missing per file: {missing}"
    files_out = tmp_path / "files.csv"
    assert cli("export", "--case", case, "--what", "files", "--format", "csv",
               "-o", files_out).exit_code == 0
    statuses = {r["file"]: r["status"] for r in csv.DictReader(files_out.open())}
    for name in expected:
        assert statuses[prefix + name] == "scanned", (name, statuses.get(prefix + name))


