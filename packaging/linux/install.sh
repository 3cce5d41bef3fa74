#!/usr/bin/env bash
# ClinicDesk @VERSION@ installer for Linux (per-machine). Run from the unpacked archive:
#   sudo ./install.sh [--data-dir DIR] [--group GROUP] [--with-models] [--selftest]
#   sudo ./install.sh --uninstall      (also kept as /opt/clinicdesk/install.sh)
# Options:
#   --prefix DIR     where the app goes (default /opt/clinicdesk); each version is kept in
#                    DIR/versions/<version> and DIR/current points at the active one.
#   --data-dir DIR   shared data folder for vault, model packs and backups; written to the
#                    IT policy file /etc/xdg/ClinicDesk/policy.toml if that file does not exist
#                    yet. Without it each OS user keeps data in ~/.local/share/ClinicDesk.
#   --group GROUP    OS group whose members may use the shared data folder (default: users).
#   --with-models    install the default model packs into the data folder (offline).
#   --selftest       run `ClinicDesk --selftest` after installing.
#   --uninstall      remove the app, menu entry and command; NEVER the data folder or policy.
#   --root DIR       install under DIR instead of / (for staging images and tests).
# Upgrading: run the new version's install.sh; the vault, packs, backups and policy stay.
set -euo pipefail
VERSION="@VERSION@"
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="" PREFIX=/opt/clinicdesk DATA_DIR="" GROUP=users WITH_MODELS=0 SELFTEST=0 UNINSTALL=0
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) PREFIX="$2"; shift 2 ;;
    --data-dir) DATA_DIR="$2"; shift 2 ;;
    --group) GROUP="$2"; shift 2 ;;
    --with-models) WITH_MODELS=1; shift ;;
    --selftest) SELFTEST=1; shift ;;
    --uninstall) UNINSTALL=1; shift ;;
    --root) ROOT="${2%/}"; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
if [ -z "$ROOT" ] && [ "$(id -u)" != 0 ]; then
  echo "install.sh: run as root (sudo) for a per-machine install, or use --root DIR." >&2
  exit 1
fi
APP="$ROOT$PREFIX"
BIN="$ROOT/usr/local/bin/clinicdesk"
DESKTOP_FILE="$ROOT/usr/share/applications/clinicdesk.desktop"
ICON="$ROOT/usr/share/icons/hicolor/scalable/apps/clinicdesk.svg"
POLICY="$ROOT/etc/xdg/ClinicDesk/policy.toml"

if [ "$UNINSTALL" = 1 ]; then
  rm -rf "$APP"
  rm -f "$BIN" "$DESKTOP_FILE" "$ICON"
  echo "ClinicDesk removed. Kept (delete by hand only if you really mean to):"
  [ -f "$POLICY" ] && echo "  policy file: $POLICY" && grep -E '^data_dir' "$POLICY" || true
  echo "  per-user data: ~/.local/share/ClinicDesk of each user (vault, packs, backups)"
  exit 0
fi

test -x "$HERE/ClinicDesk/ClinicDesk" || { echo "install.sh: ClinicDesk/ folder missing" >&2; exit 1; }
echo "Installing ClinicDesk $VERSION into $PREFIX"
mkdir -p "$APP/versions"
staging="$APP/versions/.$VERSION.partial"
rm -rf "$staging"
cp -a "$HERE/ClinicDesk" "$staging"
rm -rf "$APP/versions/$VERSION"
mv "$staging" "$APP/versions/$VERSION"
# Switch versions atomically; the version it replaces stays (for rollback) until the next
# upgrade, older ones are removed.
previous=$(basename "$(readlink "$APP/current" 2>/dev/null || echo none)")
ln -sfn "versions/$VERSION" "$APP/current.new" && mv -T "$APP/current.new" "$APP/current"
for old in "$APP"/versions/*; do
  case "$(basename "$old")" in "$VERSION"|"$previous") ;; *) rm -rf "$old" ;; esac
done
mkdir -p "$(dirname "$BIN")" "$(dirname "$DESKTOP_FILE")" "$(dirname "$ICON")"
ln -sfn "$PREFIX/current/ClinicDesk" "$BIN"
sed "s#@EXEC@#$PREFIX/current/ClinicDesk#" "$HERE/clinicdesk.desktop" > "$DESKTOP_FILE"
cp "$HERE/clinicdesk.svg" "$ICON"
# Keep this script beside the app so IT can uninstall without the archive.
cp "$HERE/install.sh" "$APP/install.sh" && chmod 755 "$APP/install.sh"
for doc in it-guide.md policy.md; do [ -f "$HERE/$doc" ] && cp "$HERE/$doc" "$APP/" || true; done

if [ -n "$DATA_DIR" ]; then
  mkdir -p "$ROOT$DATA_DIR"
  if [ -z "$ROOT" ] && getent group "$GROUP" >/dev/null; then
    chgrp "$GROUP" "$ROOT$DATA_DIR"
    chmod 2770 "$ROOT$DATA_DIR"  # group members share it; new files keep the group
  fi
  if [ ! -f "$POLICY" ]; then
    mkdir -p "$(dirname "$POLICY")"
    printf '# ClinicDesk IT policy (see policy.md beside the installer)\ndata_dir = "%s"\n' \
      "$DATA_DIR" > "$POLICY"
    echo "Wrote $POLICY"
  else
    echo "Kept the existing policy file $POLICY"
  fi
fi
run_app() {
  if [ -n "$ROOT" ]; then
    CLINICDESK_POLICY="$POLICY" "$APP/current/ClinicDesk" "$@"
  else
    "$PREFIX/current/ClinicDesk" "$@"
  fi
}
if [ "$WITH_MODELS" = 1 ]; then
  echo "Installing the default model packs..."
  run_app models install --defaults
fi
if [ "$SELFTEST" = 1 ]; then
  run_app --selftest
fi
echo "Done. Start ClinicDesk from the applications menu or with: clinicdesk"
