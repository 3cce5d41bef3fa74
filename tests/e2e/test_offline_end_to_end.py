"""The whole visit, and the headless CLI, run with every network call refused.

Models are loaded fresh inside the block (new runtimes), so loading counts as well as
inference; the CLI run blocks sockets before ClinicDesk or any model library is imported.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from desktop.core.inference import ModelRuntime
from desktop.core.vault import Vault
from tests.e2e.test_privacy_end_to_end import check_visit_stored, run_visit, write_inputs
from tests.fixtures.packs import REPO_ROOT, TEST_PACKS_ROOT

pytestmark = pytest.mark.slow


@pytest.fixture
def blocked_network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every connection attempt or name lookup raises and is recorded."""
    attempts: list[str] = []

    def refuse(name: str):
        def blocked(*args, **kwargs):
            attempts.append(f"{name}{args[1:] if name.startswith('socket.') else args}")
            raise OSError(f"network access attempted during an offline test ({name})")

        return blocked

    monkeypatch.setattr(socket.socket, "connect", refuse("socket.connect"))
    monkeypatch.setattr(socket.socket, "connect_ex", refuse("socket.connect_ex"))
    monkeypatch.setattr(socket, "create_connection", refuse("create_connection"))
    monkeypatch.setattr(socket, "getaddrinfo", refuse("getaddrinfo"))
    return attempts


def test_whole_visit_with_the_network_blocked(
    blocked_network: list[str], tmp_path: Path, vault: Vault, packs_settings, cxr_runtime,
    cxr_pack, dicom_dir: Path,
) -> None:
    files = write_inputs(tmp_path / "clinician-files", dicom_dir, scanned=False)
    runtime = ModelRuntime(packs_settings)  # fresh: SmolLM2 and MiniLM load inside the block
    try:
        visit = run_visit(vault, cxr_runtime.settings, runtime, cxr_runtime, files,
                          max_new_tokens=24)
        assert set(runtime.loaded_pack_ids()) == {"smollm2-135m-instruct", "minilm-l6-v2"}
        assert cxr_pack.id in cxr_runtime.loaded_pack_ids()
    finally:
        runtime.close()
    check_visit_stored(vault, visit)
    vault.backup(cxr_runtime.settings.backups_dir / "offline.vault")
    assert blocked_network == []


_CLI_SCRIPT = """
import os, socket, sys
attempts = []
def refuse(name):
    def blocked(*a, **k):
        attempts.append(name)
        raise OSError("network access attempted")
    return blocked
socket.socket.connect = refuse("connect")
socket.socket.connect_ex = refuse("connect_ex")
socket.create_connection = refuse("create_connection")
socket.getaddrinfo = refuse("getaddrinfo")
from desktop.cli import main
codes = [main(["findings", sys.argv[1]])]
os.environ["CLINICDESK_DATA_DIR"] = sys.argv[3]  # where the default packs are installed
codes.append(main(["analyse", "note", "--json", sys.argv[2]]))
print("CODES", codes, "ATTEMPTS", attempts)
"""


def test_cli_findings_and_note_analysis_with_sockets_blocked_from_the_start(
    tmp_path: Path, isolated_data_dir: Path, cxr_pack, packs_settings, dicom_dir: Path,
) -> None:
    files = write_inputs(tmp_path / "clinician-files", dicom_dir, scanned=False)
    env = {
        "PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": str(REPO_ROOT),
        "CLINICDESK_DATA_DIR": str(isolated_data_dir),  # holds the chest X-ray pack
        "CLINICDESK_POLICY": str(tmp_path / "no-policy.toml"),
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "2"),
    }
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_CLI_SCRIPT), str(files["dicom"]),
         str(files["docx"]), str(TEST_PACKS_ROOT)],
        capture_output=True, text=True, timeout=600, env=env, cwd=REPO_ROOT,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "CODES [0, 0] ATTEMPTS []" in proc.stdout, proc.stdout[-3000:]
    assert "Chest X-ray findings" in proc.stdout
    assert '"pack_id": "minilm-l6-v2"' in proc.stdout  # MiniLM ran (not the lexical fallback)
    assert "J18" in proc.stdout  # pneumonia coded
