"""Gather candidate ICD-10-CM codes for a note, each with the spans and raw scores behind it.

Three sources, all restricted to the patient's own problems:
- lexical: the codes a matched term names in the ICD-10-CM-derived term list;
- concept embedding: nearest ICD-10-CM descriptions to a concept's text (MiniLM);
- sentence embedding: nearest descriptions to a sentence's text outside every negation,
  family, hypothetical or possible cue's scope (finds conditions no term list names);
- exemplars: nearest CodiEsp train sentences to such a sentence, with the code each was
  aligned to (how case reports phrase a code);
- phrases: word n-grams that predict a code in CodiEsp train cases (``phrase_lexicon``),
  matched in those same sentences;
- siblings: train-frequent codes of a category the note already supports.
Each candidate also gets the case model's probability for its code (``case_model``), read
from the same sentence vectors.
Scores are kept raw here; ``reranker`` turns them into one ranking learned on CodiEsp.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass, field

from desktop.core.analysis.coding.case_model import NO_MODEL, CaseModel
from desktop.core.analysis.coding.icd_table import coded_as, coding_priors, description
from desktop.core.analysis.coding.phrase_lexicon import PhraseCode, phrase_lexicon, phrases
from desktop.core.analysis.notes import Concept, NoteAnalysis
from desktop.core.analysis.notes.concepts.extraction import (
    CODED_CATEGORIES,
    OTHER_CONDITION,
    word_prefix,
)
from desktop.core.analysis.notes.concepts.mucosal_terms import codes_only_a_mucosa_has
from desktop.core.analysis.notes.context.allergy import is_allergy_reaction
from desktop.core.analysis.notes.pipeline import assert_spans_in_sentence
from desktop.core.analysis.notes.reference_intervals import is_normal_lab
from desktop.core.analysis.notes.sections import section_assertions
from desktop.core.tasks import CancelToken

CODABLE_CATEGORIES = CODED_CATEGORIES  # the categories that carry ICD-10-CM codes
CODABLE_ASSERTIONS = ("present", "historical")
NOT_PATIENT = ("negated", "family", "hypothetical", "possible")
CONCEPT_K = 10
CONCEPT_MIN_COSINE = 0.45
SENTENCE_K = 10
SENTENCE_MIN_COSINE = 0.35
SENTENCE_MIN_WORDS = 4
# Phrases much weaker than a code's best one ("extensive" beside "necrosis") are not shown.
PHRASE_EVIDENCE_SHARE = 0.5
EXEMPLAR_K = 10
EXEMPLAR_MIN_COSINE = 0.5
# Too generic to rest on a sentence alone: "Illness, unspecified" and personal/family
# history codes (which headings such as "HISTORY OF PRESENT ILLNESS:" attract).
SENTENCE_EXCLUDED = ("R69", "Z80", "Z81", "Z82", "Z83", "Z84", "Z85", "Z86", "Z87")
# Identification lines ("Patient: <name>, MRN ...") are not clinical sentences.
IDENTITY_LINE = re.compile(r"\b(?:name|patient|mrn|dob|date of birth|d\.o\.b\.?)\s*[:#]",
                           re.IGNORECASE)
WORD = re.compile(r"[A-Za-z]{2,}")


@dataclass(frozen=True)
class TextSpan:
    """A sentence or phrase used as evidence (duck-types the span fields of ``Concept``)."""

    text: str
    start: int
    end: int
    assertion: str = "present"
    category: str = "sentence"


@dataclass
class CodeCandidate:
    """One code for one note: where it is supported and how strongly by each source."""

    code: str
    lexical: float = 0.0  # 1.0 for a term's first listed code, less for later ones
    concept_cosine: float = 0.0
    sentence_cosine: float = 0.0
    sentence_rank: int = SENTENCE_K  # best rank of the code among a sentence's neighbours
    exemplar_cosine: float = 0.0  # best cosine of a sentence to a train example of the code
    exemplar_votes: int = 0  # train examples of the code among sentences' neighbours
    phrase_precision: float = 0.0  # best share of train cases with a matched phrase
    phrase_lift: float = 1.0  # that phrase's precision over the code's base rate
    phrase_count: int = 0  # distinct matched phrases predicting the code
    present: bool = False  # some supporting concept is current, not only past history
    problem: bool = False  # some supporting concept is a problem (not a symptom/finding)
    sibling: bool = False  # added because another code of its category was found
    below: set[str] = field(default_factory=set)  # codes of the terms its phrases sat in
    case_score: float = NO_MODEL  # the case model's probability for the code
    concepts: list[Concept | TextSpan] = field(default_factory=list)

    @property
    def sources(self) -> set[str]:
        if self.sibling:
            return {"sibling"}
        return {name for name, value in (("lexical", self.lexical),
                                         ("embedding", self.concept_cosine),
                                         ("sentence", self.sentence_cosine),
                                         ("example", self.exemplar_cosine),
                                         ("phrase", self.phrase_precision)) if value > 0}

    @property
    def past_only(self) -> bool:
        """Every supporting span is a past-history concept (no current mention at all)."""
        return not self.present and all(c.category != "sentence" for c in self.concepts)

    @property
    def mentions(self) -> int:
        return len({c.start for c in self.concepts})

    @property
    def first_offset(self) -> int:
        return min(c.start for c in self.concepts)

    def support(self, span: Concept | TextSpan) -> None:
        if span.category == "sentence":
            if any(span.start <= c.start < span.end for c in self.concepts):
                return  # a term in this sentence already supports the code
        self.concepts.append(span)
        if span.category != "sentence":
            self.present |= span.assertion == "present"
            self.problem |= span.category == "problem"


def codable_concepts(analysis: NoteAnalysis, assertions: tuple[str, ...]) -> list[Concept]:
    return [c for c in analysis.concepts
            if c.category in CODABLE_CATEGORIES and c.assertion in assertions]


def patient_sentences(analysis: NoteAnalysis, min_words: int = SENTENCE_MIN_WORDS
                      ) -> list[TextSpan]:
    """Clinical text about the patient's own state: each sentence without its heading and
    without what a negation, family, hypothetical or possible cue governs.

    "There was no necrosis" leaves "There was", too short to search with, whether or not
    necrosis is a listed concept; "Fever, but no cough" leaves "Fever, but". Sections whose
    every sentence is about someone else (family history) give nothing.
    """
    headers = [(s.start, s.start + len(s.header)) for s in analysis.sections if s.header]
    section_defaults = section_assertions()
    cuts = sorted([(s.start, s.end) for s in analysis.scopes]
                  + [(c.start, c.end) for c in analysis.concepts if c.assertion in NOT_PATIENT])
    spans = []
    for sentence in analysis.sentences:
        section = analysis.section_at(sentence.start)
        if section is not None and section_defaults.get(section.name) in NOT_PATIENT:
            continue
        start = sentence.start
        for h_start, h_end in headers:  # a heading is not clinical text
            if sentence.start <= h_start < sentence.end:
                start = max(start, h_end)
        if IDENTITY_LINE.search(analysis.text[start:sentence.end]):
            continue
        # ConText scopes and concepts never cross a sentence: only its own cuts matter.
        own = cuts[bisect_left(cuts, (sentence.start,)):bisect_left(cuts, (sentence.end,))]
        for piece_start, piece_end in _uncut(start, sentence.end, own):
            raw = analysis.text[piece_start:piece_end]
            text = raw.strip()
            if len(WORD.findall(text)) < min_words:
                continue
            piece_start += len(raw) - len(raw.lstrip())
            spans.append(TextSpan(text, piece_start, piece_start + len(text)))
    return spans


def _uncut(start: int, end: int, cuts: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The parts of ``[start, end)`` outside every ``cuts`` range (sorted by start)."""
    pieces, at = [], start
    for cut_start, cut_end in cuts:
        if cut_end <= at or cut_start >= end:
            continue
        if cut_start > at:
            pieces.append((at, cut_start))
        at = max(at, cut_end)
    if at < end:
        pieces.append((at, end))
    return pieces


def collect_candidates(analysis: NoteAnalysis, *, embedder=None, index=None, exemplars=None,
                       lexicon: Mapping[str, tuple[PhraseCode, ...]] | None = None,
                       assertions: tuple[str, ...] = CODABLE_ASSERTIONS,
                       priors: Mapping[str, float] | None = None,
                       case_model: CaseModel | None = None,
                       cancel: CancelToken | None = None) -> dict[str, CodeCandidate]:
    """Code -> candidate for ``analysis``; embedding sources only when ``index`` (ICD
    descriptions) and ``exemplars`` (train sentences) are given.

    ``priors`` (code -> share of training documents) picks the granularity a code is
    suggested at and ``lexicon`` maps phrases to codes; the defaults are the shipped
    CodiEsp train files.
    """
    out: dict[str, CodeCandidate] = {}
    priors = coding_priors() if priors is None else priors

    def get(code: str) -> CodeCandidate:
        code = coded_as(code, priors)
        return out.setdefault(code, CodeCandidate(code))

    concepts = codable_concepts(analysis, assertions)
    for concept in concepts:
        for rank, code in enumerate(concept.codes):
            cand = get(code)
            cand.lexical = max(cand.lexical, 1.0 - 0.05 * rank)
            cand.support(concept)
    _add_phrases(get, analysis, phrase_lexicon() if lexicon is None else lexicon)
    vectors = None
    if index is not None:
        vectors = _add_retrieved(get, analysis, concepts, embedder, index, exemplars, cancel)
    _add_siblings(out, priors)
    for code in codes_only_a_mucosa_has(analysis.concepts):
        out.pop(code, None)
    if case_model is not None and vectors is not None:
        scores = case_model.scores(vectors)
        for cand in out.values():
            cand.case_score = scores.get(cand.code, NO_MODEL)
    return out


def _add_retrieved(get, analysis, concepts, embedder, index, exemplars, cancel):
    """Adds the embedding sources; returns the patient sentences' vectors (None if none)."""
    if concepts:
        texts = sorted({c.text.lower() for c in concepts})
        hits = dict(zip(texts, index.search(embedder.encode(texts, cancel=cancel), CONCEPT_K),
                        strict=True))
        for concept in concepts:
            for code, cosine in hits[concept.text.lower()]:
                if cosine >= CONCEPT_MIN_COSINE:
                    cand = get(code)
                    cand.concept_cosine = max(cand.concept_cosine, cosine)
                    if concept not in cand.concepts:
                        cand.support(concept)
    spans = patient_sentences(analysis)
    if not spans:
        return None
    vectors = embedder.encode([s.text for s in spans], cancel=cancel)
    for span, hits in zip(spans, index.search(vectors, SENTENCE_K), strict=True):
        for rank, (code, cosine) in enumerate(hits):
            if cosine < SENTENCE_MIN_COSINE or code.startswith(SENTENCE_EXCLUDED):
                continue
            cand = get(code)
            cand.sentence_cosine = max(cand.sentence_cosine, cosine)
            cand.sentence_rank = min(cand.sentence_rank, rank)
            cand.support(span)
    if exemplars is None:
        return vectors
    for span, hits in zip(spans, exemplars.search(vectors, EXEMPLAR_K), strict=True):
        for code, cosine in hits:
            if cosine < EXEMPLAR_MIN_COSINE or code.startswith(SENTENCE_EXCLUDED):
                continue
            cand = get(code)
            cand.exemplar_cosine = max(cand.exemplar_cosine, cosine)
            cand.exemplar_votes += 1
            cand.support(span)
    return vectors


def _add_phrases(get, analysis: NoteAnalysis,
                 lexicon: Mapping[str, tuple[PhraseCode, ...]]) -> None:
    """Phrase hits, each asserted by ConText itself: a lexicon phrase is often no term
    of the concept list, so the note analysis never asked whether it was negated."""
    found: dict[str, dict[str, list]] = {}  # code -> phrase -> [precision, spans...]
    # "creatinine 1.1 mg/dl" co-occurs with kidney codes in train; a normal result is no
    # evidence of kidney disease.
    not_evidence = [(c.start, c.end) for c in analysis.concepts if is_normal_lab(c)]
    # nor is a word the term list reads in another sense: a bone's "depression" no F32.9
    not_evidence += analysis.other_senses
    # A phrase inside a longer term the note names is part of that name: "reflux" in
    # "vesicoureteral reflux" is no gastro-oesophageal reflux, "pneumonia" in "aspiration
    # pneumonia" no J18.9. Codes of the term's own category stay ("chest pain" in
    # "pleuritic chest pain", coders often add R07.9) but rank below the term's own code.
    named = [(c.start, c.end, c.codes) for c in analysis.concepts if c.codes]
    # A procedure's or a service's words name no symptom of the patient: "pain control" in
    # "postanesthetic pain control" is no R52, the "biphasic shock" of a cardioversion no R57.9;
    # nor the condition they name: a bypass's "cardioplegic arrest" is no I46.9 cardiac arrest
    # (while "dialysis" still points to kidney disease). A drug's name likewise: "Tylenol
    # Cough and Cold" is no R05 or J00, "Advil Cold & Sinus" no sinusitis (while "insulin"
    # still gives Z79.4, its long-term use).
    procedures = [(c.start, c.end, c.category == "medication") for c in analysis.concepts
                  if c.category in ("procedure", "medication")]
    nested: dict[str, set[str]] = {}  # code -> codes of the longer terms it sat inside
    free: set[str] = set()  # codes with a phrase hit outside any more specific term
    for sentence in patient_sentences(analysis, min_words=1):
        section = analysis.section_at(sentence.start)
        name = section.name if section is not None else ""
        if name == "family_history":
            continue
        matched = [(phrase, start, end) for phrase, start, end in phrases(sentence.text)
                   if lexicon.get(phrase)
                   and word_prefix(sentence.text, start) not in OTHER_CONDITION
                   and not any(
                       s < sentence.start + end and sentence.start + start < e
                       for s, e in not_evidence)]
        assertions = assert_spans_in_sentence(sentence.text, [(s, e) for _, s, e in matched])
        for (phrase, start, end), assertion in zip(matched, assertions, strict=True):
            hits = lexicon[phrase]
            if assertion not in CODABLE_ASSERTIONS:
                continue  # "There was no necrosis" must not become I96
            if (name.startswith("past_") or word_prefix(sentence.text, start) == "post"
                    or is_allergy_reaction(sentence.text, start)):
                assertion = "historical"
            span = TextSpan(sentence.text[start:end], sentence.start + start,
                            sentence.start + end, assertion=assertion, category="phrase")
            within = [codes for s, e, codes in named
                      if s <= span.start and span.end <= e and e - s > span.end - span.start]
            named_by = [drug for s, e, drug in procedures if s <= span.start and span.end <= e]
            in_procedure = bool(named_by)
            for hit in hits:
                if any(hit.code[:3] not in {c[:3] for c in codes} for codes in within):
                    continue
                if in_procedure and (hit.code.startswith("R")
                                     or phrase in description(hit.code).lower()) and not (
                        all(named_by) and hit.code.startswith("Z")):
                    continue
                specific = {c for codes in within if not hit.code.startswith(codes)
                            for c in codes}
                if specific:
                    nested.setdefault(hit.code, set()).update(specific)
                else:
                    free.add(hit.code)
                found.setdefault(hit.code, {}).setdefault(phrase, [hit]).append(span)
    for code, by_phrase in found.items():
        cand = get(code)
        best = max((entry[0] for entry in by_phrase.values()), key=lambda h: h.precision)
        cand.phrase_precision, cand.phrase_lift = best.precision, best.lift
        cand.phrase_count = len(by_phrase)
        if code not in free:
            cand.below |= nested.get(code, set())
        if cand.lexical:
            continue  # a term naming the code is the better evidence
        for hit, *spans in by_phrase.values():
            if hit.precision >= PHRASE_EVIDENCE_SHARE * best.precision:
                for span in spans:
                    cand.support(span)


def _add_siblings(out: dict[str, CodeCandidate], priors: Mapping[str, float]) -> None:
    """Codes coders often assign in a category the note already supports (N28.1 found,
    N28.89 often coded): the evidence is shared; the re-ranker weighs the prior."""
    by_category: dict[str, list[CodeCandidate]] = {}
    for cand in out.values():
        by_category.setdefault(cand.code[:3], []).append(cand)
    for code in priors:
        group = by_category.get(code[:3])
        if group is None or code in out:
            continue
        best = max(group, key=lambda c: (c.lexical, c.concept_cosine, c.sentence_cosine))
        out[code] = CodeCandidate(
            code, lexical=max(c.lexical for c in group),
            concept_cosine=max(c.concept_cosine for c in group),
            sentence_cosine=max(c.sentence_cosine for c in group),
            sentence_rank=min(c.sentence_rank for c in group),
            exemplar_cosine=max(c.exemplar_cosine for c in group),
            phrase_precision=max(c.phrase_precision for c in group),
            present=any(c.present for c in group), problem=any(c.problem for c in group),
            sibling=True, concepts=list(best.concepts))
