"""``PartialContent``: an extractor read part of a file and knows it skipped the rest.

Raised *after* the units that could be read were yielded (the worker keeps them), it records
the content ``partial`` with the message as its reason, e.g. ``2 of 5 sheets not read (chart
sheets)``. Like every extraction reason, the message must never quote content or identifiers.
Kept in a module of its own so that extractors can import it without touching ``units``.
"""

from __future__ import annotations

from breachscope.extract.units import ExtractionError


class PartialContent(ExtractionError):
    """Some of the file was read and kept; the message says what was skipped and why."""
