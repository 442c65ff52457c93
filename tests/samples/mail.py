"""Mail samples: an .eml with a CSV attachment and an attached message, an mbox of three
messages, an Outlook .msg. The .eml and .mbox are written with the standard library's
``email`` package; the .msg with ``msgforge`` (MIT, a test dependency: a pure-Python
MS-OXMSG writer)."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

NIR = "254037512345655"
NIR2 = "185127510801608"
PHONE = "+33612345678"
CSV = f"Nom;Prénom;N° Sécu\nDUPONT;Marie;{NIR}\n".encode()
CSV2 = f"Nom;Prénom;NIR\nMARTIN;Paul;{NIR2}\n".encode()


def nir_key(first13: str) -> str:
    return f"{first13}{97 - int(first13) % 97:02d}"


assert nir_key(NIR[:13]) == NIR and nir_key(NIR2[:13]) == NIR2


def message(subject: str, body: str, *, sender: str = "Marie Dupont <Marie.Dupont@orange.fr>",
            to: str = "Secrétariat Cardio <secretariat@ch-exemple.fr>",
            attachments: dict[str, bytes] | None = None,
            attached: list[EmailMessage] | None = None, html: str | None = None,
            cte: str | None = None) -> EmailMessage:
    """A message built with the standard library (policy default)."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime(2024, 2, 11, 9, 30, tzinfo=UTC))
    msg["Message-ID"] = f"<{subject.encode().hex()}@ch-exemple.fr>"
    if cte:
        msg.set_content(body, cte=cte)
    else:
        msg.set_content(body)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    for name, data in (attachments or {}).items():
        maintype, subtype = ("text", "csv") if name.endswith(".csv") else (
            "application", "zip" if name.endswith(".zip") else "octet-stream")
        if maintype == "text":
            msg.add_attachment(data.decode(), subtype=subtype, filename=name)
        else:
            msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    for inner in attached or []:
        msg.add_attachment(inner)
    return msg


def zipped(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


def sample_message() -> EmailMessage:
    """The message of ``make_eml``: a phone in the body, a CSV with a NIR, an attached
    message ``fwd`` holding another CSV with a NIR."""
    inner = message("fwd", "Voir la liste jointe.\n", sender="Paul Martin <p.martin@free.fr>",
                     attachments={"liste2.csv": CSV2})
    return message(
        "Liste des patients",
        "Bonjour,\nci-joint la liste.\nMe joindre au 06 12 34 56 78.\nCordialement\n",
        attachments={"liste.csv": CSV}, attached=[inner])


def make_eml(path: Path) -> list[tuple[str, str]]:
    path.write_bytes(sample_message().as_bytes())
    return [("PHONE", PHONE), ("EMAIL", "marie.dupont@orange.fr"),
            ("EMAIL", "secretariat@ch-exemple.fr"), ("PERSON", "Marie Dupont"),
            ("NIR", NIR), ("NIR", NIR2), ("EMAIL", "p.martin@free.fr")]


def mbox_bytes(messages: list[EmailMessage]) -> bytes:
    out = io.BytesIO()
    for msg in messages:
        out.write(b"From MAILER-DAEMON Sun Feb 11 09:30:00 2024\n")
        data = msg.as_bytes().replace(b"\r\n", b"\n")
        # mbox quoting of body lines that would start a message
        data = b"\n".join(b">" + line if line.startswith(b"From ") else line
                          for line in data.split(b"\n"))
        out.write(data.rstrip(b"\n") + b"\n\n")
    return out.getvalue()


def sample_mbox_messages() -> list[EmailMessage]:
    return [
        message("un", "Premier message, rien ici.\n", sender="a@ch-exemple.fr"),
        message("deux", "From the start: appeler le 06 12 34 56 78.\n",
                sender="Jean Durand <jean.durand@ch-exemple.fr>"),
        message("trois", "Liste jointe.\n", sender="b@ch-exemple.fr",
                attachments={"liste.csv": CSV}),
    ]


def make_mbox(path: Path) -> list[tuple[str, str]]:
    path.write_bytes(mbox_bytes(sample_mbox_messages()))
    return [("PHONE", PHONE), ("EMAIL", "jean.durand@ch-exemple.fr"),
            ("PERSON", "Jean Durand"), ("NIR", NIR), ("EMAIL", "a@ch-exemple.fr")]


def msg_bytes(*, html: bool = False, attachments: dict[str, bytes] | None = None) -> bytes:
    from msgforge import Message

    body = "Bonjour,\nMe joindre au 06 12 34 56 78.\n"
    msg = Message(
        subject="Liste des patients",
        text_body="" if html else body,
        html_body="<p>Bonjour,</p><p>Me joindre au <b>06 12 34 56 78</b>.</p>" if html else "",
        sender=("Marie.Dupont@orange.fr", "Marie Dupont"),
        to=[("secretariat@ch-exemple.fr", "Secrétariat Cardio")],
        cc=[("p.martin@free.fr", "p.martin@free.fr")],
        sent=datetime(2024, 2, 11, 9, 30),
    )
    for name, data in (attachments if attachments is not None else {"liste.csv": CSV}).items():
        msg.attach_bytes(name, data)
    return msg.as_bytes()


def make_msg(path: Path) -> list[tuple[str, str]]:
    path.write_bytes(msg_bytes())
    return [("PHONE", PHONE), ("EMAIL", "marie.dupont@orange.fr"), ("PERSON", "Marie Dupont"),
            ("EMAIL", "secretariat@ch-exemple.fr"), ("EMAIL", "p.martin@free.fr"),
            ("NIR", NIR)]
