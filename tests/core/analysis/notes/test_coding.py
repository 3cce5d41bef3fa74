"""ICD-10-CM suggestions: only the patient's own problems are coded, each tied to its span."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from desktop.core.analysis.coding import IcdCoder
from desktop.core.analysis.coding.icd_table import normalise, preferred_leaf
from desktop.core.analysis.notes import analyse_note


def codes_of(suggestions):
    return {s.code: s for s in suggestions}


def test_present_pneumonia_is_coded_with_its_span(clinic_note):
    analysis = analyse_note(clinic_note)
    suggestions = codes_of(IcdCoder().suggest(analysis))
    pneumonia = suggestions["J18.9"]
    assert pneumonia.description == "Pneumonia, unspecified organism"
    assert [clinic_note[s:e] for s, e, _ in pneumonia.evidence] == ["pneumonia"]
    assert 0 < pneumonia.score <= 1


def test_negated_family_and_hypothetical_problems_are_never_coded():
    text = ("Patient denies chest pain. Mother had breast cancer. "
            "Return if fever develops. No history of diabetes. He has asthma.")
    suggestions = codes_of(IcdCoder().suggest(analyse_note(text)))
    assert "J45.909" in suggestions  # the one present problem
    for code in suggestions:
        assert not code.startswith(("R07", "C50", "R50", "E11")), code


def test_past_history_is_coded_below_a_current_problem():
    text = "PAST MEDICAL HISTORY: Hypertension.\nASSESSMENT: Pneumonia."
    ranked = [s.code for s in IcdCoder().suggest(analyse_note(text))]
    assert ranked.index("J18.9") < ranked.index("I10")


@pytest.mark.parametrize(("text", "code", "not_code"), [
    # ICD-10-CM writes "Radiculopathy, lumbar region": the note's "lumbar radiculopathy"
    # was coded M54.10, site unspecified
    ("ASSESSMENT: Lumbar radiculopathy.", "M54.16", "M54.10"),
    ("ASSESSMENT: Cervical radiculopathy on the right.", "M54.12", "M54.10"),
    # ... and "Vesicoureteral-reflux": the note's "vesicoureteral reflux" was coded as
    # gastro-oesophageal reflux disease
    ("Voiding cystourethrogram shows grade 2 vesicoureteral reflux.", "N13.70", "K21.9"),
    ("History of post traumatic stress disorder.", "F43.10", None),
])
def test_a_condition_is_coded_as_notes_write_it_not_only_as_the_table_does(
        text, code, not_code):
    suggestions = codes_of(IcdCoder().suggest(analyse_note(text)))
    assert code in suggestions
    assert not_code not in suggestions


def test_a_word_inside_a_longer_name_is_no_second_condition():
    # mined phrases: "pneumonia" predicts J18.9 in coded cases, "reflux" K21.9
    aspiration = codes_of(IcdCoder().suggest(analyse_note("ASSESSMENT: Aspiration pneumonia.")))
    assert "J69.0" in aspiration and "J18.9" not in aspiration
    pleuritic = codes_of(IcdCoder().suggest(analyse_note("ASSESSMENT: Pleuritic chest pain.")))
    assert {"R07.81", "R07.9"} <= set(pleuritic)  # its own category's codes stay


def test_code_table_helpers():
    assert normalise("j189") == "J18.9"
    assert normalise("not-a-code") is None
    assert preferred_leaf("J18") == "J18.9"
    assert preferred_leaf("I10") == "I10"


@pytest.mark.slow
def test_embedding_retrieval_adds_codes_beyond_the_term_list(runtime, packs_settings):
    coder = IcdCoder(runtime.embedder(), packs_settings.data_dir / "cache")
    coder.prepare()
    analysis = analyse_note("ASSESSMENT: Kidney stones. He denies fever.")
    suggestions = codes_of(coder.suggest(analysis))
    assert "N20.0" in suggestions
    assert any("embedding" in s.sources for s in suggestions.values())
    assert not any(code.startswith("R50") for code in suggestions)
    assert coder.provenance.pack_id == "minilm-l6-v2"


@pytest.mark.slow
def test_an_upgrade_leaves_one_icd_index_cache_not_one_per_version(runtime, packs_settings,
                                                                   tmp_path):
    # Each release whose term lists add codes encodes the ICD-10-CM descriptions again under a
    # new name (about 6 MB); the old files stayed in <data_dir>/cache for ever.
    cache = tmp_path / "cache"
    built = packs_settings.data_dir / "cache"  # the current index, if a test built it already
    if built.is_dir():
        shutil.copytree(built, cache)
    else:
        cache.mkdir()
    weights = runtime.embedder().provenance.checksum[:16]
    stale = [cache / f"icd10cm-{weights}-000000000000.npy",
             cache / f"icd10cm-{weights}-111111111111.npy"]
    other_pack = cache / "icd10cm-0123456789abcdef-000000000000.npy"  # IT may switch back
    for path in [*stale, other_pack]:
        np.save(path, np.zeros((2, 384), dtype=np.float32))
    IcdCoder(runtime.embedder(), cache).prepare()
    assert len(list(cache.glob(f"icd10cm-{weights}-*.npy"))) == 1
    assert not any(path.exists() for path in stale) and other_pack.exists()
    assert IcdCoder(runtime.embedder(), cache).suggest(analyse_note("Kidney stones."))


@pytest.mark.slow
def test_sentence_retrieval_ignores_headings_and_identity_lines(runtime, packs_settings):
    coder = IcdCoder(runtime.embedder(), packs_settings.data_dir / "cache")
    text = ("Patient: Jane Example, MRN 12345678, DOB 01/02/1950.\n"
            "HISTORY OF PRESENT ILLNESS:\nShe reports burning on urination for two days.")
    analysis = analyse_note(text)
    for sug in coder.suggest(analysis):
        assert not sug.code.startswith(("R69", "Z8")), sug.code
        for start, end, _ in sug.evidence:
            assert "Patient:" not in text[start:end]
            assert "HISTORY OF PRESENT ILLNESS" not in text[start:end]
