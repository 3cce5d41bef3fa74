"""The structured summary of real MTSamples notes: what a clinician sees at a glance, each
line pointing at the exact note text it came from."""

from __future__ import annotations

import pytest

from desktop.core.analysis.summary import structured_provenance
from desktop.core.analysis.summary.sources import prepare_note
from desktop.core.analysis.summary.structured import build_structured_result


def _by_category(result, category):
    return [item for item in result["items"] if item["category"] == category]


def _assert_spans_match(note, items):
    for item in items:
        assert item["supported"] is True
        assert item["evidence"], item["label"]
        for span in item["evidence"]:
            assert span["text"] == note.text[span["start"] : span["end"]]
            assert span["note_id"] == note.note_id


def test_medications_and_allergy_of_an_oncology_follow_up(mtsamples_text):
    note = prepare_note(mtsamples_text("1457"), note_id=11, date="2024-04-02")
    result = build_structured_result([note])
    meds = _by_category(result, "medication")
    names = {m["label"].split()[0].lower() for m in meds}
    assert {"prilosec", "levothyroxine", "lopressor", "simvastatin", "prednisone"} <= names
    _assert_spans_match(note, meds)
    # the span of each medication is the drug name as written in the note
    lopressor = next(m for m in meds if m["label"].lower().startswith("lopressor"))
    assert lopressor["evidence"][0]["text"].lower().startswith("lopressor")
    allergies = _by_category(result, "allergy")
    assert any("vicodin" in a["label"].lower() for a in allergies)
    _assert_spans_match(note, allergies)
    assert all("Note of 2024-04-02" in i["detail"] for i in result["items"])


def test_allergy_clinic_note_synopsis_problems_vitals_assessment_plan(mtsamples_text):
    note = prepare_note(mtsamples_text("1"), note_id=3)
    result = build_structured_result([note])
    synopsis = _by_category(result, "synopsis")
    assert len(synopsis) == 1
    # MTSamples' own one-line summary: "A 23-year-old white female presents with
    # complaint of allergies."
    assert "23-year-old white female presents with complaint of allergies" in (
        synopsis[0]["label"]
    )
    assert any(p["label"] == "Allergic rhinitis" for p in _by_category(result, "problem"))
    assert any("no known medicine allergies" in a["label"] for a in _by_category(result, "allergy"))
    vitals = " ".join(v["label"] for v in _by_category(result, "vital"))
    assert "130" in vitals and "124/78" in vitals
    assert any("Zyrtec instead of Allegra" in p["label"] for p in _by_category(result, "plan"))
    _assert_spans_match(note, result["items"])
    # a problem the note negates ("no known medicine allergies") is not an active problem
    assert not any(p["label"].lower() == "allergies" and "allerg" in p["detail"]
                   for p in _by_category(result, "problem"))


def test_structured_summary_is_deterministic_with_rule_provenance(mtsamples_text):
    note = prepare_note(mtsamples_text("1329"), note_id=5)
    assert build_structured_result([note]) == build_structured_result([note])
    provenance = structured_provenance()
    assert provenance.pack_id == "rules:clinicdesk-summary"
    assert len(provenance.checksum) == 64
    assert provenance.parameters["note_analysis"]["pack_id"] == "rules:clinicdesk-notes"


def test_several_notes_each_get_a_dated_synopsis_oldest_first(mtsamples_text):
    newer = prepare_note(mtsamples_text("1457"), note_id=2, date="2024-05-20")
    older = prepare_note(mtsamples_text("1329"), note_id=1, date="2023-11-02")
    result = build_structured_result([older, newer])
    synopsis = _by_category(result, "synopsis")
    assert [s["detail"] for s in synopsis] == ["Note of 2023-11-02 · Chief complaint",
                                               "Note of 2024-05-20 · Chief complaint"]
    assert [s["evidence"][0]["note_id"] for s in synopsis] == [1, 2]
    assert result["notes"] == [{"note_id": 1, "date": "2023-11-02"},
                               {"note_id": 2, "date": "2024-05-20"}]


def test_a_lab_value_is_shown_with_its_whole_number(mtsamples_text):
    # MTSamples 1299-like wording: "a white count of 41,900" must not read as 41
    text = (
        "HISTORY OF PRESENT ILLNESS: The patient returns for follow-up.\n"
        "LABORATORY DATA: CBC from today is significant for a white count of 41,900 with "
        "hemoglobin 14.8 and platelet count 235,000.\n"
        "ASSESSMENT: Leukocytosis."
    )
    note = prepare_note(text, note_id=9)
    result = build_structured_result([note])
    measured = [i for i in result["items"] if i["category"] in {"lab", "vital"}]
    labels = " | ".join(i["label"] for i in measured)
    for item in measured:
        assert item["label"].startswith(item["evidence"][0]["text"])
    assert "white count of 41,900 (high: above 11 K/µL, the adult reference limit)" in labels
    assert "platelet count 235,000 |" in labels + " |"  # normal: no mark
    _assert_spans_match(note, measured)


def test_a_lab_result_outside_every_adults_reference_is_marked_low_or_high():
    # MTSamples 3725: the day after a parathyroidectomy "Her calcium level was 7.5" stood in
    # the summary like a normal result; transcribed notes rarely write a unit.
    text = ("LABORATORY DATA: Her calcium level was 7.5 this morning. Potassium 5.9 mmol/L, "
            "sodium 139, hemoglobin 13.0, hematocrit 35.\nASSESSMENT: Hypocalcemia.")
    labels = {i["label"] for i in _by_category(
        build_structured_result([prepare_note(text, note_id=3)]), "lab")}
    assert labels == {
        "calcium level was 7.5 (low: below 8.5 mg/dL, the adult reference limit)",
        "Potassium 5.9 mmol/L (high: above 5.2 mmol/L, the adult reference limit)",
        "sodium 139",
        # normal for a woman, though not for a man: not marked
        "hemoglobin 13.0",
        "hematocrit 35 (low: below 36.1%, the adult reference limit)",
    }
    # MTSamples 3407: a discharge's "potassium 3.6" was marked low (MedlinePlus's interval
    # starts at 3.7; many laboratories' at 3.5, where hypokalemia begins)
    text = "LABORATORY STUDIES: WBC 6.5, potassium 3.6 and sodium 141. Potassium 3.2 later."
    labels = [i["label"] for i in _by_category(
        build_structured_result([prepare_note(text, note_id=3)]), "lab")]
    assert "potassium 3.6" in labels
    assert "Potassium 3.2 (low: below 3.5 mEq/L, the adult reference limit)" in labels


def test_a_lipid_panel_is_read_and_marked_by_desirable_levels():
    # MTSamples 1432: "Total cholesterol 192, HDL 37, and triglycerides 487" were no results
    # at all; the triglycerides are what the plan treats.
    text = ("LABS: Total cholesterol 192, HDL 37, and triglycerides 487. LDL cholesterol was "
            "160 mg/dl.\nASSESSMENT: Hypertriglyceridemia.")
    labels = {i["label"] for i in _by_category(
        build_structured_result([prepare_note(text, note_id=3)]), "lab")}
    assert labels == {
        "Total cholesterol 192",
        "HDL 37 (low: below 40 mg/dL, the adult reference limit)",
        "triglycerides 487 (high: above 149 mg/dL, the adult reference limit)",
        "LDL cholesterol was 160 mg/dl (high: above 129 mg/dL, the adult reference limit)",
    }


def test_a_hemoglobin_and_hematocrit_pair_is_read_as_two_results(mtsamples_text):
    # MTSamples 3283: "hemoglobin and hematocrit of 16 and 46" read as a hematocrit of 16,
    # marked low; the normal pair is one line with no mark
    note = prepare_note(mtsamples_text("3283"), note_id=3)
    labs = [i["label"] for i in _by_category(build_structured_result([note]), "lab")]
    assert "hemoglobin and hematocrit of 16 and 46" in labs
    assert not any("hematocrit of 16 (" in label for label in labs)
    # each of an anaemic pair is judged by its own limit; a pair written the other way round
    # ("41.7 and 14") is not guessed at
    text = "LABORATORY DATA: H&H of 8.8 and 26. H&H was stable at 41.7 and 14. Hct 39."
    note = prepare_note(text, note_id=4)
    items = _by_category(build_structured_result([note]), "lab")
    assert [i["label"] for i in items] == [
        "H&H of 8.8 and 26 (hemoglobin low: below 12.1 g/dL, the adult reference limit; "
        "hematocrit low: below 36.1%, the adult reference limit)",
        "Hct 39",
    ]
    _assert_spans_match(note, items)


def test_a_follow_up_visit_lists_its_problems_not_its_vaccine_or_a_risk(mtsamples_text):
    # MTSamples 1432: "flu vaccination today" listed "flu" as an active problem (J11.1 and
    # influenza "named in the note" on the differential), "a brace that could increase his
    # edema" an edema the assessment states; "no symptoms of CAD or CHF" read "No CHF" beside
    # the active congestive heart failure.
    note = prepare_note(mtsamples_text("1432"), note_id=5)
    result = build_structured_result([note])
    problems = [i["label"] for i in _by_category(result, "problem")]
    assert problems == ["Congestive heart failure", "Diabetes", "Hyperlipidemia",
                        "hypertriglyceridemia", "Chronic renal insufficiency", "Arthritis"]
    negatives = [i["label"] for i in _by_category(result, "negative")]
    assert {"No symptoms of CAD", "No symptoms of CHF", "No edema"} <= set(negatives)
    assert not [i for i in _by_category(result, "symptom") if i["label"] == "edema"]


def test_a_spinal_fluid_result_is_not_judged_by_blood_limits():
    # MTSamples 4265: the CSF's "white blood cell count of 2" and "glucose of 55" were marked
    # low by the adult blood limits
    text = ("LABORATORY DATA: Dr. Limon's note refers to a CSF, white blood cell count of 2, "
            "1 RBC, glucose of 55, and protein of 64. Serum glucose of 55. White blood cell "
            "count of 2.1.")
    labels = [i["label"] for i in _by_category(
        build_structured_result([prepare_note(text, note_id=3)]), "lab")]
    assert labels[:2] == ["white blood cell count of 2", "glucose of 55"]
    assert "glucose of 55 (low: below 70 mg/dL, the adult reference limit)" in labels
    assert "White blood cell count of 2.1 (low: below 4.5 K/\u00b5L, the adult reference limit)" \
        in labels


def test_a_consult_shows_its_symptoms_negatives_histories_and_smoking(mtsamples_text):
    # MTSamples 4906 (the demo vault's cardiology consult): left arm discomfort on exertion,
    # a list of denied conditions, a hysterectomy, and the family's heart disease.
    note = prepare_note(mtsamples_text("4906"), note_id=4)
    result = build_structured_result([note])
    labels = {c: [i["label"] for i in _by_category(result, c)]
              for c in ("symptom", "negative", "history", "family")}
    assert "pain and discomfort in the left upper arm" in labels["symptom"]
    assert {"No chest pain", "No syncope", "No hypertension"} <= set(labels["negative"])
    # denied with the arm pain, but limiting her exercise: not listed as absent
    assert "shortness of breath" in labels["symptom"]
    assert "No shortness of breath" not in labels["negative"]
    assert labels["history"] == ["hysterectomy"]
    assert {"hypertension", "congestive heart failure"} <= set(labels["family"])
    assert "hypertension" not in " ".join(labels["symptom"])
    # smoking status is read from the social history as the note words it
    assert [i["label"] for i in _by_category(result, "social")] == [
        "The patient smokes one pack of cigarettes per day and takes drinks on social occasions."]
    _assert_spans_match(note, result["items"])


def _medication_labels(text: str) -> set[str]:
    note = prepare_note(text, note_id=4)
    return {m["label"] for m in _by_category(build_structured_result([note]), "medication")}


def test_a_stopped_or_held_drug_is_not_listed_as_taken():
    # "Metformin was discontinued" was listed among the medications like the aspirin she takes.
    text = ("HISTORY OF PRESENT ILLNESS: Metformin was discontinued last month because of "
            "diarrhea. She stopped lisinopril. She takes aspirin 81 mg daily.\n"
            "PLAN: Hold warfarin before the procedure. Continue atorvastatin.")
    labels = _medication_labels(text)
    assert {"Metformin (stopped, held or past)", "lisinopril (stopped, held or past)",
            "warfarin (stopped, held or past)"} <= labels
    assert "aspirin" in labels and "atorvastatin" in labels


def test_a_drug_the_plan_may_start_is_shown_as_planned_not_taken():
    # "May start metformin" was listed like a drug she takes.
    text = ("MEDICATIONS: Lisinopril 10 mg daily.\nASSESSMENT: Prediabetes.\n"
            "PLAN: Continue lisinopril. We may start metformin if the A1c stays above 6.5. "
            "Will consider adding atorvastatin. Consider insulin.")
    labels = _medication_labels(text)
    assert {"metformin (planned, not started)", "atorvastatin (planned, not started)",
            "insulin (planned, not started)"} <= labels
    assert not labels & {"metformin", "atorvastatin", "insulin"}
    assert any(label.lower().startswith("lisinopril") and "planned" not in label
               for label in labels)


def test_a_drug_planned_outside_the_plan_section_is_shown_as_planned():
    # A combined "ASSESSMENT AND PLAN" (and the history) planned drugs the summary left out:
    # only a PLAN section's planned drugs were shown.
    text = ("MEDICATIONS: Lisinopril 10 mg daily.\n"
            "HISTORY OF PRESENT ILLNESS: Her cardiologist plans to start aspirin.\n"
            "ASSESSMENT AND PLAN: Prediabetes. We may start metformin. Consider atorvastatin. "
            "Continue lisinopril.")
    labels = _medication_labels(text)
    assert {"metformin (planned, not started)", "atorvastatin (planned, not started)",
            "aspirin (planned, not started)"} <= labels
    assert not labels & {"metformin", "atorvastatin", "aspirin"}


def test_an_assessment_and_plan_lists_its_new_drugs_once_and_not_the_listed_ones():
    # MTSamples 1445: Coumadin started with Lovenox was missing, "Lovenox" was listed again
    # as taken from "before the Lovenox is given", and a drug given today in an "ASSESSMENT
    # AND PLAN" was left out because only a PLAN section's drugs counted.
    text = ("MEDICATIONS: Prilosec 20 mg daily.\n"
            "ASSESSMENT AND PLAN: Left leg DVT. Continue Prilosec. Ceftriaxone was given today. "
            "We will start Lovenox 1 mg per kg subcu daily and Coumadin 5 mg p.o. daily. "
            "Check the INR before the Lovenox is given.")
    labels = _medication_labels(text)
    assert {"Lovenox (planned, not started)", "Coumadin (planned, not started)",
            "Ceftriaxone"} <= labels
    assert "Lovenox" not in labels
    assert [label for label in labels if label.lower().startswith("prilosec")] == [
        "Prilosec 20 mg daily."]
    # a drug is "already listed" as a word only: the plan's ASA is not the list's nasal spray
    labels = _medication_labels("MEDICATIONS: Flonase nasal spray.\n"
                                "ASSESSMENT AND PLAN: Chest pain. ASA 325 mg given today.")
    assert "ASA" in labels


def test_a_medication_list_shows_whole_orders():
    # MTSamples 3909: "for one month", "right abdomen" and "On transfer" were each listed as a
    # medication, cut from the order they belong to.
    text = ("MEDICATIONS: On transfer, Celebrex, Coumadin, Colace.\n"
            "DISCHARGE MEDICATIONS: Celebrex 200 mg daily, for one month, Diprosone cream 0.05% "
            "b.i.d. to the right arm, right abdomen, Ativan 0.25 mg b.i.d.\n")
    labels = _medication_labels(text)
    assert {"On transfer, Celebrex", "Coumadin", "Colace.", "Celebrex 200 mg daily, for one month",
            "Diprosone cream 0.05% b.i.d. to the right arm, right abdomen",
            "Ativan 0.25 mg b.i.d."} <= labels
    assert not labels & {"for one month", "right abdomen", "On transfer"}
    # MTSamples 3954: "swish" and "spit." were listed as two more medications
    mouthwash = _medication_labels("DISCHARGE MEDICATIONS:,1. Nystatin oral suspension p.o. "
                                   "q.i.d., swish and spit.,2. Paxil 10 mg daily.")
    assert mouthwash == {"Nystatin oral suspension p.o. q.i.d., swish and spit.",
                         "Paxil 10 mg daily."}


def test_a_drug_the_history_is_unsure_of_is_not_called_planned():
    text = "MEDICATIONS: Lisinopril 10 mg daily.\nHISTORY: Possibly on aspirin at home."
    assert not any("aspirin" in label for label in _medication_labels(text))


def test_the_treatment_of_an_allergic_condition_in_the_allergy_list_is_taken():
    # "Seasonal allergies, on Zyrtec" listed Zyrtec among her allergies.
    note = prepare_note("ALLERGIES: Seasonal allergies, on Zyrtec. Penicillin (hives).",
                        note_id=4)
    result = build_structured_result([note])
    assert "Zyrtec" in {m["label"] for m in _by_category(result, "medication")}
    allergies = " ".join(a["label"] for a in _by_category(result, "allergy"))
    assert "Penicillin" in allergies and "Zyrtec" not in allergies


def test_a_drug_named_before_allergy_is_an_allergy_and_its_reaction_no_complaint():
    # "Penicillin allergy causes hives" listed penicillin as a medication she takes and the
    # hives as a current problem.
    text = ("HISTORY OF PRESENT ILLNESS: Cough for three days. Penicillin allergy causes "
            "hives.\nMEDICATIONS: Lisinopril 10 mg daily.")
    result = build_structured_result([prepare_note(text, note_id=5)])
    medications = {m["label"].lower() for m in _by_category(result, "medication")}
    allergies = {a["label"].lower() for a in _by_category(result, "allergy")}
    assert "penicillin" in allergies and "penicillin" not in medications
    assert any(m.startswith("lisinopril") for m in medications)
    problems = {p["label"].lower(): p["detail"] for p in _by_category(result, "problem")}
    assert "hives" not in problems or problems["hives"].startswith("Past")


@pytest.mark.parametrize(("note_id", "synopsis", "section"), [
    # "PROCEDURE PERFORMED: , Nissen fundoplication.,DESCRIPTION OF PROCEDURE: , After informed
    # consent was obtained ...": no complaint, history, indication or diagnosis
    ("3483", "Nissen fundoplication.", "Procedure"),
    # "PREOPERATIVE DIAGNOSIS: , Appendicitis." says why; "After informed consent ..." did not
    ("1232", "Appendicitis.", "Diagnoses"),
])
def test_an_operative_note_is_summed_up_by_its_diagnosis_or_procedure(
    mtsamples_text, note_id, synopsis, section
):
    note = prepare_note(mtsamples_text(note_id), note_id=1, date="2024-01-01")
    [item] = _by_category(build_structured_result([note]), "synopsis")
    assert item["label"] == synopsis
    assert item["detail"] == f"Note of 2024-01-01 · {section}"


def test_a_diagnosis_said_before_and_after_an_operation_is_one_line(mtsamples_text):
    # MTSamples 113: "PREOPERATIVE DIAGNOSIS: , Coronal hypospadias with chordee.,POSTOPERATIVE
    # DIAGNOSIS: , Coronal hypospadias with chordee." and "the history of coronal hypospadias"
    # in the indications: the problem operated on is not also past history.
    note = prepare_note(mtsamples_text("113"), note_id=1)
    result = build_structured_result([note])
    assessment = _by_category(result, "assessment")
    assert [a["label"] for a in assessment] == ["Coronal hypospadias with chordee."]
    assert len(assessment[0]["evidence"]) == 2
    _assert_spans_match(note, assessment)
    problems = [p["label"].lower() for p in _by_category(result, "problem")]
    assert "coronal hypospadias" in problems
    assert not any("hypospadias" in h["label"].lower() for h in _by_category(result, "history"))


def test_a_medication_list_the_export_flattened_shows_each_order_without_the_prose(
    mtsamples_text
):
    # MTSamples 3408: "DISCHARGE MEDICATIONS: , Include,1.  Omeprazole 20 mg daily.,2.  ...
    # 9.  Percocet 10/325 one to two at night for chronic pain.  She is running out of that, so
    # we are calling a prescription for #10 of those." was one item for the first eight
    # drugs and "so we are calling a prescription for #10 of those." a medication.
    labels = _medication_labels(mtsamples_text("3408"))
    assert {"Omeprazole 20 mg daily.", "Temazepam 15 mg at night.", "Cozaar 50 daily.",
            "Lantus 60 units at bedtime.",
            "Percocet 10/325 one to two at night for chronic pain."} <= labels
    assert not any("prescription" in label or label.startswith("Include") for label in labels)
    # MTSamples 4179: "As an outpatient:,1.  Lanoxin ..." heads the list; 3948: the list ends
    # where "Followup is with Dr. XYZ of infectious diseases" begins.
    labels = _medication_labels(mtsamples_text("4179"))
    assert "Lanoxin 0.125 mg, 1/2 tablet once a day." in labels
    assert not any("outpatient" in label for label in labels)
    assert "Levaquin 750 mg daily x14 days." in _medication_labels(mtsamples_text("3948"))


def test_an_oncology_visit_lists_its_tumour_and_whole_orders(mtsamples_text):
    # MTSamples 2802: the child's neuroblastoma was no problem, "Saturday" and "Sunday." of
    # "Bactrim ... twice a day on Friday, Saturday, and Sunday." were medications and
    # "PROBLEMS" (of "PROBLEMS DIAGNOSES:") an assessment.
    note = prepare_note(mtsamples_text("2802"), note_id=1)
    result = build_structured_result([note])
    assert "Neuroblastoma" in [p["label"] for p in _by_category(result, "problem")]
    labels = [m["label"] for m in _by_category(result, "medication")]
    assert "Bactrim 32 mg by mouth twice a day on Friday, Saturday, and Sunday." in labels
    assert not {"Saturday", "Sunday."} & set(labels)
    assessment = [a["label"] for a in _by_category(result, "assessment")]
    assert assessment[1] == (
        "Neuroblastoma of the right adrenal gland with favorable Shimada histology.")
    assert not any(label.isupper() for label in assessment)


def test_a_report_of_several_studies_keeps_their_titles_out_of_the_assessment(mtsamples_text):
    # MTSamples 1679: "IMPRESSION:  ,Negative for acute intracranial disease.,CT FACIAL BONES
    # WITHOUT CONTRAST,TECHNIQUE: ..." listed the next study's title as an assessment.
    note = prepare_note(mtsamples_text("1679"), note_id=1)
    assessment = [a["label"] for a in _by_category(build_structured_result([note]), "assessment")]
    assert assessment == ["Negative for acute intracranial disease.",
                          "No evidence for a facial bone fracture.",
                          "Negative for a facial bone fracture."]


def test_a_symptom_the_history_reports_is_not_also_listed_as_denied():
    # MTSamples 3378: "The patient has some nausea and vomiting" and the review of systems'
    # "denies any nausea or vomiting at this time" showed the symptom and "No nausea",
    # "No vomiting" side by side.
    text = ("HISTORY: Left flank pain. The patient has some nausea and vomiting.\n"
            "REVIEW OF SYSTEMS: Denies chest pain, denies any nausea or vomiting at this time.")
    result = build_structured_result([prepare_note(text, note_id=4)])
    assert "nausea and vomiting" in {i["label"] for i in _by_category(result, "symptom")}
    assert {i["label"] for i in _by_category(result, "negative")} == {"No chest pain"}



def test_a_non_smoker_reads_as_written():
    # MTSamples 54: "He is not a smoker" read "No smoker".
    text = "SOCIAL HISTORY:,  He is not a smoker.  He denies chest pain."
    labels = {i["label"] for i in _by_category(
        build_structured_result([prepare_note(text, note_id=5)]), "negative")}
    assert labels == {"Not a smoker", "No chest pain"}


def test_an_operations_bare_fracture_is_no_second_problem():
    # MTSamples 494: "the fracture site" listed "fracture" beside the talus fracture.
    text = ("PREOPERATIVE DIAGNOSIS: Left talus fracture.\n"
            "PROCEDURE: The screw was placed across the fracture site.\n")
    result = build_structured_result([prepare_note(text, note_id=5)])
    problems = _by_category(result, "problem")
    assert [(i["label"], len(i["evidence"])) for i in problems] == [("talus fracture", 2)]


def test_a_denied_earlier_episode_is_not_shown_as_a_denied_symptom():
    # MTSamples 2163 (disc herniation): "He denied any previous history of back pain or back
    # surgeries" read "No back pain" beside the back pain he came with.
    text = ("HISTORY: This is a 34-year-old male with history of back pain with radiation into "
            "the left leg. He denied any previous history of back pain or back surgeries. "
            "In the past 3 days he denies fever.")
    labels = {i["label"] for i in _by_category(
        build_structured_result([prepare_note(text, note_id=5)]), "negative")}
    # "past" that dates the denial is no earlier episode
    assert labels == {"No previous back pain", "No fever"}


def test_a_nonsmoker_is_no_symptom():
    # MTSamples 2991: "He is a nonsmoker, nonalcoholic" put "nonsmoker" among the symptoms and
    # findings; the social history lists the sentence as written.
    text = "HISTORY: He has a cough.\nSOCIAL HISTORY:,  He is a nonsmoker, nonalcoholic."
    result = build_structured_result([prepare_note(text, note_id=5)])
    assert [i["label"] for i in _by_category(result, "symptom")] == ["cough"]
    assert [i["label"] for i in _by_category(result, "social")] == [
        "He is a nonsmoker, nonalcoholic."]


def test_a_medication_list_that_points_elsewhere_lists_no_drug():
    # MTSamples 2858: "CURRENT MEDICATIONS: , Detailed on the H&P form." was listed as a drug.
    text = ("CURRENT MEDICATIONS: , Detailed on the H&P form.,ALLERGIES: , None.,"
            "HISTORY: He takes metoprolol.")
    labels = [i["label"] for i in _by_category(
        build_structured_result([prepare_note(text, note_id=6)]), "medication")]
    assert labels == ["metoprolol"]


def test_one_problem_is_listed_once_however_the_note_words_it(mtsamples_text):
    # MTSamples 3721: "deviated nasal septum" (diagnoses) and "nasal septal deviation"
    # (indications) were two active problems, as were a "Herniated disc, C5-C6" and the
    # procedure's "Disc herniation".
    note = prepare_note(mtsamples_text("3721"), note_id=4, date="2024-04-02")
    problems = _by_category(build_structured_result([note]), "problem")
    septum = [p for p in problems if "sept" in p["label"].lower()]
    assert [p["label"] for p in septum] == ["deviated nasal septum"]
    assert "nasal septal deviation" in {e["text"] for e in septum[0]["evidence"]}
    _assert_spans_match(note, problems)

    text = ("PREOPERATIVE DIAGNOSES: 1. Herniated disc, C5-C6. 2. Hypertension.\n"
            "PROCEDURE: Anterior cervical discectomy for the disc herniation.\n"
            "HISTORY: Pulmonary hypertension and spondylosis.\n")
    note = prepare_note(text, note_id=5, date="2024-04-02")
    problems = _by_category(build_structured_result([note]), "problem")
    labels = [p["label"] for p in problems]
    assert "Herniated disc, C5-C6" in labels and "disc herniation" not in labels
    disc = problems[labels.index("Herniated disc, C5-C6")]
    assert [e["text"] for e in disc["evidence"]] == ["Herniated disc, C5-C6", "disc herniation"]
    # another condition whose name holds the same word stays its own problem
    assert {"Hypertension", "Pulmonary hypertension"} <= set(labels)
    _assert_spans_match(note, problems)


def test_a_note_that_ends_on_a_measurement_is_summarised():
    # MTSamples 4653 ends "PHYSICAL EXAMINATION: ,BP:  133/72" with no line break: the blood
    # pressure's span ran one character past the note and the summary stopped with an
    # IndexError.
    text = "CHIEF COMPLAINT: Follow-up of hypertension.,PHYSICAL EXAMINATION: ,BP:  133/72"
    note = prepare_note(text, note_id=6)
    vitals = _by_category(build_structured_result([note]), "vital")
    assert [v["label"] for v in vitals] == ["BP:  133/72"]
    _assert_spans_match(note, vitals)
