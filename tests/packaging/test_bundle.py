"""The frozen app IT installs: build it with PyInstaller, install it from its archive with
install.sh, install the default model packs in it and run its self-test, all offline.

Slow (a PyInstaller build of torch + transformers + Qt): skipped with SKIP_BUNDLE=1 so
`make test` can leave it out when short of time; CI runs it. To reuse a bundle already
built by `make package`, set CLINICDESK_BUNDLE_ARCHIVE=dist/ClinicDesk-<v>-linux-<arch>.tar.gz.
The tests share one installation and run in file order, as IT would: install, install the
default packs and self-test, start the GUI, upgrade, uninstall.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import desktop

REPO = Path(__file__).resolve().parents[2]
MAX_BUNDLE_BYTES = 1_500_000_000  # the limit for the installed app

pytestmark = [
    pytest.mark.bundle,
    pytest.mark.slow,
    pytest.mark.timeout(3600),  # one PyInstaller build on a small CI machine
    pytest.mark.skipif(os.environ.get("SKIP_BUNDLE") == "1", reason="SKIP_BUNDLE=1"),
    pytest.mark.skipif(sys.platform != "linux", reason="the Linux bundle is built on Linux"),
]


def _folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


@pytest.fixture(scope="module")
def archive() -> Path:
    reuse = os.environ.get("CLINICDESK_BUNDLE_ARCHIVE")
    if reuse:
        return Path(reuse).resolve()
    result = subprocess.run(
        ["bash", "packaging/build_linux.sh"], cwd=REPO, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    print(result.stdout)  # bundle size and build time, shown with pytest -s / in CI logs
    name = f"ClinicDesk-{desktop.__version__}-linux-{platform.machine()}.tar.gz"
    return REPO / "dist" / name


@pytest.fixture(scope="module")
def installed(archive: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """Unpack the archive and run its install.sh into a staging root (no sudo needed)."""
    work = tmp_path_factory.mktemp("bundle")
    with tarfile.open(archive) as tar:
        tar.extractall(work, filter="tar")
    (unpacked,) = work.iterdir()
    root = work / "root"
    data = work / "clinic-data"
    result = subprocess.run(
        [str(unpacked / "install.sh"), "--root", str(root), "--data-dir", str(data)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    yield {"root": root, "data": data, "unpacked": unpacked}
    shutil.rmtree(work, ignore_errors=True)  # ~3.5 GB of copies; pytest would keep them


def _run_app(installed: dict[str, Path], *args: str, timeout: int = 900):
    root = installed["root"]
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTHON", "VIRTUAL_ENV", "CLINICDESK_"))
    }
    env["CLINICDESK_POLICY"] = str(root / "etc/xdg/ClinicDesk/policy.toml")
    return subprocess.run(
        [str(root / "opt/clinicdesk/current/ClinicDesk"), *args],
        cwd=installed["root"],  # not the checkout: the app must not import from it
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_install_lays_out_app_menu_entry_and_policy(installed) -> None:
    root = installed["root"]
    app = root / "opt/clinicdesk"
    assert (app / "current").resolve() == (app / "versions" / desktop.__version__).resolve()
    assert os.readlink(root / "usr/local/bin/clinicdesk") == "/opt/clinicdesk/current/ClinicDesk"
    entry = (root / "usr/share/applications/clinicdesk.desktop").read_text()
    assert "Exec=/opt/clinicdesk/current/ClinicDesk" in entry and "Type=Application" in entry
    policy = (root / "etc/xdg/ClinicDesk/policy.toml").read_text()
    assert f'data_dir = "{installed["data"]}"' in policy
    assert _folder_bytes(app / "current/") < MAX_BUNDLE_BYTES


def test_bundle_installs_default_packs_and_passes_its_selftest(installed) -> None:
    # The bundle must carry everything: the default packs come from inside it, offline.
    result = _run_app(installed, "models", "install", "--defaults")
    assert result.returncode == 0, result.stdout + result.stderr
    result = _run_app(installed, "--selftest")
    report = result.stdout
    assert result.returncode == 0, report + result.stderr
    for check in (
        "Encrypted vault",
        "Model pack minilm-l6-v2",
        "Model pack smollm2-135m-instruct",
        "DICOM decoding",
        "Note understanding rules",
        "GUI libraries",
        "Application modules",
        "Offline operation",
    ):
        assert f"[ OK ] {check}" in report, report
    assert str(installed["data"]) in report  # it used the policy file install.sh wrote


def test_bundled_gui_starts_and_keeps_running(installed, tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env.update(
        QT_QPA_PLATFORM="offscreen",
        CLINICDESK_POLICY=str(tmp_path / "none.toml"),
        CLINICDESK_DATA_DIR=str(tmp_path / "fresh"),  # first run: the set-up wizard
    )
    app = subprocess.Popen(
        [str(installed["root"] / "opt/clinicdesk/current/ClinicDesk")],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        out, err = app.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        return  # still showing its window after 20 s: it started
    finally:
        if app.poll() is None:
            app.terminate()
            app.communicate(timeout=20)
    pytest.fail(f"the GUI exited with {app.returncode}: {out}{err}")


def test_upgrade_switches_version_and_keeps_data_and_policy(installed) -> None:
    root, unpacked = installed["root"], installed["unpacked"]
    policy = root / "etc/xdg/ClinicDesk/policy.toml"
    policy.write_text(policy.read_text() + "auto_lock_minutes = 3\n")  # IT's own edit
    packs_before = sorted(p.name for p in (installed["data"] / "models").iterdir())
    # The same bundle presented as the next release, as IT would run a newer install.sh.
    script = unpacked / "install.sh"
    script.write_text(
        script.read_text().replace(f'VERSION="{desktop.__version__}"', 'VERSION="99.0.0"')
    )
    result = subprocess.run(
        [str(script), "--root", str(root), "--data-dir", str(installed["data"])],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    versions = root / "opt/clinicdesk/versions"
    assert os.readlink(root / "opt/clinicdesk/current") == "versions/99.0.0"
    assert sorted(p.name for p in versions.iterdir()) == [desktop.__version__, "99.0.0"]
    assert "auto_lock_minutes = 3" in policy.read_text()
    assert sorted(p.name for p in (installed["data"] / "models").iterdir()) == packs_before
    result = _run_app(installed, "models", "list")
    assert result.returncode == 0 and "minilm-l6-v2" in result.stdout, result.stderr


def test_uninstall_keeps_the_data_folder(installed) -> None:
    root = installed["root"]
    (installed["data"]).mkdir(exist_ok=True)
    marker = installed["data"] / "keep-me"
    marker.write_text("vault stand-in")
    result = subprocess.run(
        [str(root / "opt/clinicdesk/install.sh"), "--uninstall", "--root", str(root)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert not (root / "opt/clinicdesk").exists()
    assert not (root / "usr/local/bin/clinicdesk").is_symlink()
    assert marker.read_text() == "vault stand-in"
    assert (root / "etc/xdg/ClinicDesk/policy.toml").is_file()
