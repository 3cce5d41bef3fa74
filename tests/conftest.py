"""Test-wide set-up: every test runs with its own empty data dir, offscreen Qt, no hub."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import desktop  # noqa: E402,F401  (offline mode before any model library loads)

pytest_plugins = [
    "tests.fixtures.vault",
    "tests.fixtures.packs",
    "tests.fixtures.notes",
    "tests.fixtures.imaging",
]

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Real public clinical data beside the checkout (read-only)."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not beside this checkout")
    return SHARED_DATA


@pytest.fixture(autouse=True)
def isolated_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test gets a fresh data dir and no IT policy file from the machine."""
    data_dir = tmp_path / "clinicdesk-data"
    monkeypatch.setenv("CLINICDESK_DATA_DIR", str(data_dir))
    monkeypatch.setenv("CLINICDESK_POLICY", str(tmp_path / "no-policy.toml"))
    return data_dir
