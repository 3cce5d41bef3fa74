"""Results panes: real analyses run from the GUI, evidence highlighting, decisions."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QDialog

from desktop.ui.decision_dialog import DecisionEditDialog, edited_result
from tests.ui.conftest import wait_idle
from tests.ui.test_workspace import CHEST, add_patient, mtsamples_note


def with_note(qtbot, window, monkeypatch, shared_data, row: int = 0) -> int:
    pid = add_patient(qtbot, window, monkeypatch)
    ws = window.workspace
    ws.add_pasted_note(mtsamples_note(shared_data, row))
    qtbot.waitUntil(lambda: ws.chart.note_view.note_id is not None, timeout=10_000)
    return pid


def run_structured_summary(qtbot, window):
    ws = window.workspace
    pane = ws.results.summary
    ws.results.mode.setCurrentIndex(ws.results.mode.findData("structured"))
    pane.run_button.click()
    qtbot.waitUntil(lambda: pane.current is not None, timeout=60_000)
    return pane


def test_structured_summary_shows_items_provenance_and_evidence(qtbot, workspace_window,
                                                                monkeypatch, shared_data):
    with_note(qtbot, workspace_window, monkeypatch, shared_data)
    pane = run_structured_summary(qtbot, workspace_window)
    assert pane.item_count() > 0
    assert pane.provenance.text().startswith("Made by ")
    assert "sha256" in pane.provenance.text()
    assert pane.decision.text() == "Not reviewed yet"
    # Clicking an item highlights exactly its evidence in the note.
    row = next(i for i in range(pane.item_count())
               if pane.items.topLevelItem(i).data(0, 256).get("evidence"))
    entry = pane.items.topLevelItem(row).data(0, 256)
    pane.select_item(row)
    note_view = workspace_window.workspace.chart.note_view
    assert note_view.highlighted
    assert note_view.highlighted_text()[0] == entry["evidence"][0]["text"]


def test_accept_and_reject_are_recorded(qtbot, workspace_window, monkeypatch, shared_data,
                                        vault):
    with_note(qtbot, workspace_window, monkeypatch, shared_data)
    pane = run_structured_summary(qtbot, workspace_window)
    analysis_id = pane.current.id
    pane.accept_button.click()
    qtbot.waitUntil(lambda: pane.decision.text().startswith("Accepted by dr.grey"),
                    timeout=10_000)
    assert vault.latest_decision(analysis_id).decision == "accepted"
    workspace_window.actions["reject"].trigger()  # Ctrl+Shift+Backspace on the current pane
    qtbot.waitUntil(lambda: pane.decision.text().startswith("Rejected"), timeout=10_000)
    assert vault.latest_decision(analysis_id).decision == "rejected"


def test_edit_before_accepting(qtbot, workspace_window, monkeypatch, shared_data, vault):
    with_note(qtbot, workspace_window, monkeypatch, shared_data)
    pane = run_structured_summary(qtbot, workspace_window)
    first_label = pane.items.topLevelItem(0).text(0)

    def fake_exec(dialog: DecisionEditDialog) -> int:
        dialog.editor.setPlainText(f"{first_label}\nFollow up in two weeks")
        dialog.comment.setText("trimmed")
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(DecisionEditDialog, "exec", fake_exec)
    pane.edit_button.click()
    qtbot.waitUntil(lambda: pane.decision.text().startswith("Edited"), timeout=10_000)
    decision = vault.latest_decision(pane.current.id)
    assert [i["label"] for i in decision.edited_result["items"]] == [
        first_label, "Follow up in two weeks"]
    assert decision.comment == "trimmed"
    assert pane.item_count() == 2  # the pane shows what the clinician signed off


def test_edited_result_keeps_evidence_of_unchanged_items():
    original = {"title": "t", "items": [
        {"label": "Asthma", "evidence": [{"note_id": 1, "start": 0, "end": 6, "text": "Asthma"}]},
        {"label": "Cough", "evidence": []}]}
    edited = edited_result(original, ["Asthma", "", "Rhinitis"])
    assert edited["items"][0]["evidence"][0]["text"] == "Asthma"
    assert edited["items"][1]["label"] == "Rhinitis"
    assert original["items"][1]["label"] == "Cough"


def test_diagnoses_pane_says_it_is_a_suggestion(workspace_window):
    pane = workspace_window.workspace.results.diagnoses
    assert pane.suggestion.isVisibleTo(pane)
    assert "Suggestions only" in pane.suggestion.text()


def test_run_without_input_explains(qtbot, workspace_window, monkeypatch):
    add_patient(qtbot, workspace_window, monkeypatch)
    results = workspace_window.workspace.results
    results.findings.run_button.click()
    assert "no images" in results.findings.state.text()
    workspace_window.actions["run"].trigger()
    assert "nothing to analyse" in workspace_window.banner.label.text()


@pytest.mark.slow
def test_image_findings_refusal_and_regions(qtbot, make_window, vault, monkeypatch,
                                            shared_data, cxr_runtime, cxr_pack):
    window = make_window(runtime_factory=lambda: cxr_runtime)
    window.open_session(vault)
    wait_idle(qtbot, window)
    add_patient(qtbot, window, monkeypatch)
    ws = window.workspace
    pane = ws.results.findings
    ws.import_files([(shared_data / "dicom/pydicom_test_files/CT_small.dcm", None)])
    qtbot.waitUntil(lambda: len(ws.chart.ids("image")) == 1, timeout=15_000)
    pane.run_button.click()
    qtbot.waitUntil(lambda: pane.current is not None, timeout=120_000)
    assert pane.refusal.isVisibleTo(pane) and pane.refusal.text()
    assert pane.item_count() == 0
    ws.import_files([(shared_data / CHEST, None)])
    qtbot.waitUntil(lambda: len(ws.chart.ids("image")) == 2, timeout=15_000)
    ws.chart.select("image", ws.chart.ids("image")[-1])
    pane.run_button.click()
    qtbot.waitUntil(lambda: pane.current is not None and pane.item_count() > 0,
                    timeout=120_000)
    assert "xrv-densenet121-all" in pane.provenance.text()
    viewer = ws.chart.image_viewer
    ws.chart.select("image", ws.chart.ids("image")[0])  # look at the CT meanwhile
    qtbot.waitUntil(lambda: viewer.image_id == ws.chart.ids("image")[0], timeout=15_000)
    # The top finding carries a heatmap: clicking it opens its image with the overlay on.
    pane.select_item(0)
    qtbot.waitUntil(lambda: viewer.image_id == ws.chart.ids("image")[1]
                    and viewer.heatmap_toggle.isChecked(), timeout=15_000)
    overlay = viewer.canvas.heatmap_item
    assert overlay.isVisible()
    assert overlay.sceneBoundingRect().width() == pytest.approx(1024, abs=1)
    viewer.heatmap_toggle.setChecked(False)
    assert not overlay.isVisible()
    row = next((i for i in range(pane.item_count())
                if pane.items.topLevelItem(i).data(0, 256).get("evidence")), None)
    if row is not None:  # random weights may make no finding "likely"
        pane.select_item(row)
        qtbot.waitUntil(lambda: bool(viewer.canvas.region_items), timeout=15_000)
    wait_idle(qtbot, window)


@pytest.mark.slow
def test_written_summary_streams_and_cancel_keeps_gui_alive(qtbot, make_window, vault,
                                                            monkeypatch, shared_data, runtime):
    window = make_window(runtime_factory=lambda: runtime)
    window.open_session(vault)
    wait_idle(qtbot, window)
    with_note(qtbot, window, monkeypatch, shared_data)
    results = window.workspace.results
    pane = results.summary
    results.mode.setCurrentIndex(results.mode.findData("abstractive"))
    ticks: list[float] = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start(50)
    pane.run_button.click()
    assert pane.cancel_button.isVisibleTo(pane)
    qtbot.waitUntil(lambda: pane.live.toPlainText().strip() != "", timeout=180_000)
    assert pane.state.text() in ("Writing…",) or pane.state.text().startswith(("Writing",
                                                                                 "Checking"))
    started = len(ticks)
    qtbot.wait(500)
    assert len(ticks) - started >= 5, "the GUI thread kept running during generation"
    pane.cancel_button.click()
    qtbot.waitUntil(lambda: "Cancelled" in pane.state.text(), timeout=60_000)
    timer.stop()
    assert vault.list_analyses(window.workspace.patient_id) == []
    assert not pane.cancel_button.isVisibleTo(pane)


def test_diagnoses_mark_a_cant_miss_condition_in_the_list(qtbot, workspace_window, monkeypatch):
    add_patient(qtbot, workspace_window, monkeypatch)
    ws = workspace_window.workspace
    ws.add_pasted_note("Abdominal pain and vomiting since yesterday.")
    qtbot.waitUntil(lambda: ws.chart.note_view.note_id is not None, timeout=10_000)
    pane = ws.results.diagnoses
    pane.run_button.click()
    qtbot.waitUntil(lambda: pane.current is not None, timeout=120_000)
    rows = {pane.items.topLevelItem(i).text(0): pane.items.topLevelItem(i)
            for i in range(pane.item_count())}
    obstruction = rows["Small bowel obstruction — can't miss"]
    assert obstruction.font(0).bold()
    assert "Gastroenteritis" in rows and not rows["Gastroenteritis"].font(0).bold()
    assert "Can't miss: Small bowel obstruction" in pane.notice.text()
    pane.select_item(list(rows).index("Small bowel obstruction — can't miss"))
    assert "dangerous if missed" in pane.detail.text()
