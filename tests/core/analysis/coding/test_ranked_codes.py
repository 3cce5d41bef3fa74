"""Learned ICD-10-CM ranking: every code rests on the patient's own text, never on a
negated, family or hypothetical mention, whichever retrieval source proposed it."""

from __future__ import annotations

import pytest

from desktop.core.analysis.coding import IcdCoder
from desktop.core.analysis.notes import analyse_note
from desktop.core.errors import NotAvailableError

CASE = (
    "A 54-year-old man consulted for pain in the right renal fossa compatible with "
    "renoureteral crisis.\n"
    "He denies fever. No history of diabetes.\n"
    "His mother had breast cancer.\n"
    "Ultrasound showed right hydronephrosis secondary to a 9 mm stone in the proximal "
    "ureter.\n"
    "He was treated with analgesics and the stone was expelled spontaneously.\n"
)
NOT_THE_PATIENTS = ("R50", "E11", "E10", "C50", "Z80.3")


@pytest.fixture(scope="module")
def coder(runtime, packs_settings) -> IcdCoder:
    coder = IcdCoder(runtime.embedder(), packs_settings.data_dir / "cache")
    coder.prepare()
    return coder


def negated_or_family_lines(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for line in text.splitlines(keepends=True):
        if line.startswith(("He denies", "His mother")):
            spans.append((start, start + len(line)))
        start += len(line)
    return spans


@pytest.mark.slow
def test_full_coder_ranks_the_stone_and_never_codes_denied_or_family_problems(coder):
    suggestions = coder.suggest(analyse_note(CASE))
    codes = [s.code for s in suggestions]
    assert any(c.startswith(("N20", "N13", "N23")) for c in codes[:5]), codes[:10]
    for code in codes:
        assert not code.startswith(NOT_THE_PATIENTS), code
    blocked = negated_or_family_lines(CASE)
    for sug in suggestions:
        assert sug.evidence, sug.code
        assert 0 < sug.score < 1
        for start, end, text in sug.evidence:
            assert CASE[start:end] == text
            assert not any(b <= start < e for b, e in blocked), (sug.code, text)
    assert [s.score for s in suggestions] == sorted((s.score for s in suggestions), reverse=True)


@pytest.mark.slow
def test_train_case_phrasing_finds_codes_through_example_sentences(coder):
    suggestions = coder.suggest(analyse_note(CASE))
    assert any("example" in s.sources for s in suggestions)
    assert any("sibling" in s.sources for s in suggestions)


def test_lexical_coder_gives_siblings_the_evidence_of_their_category():
    text = "The patient has a kidney stone."
    suggestions = IcdCoder().suggest(analyse_note(text))
    assert suggestions[0].code == "N20.0"  # the code the term names ranks first
    stones = [s for s in suggestions if s.code.startswith("N20")]
    assert len(stones) > 1  # plus codes coders often give in N20
    for sug in stones:
        assert [t for _, _, t in sug.evidence] == ["kidney stone"]


def test_a_phrase_coders_code_is_suggested_only_where_the_patient_has_it():
    present = "He developed extensive necrosis of the left foot."
    sug = {s.code: s for s in IcdCoder().suggest(analyse_note(present))}
    assert "I96" in sug  # CodiEsp coders code necrosis as gangrene
    assert "phrase" in sug["I96"].sources
    assert [t for _, _, t in sug["I96"].evidence] == ["necrosis"]
    for text in ("There was no necrosis of the skin.",
                 "Family history of disease in his father.",
                 "FAMILY HISTORY: Necrosis of the foot in his brother."):
        codes = [s.code for s in IcdCoder().suggest(analyse_note(text))]
        assert "I96" not in codes and "R69" not in codes, (text, codes)


def test_a_missing_coding_model_is_a_readable_error(monkeypatch, tmp_path):
    from desktop.core.analysis.coding import reranker

    (tmp_path / reranker.MODEL_FILE).write_text("{not json", encoding="utf-8")
    monkeypatch.setattr(reranker, "nlp_resources_dir", lambda: tmp_path)
    reranker.load_model.cache_clear()
    try:
        with pytest.raises(NotAvailableError, match="reinstall"):
            IcdCoder()
    finally:
        reranker.load_model.cache_clear()


def test_example_sentences_ship_as_vectors_and_need_their_own_sentence_model(
    tiny_runtime, tmp_path
):
    """The CodiEsp examples are vectors of the default MiniLM; an imported sentence model
    cannot read them, so the coder then works without them instead of failing."""
    from desktop.core.analysis.coding.embedding_index import exemplar_table

    table = exemplar_table()
    assert set(table) >= {"codes", "cases", "vectors", "embedder_checksum"}
    assert table["vectors"].shape == (len(table["codes"]), 384)
    coder = IcdCoder(tiny_runtime.embedder("tiny-encoder"), tmp_path / "cache")
    assert coder.exemplars is not None and coder.exemplars.matrix().shape[0] == 0
    suggestions = coder.suggest(analyse_note(CASE))
    assert suggestions and all(s.evidence for s in suggestions)
