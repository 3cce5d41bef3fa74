#!/usr/bin/env bash
# Start ClinicDesk under Xvfb on a scratch data dir and save a PNG of each screen to
# docs/screenshots/. Only public sample data appears (the demo vault; a public chest X-ray
# from ../shared/data when it is beside the checkout).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
SCRATCH=.cache/screenshots-data
rm -rf "$SCRATCH"
mkdir -p "$SCRATCH/models"
# Reuse model packs already installed for the tests, if any (saves converting them again).
for pack in .cache/test-packs/models/*/; do
    [ -f "$pack/manifest.toml" ] && ln -s "$(cd "$pack" && pwd)" "$SCRATCH/models/$(basename "$pack")"
done
CHEST=../shared/data/dicom/chest_xray/1.2.276.0.7230010.3.1.4.8323329.6904.1517875201.850819.dcm
export CLINICDESK_DATA_DIR="$PWD/$SCRATCH"
export CLINICDESK_POLICY="$PWD/$SCRATCH/no-policy.toml"
xvfb-run -a -s "-screen 0 1366x768x24" "$PY" -m desktop.ui.screenshots docs/screenshots \
    $( [ -f "$CHEST" ] && echo "$CHEST" )
rm -rf "$SCRATCH"
