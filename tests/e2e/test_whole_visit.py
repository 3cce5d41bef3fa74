"""A whole visit in the real window: unlock -> new patient -> import a note file and a chest
DICOM -> run analyses -> accept one, reject one -> lock. Real vault, real files, real models
(MiniLM and SmolLM2 from the default packs, a random-weight chest X-ray pack)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QFileDialog

from desktop.core.config import load_settings
from desktop.core.vault import Vault
from desktop.ui.import_actions import FILTER_IMAGES, FILTER_NOTES
from desktop.ui.patient_editor import PatientEditor
from tests.fixtures.vault import VAULT_PASSPHRASE, VAULT_USER
from tests.ui.conftest import all_widget_text, wait_idle
from tests.ui.test_workspace import CHEST, mtsamples_note

pytestmark = pytest.mark.slow
PATIENT = "Harriet Okonkwo-Testperson"


@pytest.fixture
def installed_packs(packs_settings, cxr_pack) -> Path:
    """The app's own packs dir holds the default packs (linked from the test cache, as
    `desktop models install --defaults` would install them) and the chest X-ray pack."""
    packs_dir = load_settings().packs_dir
    for pack_id in ("smollm2-135m-instruct", "minilm-l6-v2"):
        (packs_dir / pack_id).symlink_to(packs_settings.packs_dir / pack_id)
    return packs_dir


def fill_patient_dialog_when_shown(qtbot) -> None:
    def fill() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, PatientEditor):
            QTimer.singleShot(20, fill)
            return
        qtbot.keyClicks(dialog.name, PATIENT)
        qtbot.keyClicks(dialog.birth_date, "1957-11-02")
        qtbot.keyClicks(dialog.mrn, "E2E-1")
        box = dialog.findChild(QDialogButtonBox)
        box.button(QDialogButtonBox.StandardButton.Save).click()

    QTimer.singleShot(0, fill)


def choose_in_file_dialog(monkeypatch, path: Path, file_filter: str) -> None:
    monkeypatch.setattr(QFileDialog, "getOpenFileNames",
                        staticmethod(lambda *a, **k: ([str(path)], file_filter)))


def test_whole_visit(qtbot, make_window, vault_factory, installed_packs, monkeypatch, tmp_path,
                     shared_data, settings):
    vault, _key = vault_factory()
    vault.lock()
    window = make_window()

    # Unlock.
    screen = window.unlock_screen
    qtbot.keyClicks(screen.username, VAULT_USER)
    qtbot.keyClicks(screen.passphrase, VAULT_PASSPHRASE)
    qtbot.keyClick(screen.passphrase, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.workspace is not None, timeout=15_000)
    ws = window.workspace

    # New patient (Ctrl+N and the real dialog).
    fill_patient_dialog_when_shown(qtbot)
    window.actions["new_patient"].trigger()
    qtbot.waitUntil(lambda: ws.chart.patient is not None, timeout=10_000)
    assert ws.chart.name.text() == PATIENT

    # Import a real note file and a real chest DICOM (Ctrl+O and the file dialog).
    note_file = tmp_path / "clinic-letter.txt"
    note_file.write_text(mtsamples_note(shared_data, 0), encoding="utf-8")
    choose_in_file_dialog(monkeypatch, note_file, FILTER_NOTES)
    window.actions["import"].trigger()
    qtbot.waitUntil(lambda: len(ws.chart.ids("note")) == 1, timeout=15_000)
    choose_in_file_dialog(monkeypatch, shared_data / CHEST, FILTER_IMAGES)
    window.actions["import"].trigger()
    qtbot.waitUntil(lambda: len(ws.chart.ids("image")) == 1, timeout=15_000)
    viewer = ws.chart.image_viewer
    qtbot.waitUntil(lambda: not viewer.canvas.pixmap_item.pixmap().isNull(), timeout=15_000)

    # Run analyses (Ctrl+R): structured summary, diagnoses, image findings. (The written
    # LLM summary is exercised by tests/ui/test_results.py; it is too slow for this box.)
    results = ws.results
    window.actions["run"].trigger()
    assert set(results.running) == {"summary", "diagnoses", "findings"}
    qtbot.waitUntil(lambda: not {"summary", "findings"} & set(results.running),
                    timeout=300_000)
    qtbot.waitUntil(lambda: None not in (results.summary.current, results.findings.current)
                    or bool(results.summary.state.text() or results.findings.state.text()),
                    timeout=30_000)
    assert results.summary.current is not None, results.summary.state.text()
    assert results.summary.current.kind == "summary.structured"
    assert results.summary.item_count() > 0
    assert results.findings.current is not None, results.findings.state.text()
    assert "xrv-densenet121-all" in results.findings.provenance.text()

    # Accept the summary (Ctrl+Enter on its tab), reject the image findings.
    window.actions["tab_summary"].trigger()
    summary_id = results.summary.current.id
    window.actions["accept"].trigger()
    qtbot.waitUntil(lambda: results.summary.decision.text().startswith("Accepted"),
                    timeout=10_000)
    window.actions["tab_findings"].trigger()
    findings_id = results.findings.current.id
    results.findings.reject_button.click()
    qtbot.waitUntil(lambda: results.findings.decision.text().startswith("Rejected"),
                    timeout=10_000)

    # Lock (Ctrl+L), even if the diagnoses (slow on a busy 2-core box) are still running:
    # locking cancels them, and nothing of the patient stays in any widget.
    window.actions["lock"].trigger()
    qtbot.wait(50)
    wait_idle(qtbot, window, timeout=120_000)
    assert window.stack.currentWidget() is window.unlock_screen
    text = all_widget_text()
    assert PATIENT not in text
    assert "allergies" not in text.lower()

    # The decisions are in the vault.
    with Vault.unlock(settings.vault_path, VAULT_USER, VAULT_PASSPHRASE) as reopened:
        assert reopened.latest_decision(summary_id).decision == "accepted"
        assert reopened.latest_decision(findings_id).decision == "rejected"
        patient = reopened.search_patients("Okonkwo")[0]
        assert [n.source_name for n in reopened.list_notes(patient.id)] == ["clinic-letter.txt"]
