"""run_summary end to end: a real encrypted vault, real notes, the real SmolLM2 and MiniLM
packs. What the clinician gets is stored, streamed, cancellable and grounded."""

from __future__ import annotations

import pytest

from desktop.core.analysis.summary import run_summary
from desktop.core.errors import InputError
from desktop.core.tasks import Cancelled, CancelToken
from tests.fixtures.notes import CLINIC_NOTE


def _patient_with_note(vault, text=CLINIC_NOTE, date="2024-03-04"):
    patient_id = vault.add_patient("Test Patient", birth_date="1957-02-01", sex="M")
    note_id = vault.add_note(patient_id, text, note_date=date)
    return patient_id, note_id


def _assert_grounded(vault, analysis):
    for item in analysis.result["items"]:
        assert item["supported"] is True
        assert item["evidence"]
        for span in item["evidence"]:
            stored = vault.get_note(span["note_id"]).text
            assert stored[span["start"] : span["end"]] == span["text"]
    assert analysis.evidence == [
        span for span in _unique(s for i in analysis.result["items"] for s in i["evidence"])
    ]


def _unique(spans):
    seen, out = set(), []
    for span in spans:
        key = (span["note_id"], span["start"], span["end"])
        if key not in seen:
            seen.add(key)
            out.append(span)
    return out


def test_structured_summary_is_stored_with_spans_into_the_stored_note(vault):
    patient_id, note_id = _patient_with_note(vault)
    analysis_id = run_summary(vault, patient_id, None, mode="structured")
    analysis = vault.get_analysis(analysis_id)
    assert analysis.kind == "summary.structured"
    assert analysis.provenance["pack_id"] == "rules:clinicdesk-summary"
    assert analysis.inputs["note_ids"] == [note_id]
    labels = [i["label"] for i in analysis.result["items"]]
    assert any("lisinopril 10 mg daily" in label for label in labels)
    assert any("penicillin" in label for label in labels)
    _assert_grounded(vault, analysis)


def test_notes_of_one_patient_are_summarised_together_with_their_dates(vault):
    patient_id, first = _patient_with_note(vault, date="2024-03-04")
    second = vault.add_note(
        patient_id,
        "FOLLOW-UP: Cough improved after azithromycin. No fever. "
        "ASSESSMENT: Resolving pneumonia. PLAN: Repeat chest x-ray in 6 weeks.",
        note_date="2024-01-15",  # entered later but written earlier
    )
    analysis = vault.get_analysis(run_summary(vault, patient_id, None, mode="structured"))
    assert analysis.inputs["note_ids"] == [second, first]  # oldest first
    synopsis = [i for i in analysis.result["items"] if i["category"] == "synopsis"]
    assert [s["detail"].split(" · ")[0] for s in synopsis] == [
        "Note of 2024-01-15", "Note of 2024-03-04"]
    assert [s["evidence"][0]["note_id"] for s in synopsis] == [second, first]
    _assert_grounded(vault, analysis)


def test_a_patient_without_notes_gets_a_clear_message(vault):
    patient_id = vault.add_patient("No Notes")
    with pytest.raises(InputError, match="no notes"):
        run_summary(vault, patient_id, None, mode="structured")
    assert vault.list_analyses(patient_id) == []


def test_another_patients_note_is_refused(vault):
    patient_id, _ = _patient_with_note(vault)
    other_id, other_note = _patient_with_note(vault)
    with pytest.raises(InputError, match="another patient"):
        run_summary(vault, patient_id, None, mode="structured", note_ids=[other_note])


def test_an_unknown_summary_type_is_refused(vault):
    patient_id, _ = _patient_with_note(vault)
    with pytest.raises(InputError, match="Unknown summary type"):
        run_summary(vault, patient_id, None, mode="poem")


@pytest.mark.slow
def test_llm_summary_streams_tokens_and_stores_only_checked_sentences(vault, runtime):
    patient_id, note_id = _patient_with_note(vault)
    tokens: list[str] = []
    steps: list[float] = []
    analysis_id = run_summary(
        vault, patient_id, runtime, mode="abstractive", on_token=tokens.append,
        progress=lambda f, m: steps.append(f), max_new_tokens=32,
    )
    analysis = vault.get_analysis(analysis_id)
    assert analysis.kind == "summary.abstractive"
    assert len(tokens) > 3 and "".join(tokens).strip()
    assert steps[-1] == 1.0
    assert analysis.provenance["pack_id"] == "smollm2-135m-instruct"
    assert len(analysis.provenance["checksum"]) == 64
    assert analysis.parameters["embedder"]["pack_id"] == "minilm-l6-v2"
    result = analysis.result
    removed = result["removed"]
    assert all(r["reason"] and r["supported"] is False for r in removed)
    if removed:
        assert f"{len(removed)} unsupported" in result["notice"] or "All" in result["notice"]
    assert result["items"] or removed
    _assert_grounded(vault, analysis)


@pytest.mark.slow
def test_patient_explanation_is_stored_grounded(vault, runtime):
    patient_id, _ = _patient_with_note(vault)
    analysis = vault.get_analysis(
        run_summary(vault, patient_id, runtime, mode="patient", max_new_tokens=24)
    )
    assert analysis.kind == "summary.patient"
    assert analysis.result["audience"] == "patient"
    assert "removed" in analysis.result
    _assert_grounded(vault, analysis)


@pytest.mark.slow
def test_cancel_while_streaming_stops_and_stores_nothing(vault, runtime):
    patient_id, _ = _patient_with_note(vault)
    cancel = CancelToken()
    tokens: list[str] = []

    def on_token(text: str) -> None:
        tokens.append(text)
        if len(tokens) == 2:
            cancel.cancel()

    with pytest.raises(Cancelled):
        run_summary(vault, patient_id, runtime, mode="abstractive", on_token=on_token,
                    cancel=cancel, max_new_tokens=64)
    assert len(tokens) <= 3  # stops within a token
    assert vault.list_analyses(patient_id) == []


@pytest.mark.slow
def test_llm_summary_of_several_notes_streams_and_labels_each_with_its_date(vault, runtime):
    patient_id, first = _patient_with_note(vault, date="2024-03-04")
    second = vault.add_note(
        patient_id,
        "FOLLOW-UP: Cough improved after azithromycin. No fever. "
        "ASSESSMENT: Resolving pneumonia. PLAN: Repeat chest x-ray in 6 weeks.",
        note_date="2024-01-15",
    )
    tokens: list[str] = []
    analysis = vault.get_analysis(run_summary(
        vault, patient_id, runtime, mode="abstractive", on_token=tokens.append,
        max_new_tokens=16,
    ))
    stream = "".join(tokens)
    assert stream.index("[Note of 2024-01-15]") < stream.index("[Note of 2024-03-04]")
    assert analysis.inputs["note_ids"] == [second, first]
    assert analysis.result["notes"] == [
        {"note_id": second, "date": "2024-01-15"}, {"note_id": first, "date": "2024-03-04"}
    ]
    for entry in analysis.result["items"] + analysis.result["removed"]:
        assert entry["detail"] in {"Note of 2024-01-15", "Note of 2024-03-04"}
    assert analysis.parameters["chunks"] == 2
    _assert_grounded(vault, analysis)
