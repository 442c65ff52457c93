"""Credentials in free text, configuration files and logs, with masked values (see
:mod:`breachscope.detect.secrets`)."""

from __future__ import annotations

from breachscope.detect.secrets import scan_credentials

SCANNERS = [("CREDENTIAL", scan_credentials)]
