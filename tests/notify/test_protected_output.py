"""breachscope.outputs.ProtectedOutput: clear files 0600 or one encrypted 7z; names stay
inside the output; a failure leaves no half-written archive."""

from __future__ import annotations

import stat

import py7zr
import pytest

from breachscope.outputs import ProtectedOutput, protected_file


def test_clear_and_encrypted(tmp_path):
    with ProtectedOutput(tmp_path / "clear", password=None, archive_name="a.7z") as out:
        out.add("letters/x.pdf", b"%PDF secret DUPONT")
    assert out.written == [tmp_path / "clear" / "letters" / "x.pdf"]
    assert stat.S_IMODE((tmp_path / "clear" / "letters").stat().st_mode) == 0o700
    assert stat.S_IMODE(out.written[0].stat().st_mode) == 0o600

    with ProtectedOutput(tmp_path / "enc", password="k3y", archive_name="a.7z") as out:
        out.add("letters/x.pdf", b"%PDF secret DUPONT")
    assert out.written == [tmp_path / "enc" / "a.7z"]
    assert [p.name for p in (tmp_path / "enc").iterdir()] == ["a.7z"]
    raw = out.written[0].read_bytes()
    assert b"DUPONT" not in raw and b"letters" not in raw
    with py7zr.SevenZipFile(out.written[0], password="k3y") as z:
        assert z.getnames() == ["letters/x.pdf"]
    with pytest.raises(py7zr.exceptions.PasswordRequired):
        py7zr.SevenZipFile(out.written[0]).getnames()


@pytest.mark.parametrize("name", ["../x.pdf", "/tmp/x.pdf", "a/../../x.pdf", ""])
def test_names_stay_inside(tmp_path, name):
    for password in (None, "k"):
        with pytest.raises(ValueError), ProtectedOutput(
                tmp_path / "o", password=password, archive_name="a.7z") as out:
            out.add(name, b"x")
    assert not (tmp_path / "x.pdf").exists()
    assert not (tmp_path / "o" / "a.7z").exists()  # the failed archive is removed


def test_protected_file(tmp_path):
    assert protected_file(tmp_path / "p.csv", b"a,b", password=None) == tmp_path / "p.csv"
    path = protected_file(tmp_path / "q.csv", b"a,b", password="k")
    assert path == tmp_path / "q.csv.7z" and not (tmp_path / "q.csv").exists()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
