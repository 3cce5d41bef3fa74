#!/usr/bin/env bash
# Build the Linux one-folder app and its versioned archive (used by `make package`).
#   dist/ClinicDesk/                                  the bundle (run dist/ClinicDesk/ClinicDesk)
#   dist/ClinicDesk-<version>-linux-x86_64.tar.gz     bundle + install.sh + .desktop entry
# Environment: PYTHON (default .venv/bin/python); CLINICDESK_NO_ARCHIVE=1 skips the archive
# (the bundle test only needs the folder).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
started=$(date +%s)
version=$("$PYTHON" -c 'import desktop; print(desktop.__version__)')
arch=$(uname -m)
name="ClinicDesk-${version}-linux-${arch}"

echo "Building ClinicDesk ${version} bundle with PyInstaller..."
"$PYTHON" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath dist --workpath build/pyinstaller packaging/clinicdesk.spec
bundle=dist/ClinicDesk
test -x "$bundle/ClinicDesk"
built=$(date +%s)

if [ "${CLINICDESK_NO_ARCHIVE:-0}" != 1 ]; then
  echo "Writing dist/${name}.tar.gz..."
  stage=build/archive/$name
  rm -rf build/archive && mkdir -p "$stage"
  cp -a "$bundle" "$stage/ClinicDesk"
  sed "s/@VERSION@/${version}/g" packaging/linux/install.sh > "$stage/install.sh"
  chmod 755 "$stage/install.sh"
  cp packaging/linux/clinicdesk.desktop packaging/linux/clinicdesk.svg "$stage/"
  cp docs/it-guide.md docs/policy.md "$stage/" 2>/dev/null || true
  # gzip is what every Linux can open; -1 because weights and libraries barely compress.
  tar -C build/archive -cf - "$name" | gzip -1 > "dist/${name}.tar.gz"
  rm -rf build/archive
fi

finished=$(date +%s)
echo "Bundle: $bundle ($(du -sh "$bundle" | cut -f1), $(du -sb "$bundle" | cut -f1) bytes)"
[ -f "dist/${name}.tar.gz" ] && echo "Archive: dist/${name}.tar.gz ($(du -sh "dist/${name}.tar.gz" | cut -f1))"
echo "Build time: $((built - started)) s for the bundle, $((finished - started)) s in total"
