"""`desktop selftest`: IT runs it after installing; it must pass when all is well and say
exactly what is wrong otherwise."""

from __future__ import annotations

import json
import shutil
import socket
from pathlib import Path

import pytest

from desktop.cli import main as cli_main
from desktop.commands import selftest
from desktop.core.config import load_settings


@pytest.mark.slow
def test_selftest_passes_on_a_working_installation(runtime, monkeypatch, capsys) -> None:
    # The data folder of the session's installed default packs (what IT's install leaves).
    monkeypatch.setenv("CLINICDESK_DATA_DIR", str(runtime.settings.data_dir))
    assert cli_main(["selftest"]) == 0
    out = capsys.readouterr().out
    for part in (
        "Encrypted vault",
        "Model pack minilm-l6-v2",
        "Model pack smollm2-135m-instruct",
        "DICOM decoding",
        "OCR for scanned notes",
        "Offline operation",
    ):
        line = next(line for line in out.splitlines() if part in line)
        assert line.startswith(("[ OK ]", "[WARN]")), line
    assert "checksum OK" in out
    assert "Self-test PASSED" in out


@pytest.mark.slow
def test_selftest_with_no_model_packs_fails_and_says_how_to_install(capsys) -> None:
    assert cli_main(["selftest", "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["passed"] is False
    by_name = {c["name"]: c for c in report["checks"]}
    assert by_name["Encrypted vault"]["status"] == "ok"
    assert by_name["DICOM decoding"]["status"] == "ok"
    assert "MR_small_jp2klossless.dcm 64x64" in by_name["DICOM decoding"]["detail"]
    assert by_name["Default model packs"]["status"] == "fail"
    assert "models install --defaults" in by_name["Default model packs"]["detail"]


@pytest.mark.slow
def test_tampered_model_pack_fails_its_check(runtime, isolated_data_dir: Path) -> None:
    source = runtime.settings.packs_dir / "minilm-l6-v2"
    copy = isolated_data_dir / "models" / "minilm-l6-v2"
    shutil.copytree(source, copy)
    config = copy / "config.json"
    config.write_text(config.read_text().replace('"hidden_size"', '"hidden_size" '))
    checks = dict(selftest.model_pack_checks(load_settings()))
    result = selftest._run("pack", checks["Model pack minilm-l6-v2"])
    assert result.status == "fail"
    assert "failed its integrity check" in result.detail and "config.json" in result.detail


def test_pack_disabled_by_policy_is_a_warning(runtime, tmp_path, monkeypatch) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text('enabled_packs = ["smollm2-135m-instruct"]\n')
    monkeypatch.setenv("CLINICDESK_POLICY", str(policy))
    monkeypatch.setenv("CLINICDESK_DATA_DIR", str(runtime.settings.data_dir))
    checks = dict(selftest.model_pack_checks(load_settings()))
    result = selftest._run("pack", checks["Model pack minilm-l6-v2"])
    assert result.status == "warn" and "disabled by the IT policy" in result.detail


def test_missing_tesseract_is_a_warning_with_install_advice(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    result = selftest._run("OCR", selftest.check_ocr)
    assert result.status == "warn"
    assert "tesseract-ocr" in result.detail


def test_network_attempts_are_caught() -> None:
    watch = selftest.NetworkWatch()
    watch.active = True
    with socket.socket() as sock, pytest.raises(OSError):
        sock.settimeout(1)
        sock.connect(("127.0.0.1", 9))  # the discard port: refused, nothing leaves the host
    watch.active = False
    assert watch.attempts == ["connect to 127.0.0.1:9"]


@pytest.mark.slow
def test_chest_xray_pack_gets_a_tiny_inference(cxr_pack) -> None:
    checks = dict(selftest.model_pack_checks(load_settings()))
    result = selftest._run("pack", checks[f"Model pack {cxr_pack.id}"])
    assert result.status == "ok", result.detail
    assert "checksum OK" in result.detail and "scored a test image (18 findings)" in result.detail
    selftest._run("close", checks["Model runtime shutdown"])


def test_a_missing_rule_file_is_named_with_what_to_do(tmp_path, monkeypatch) -> None:
    from desktop.core.analysis.notes import rule_files
    from desktop.core.errors import NotAvailableError

    damaged = tmp_path / "nlp"
    shutil.copytree(rule_files.nlp_resources_dir(), damaged)
    (damaged / "terms" / "body_sites.tsv").unlink()
    monkeypatch.setattr(rule_files, "nlp_resources_dir", lambda: damaged)
    rule_files.rules_checksum.cache_clear()
    try:
        with pytest.raises(NotAvailableError, match=r"terms/body_sites\.tsv .*reinstall"):
            selftest.check_note_rules()
    finally:
        rule_files.rules_checksum.cache_clear()
