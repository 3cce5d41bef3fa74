"""The grounding checker on crafted model output (the input here *is* LLM text) against
real notes, with the real MiniLM embedder: invented facts never pass as fact."""

from __future__ import annotations

import pytest

from desktop.core.analysis.summary import medication_terms
from desktop.core.analysis.summary.grounding import GroundingChecker, split_generated
from desktop.core.analysis.summary.sources import prepare_note


@pytest.fixture(scope="module")
def polycythemia_checker(runtime, shared_data):
    from tests.fixtures.notes import read_mtsamples

    text = next(r["transcription"] for r in read_mtsamples(shared_data) if r["note_id"] == "1329")
    note = prepare_note(text, note_id=42, date="2024-06-03")
    return note, GroundingChecker([note], runtime.embedder(), medication_terms=medication_terms())


@pytest.fixture(scope="module")
def clinic_checker(runtime):
    from tests.fixtures.notes import CLINIC_NOTE

    note = prepare_note(CLINIC_NOTE, note_id=7)
    embedder = runtime.embedder()
    return note, {
        mode: GroundingChecker([note], embedder, mode=mode, medication_terms=medication_terms())
        for mode in ("abstractive", "patient")
    }


def _one(checker, sentence):
    [verdict] = checker.check(sentence)
    return verdict


def test_a_faithful_sentence_is_kept_with_a_span_that_is_the_note_text(polycythemia_checker):
    note, checker = polycythemia_checker
    verdict = _one(checker, "The patient is an 83-year-old female with a history of "
                            "polycythemia vera.")
    assert verdict.supported, verdict.reason
    assert verdict.similarity > 0.8
    best = verdict.evidence[0]
    assert best.note_id == 42
    assert note.text[best.start : best.end] == best.text
    assert "83-year-old female" in best.text


def test_a_number_that_is_not_in_the_note_is_unsupported(polycythemia_checker):
    _, checker = polycythemia_checker
    verdict = _one(checker, "She takes aspirin 325 mg q.d.")
    assert not verdict.supported
    assert "325" in verdict.reason


def test_a_dose_with_the_wrong_unit_is_unsupported(polycythemia_checker):
    _, checker = polycythemia_checker
    verdict = _one(checker, "She takes Nexium 40 mcg q.d.")
    assert not verdict.supported
    assert "40 mg" in verdict.reason


def test_an_invented_drug_is_unsupported_even_with_a_real_dose(polycythemia_checker):
    _, checker = polycythemia_checker
    # 500 mg is in the note (vitamin C); metformin is not
    verdict = _one(checker, "She takes metformin 500 mg q.d.")
    assert not verdict.supported
    assert "metformin" in verdict.reason.lower()


def test_asserting_a_problem_the_note_negates_is_unsupported(clinic_checker):
    _, checkers = clinic_checker
    verdict = _one(checkers["abstractive"], "He has chest pain.")
    assert not verdict.supported
    assert "chest pain" in verdict.reason


def test_denying_a_problem_the_note_records_is_unsupported(clinic_checker):
    _, checkers = clinic_checker
    verdict = _one(checkers["abstractive"], "He has no fever.")
    assert not verdict.supported


def test_family_history_is_not_the_patients_problem(clinic_checker):
    _, checkers = clinic_checker
    verdict = _one(checkers["abstractive"], "The patient has breast cancer.")
    assert not verdict.supported


def test_a_drug_the_patient_is_allergic_to_is_never_said_to_be_given(clinic_checker):
    _, checkers = clinic_checker
    # SmolLM2-135M wrote exactly this about the clinic note
    verdict = _one(checkers["abstractive"], "He has been advised to take penicillin.")
    assert not verdict.supported
    assert "allergy" in verdict.reason


_STOPPED_NOTE = (
    "MEDICATIONS: Lisinopril 10 mg daily. Metformin was discontinued because of diarrhea.\n"
    "ASSESSMENT: Type 2 diabetes mellitus, diet controlled.\n"
)


@pytest.fixture(scope="module")
def stopped_drug_notes(runtime):
    first = prepare_note(_STOPPED_NOTE, note_id=1, date="2024-01-10")
    restarted = prepare_note(
        "MEDICATIONS: Metformin 500 mg twice daily, restarted today.\n", note_id=2,
        date="2024-05-02",
    )
    return runtime.embedder(), first, restarted


def test_a_drug_the_note_says_was_stopped_is_not_said_to_be_taken(stopped_drug_notes):
    embedder, first, _ = stopped_drug_notes
    checker = GroundingChecker([first], embedder, medication_terms=medication_terms())
    taken = _one(checker, "He takes metformin.")
    assert not taken.supported
    assert "metformin" in taken.reason and "stopped" in taken.reason
    stopped = _one(checker, "Metformin was discontinued because of diarrhea.")
    assert stopped.supported, stopped.reason
    # and the other way round: a drug the note lists as taken was not stopped
    invented_stop = _one(checker, "Lisinopril was stopped.")
    assert not invented_stop.supported
    assert "taken, not stopped" in invented_stop.reason


def test_a_drug_the_note_only_plans_is_not_said_to_be_taken(runtime):
    note = prepare_note("MEDICATIONS: He takes lisinopril daily.\nASSESSMENT: Prediabetes.\n"
                        "PLAN: If the A1c stays above 6.5, we will start metformin. Consider "
                        "insulin.\n",
                        note_id=1, date="2024-01-10")
    checker = GroundingChecker([note], runtime.embedder(), medication_terms=medication_terms())
    taken = _one(checker, "He takes metformin.")
    assert not taken.supported
    assert "only plans metformin" in taken.reason
    # a drug the plan considers ("possible") is no more taken than one it will start
    considered = _one(checker, "He takes insulin.")
    assert not considered.supported
    assert "only plans insulin" in considered.reason
    assert _one(checker, "He takes lisinopril.").supported


def test_a_drug_stopped_in_one_note_and_restarted_in_another_may_be_called_taken(
    stopped_drug_notes,
):
    embedder, first, restarted = stopped_drug_notes
    checker = GroundingChecker([first, restarted], embedder, medication_terms=medication_terms())
    verdict = _one(checker, "He takes metformin 500 mg twice daily.")
    assert verdict.supported, verdict.reason


def test_faithful_clinic_sentences_are_kept(clinic_checker):
    note, checkers = clinic_checker
    verdicts = checkers["abstractive"].check(
        "He denies chest pain. He takes lisinopril 10 mg daily and metformin 500 mg twice "
        "daily. He is allergic to penicillin."
    )
    assert [v.supported for v in verdicts] == [True, True, True], [v.reason for v in verdicts]
    for verdict in verdicts:
        for span in verdict.evidence:
            assert note.text[span.start : span.end] == span.text


def test_the_patient_explanation_may_use_plain_words_but_not_new_facts(clinic_checker):
    _, checkers = clinic_checker
    plain = checkers["patient"].check(
        "You have high blood pressure. You have a lung infection on the right side. "
        "You take lisinopril 10 mg every day."
    )
    assert all(v.supported for v in plain), [v.reason for v in plain]
    invented = _one(checkers["patient"], "You have diabetes and take insulin 20 units.")
    assert not invented.supported


def test_a_sentence_cut_off_by_the_token_limit_is_removed_as_incomplete(clinic_checker):
    _, checkers = clinic_checker
    verdicts = checkers["abstractive"].check(
        "He denies chest pain. He has been advised to", truncated=True
    )
    assert [v.supported for v in verdicts] == [True, False]
    assert verdicts[1].reason.startswith("incomplete")


def test_model_output_is_split_into_sentences_without_headers():
    text = (
        "Summary:\n- He has cough.\n- No chest pain. He is 67.\n**Plan:**\n1. Start azithromycin."
    )
    assert split_generated(text) == [
        "He has cough.", "No chest pain.", "He is 67.", "Start azithromycin."
    ]
    assert split_generated("He will see Dr. X next week. He is stable.") == [
        "He will see Dr. X next week.", "He is stable."
    ]
