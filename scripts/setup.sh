#!/usr/bin/env bash
# Set breachscope up on a fresh Debian machine: system packages (when a later feature needs
# them), a virtual environment in .venv, and the package itself (with test tools with --dev).
set -euo pipefail
cd "$(dirname "$0")/.."

DEV=0
[ "${1:-}" = "--dev" ] && DEV=1

# System packages, installed only when missing: Tesseract OCR with French and orientation
# data (scans), and its library's headers with pkg-config (tesserocr is built on them, so the
# engine kept in each worker is that very Tesseract: extract/ocr_resident.py), antiword and catdoc (Word 97-2003; catdoc's catppt reads PowerPoint 97-2003),
# unar and bsdtar (RAR archives), mdbtools (Access databases),
# Pango and DejaVu fonts (WeasyPrint draws the PDF report and letters with them).
APT_PACKAGES=(tesseract-ocr tesseract-ocr-fra tesseract-ocr-osd libtesseract-dev
              libleptonica-dev pkg-config build-essential antiword catdoc unar
              libarchive-tools mdbtools libpango-1.0-0 libpangoft2-1.0-0
              fonts-dejavu-core)
# Test tools: Info-ZIP's zip makes real ZipCrypto archives for the archive tests; Chromium
# opens the report and the review UI in the browser tests; poppler's pdftotext reads the PDFs;
# a Java runtime runs the Spark linkage test (pyspark, the `spark` extra).
[ "$DEV" = 1 ] && APT_PACKAGES+=(zip chromium poppler-utils openjdk-17-jre-headless)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi

PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# tesserocr from source (--no-binary): PyPI's wheel bundles another Tesseract, whose reading
# differs from the program's; breachscope would then run the program for every page.
if [ "$DEV" = 1 ]; then
  .venv/bin/python -m pip install -q --no-binary tesserocr -e '.[dev]'
else
  .venv/bin/python -m pip install -q --no-binary tesserocr -e '.[ner,ocr]'
fi
