"""Make the password-protected Office and ODF samples of this folder with LibreOffice (not
run by the tests: the files are committed; no Python library writes encrypted .xls, .ppt or
.doc, and the ODF samples made by LibreOffice itself check our ODF decryption on the real
thing). LibreOffice 7.4 saves a .ppt without its password (the file stays in clear), so no
encrypted .ppt is made here.

Run with Debian's Python and LibreOffice (``apt-get install libreoffice-calc-nogui
libreoffice-impress-nogui libreoffice-writer-nogui python3-uno``):

    soffice --headless --invisible --norestore \
        --accept="socket,host=127.0.0.1,port=2002;urp;" &
    PYTHONPATH=.venv/lib/python3.11/site-packages \
        /usr/bin/python3 tests/data/office_encrypted/make_samples.py
"""

from __future__ import annotations

import time
from pathlib import Path

import uno  # Debian's python3-uno
from com.sun.star.beans import PropertyValue

PASSWORD = "Cardio2024!"  # tests/samples/office_more.py OFFICE_PASSWORD
NIR = "2 54 03 75 123 456 55"
EMAIL = "jeanne.dupont@example.fr"
PHONE = "06 12 34 56 78"
HERE = Path(__file__).resolve().parent


def prop(name: str, value: object) -> PropertyValue:
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def connect():
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local)
    for _ in range(60):
        try:
            ctx = resolver.resolve(
                "uno:socket,host=127.0.0.1,port=2002;urp;StarOffice.ComponentContext")
            return ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        except Exception:  # LibreOffice still starting
            time.sleep(1)
    raise SystemExit("LibreOffice did not answer on port 2002")


def save(doc, name: str, filter_name: str) -> None:
    url = uno.systemPathToFileUrl(str(HERE / name))
    doc.storeToURL(url, (prop("FilterName", filter_name), prop("Password", PASSWORD)))
    print("wrote", name)


def writer(desktop) -> None:
    doc = desktop.loadComponentFromURL("private:factory/swriter", "_blank", 0, ())
    doc.Text.setString(
        "Compte rendu de consultation\n"
        f"Patiente : Jeanne DUPONT, NIR {NIR}\n"
        f"Joignable au {PHONE}, courriel {EMAIL}\n")
    save(doc, "consultation_protegee.doc", "MS Word 97")
    save(doc, "consultation_protegee.odt", "writer8")
    doc.dispose()


def calc(desktop) -> None:
    """(A new Calc document crashes a headless LibreOffice 7.4: the rows are written to an
    xlsx with openpyxl first, which LibreOffice opens.)"""
    import openpyxl  # from the project's venv: PYTHONPATH=.venv/lib/python3.11/site-packages

    plain = HERE / "plain.xlsx"
    book = openpyxl.Workbook()
    book.active.append(("Nom", "Prénom", "NIR", "Téléphone", "Courriel"))
    book.active.append(("DUPONT", "Jeanne", NIR, PHONE, EMAIL))
    book.save(plain)
    doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(str(plain)), "_blank", 0,
                                       (prop("Hidden", True),))
    plain.unlink()
    save(doc, "patients_proteges.xls", "MS Excel 97")
    save(doc, "patients_proteges.ods", "calc8")
    doc.dispose()


if __name__ == "__main__":
    import sys

    desktop = connect()
    makers = {"writer": writer, "calc": calc}
    for name in sys.argv[1:] or list(makers):
        makers[name](desktop)
