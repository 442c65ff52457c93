"""What every writer of the demo leak shares: the reference date, the hospital, fixed archive
timestamps and small byte-exact file builders (so two runs give byte-identical files)."""

from __future__ import annotations

import csv
import io
import random
import re
import zipfile
from datetime import date, datetime, timedelta

REFERENCE_DATE = date(2024, 2, 11)  # "today" in the leak: the day of the attack
HOSPITAL = "CH Armentières"
STAFF_EMAIL_DOMAIN = "ch-armentieres.fr"

ARCHIVE_TIME = (2022, 12, 31, 23, 40, 0)  # timestamps of zip members
XLSX_TIME = datetime(2024, 2, 11, 2, 47, 0)  # creation/modification of office files


def random_day(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randint(0, (last - first).days))


def csv_text(rows: list[list[str]], delimiter: str, lineterminator: str) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=lineterminator)
    writer.writerows(rows)
    return buffer.getvalue()


def zip_bytes(members: list[tuple[str, bytes]], date_time: tuple[int, ...]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members:
            info = zipfile.ZipInfo(name, date_time=date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, content)
    return buffer.getvalue()


def repack_zip(data: bytes, date_time: tuple[int, ...]) -> bytes:
    """A zip (an office file) rewritten with fixed member timestamps and a fixed modification
    date, so that the bytes depend on the content alone."""
    members = []
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "docProps/core.xml":
                stamp = f"{XLSX_TIME:%Y-%m-%dT%H:%M:%SZ}".encode()
                for tag in (rb"dcterms:modified", rb"dcterms:created"):
                    content = re.sub(
                        rb"(<" + tag + rb"[^>]*>)[^<]*(</" + tag + rb">)",
                        rb"\g<1>" + stamp + rb"\g<2>",
                        content,
                    )
            members.append((info.filename, content))
    return zip_bytes(members, date_time)
