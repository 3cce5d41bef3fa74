"""What an analysis set aside is shown to the clinician, marked, never as a finding."""

from __future__ import annotations

from desktop.core.vault.records import Analysis
from desktop.ui.results_pane import ResultsPane


def stored(kind: str, result: dict) -> Analysis:
    return Analysis(id=7, kind=kind, patient_id=1, inputs={}, provenance={
        "pack_id": "smollm2-135m-instruct", "version": "1", "checksum": "ab" * 32,
        "parameters": {}, "created_at": "2026-11-25T10:00:00+00:00"},
        parameters={}, status="done", result=result, evidence=[], created_at="2026-11-25")


def rows(pane: ResultsPane) -> list[tuple[str, str]]:
    return [(pane.items.topLevelItem(i).text(0), pane.items.topLevelItem(i).text(1))
            for i in range(pane.item_count())]


def test_removed_summary_sentences_are_listed_as_not_facts(qtbot) -> None:
    pane = ResultsPane(("summary.abstractive",), "Summary", "Summarise")
    qtbot.addWidget(pane)
    span = {"note_id": 3, "start": 0, "end": 9, "text": "Aspirin 81"}
    pane.render(stored("summary.abstractive", {
        "title": "Summary (language model)", "notice": "1 unsupported sentence removed",
        "items": [{"label": "Takes aspirin 81 mg.", "detail": "", "category": "summary",
                   "score": 0.9, "supported": True, "evidence": [span]}],
        "removed": [{"text": "Started on warfarin 5 mg.", "reason": "drug not in the note",
                     "detail": "warfarin", "supported": False}],
    }), None)
    assert rows(pane) == [("Takes aspirin 81 mg.", "summary"),
                          ("Removed, not a fact: Started on warfarin 5 mg.", "removed")]
    pane.select_item(1)
    assert "drug not in the note" in pane.detail.text()
    assert "Not supported" in pane.detail.text()


def test_problems_not_coded_say_why(qtbot) -> None:
    pane = ResultsPane(("diagnoses",), "Diagnoses", "Suggest diagnoses")
    qtbot.addWidget(pane)
    span = {"note_id": 3, "start": 10, "end": 20, "text": "chest pain"}
    pane.render(stored("diagnoses", {
        "title": "Diagnoses", "notice": "Suggestions only — confirm clinically", "items": [],
        "excluded": [{"text": "chest pain", "assertion": "negated", "evidence": span}],
    }), None)
    assert rows(pane) == [("Not coded: chest pain", "not coded (negated)")]
    pane.select_item(0)
    assert "negated" in pane.detail.text()
