"""One table of the file types breachscope knows: what :func:`~breachscope.ingest.sniff.sniff_type`
may return, which extractor reads it, whether it is an archive, and how a person calls it.

Adding a format means one row here, its recognition in ``ingest/sniff.py`` and its extractor
module under ``breachscope/extract/``; ``tests/test_filetypes.py`` fails until all three agree.
An extractor is named ``"module:function"`` under :mod:`breachscope.extract` and imported on
first use (heavy libraries and optional system tools are only loaded when a dump needs them).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FileType:
    """``name`` is the sniffed type; ``extractor`` is ``"module:function"`` (None: the type is
    recorded without being read, with ``status``/``reason``); ``archive``: its members are
    expanded by :mod:`breachscope.ingest.archives` instead of being extracted."""

    name: str
    label: str
    extractor: str | None = None
    archive: bool = False
    status: str | None = None  # for types without extractor: the status they get
    reason: str | None = None


_IMAGE = "image:partition_image"

FILE_TYPES: tuple[FileType, ...] = (
    # Recorded without reading.
    FileType("empty", "empty file", status="skipped", reason="empty file"),
    FileType("office_encrypted", "password-protected Office document",
             extractor="office_crypto:partition_office_encrypted"),
    FileType("binary", "unknown binary", status="skipped", reason="unsupported type: binary"),
    FileType("ole", "OLE compound file (other)", status="skipped",
             reason="unsupported type: ole"),
    # Archives.
    FileType("zip", "zip archive", archive=True),
    FileType("tar", "tar archive", archive=True),
    FileType("gzip", "gzip stream", archive=True),
    FileType("bzip2", "bzip2 stream", archive=True),
    FileType("xz", "xz stream", archive=True),
    FileType("7z", "7-Zip archive", archive=True),
    FileType("rar", "RAR archive", archive=True),
    # Tables and databases.
    FileType("csv", "delimited table (CSV/TSV)", "delimited:partition_delimited"),
    FileType("xlsx", "Excel workbook (xlsx/xlsm)", "spreadsheet:partition_xlsx"),
    FileType("xlsb", "Excel binary workbook (xlsb)", "xlsb:partition_xlsb"),
    FileType("xls", "Excel 97-2003 workbook", "xls:partition_xls"),
    FileType("ods", "OpenDocument spreadsheet", "ods:partition_ods"),
    FileType("sql", "SQL dump", "sqldump:partition_sql"),
    FileType("sqlite", "SQLite database", "sqlite:partition_sqlite"),
    FileType("access", "Access database (mdb/accdb)", "access:partition_access"),
    FileType("dbf", "dBase table (dbf)", "dbf:partition_dbf"),
    FileType("json", "JSON", "dispatch:partition_json_or_text"),
    FileType("xml", "XML", "xmlfile:partition_xml"),
    # Documents.
    FileType("text", "plain text", "text:partition_text"),
    FileType("html", "HTML", "htmlfile:partition_html"),
    FileType("docx", "Word document (docx)", "docx:partition_docx"),
    FileType("doc", "Word 97-2003 document", "doc:partition_doc"),
    FileType("odt", "OpenDocument text", "odt:partition_odt"),
    FileType("rtf", "RTF document", "rtf:partition_rtf"),
    FileType("pptx", "PowerPoint presentation (pptx)", "pptx:partition_pptx"),
    FileType("ppt", "PowerPoint 97-2003 presentation", "ppt:partition_ppt"),
    FileType("onenote", "OneNote section", "onenote:partition_onenote"),
    FileType("pdf", "PDF", "pdf:partition_pdf"),
    # Images (OCR).
    FileType("png", "PNG image", _IMAGE),
    FileType("jpeg", "JPEG image", _IMAGE),
    FileType("tiff", "TIFF image", _IMAGE),
    FileType("gif", "GIF image", _IMAGE),
    FileType("bmp", "BMP image", _IMAGE),
    FileType("webp", "WebP image", _IMAGE),
    FileType("heic", "HEIC/HEIF image", _IMAGE),
    FileType("jp2", "JPEG 2000 image", _IMAGE),
    FileType("emf", "Windows metafile (EMF)", "metafile:partition_metafile"),
    FileType("wmf", "Windows metafile (WMF)", "metafile:partition_metafile"),
    # Mail.
    FileType("eml", "e-mail (eml)", "mail:partition_eml"),
    FileType("mbox", "mailbox (mbox)", "mail:partition_mbox"),
    FileType("msg", "Outlook item (msg)", "mail:partition_msg"),
    FileType("pst", "Outlook data file (pst/ost)", "pst:partition_pst"),
    FileType("p7m", "S/MIME or CMS signed/enveloped data (p7m)", "smime:partition_p7m"),
    # Health messages.
    FileType("hl7", "HL7 v2 messages", "hl7:partition_hl7"),
    FileType("hprim", "HPRIM messages", "hprim:partition_hprim"),
    FileType("fhir", "FHIR resources (JSON)", "fhir:partition_fhir"),
    FileType("cda", "CDA document (XML)", "cda:partition_cda"),
)

BY_NAME: dict[str, FileType] = {t.name: t for t in FILE_TYPES}
TYPE_NAMES: tuple[str, ...] = tuple(t.name for t in FILE_TYPES)
ARCHIVE_TYPES: frozenset[str] = frozenset(t.name for t in FILE_TYPES if t.archive)
IMAGE_TYPES: tuple[str, ...] = tuple(t.name for t in FILE_TYPES if t.extractor == _IMAGE)


def label(name: str) -> str:
    """How a person calls a sniffed type (``"Excel binary workbook (xlsb)"``)."""
    found = BY_NAME.get(name)
    return found.label if found else name
