"""Member labels: one per member, whatever the names an archive holds.

A member name is a label, never a path, but labels must still tell members apart: two members
with the same name (zip and tar allow it), names that only differ by ``\\`` versus ``/`` or a
leading ``/`` (both become ``a/b``), and a name containing the nesting separator ``!/`` (a
member literally named ``x.zip!/b.csv`` would otherwise pose as member ``b.csv`` of a nested
``x.zip``) would each overwrite, or impersonate, another member's row.

* ``!/`` inside a member name is written ``!\\/``. Backslashes never survive
  :func:`member_label` (they become ``/``), so an escaped label cannot collide with a raw one.
* A label met again in the same archive gets a number before its extension, in archive
  order: ``report.csv``, ``report (2).csv``, ``report (3).csv`` (``README (2)`` without one).
  A later member really named ``report (2).csv`` becomes ``report (2) (2).csv``: the labels of
  an archive depend only on its bytes.
"""

from __future__ import annotations

SEPARATOR = "!/"
ESCAPED_SEPARATOR = "!\\/"


def escape_separator(label: str) -> str:
    """A label in which ``!/`` (the nesting separator of contract paths) cannot be read as
    one. Idempotent: ``!\\/`` holds no ``!/``."""
    return label.replace(SEPARATOR, ESCAPED_SEPARATOR)


def numbered(label: str, n: int) -> str:
    """``dir/report.csv`` -> ``dir/report (n).csv``."""
    head, slash, last = label.rpartition("/")
    stem, dot, ext = last.rpartition(".")
    last = f"{stem} ({n}).{ext}" if stem and dot else f"{last} ({n})"
    return f"{head}{slash}{last}"


class UniqueLabels:
    """Hands out each label once: a repeated label gets the next free number. Amortised O(1)
    per label (a counter per repeated label), so 200 000 members of one name stay linear."""

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self.next: dict[str, int] = {}

    def __call__(self, label: str) -> str:
        if label in self.seen:
            n = self.next.get(label, 2)
            while (candidate := numbered(label, n)) in self.seen:
                n += 1
            self.next[label] = n + 1
            label = candidate
        self.seen.add(label)
        return label
