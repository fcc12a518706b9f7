#!/usr/bin/env bash
# What the shipping label tests need to read a label's barcode back the way a scanner would:
# poppler's pdftoppm (renders the PDF page to an image) and zbar's zbarimg (decodes the
# Code128 from that image), both Debian packages. Independent of reportlab, which drew the
# barcode, so the test does not check our encoder with itself. Idempotent; run by `make test`.
# Without root and without the tools it says so and the barcode test skips with that reason.
set -euo pipefail

if ! command -v zbarimg >/dev/null 2>&1 || ! command -v pdftoppm >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=300 update -q >/dev/null
    apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends zbar-tools poppler-utils >/dev/null
  else
    echo "barcode-deps: zbarimg/pdftoppm are not installed and this user cannot apt-get them; the label barcode test will skip" >&2
  fi
fi
