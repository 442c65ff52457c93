"""Turn the bytes of a text file into ``str``, whatever the encoding the exporter used.

Order of decisions (first that applies wins):

1. a byte-order mark: UTF-8 (``utf-8-sig``), UTF-32 LE/BE, UTF-16 LE/BE;
2. UTF-16 without BOM, recognised by its NUL-byte pattern (Windows tools write it);
3. strict UTF-8 (plain ASCII lands here too);
4. a single-byte code page, chosen by reading the text each candidate gives, the way a
   French reader would (:func:`french_score`): accented letters where French puts them
   (``É È À Ç Ê`` inside upper-case words, ``é è à ç`` inside lower-case ones, ``œ``, ``’``,
   ``«»``, ``€``), no symbol inside a word (``ST…PHANIE``, ``H»L»NE``, ``Leƒon``), no case
   flip inside a word (``STéPHANIE``), no control or undefined character. Candidates in the
   order French Windows exports make them likely: Windows-1252, ISO-8859-15 (= latin-1 for
   letters), then Mac Roman, DOS code pages 850 and 437; a later one is chosen only when its
   reading is clearly better (the text proves it), so ties go to Windows-1252.
   (charset-normalizer was used here before: on upper-case French names it answered Mac
   Roman, ``STÉPHANIE`` → ``ST…PHANIE``.)

The encoding names returned are Python codec names (``utf-8``, ``utf-8-sig``, ``utf-16-le``,
``cp1252``...).
"""

from __future__ import annotations

import codecs
import re
import unicodedata

#: Single-byte encodings tried when the bytes are not UTF-8, most likely first: a later one
#: must read the text clearly better than every earlier one to be chosen.
WESTERN_ENCODINGS = ["cp1252", "iso8859_15", "mac_roman", "cp850", "cp437"]

#: How many bytes the statistical guess looks at (it is slow on big inputs).
GUESS_SAMPLE = 64 * 1024

_BOMS: list[tuple[bytes, str]] = [
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: same first two bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
]

# C0 control characters that do not occur in text (everything below 0x20 except
# TAB, LF, VT, FF, CR, and ESC which some printer-formatted exports contain).
_CONTROL_BYTES = bytes(sorted(set(range(0x20)) - {0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1B}))
_HIGH_BYTES = bytes(range(0x80, 0x100))


def _bom(data: bytes) -> tuple[str, int] | None:
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name, len(bom)
    return None


def _utf16_without_bom(data: bytes) -> str | None:
    """``utf-16-le``/``utf-16-be`` when the NUL bytes sit on one parity only (ASCII-heavy
    UTF-16, which is what text in Latin script looks like), else None."""
    sample = data[:4096]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    even_nul = even.count(0) / len(even)
    odd_nul = odd.count(0) / len(odd)
    if odd_nul >= 0.4 and even_nul <= 0.05:
        return "utf-16-le"
    if even_nul >= 0.4 and odd_nul <= 0.05:
        return "utf-16-be"
    return None


def _trim_partial_utf8(data: bytes) -> bytes:
    """Drop an incomplete multi-byte UTF-8 sequence cut at the end of a sample."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte < 0x80:
            return data
        if byte >= 0xC0:  # lead byte: how long should the sequence be?
            need = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return data[:-back] if need > back else data
    return data


def _is_utf8(data: bytes, partial: bool) -> bool:
    if partial:
        data = _trim_partial_utf8(data)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def guess_encoding(data: bytes, *, partial: bool = False) -> str:
    """The codec name :func:`decode_bytes` would use for ``data``. ``partial`` says that
    ``data`` is the head of a longer file (a multi-byte sequence may be cut at its end)."""
    bom = _bom(data)
    if bom:
        return bom[0]
    utf16 = _utf16_without_bom(data)
    if utf16:
        return utf16
    if _is_utf8(data, partial):
        return "utf-8"
    return _single_byte(data[:GUESS_SAMPLE])


#: Letters of French words (and of the names French registers hold).
_FRENCH_LETTERS = frozenset("àâäçéèêëîïôöùûüÿœæÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸŒÆ")
#: Other Latin letters seen in names of Western Europe: plausible, not evidence.
_OTHER_LATIN = frozenset("áíóúñãõåøßìòÁÍÓÚÑÃÕÅØÌÒ")
#: Punctuation and signs of French text and exports, harmless between words.
_FRENCH_SIGNS = frozenset("«»’‘“”€°–—…•·²³½¼¾§µ±×÷©®™¤£¥¢¦¨´¸¹ºª¬¯ \u00a0\u202f")
#: Signs that may stand between two letters of one word.
_IN_WORD_SIGNS = frozenset("’‘·")
#: No-break spaces (U+00A0, U+202F), and what French typography puts after them.
_FRENCH_SPACES = frozenset("\u00a0\u202f")
_SPACED_AFTER = frozenset(";:!?»%€,\t\r\n ")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _is_letter(char: str) -> bool:
    return char.isalpha()


def french_score(text: str) -> float:
    """How French a decoded text reads, summed over its non-ASCII characters (higher is
    better; ASCII carries no evidence). See the module docstring."""
    score = 0.0
    for match in _NON_ASCII.finditer(text):
        i = match.start()
        char = match.group()
        before = text[i - 1] if i else " "
        after = text[i + 1] if i + 1 < len(text) else " "
        if char == "\ufffd" or unicodedata.category(char) in ("Cc", "Cf", "Co", "Cn"):
            score -= 6
            continue
        if _is_letter(char):
            if char in _FRENCH_LETTERS:
                score += 2
            elif char in _OTHER_LATIN:
                score += 0.5
            else:  # ƒ, Ž, π, Ω, ı... : a code page misread
                score -= 3
            inside = _is_letter(before) or _is_letter(after)
            if not inside and char not in "àÀ":
                score -= 1  # a lone accented letter is rarely a word (à is)
            if char.isupper():
                if before.islower():
                    score -= 3  # lowercase then capital inside a word: "stÉ"
            elif after.isupper():
                score -= 3  # "STéPHANIE", "éCOLE"
            elif before.isupper() and i >= 2 and text[i - 2].isupper():
                score -= 2  # "HÉLèNE" end of an upper-case word
            continue
        if char in _FRENCH_SPACES and (after in _SPACED_AFTER or before == "«"
                                       or (before.isdigit() and after.isdigit())):
            # French typography: a no-break space before ; : ! ? » %, after «, between
            # digit groups, or trailing a cell before its delimiter ("Marie\xa0;"): the
            # same byte is "á" in the DOS code pages, which outscored cp1252 on such exports
            score += 1
            continue
        if _is_letter(before) and _is_letter(after) and char not in _IN_WORD_SIGNS:
            score -= 4  # a sign inside a word: "ST…PHANIE", "Leƒon"
        elif char not in _FRENCH_SIGNS:
            score -= 1.5  # box drawing, math and other signs no French export writes
    return score


#: The last guesses of :func:`_single_byte` (a file's head is guessed twice: when its type
#: is sniffed, then when it is read; the guess costs a French score per candidate).
_RECENT_GUESSES: dict[bytes, str] = {}
_RECENT_SIZE = 4


def _single_byte(data: bytes) -> str:
    """The single-byte encoding of :data:`WESTERN_ENCODINGS` whose reading of ``data`` is
    the most French, preferring the earlier ones: a later candidate must beat the best so
    far by a margin (1 point and 5 % of the non-ASCII bytes)."""
    found = _RECENT_GUESSES.get(data)
    if found is None:
        found = _guess_single_byte(data)
        if len(_RECENT_GUESSES) >= _RECENT_SIZE:
            del _RECENT_GUESSES[next(iter(_RECENT_GUESSES))]
        _RECENT_GUESSES[data] = found
    return found


def _guess_single_byte(data: bytes) -> str:
    high = len(data) - len(data.translate(None, _HIGH_BYTES))
    margin = max(1.0, 0.05 * high)
    best, best_score = WESTERN_ENCODINGS[0], None
    for encoding in WESTERN_ENCODINGS:
        score = french_score(data.decode(encoding, errors="replace"))
        if best_score is None or score > best_score + margin:
            best, best_score = encoding, score
    return best


def decode_bytes(data: bytes, *, partial: bool = False) -> tuple[str, str]:
    """Decode ``data``; return ``(text, encoding name)``. A byte-order mark is not part of the
    text. Never raises on bad bytes: undecodable bytes become U+FFFD.
    ``partial=True`` when ``data`` is only the head of a file (a cut multi-byte character at
    the end is dropped rather than replaced)."""
    if not data:
        return "", "utf-8"
    encoding = guess_encoding(data, partial=partial)
    bom = _bom(data)
    body = data[bom[1]:] if bom else data
    codec = encoding.removesuffix("-sig") if bom else encoding
    if partial:
        if codec.startswith("utf-8"):
            body = _trim_partial_utf8(body)
        elif codec.startswith("utf-16"):
            body = body[: len(body) - len(body) % 2]
        elif codec.startswith("utf-32"):
            body = body[: len(body) - len(body) % 4]
    try:
        return body.decode(codec), encoding
    except UnicodeDecodeError:
        return body.decode(codec, errors="replace"), encoding


def looks_like_text(sample: bytes) -> bool:
    """Whether ``sample`` (the head of a file) is text in some encoding rather than binary.

    Text has a BOM or the UTF-16 NUL pattern, or has no NUL byte and almost no C0 control
    characters. Random or compressed bytes have ~10% control bytes and NULs."""
    if not sample:
        return False
    if _bom(sample) or _utf16_without_bom(sample):
        return True
    if b"\x00" in sample:
        return False
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    if controls > max(1, len(sample) // 200):  # > 0.5 %
        return False
    if _is_utf8(sample, partial=True):
        return True
    # Not UTF-8: a single-byte encoding. Latin-script text is mostly ASCII.
    high = len(sample) - len(sample.translate(None, _HIGH_BYTES))
    return high <= len(sample) * 0.3
