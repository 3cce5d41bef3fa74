#!/usr/bin/env bash
# System packages ClinicDesk needs beyond Python: OCR (tesseract), Qt's runtime libraries,
# and Xvfb for screenshots. Installs what is missing when run as root with apt; otherwise
# says what is missing and carries on (OCR is then reported as unavailable in the app).
set -euo pipefail
need=(tesseract-ocr tesseract-ocr-eng libgl1 libegl1 libxkbcommon0 libfontconfig1
      libdbus-1-3 xvfb xauth libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0
      libxcb-xkb1 libxkbcommon-x11-0 libxcb-cursor0 libxcb-shape0)
missing=()
for pkg in "${need[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "warning: missing system packages (install them with your package manager): ${missing[*]}" >&2
fi
