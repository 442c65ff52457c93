"""The fast sheet reader (:mod:`breachscope.extract.xlsx_rows`) gives exactly the rows of
openpyxl's own read-only reader (``spreadsheet._string_rows``): on random sheets written by
hand (missing, repeated and out-of-order rows and cells, every cell type, inline and rich
strings, date, time-delta and zero-padded styles, big integers, broken XML) and on workbooks
written by openpyxl."""

from __future__ import annotations

import datetime as dt
import io
import random
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import openpyxl
import pytest
from openpyxl import load_workbook
from openpyxl.reader.strings import read_string_table

from breachscope.extract.spreadsheet import _padded, _string_rows, partition_xlsx
from breachscope.extract.units import ExtractionError
from breachscope.extract.xlsx_rows import (
    FALLBACK,
    SheetRows,
    fast_open,
    plain_prolog,
    string_table,
)

NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
STRINGS = ["NOM", "  Hélène  ", "a_x000D_b", "", "1 70 01 75 123 456 78", "x&y<z>"]
FORMATS = ["yyyy-mm-dd", "00000", "[h]:mm:ss", "h:mm", "0.00", "0#########", "dd/mm/yyyy hh:mm"]


def _base(path: Path) -> Path:
    """A workbook whose styles hold date, time, time-delta and padded number formats and
    whose shared strings hold :data:`STRINGS` (its second sheet uses them)."""
    wb = openpyxl.Workbook()
    wb.active.title = "Data"
    styles = wb.create_sheet("Styles")
    for i, fmt in enumerate(FORMATS, start=1):
        styles.cell(row=i, column=1, value=i).number_format = fmt
    for i, text in enumerate(STRINGS, start=1):
        styles.cell(row=i, column=2, value=text or None)
    wb.save(path)
    return path


def _value(rng: random.Random, n_strings: int) -> str:
    """One ``<c>``'s type attribute and content."""
    kind = rng.choice(["n", "n", "n", "s", "s", "b", "e", "str", "d", "inline", "rich",
                       "empty", "none"])
    if kind == "n":
        number = rng.choice([
            str(rng.randint(-10**6, 10**6)), str(rng.randint(10**14, 10**15)),
            str(rng.randint(10**16, 10**20)), repr(rng.uniform(-1e6, 1e6)), "1E3", "1.5e-7",
            "45000", "45000.5", "0.25", "-1", "3000000", "1e400", "60", "0"])
        return f"><v>{number}</v>"
    if kind == "s":
        return f' t="s"><v>{rng.randrange(max(n_strings, 1))}</v>'
    if kind == "b":
        return f' t="b"><v>{rng.choice("01")}</v>'
    if kind == "e":
        return ' t="e"><v>#N/A</v>'
    if kind == "str":
        return f' t="str"><f>A1</f><v>{escape(rng.choice(STRINGS))}</v>'
    if kind == "d":
        return ' t="d"><v>2020-01-02T03:04:05</v>'
    if kind == "inline":
        return f' t="inlineStr"><is><t xml:space="preserve">{escape(rng.choice(STRINGS))}</t></is>'
    if kind == "rich":
        return (' t="inlineStr"><is><r><rPr><b/></rPr><t>ab</t></r><r><t> cd</t></r>'
                '<rPh sb="0" eb="1"><t>ph</t></rPh></is>')
    if kind == "empty":
        return "><v></v>"
    return ">"


def _sheet_xml(rng: random.Random, n_strings: int) -> str:
    rows = []
    number = 0
    for _ in range(rng.randint(0, 30)):
        number += rng.choice([1, 1, 1, 2, 5, 0, -1])
        number = max(number, 1)
        r_attr = rng.choice([f' r="{number}"'] * 8 + ["", f' r="{number}.0"'])
        cells = []
        column = 0
        for _ in range(rng.randint(0, 7)):
            column += rng.choice([1, 1, 1, 2, 4, -1])
            column = max(column, 1)
            letters = openpyxl.utils.get_column_letter(column)
            ref = rng.choice([f"{letters}{number}"] * 8 + ["", f"{letters.lower()}{number}",
                                                           f"{letters}{number + 3}"])
            ref_attr = f' r="{ref}"' if ref else ""
            style = rng.choice(["", "", "", *(f' s="{i}"' for i in range(len(FORMATS) + 1))])
            cells.append(f"<c{ref_attr}{style}{_value(rng, n_strings)}</c>")
        if rng.random() < 0.03:
            cells.append("<extLst/>")
        rows.append(f"<row{r_attr}>{''.join(cells)}</row>")
    dimension = rng.choice(['<dimension ref="A1"/>', '<dimension ref="B2:D9"/>', "", ""])
    after = rng.choice(["", "", '<dimension ref="A1:C3"/>'])  # after the data: not seen
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<!-- made by hand -->'
            f"<worksheet {NS}>{dimension}<sheetData>{''.join(rows)}</sheetData>{after}"
            "<mergeCells count=\"0\"/></worksheet>")


def _with_sheet(base: Path, path: Path, xml: str) -> Path:
    with zipfile.ZipFile(base) as src, zipfile.ZipFile(path, "w") as out:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = xml.encode("utf-8")
            out.writestr(item, data)
    return path


def _outcome(rows) -> tuple[list, str]:  # type: ignore[no-untyped-def]
    """The rows given, then the error (type and message) that stopped them."""
    got = []
    try:
        for row in rows:
            got.append(row)
    except Exception as exc:
        return got, f"{type(exc).__name__}: {exc}"
    return got, ""


def _opened(path: Path, sized: bool) -> tuple[list, str]:
    """The sheets' dimensions as the workbook is opened (openpyxl's, or :class:`SizedSheet`'s),
    or the error that stops the opening."""
    try:
        if sized:
            with fast_open():
                wb = load_workbook(path, read_only=True, data_only=True)
        else:
            wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        return [], f"{type(exc).__name__}: {exc} / {exc.__cause__!r}"
    dims = [(type(s).__name__ != "ReadOnlyWorksheet", s._min_column, s._min_row, s._max_column,
             s._max_row) for s in wb.worksheets]
    wb.close()
    n_sized = sum(d[0] for d in dims)
    assert n_sized == (len(dims) if sized else 0)
    return [d[1:] for d in dims], ""


def _both(path: Path) -> tuple[list, list]:
    """openpyxl's rows and the fast reader's, sheet by sheet."""
    old, new = [], []
    for reader, out in ((_string_rows, old), (lambda s: SheetRows(s, _padded), new)):
        try:
            wb = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:
            out.append(([], f"load: {type(exc).__name__}"))
            continue
        for sheet in wb.worksheets:
            sheet.reset_dimensions()
            out.append(_outcome(reader(sheet)))
        wb.close()
    return old, new


def test_random_sheets_read_as_openpyxl_reads_them(tmp_path: Path) -> None:
    base = _base(tmp_path / "base.xlsx")
    rng = random.Random(15)
    errors = 0
    for i in range(150):
        xml = _sheet_xml(rng, len([s for s in STRINGS if s]))
        if i % 25 == 24:
            xml = xml[: rng.randrange(len(xml))]  # cut: broken XML after some rows
        path = _with_sheet(base, tmp_path / f"w{i}.xlsx", xml)
        old, new = _both(path)
        assert new == old, i
        dims, error = _opened(path, sized=False)
        sized_dims, sized_error = _opened(path, sized=True)
        assert sized_dims == dims, i
        assert sized_error == error, i
        errors += any(err for _, err in old)
    assert errors >= 6  # the cut sheets (and bad coordinates) fail the same way


def test_workbooks_written_by_openpyxl(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    rng = random.Random(3)
    values = [None, "", " x ", "NOM", 0, -7, 250037512345678, 2**53 + 1, 1.5, 0.1 + 0.2, 1e20,
              True, False, dt.datetime(2020, 1, 2, 3, 4, 5), dt.date(1999, 12, 31),
              dt.time(13, 14, 15), dt.timedelta(hours=30, minutes=5), "=1+1", "#N/A"]
    for r in range(1, 120):
        for c in range(1, 9):
            if rng.random() < 0.7:
                cell = ws.cell(row=r, column=c, value=rng.choice(values))
                if rng.random() < 0.3:
                    cell.number_format = rng.choice(FORMATS)
    path = tmp_path / "written.xlsx"
    wb.save(path)
    old, new = _both(path)
    assert new == old
    assert len(old[0][0]) > 100


def test_a_doctype_goes_to_openpyxl_which_refuses_its_entities(tmp_path: Path) -> None:
    base = _base(tmp_path / "base.xlsx")
    sheet = (f'<worksheet {NS}><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>{{}}</t>'
             "</is></c><c r=\"B1\"><v>7</v></c></row></sheetData></worksheet>")
    plain_dtd = '<?xml version="1.0"?><!DOCTYPE worksheet>' + sheet.format("NOM")
    path = _with_sheet(base, tmp_path / "dtd.xlsx", plain_dtd)
    wb = load_workbook(path, read_only=True, data_only=True)
    with pytest.raises(FALLBACK):
        list(SheetRows(wb.worksheets[0], _padded))
    wb.close()
    (table,) = [u for u in partition_xlsx(path) if u.name == "sheet Data"]
    assert table.rows == [["NOM", "7"]]  # read by openpyxl's reader

    bomb = ('<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaaaaaaaa">'
            '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>' + sheet.format("&b;"))
    with pytest.raises(ExtractionError, match="XML entity declaration"):
        list(partition_xlsx(_with_sheet(base, tmp_path / "bomb.xlsx", bomb)))


def test_prolog_check() -> None:
    assert plain_prolog(b'<?xml version="1.0"?>\n<!-- c --><worksheet>')
    assert plain_prolog(b"\xef\xbb\xbf<worksheet/>")
    assert not plain_prolog(b'<?xml version="1.0"?><!DOCTYPE x><worksheet>')
    assert not plain_prolog("<worksheet/>".encode("utf-16"))
    assert not plain_prolog(b"<?xml version")  # cut before the root: not known to be plain


def test_rows_read_are_dropped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Memory does not grow with the sheet: the read rows leave the tree."""
    base = _base(tmp_path / "base.xlsx")
    rows = "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>' for r in range(1, 5001))
    path = _with_sheet(base, tmp_path / "long.xlsx",
                       f"<worksheet {NS}><sheetData>{rows}</sheetData></worksheet>")
    sizes: list[int] = []
    wb = load_workbook(path, read_only=True, data_only=True)
    reader = SheetRows(wb.worksheets[0], _padded)
    original = reader.parse_row

    def parse_row(row):  # type: ignore[no-untyped-def]
        sizes.append(len(reader.parent) if reader.parent is not None else 0)
        return original(row)

    monkeypatch.setattr(reader, "parse_row", parse_row)
    got = list(reader)
    wb.close()
    assert [n for n, _ in got] == list(range(1, 5001))
    assert max(sizes) < 600  # the rows of one read (16 KiB), never the 5 000


def _sst(rng: random.Random) -> str:
    items = []
    for _ in range(rng.randint(0, 120)):
        kind = rng.random()
        text = escape(rng.choice([*STRINGS, "a_x005F_x000D_b", "  "]))
        if kind < 0.6:
            items.append(f"<si><t>{text}</t></si>")
        elif kind < 0.7:
            items.append(f'<si><t xml:space="preserve">{text}</t></si>')
        elif kind < 0.8:
            items.append(f"<si><r><rPr><b/></rPr><t>{text}</t></r><r><t>x</t></r>"
                         '<rPh sb="0" eb="1"><t>ph</t></rPh></si>')
        elif kind < 0.85:
            items.append("<si><t/></si>")
        elif kind < 0.9:
            items.append(f"<si><t>a</t><t>{text}</t></si>")
        elif kind < 0.93:
            items.append(f'<si foo="1"><t>{text}</t></si>')
        else:
            items.append(f"<si>{text}<t>b</t></si>")
    xml = (f'<?xml version="1.0" encoding="UTF-8"?>\n<sst {NS} count="{len(items)}">'
           f"{''.join(items)}</sst>")
    if rng.random() < 0.1:
        xml = xml[: rng.randrange(len(xml))]
    return xml


def test_shared_strings_read_as_openpyxl_reads_them() -> None:
    rng = random.Random(151)
    for i in range(300):
        data = _sst(rng).encode("utf-8")
        if i % 50 == 49:
            data = b'<?xml version="1.0"?><!DOCTYPE sst>' + data.split(b"?>", 1)[1]
        outcomes = []
        for read in (read_string_table, string_table):
            try:
                outcomes.append((read(io.BytesIO(data)), ""))
            except Exception as exc:
                outcomes.append(([], f"{type(exc).__name__}: {exc}"))
        assert outcomes[1] == outcomes[0], i
