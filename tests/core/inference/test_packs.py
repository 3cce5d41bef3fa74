"""Installing, importing, verifying and refusing model packs (tiny random-weight models)."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop.core.config import Settings
from desktop.core.errors import InputError, NotAvailableError
from desktop.core.inference import ModelRuntime, PackIntegrityError, PackRegistry


def test_imported_hf_folder_is_listed_with_checksums(app_settings, tiny_llm_dir):
    registry = PackRegistry(app_settings)
    pack = registry.import_path(tiny_llm_dir, pack_id="tiny-llm")
    assert pack.task == "text-generation"  # inferred from config.json architectures
    assert [p.id for p in registry.list()] == ["tiny-llm"]
    names = {f.path for f in pack.manifest.files}
    assert {"config.json", "model.safetensors", "tokenizer.json"} <= names
    assert all(len(f.sha256) == 64 for f in pack.manifest.files)
    assert registry.verify("tiny-llm").checksum == pack.checksum


def test_a_damaged_pack_is_refused_with_a_clear_message(app_settings, tiny_llm_dir):
    registry = PackRegistry(app_settings)
    registry.import_path(tiny_llm_dir, pack_id="tiny-llm")
    registry.get("tiny-llm")  # verified and cached
    weights = app_settings.packs_dir / "tiny-llm" / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-10] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(PackIntegrityError, match="tiny-llm.*integrity check.*model.safetensors"):
        registry.get("tiny-llm")
    runtime = ModelRuntime(app_settings)
    try:
        with pytest.raises(PackIntegrityError):
            runtime.generator("tiny-llm")
    finally:
        runtime.close()


def test_full_verify_catches_a_change_that_kept_size_and_mtime(app_settings, tiny_llm_dir):
    registry = PackRegistry(app_settings)
    registry.import_path(tiny_llm_dir, pack_id="tiny-llm")
    weights = app_settings.packs_dir / "tiny-llm" / "model.safetensors"
    stat = weights.stat()
    data = bytearray(weights.read_bytes())
    data[-10] ^= 0xFF
    weights.write_bytes(bytes(data))
    import os

    os.utime(weights, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    registry.get("tiny-llm")  # the load-time check trusts size+mtime (documented)
    with pytest.raises(PackIntegrityError):
        registry.verify("tiny-llm")  # `desktop models verify` re-hashes everything


def test_missing_pack_says_how_it_to_install(app_settings):
    runtime = ModelRuntime(app_settings)
    try:
        with pytest.raises(NotAvailableError, match="desktop models install --defaults"):
            runtime.generator()
        with pytest.raises(NotAvailableError, match="not installed"):
            runtime.embedder("no-such-pack")
    finally:
        runtime.close()


def test_pack_disabled_by_policy_is_not_available(tmp_path, tiny_llm_dir):
    registry = PackRegistry(Settings(data_dir=tmp_path / "d"))
    registry.import_path(tiny_llm_dir, pack_id="tiny-llm")
    locked = PackRegistry(Settings(data_dir=tmp_path / "d", enabled_packs=("other",)))
    with pytest.raises(NotAvailableError, match="disabled by the IT policy"):
        locked.get("tiny-llm")


def test_import_refuses_bad_inputs(app_settings, tmp_path, tiny_llm_dir):
    registry = PackRegistry(app_settings)
    with pytest.raises(InputError, match="does not exist"):
        registry.import_path(tmp_path / "nowhere")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="no config.json"):
        registry.import_path(empty)
    text = tmp_path / "notes.txt"
    text.write_text("not a model")
    with pytest.raises(InputError, match="not a model pack"):
        registry.import_path(text)
    ckpt = tmp_path / "weights.pt"
    ckpt.write_bytes(b"\0" * 16)
    with pytest.raises(InputError, match="--task"):
        registry.import_path(ckpt)
    registry.import_path(tiny_llm_dir, pack_id="tiny-llm")
    with pytest.raises(InputError, match="already installed"):
        registry.import_path(tiny_llm_dir, pack_id="tiny-llm")
    assert [p.id for p in registry.list()] == ["tiny-llm"]
    assert not list(app_settings.packs_dir.glob(".staging-*"))  # nothing half-installed


def test_pickled_weights_in_a_folder_are_refused(app_settings, tiny_llm_dir: Path):
    for f in tiny_llm_dir.glob("*.safetensors"):
        f.rename(f.with_suffix(".bin"))
    with pytest.raises(InputError, match="safetensors"):
        PackRegistry(app_settings).import_path(tiny_llm_dir)


def test_torch_checkpoint_imports_for_a_registered_task(app_settings, tmp_path):
    import torch

    ckpt = tmp_path / "cxr.pt"
    torch.save({"w": torch.zeros(2, 2)}, ckpt)
    pack = PackRegistry(app_settings).import_path(ckpt, task="cxr-classification")
    assert pack.id == "cxr" and pack.manifest.format == "torch"
    assert pack.manifest.source["imported_from"] == "cxr.pt"
