"""Rank ICD-10-CM codes for the patient's own problems in a ``NoteAnalysis``.

Candidates come from the term index, phrases mined from CodiEsp train cases and MiniLM
retrieval over ICD-10-CM descriptions and train example sentences (``candidates``). Only
concepts asserted present or historical — never negated, possible, hypothetical or
family — and sentence text outside such cues' ConText scopes can support a code. Boosted
trees learned on CodiEsp train (``reranker``) order them, reading how often coders kept a
code found with the same evidence (``evidence_rates``) and what the whole case suggests
(``case_model``). The result is then checked against the note (``note_agreement``): no code
the note denies, the side it names, no code an Excludes1 note rules out. Every suggestion
keeps each supporting span.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from desktop.core.analysis.coding.candidates import (
    CODABLE_ASSERTIONS,
    CODABLE_CATEGORIES,
    TextSpan,
    collect_candidates,
)
from desktop.core.analysis.coding.case_model import case_model_for
from desktop.core.analysis.coding.embedding_index import ExemplarIndex, IcdEmbeddingIndex
from desktop.core.analysis.coding.evidence_rates import evidence_rates
from desktop.core.analysis.coding.icd_table import coding_priors, description
from desktop.core.analysis.coding.note_agreement import (
    code_side,
    denied_codes,
    encounter_for,
    evidence_sides,
    excludes,
    named_codes,
    side_for,
    sides_by_site,
    site_side,
)
from desktop.core.analysis.coding.reranker import feature_rows, load_model
from desktop.core.analysis.notes import Concept, NoteAnalysis
from desktop.core.tasks import CancelToken, ProgressFn, no_progress

PAST_ONLY_FACTOR = 0.6
SIBLING_SHARE = 0.99  # a sibling's score at most this share of its category's found code

__all__ = ["CODABLE_CATEGORIES", "CodeSuggestion", "IcdCoder", "TextSpan", "codable"]


@dataclass
class CodeSuggestion:
    code: str
    description: str
    score: float  # learned probability that a human coder would assign the code
    sources: set[str] = field(default_factory=set)  # "lexical", "embedding", "sentence"
    concepts: list[Concept | TextSpan] = field(default_factory=list)
    # the side the note names the code's site with elsewhere, when the evidence names none
    side_elsewhere: str | None = None

    @property
    def evidence(self) -> list[tuple[int, int, str]]:
        seen = {}
        for c in self.concepts:
            seen.setdefault((c.start, c.end), c.text)
        return [(s, e, t) for (s, e), t in sorted(seen.items())]


def codable(concept: Concept) -> bool:
    return concept.category in CODABLE_CATEGORIES and concept.assertion in CODABLE_ASSERTIONS


class IcdCoder:
    """Suggests codes; ``embedder`` is ``runtime.embedder()`` (or None for lexical only)."""

    def __init__(self, embedder=None, cache_dir: Path | None = None, *,
                 assertions: tuple[str, ...] = CODABLE_ASSERTIONS,
                 note_checks: bool = True) -> None:
        # ``assertions`` other than the default, and ``note_checks=False``, exist only for
        # evaluation against corpora whose coders code negated mentions too or ignore
        # Excludes1 notes; the app never passes them.
        self.assertions = assertions
        self.note_checks = note_checks
        self.index = self.exemplars = None
        if embedder is not None:
            if cache_dir is None:
                raise ValueError("cache_dir is needed with an embedder")
            self.index = IcdEmbeddingIndex(embedder, cache_dir)
            self.exemplars = ExemplarIndex(embedder, cache_dir)
        self.embedder = embedder
        self.model = load_model("lexical" if embedder is None else "full")
        self.rates = evidence_rates()
        self.case_model = case_model_for(embedder)

    @property
    def provenance(self):
        return self.embedder.provenance if self.embedder is not None else None

    def prepare(self, progress: ProgressFn | None = None, cancel: CancelToken | None = None):
        """Load (or build once) the ICD description and train example vectors."""
        if self.index is None:
            return
        progress = progress or no_progress
        self.index.matrix(lambda f, m: progress(0.5 * f, m), cancel)
        self.exemplars.matrix(lambda f, m: progress(0.5 + 0.5 * f, m), cancel)

    def suggest(self, analysis: NoteAnalysis, *,
                cancel: CancelToken | None = None) -> list[CodeSuggestion]:
        """Note-level ranked suggestions (best first), each with its supporting spans."""
        priors = coding_priors()
        cands = list(collect_candidates(analysis, embedder=self.embedder, index=self.index,
                                        exemplars=self.exemplars, assertions=self.assertions,
                                        priors=priors, case_model=self.case_model,
                                        cancel=cancel).values())
        names, rows = feature_rows(cands, priors, len(analysis.text), self.rates)
        probs = self.model.probabilities(names, rows)
        # CodiEsp coders code past history like current disease; the app puts the visit's
        # own problems first (costs < 0.003 train MAP at this factor).
        probs = probs * np.array([PAST_ONLY_FACTOR if c.past_only else 1.0 for c in cands])
        probs = _siblings_after_their_code(cands, probs)
        probs = _after_the_terms_code(cands, probs)
        out = [CodeSuggestion(c.code, description(c.code), round(float(p), 4), c.sources,
                              c.concepts)
               for c, p in zip(cands, probs, strict=True)]
        if self.note_checks:
            out = _as_the_note_says(out, analysis, self.assertions)
        return sorted(out, key=lambda s: (-s.score, s.code))


def _as_the_note_says(suggestions: list[CodeSuggestion], analysis: NoteAnalysis,
                      assertions: tuple[str, ...]) -> list[CodeSuggestion]:
    """Without codes the note denies or gives to a relative, or that an Excludes1 note rules
    out beside a code the note's terms name, each at the side its evidence names, or else the
    one side the note names its site with (``note_agreement``); a code reached twice keeps its
    better score and all spans."""
    denied = denied_codes(analysis, assertions)
    named = named_codes(analysis, assertions)
    by_site = sides_by_site(analysis.text)
    by_code: dict[str, CodeSuggestion] = {}
    for s in suggestions:
        if s.code in denied:
            continue
        sides = evidence_sides(analysis.text, s.concepts, s.code)
        elsewhere = set() if sides else site_side(s.code, by_site)
        code = side_for(s.code, sides or elsewhere)
        code = encounter_for(code, analysis.text, s.concepts)
        if code not in named and any(excludes(code, other) for other in named if other != code):
            continue
        side = code_side(code) if code_side(code) in elsewhere else None
        if code != s.code or side:
            s = CodeSuggestion(code, description(code), s.score, s.sources, s.concepts, side)
        kept = by_code.get(code)
        if kept is None:
            by_code[code] = s
            continue
        best, other = (kept, s) if kept.score >= s.score else (s, kept)
        by_code[code] = CodeSuggestion(code, best.description, best.score,
                                       best.sources | other.sources,
                                       best.concepts + [c for c in other.concepts
                                                        if c not in best.concepts],
                                       best.side_elsewhere and other.side_elsewhere)
    return list(by_code.values())


def _siblings_after_their_code(cands: list, probs: np.ndarray) -> np.ndarray:
    """A sibling borrows the evidence of a code its note names ("kidney stone" -> N20.0,
    sibling N20.1): it may follow that code, never precede it."""
    best: dict[str, float] = {}
    for cand, prob in zip(cands, probs, strict=True):
        if not cand.sibling:
            best[cand.code[:3]] = max(best.get(cand.code[:3], 0.0), float(prob))
    return np.array([min(float(p), SIBLING_SHARE * best.get(c.code[:3], 1.0)) if c.sibling
                     else float(p) for c, p in zip(cands, probs, strict=True)])


def _after_the_terms_code(cands: list, probs: np.ndarray) -> np.ndarray:
    """A code found only as a phrase inside a longer, more specific term ("chest pain" in
    "non-cardiac chest pain": R07.9 inside R07.89) may follow the term's code, never
    precede it."""
    score = {c.code: float(p) for c, p in zip(cands, probs, strict=True)}
    out = []
    for cand, prob in zip(cands, probs, strict=True):
        caps = [score[code] for code in cand.below if code in score]
        if caps and not cand.lexical:
            prob = min(float(prob), SIBLING_SHARE * max(caps))
        out.append(float(prob))
    return np.array(out)
