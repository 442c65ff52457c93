"""Free-text scanners beyond the core identifiers, one module per concern, discovered by
:mod:`breachscope.detect.text` (each module exposes ``SCANNERS``)."""
