"""Fuzz the XML and HTML extractors (``xml``, ``html``)."""

from __future__ import annotations

from fuzzlib import check_partition, inputs
from hypothesis import given

XML_SEEDS = [
    """<?xml version="1.0" encoding="UTF-8"?>
<export date="2024-02-12"><titre>Export</titre><patients>
<patient ipp="1"><nom>LEFÈVRE</nom><nir>250037512345678</nir><tel type="m">0612345678</tel>
</patient><patient ipp="2"><nom>MARTIN</nom><note>a<b>b</b>c</note></patient>
</patients><commentaire>Rappel 06 98 76 54 32</commentaire></export>""".encode(),
    b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY l "lol"><!ENTITY l2 "&l;&l;">]><a>&l2;</a>',
    b'<!DOCTYPE f [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>',
    b"<a xmlns:p='urn:x'><p:b p:c='1'>t</p:b><![CDATA[185027512345678]]><!-- c --></a>",
    "<?xml version='1.0' encoding='ISO-8859-1'?><a><b>é</b></a>".encode("latin-1"),
]
HTML_SEEDS = [
    b"<!DOCTYPE html><html><head><style>p{}</style><script>var x='<p>';</script></head>"
    b"<body><p>Mme LEF&Egrave;VRE n&eacute;e le 12/03/1954</p><table><tr><td>1850275"
    b"12345678</td></tr></table><!-- x --></body></html>",
    b"<html><body><p>unclosed <b>bold <i>it</p><script>never closed",
]


@given(inputs(XML_SEEDS))
def test_fuzz_xml(data: bytes) -> None:
    check_partition(data, "xml", ".xml")


@given(inputs(HTML_SEEDS))
def test_fuzz_html(data: bytes) -> None:
    check_partition(data, "html", ".html")
