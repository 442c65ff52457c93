"""Every member keeps its own label whatever its name: repeated names, ``a\\b`` vs ``a/b``,
``/y`` vs ``y``, a member literally named ``x.zip!/b.csv`` (issue 12)."""

from __future__ import annotations

import csv
import io
import tarfile
import warnings
import zipfile
from pathlib import Path

import pytest

from breachscope.ingest.archives import iter_members
from breachscope.ingest.archives.names import UniqueLabels, escape_separator, numbered


def nir(first13: str) -> str:
    return f"{first13}{97 - int(first13) % 97:02d}"


NIRS = [nir(f"2850275{i:06d}") for i in range(1, 9)]


def csv_with(value: str) -> bytes:
    return f"nom;prenom;nir\nDUPONT;Marie;{value}\n".encode()


def colliding_zip() -> bytes:
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as zf:
        zf.writestr("b.csv", csv_with(NIRS[5]))
    buf = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buf, "w") as zf:
        warnings.simplefilter("ignore")  # zipfile warns about duplicate names
        zf.writestr("a.csv", csv_with(NIRS[0]))
        zf.writestr("a.csv", csv_with(NIRS[1]))
        zf.writestr("d\\e.csv", csv_with(NIRS[2]))
        zf.writestr("d/e.csv", csv_with(NIRS[3]))
        zf.writestr("/y.csv", csv_with(NIRS[4]))
        zf.writestr("y.csv", csv_with(NIRS[6]))
        zf.writestr("x.zip", inner.getvalue())
        zf.writestr("x.zip!/b.csv", csv_with(NIRS[7]))  # poses as x.zip's own b.csv
    return buf.getvalue()


def test_labels_are_unique_and_escaped(tmp_path: Path) -> None:
    path = tmp_path / "names.zip"
    path.write_bytes(colliding_zip())
    found = [(m.name, b"".join(m.chunks())) for m in iter_members(path, "zip")]
    assert [name for name, _ in found] == [
        "a.csv", "a (2).csv", "d/e.csv", "d/e (2).csv", "y.csv", "y (2).csv", "x.zip",
        "x.zip!\\/b.csv"]
    contents = [data for _, data in found]
    for value in NIRS[:5] + NIRS[6:]:
        assert sum(value.encode() in data for data in contents) == 1


def test_tar_repeated_names(tmp_path: Path) -> None:
    path = tmp_path / "names.tar"
    with tarfile.open(path, "w") as tar:
        for i, name in enumerate(["r.csv", "r.csv", "./r.csv", "/r.csv", "r (2).csv"]):
            data = csv_with(NIRS[i])
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    names = []
    for member in iter_members(path, "tar"):
        names.append(member.name)
        b"".join(member.chunks())
    assert len(set(names)) == 5 and names[:2] == ["r.csv", "r (2).csv"]
    assert names[-1] == "r (2) (2).csv"


def test_numbering_and_escape() -> None:
    assert numbered("dir/report.csv", 3) == "dir/report (3).csv"
    assert numbered("README", 2) == "README (2)"
    assert numbered(".bashrc", 2) == ".bashrc (2)"
    assert numbered("a.b/c", 2) == "a.b/c (2)"
    assert escape_separator("x.zip!/b.csv") == "x.zip!\\/b.csv"
    assert escape_separator(escape_separator("x!/y!/z")) == "x!\\/y!\\/z"


def test_many_namesakes_stay_linear() -> None:
    """200 000 members of one name: each label costs O(1) (a counter per repeated label)."""
    unique = UniqueLabels()
    calls = 0
    original = numbered

    def counting(label: str, n: int) -> str:
        nonlocal calls
        calls += 1
        return original(label, n)

    import breachscope.ingest.archives.names as names

    names.numbered = counting
    try:
        labels = [unique("same.csv") for _ in range(200_000)]
    finally:
        names.numbered = original
    assert len(set(labels)) == 200_000 and labels[-1] == "same (200000).csv"
    assert calls == 199_999


@pytest.mark.slow
def test_colliding_names_keep_their_findings_through_the_cli(tmp_path: Path, cli) -> None:
    dump = tmp_path / "dump"
    dump.mkdir()
    (dump / "names.zip").write_bytes(colliding_zip())
    case = tmp_path / "case"
    res = cli("scan", dump, "--case", case, "--workers", "1")
    assert res.exit_code == 0, res.output
    out = tmp_path / "findings.csv"
    res = cli("export", "--case", case, "--what", "findings", "--format", "csv", "-o", out)
    assert res.exit_code == 0, res.output
    with out.open(encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["entity"] == "NIR"]
    files_of = {}
    for row in rows:
        files_of.setdefault(row["value"], set()).add(row["file"])
    assert files_of == {
        NIRS[0]: {"names.zip!/a.csv"},
        NIRS[1]: {"names.zip!/a (2).csv"},
        NIRS[2]: {"names.zip!/d/e.csv"},
        NIRS[3]: {"names.zip!/d/e (2).csv"},
        NIRS[4]: {"names.zip!/y.csv"},
        NIRS[6]: {"names.zip!/y (2).csv"},
        NIRS[5]: {"names.zip!/x.zip!/b.csv"},
        NIRS[7]: {"names.zip!/x.zip!\\/b.csv"},
    }
