"""sniff_type recognises the formats added for issue 12 from real samples, whatever their
names, and does not mistake look-alikes for them."""

from __future__ import annotations

from pathlib import Path

import pytest
from samples.office_more import (
    make_dbf,
    make_encrypted_docx,
    make_onenote,
    make_ppt,
    make_xlsb,
)

from breachscope.ingest.sniff import sniff_type

ACCESS_SAMPLE = Path(__file__).resolve().parent.parent / "data" / "access" / "merchant_taylors.mdb"


def _access(path: Path) -> None:
    path.write_bytes(ACCESS_SAMPLE.read_bytes())


MAKERS = {
    "ppt": make_ppt,
    "xlsb": make_xlsb,
    "access": _access,
    "dbf": make_dbf,
    "onenote": make_onenote,
    "office_encrypted": make_encrypted_docx,
}


@pytest.mark.parametrize("file_type", sorted(MAKERS))
@pytest.mark.parametrize("name", ["sample.{ext}", "renamed.dat", "no_extension"])
def test_recognised_by_content(tmp_path: Path, file_type: str, name: str) -> None:
    ext = {"access": "mdb", "onenote": "one", "office_encrypted": "docx"}.get(file_type,
                                                                               file_type)
    path = tmp_path / name.format(ext=ext)
    MAKERS[file_type](path)
    assert sniff_type(path) == file_type


def test_encrypted_workbook_is_encrypted_office(tmp_path: Path) -> None:
    from samples.office_more import encrypt_ooxml

    plain = tmp_path / "plain.xlsb"
    rows = [["Nom", "NIR"]] + [[f"X{i}", float(10**14 + i * 7919)] for i in range(400)]
    make_xlsb(plain, {"S": rows})
    target = tmp_path / "secret.xlsb"
    encrypt_ooxml(plain, target)
    assert sniff_type(plain) == "xlsb"
    assert sniff_type(target) == "office_encrypted"


@pytest.mark.parametrize("damage", ["records-missing", "bad-terminator", "bad-month"])
def test_a_damaged_dbf_header_is_not_dbf(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "table.dbf"
    make_dbf(path)
    data = bytearray(path.read_bytes())
    if damage == "records-missing":
        data = data[:-60]  # the header's record count no longer adds up
    elif damage == "bad-terminator":
        header_len = int.from_bytes(data[8:10], "little")
        data[header_len - 1] = 0x20
    else:
        data[2] = 13
    path.write_bytes(bytes(data))
    assert sniff_type(path) != "dbf"


def test_truncated_xlsb_by_its_name(tmp_path: Path) -> None:
    """Cut before any part names the workbook: the extension decides."""
    path = tmp_path / "coupe.xlsb"
    make_xlsb(path)
    path.write_bytes(path.read_bytes()[:300])
    assert sniff_type(path) == "xlsb"


def test_truncated_xlsb_by_its_local_headers(tmp_path: Path) -> None:
    """Cut after the local headers named xl/workbook.bin: an xlsb, whatever its name."""
    path = tmp_path / "coupe.bin"
    make_xlsb(path)
    path.write_bytes(path.read_bytes()[:900])
    assert sniff_type(path) == "xlsb"
