"""Rank ICD-10-CM codes for the patient's own problems in a ``NoteAnalysis``.

Each codable concept (problem, symptom or finding asserted present or historical — never
negated, possible, hypothetical or family) gets candidates from two sources:
- lexical: the codes its matched term names in the ICD-10-CM-derived term list;
- embedding: nearest ICD-10-CM descriptions to its text (MiniLM via the runtime).
Sentences with no negated, family, hypothetical or possible concept are also matched
against the descriptions as a whole (weaker, with the sentence as evidence): it finds
conditions phrased in ways no term list names.
A small prior from CodiEsp train code frequencies breaks ties toward commonly assigned
codes. Note-level suggestions keep every supporting span as evidence.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from desktop.core.analysis.coding.embedding_index import IcdEmbeddingIndex
from desktop.core.analysis.coding.icd_table import coding_priors, description, preferred_leaf
from desktop.core.analysis.notes import Concept, NoteAnalysis
from desktop.core.tasks import CancelToken, ProgressFn

CODABLE_CATEGORIES = ("problem", "symptom", "finding")
CODABLE_ASSERTIONS = ("present", "historical")
EMBED_K = 5
EMBED_MIN_COSINE = 0.55
PRIOR_WEIGHT = 0.3
EMBEDDING_FACTOR = 0.85  # a nearest description is weaker evidence than a named term
SENTENCE_FACTOR = 0.9
SENTENCE_K = 8
SENTENCE_MIN_COSINE = 0.4
SENTENCE_MIN_WORDS = 4
NOT_PATIENT = ("negated", "family", "hypothetical", "possible")
# Too generic to rest on a sentence alone: "Illness, unspecified" and personal/family
# history codes (which headings such as "HISTORY OF PRESENT ILLNESS:" attract).
SENTENCE_EXCLUDED = ("R69", "Z80", "Z81", "Z82", "Z83", "Z84", "Z85", "Z86", "Z87")
# Identification lines ("Patient: <name>, MRN ...") are not clinical sentences.
IDENTITY_LINE = re.compile(r"\b(?:name|patient|mrn|dob|date of birth|d\.o\.b\.?)\s*[:#]",
                           re.IGNORECASE)
WORD = re.compile(r"[A-Za-z]{2,}")


@dataclass(frozen=True)
class SentenceSpan:
    """A whole sentence used as evidence (duck-types the span fields of ``Concept``)."""

    text: str
    start: int
    end: int
    assertion: str = "present"
    category: str = "sentence"
HISTORICAL_FACTOR = 0.8
# Symptoms and signs rank below diagnoses (ICD-10-CM guideline: signs integral to a
# diagnosis are not coded separately); they still appear when nothing explains them.
CATEGORY_FACTOR = {"problem": 1.0, "symptom": 0.9, "finding": 0.9}


@dataclass
class CodeSuggestion:
    code: str
    description: str
    score: float
    sources: set[str] = field(default_factory=set)  # "lexical" and/or "embedding"
    concepts: list[Concept | SentenceSpan] = field(default_factory=list)

    @property
    def evidence(self) -> list[tuple[int, int, str]]:
        seen = {}
        for c in self.concepts:
            seen.setdefault((c.start, c.end), c.text)
        return [(s, e, t) for (s, e), t in sorted(seen.items())]


def codable(concept: Concept) -> bool:
    return concept.category in CODABLE_CATEGORIES and concept.assertion in CODABLE_ASSERTIONS


def _prior_bonus(code: str) -> float:
    share = coding_priors().get(code, 0.0)
    return math.log1p(100 * share) / math.log1p(100 * 0.25)  # 25 % of documents -> 1.0


class IcdCoder:
    """Suggests codes; ``embedder`` is ``runtime.embedder()`` (or None for lexical only)."""

    def __init__(self, embedder=None, cache_dir: Path | None = None, *,
                 assertions: tuple[str, ...] = CODABLE_ASSERTIONS) -> None:
        # ``assertions`` other than the default exist only for evaluation against corpora
        # that code negated mentions too; the app never passes it.
        self.assertions = assertions
        self.index = None
        if embedder is not None:
            if cache_dir is None:
                raise ValueError("cache_dir is needed with an embedder")
            self.index = IcdEmbeddingIndex(embedder, cache_dir)
        self.embedder = embedder

    @property
    def provenance(self):
        return self.embedder.provenance if self.embedder is not None else None

    def prepare(self, progress: ProgressFn | None = None, cancel: CancelToken | None = None):
        """Load (or build once) the ICD description vectors."""
        if self.index is not None:
            self.index.matrix(progress, cancel)

    def candidates(self, concepts: list[Concept], cancel: CancelToken | None = None
                   ) -> dict[int, dict[str, tuple[float, str]]]:
        """Per concept index: code -> (score, source)."""
        out: dict[int, dict[str, tuple[float, str]]] = {i: {} for i in range(len(concepts))}
        for i, concept in enumerate(concepts):
            for rank, code in enumerate(concept.codes):
                out[i][preferred_leaf(code)] = (1.0 - 0.05 * rank, "lexical")
        if self.index is not None and concepts:
            texts = sorted({c.text.lower() for c in concepts})
            vectors = self.embedder.encode(texts, cancel=cancel)
            hits = dict(zip(texts, self.index.search(vectors, EMBED_K), strict=True))
            for i, concept in enumerate(concepts):
                for code, cosine in hits[concept.text.lower()]:
                    if cosine < EMBED_MIN_COSINE:
                        continue
                    leaf = preferred_leaf(code)
                    score = EMBEDDING_FACTOR * cosine
                    if score > out[i].get(leaf, (0.0, ""))[0]:
                        out[i][leaf] = (score, "embedding")
        return out

    def sentence_candidates(self, analysis: NoteAnalysis, cancel: CancelToken | None = None
                            ) -> list[tuple[SentenceSpan, list[tuple[str, float]]]]:
        if self.index is None:
            return []
        headers = [(s.start, s.start + len(s.header)) for s in analysis.sections if s.header]
        spans = []
        for sentence in analysis.sentences:
            inside = [c for c in analysis.concepts if sentence.start <= c.start < sentence.end]
            if any(c.assertion in NOT_PATIENT for c in inside):
                continue  # "no history of stones" must not become a stone code
            start = sentence.start
            for h_start, h_end in headers:  # a heading is not clinical text
                if sentence.start <= h_start < sentence.end:
                    start = max(start, h_end)
            raw = analysis.text[start:sentence.end]
            text = raw.strip()
            if IDENTITY_LINE.search(text) or len(WORD.findall(text)) < SENTENCE_MIN_WORDS:
                continue
            start += len(raw) - len(raw.lstrip())
            spans.append(SentenceSpan(text, start, start + len(text)))
        if not spans:
            return []
        vectors = self.embedder.encode([s.text for s in spans], cancel=cancel)
        out = []
        for span, hits in zip(spans, self.index.search(vectors, SENTENCE_K), strict=True):
            kept = [(preferred_leaf(code), SENTENCE_FACTOR * cos) for code, cos in hits
                    if cos >= SENTENCE_MIN_COSINE and not code.startswith(SENTENCE_EXCLUDED)]
            if kept:
                out.append((span, kept))
        return out

    def suggest(self, analysis: NoteAnalysis, *, per_concept: int = 3,
                cancel: CancelToken | None = None) -> list[CodeSuggestion]:
        """Note-level ranked suggestions (best first), each with its supporting concepts."""
        concepts = [c for c in analysis.concepts
                    if c.category in CODABLE_CATEGORIES and c.assertion in self.assertions]
        by_code: dict[str, CodeSuggestion] = {}
        for i, cands in self.candidates(concepts, cancel).items():
            concept = concepts[i]
            factor = HISTORICAL_FACTOR if concept.assertion == "historical" else 1.0
            factor *= CATEGORY_FACTOR[concept.category]
            scored = sorted(
                ((code, factor * ((1 - PRIOR_WEIGHT) * s + PRIOR_WEIGHT * _prior_bonus(code)), src)
                 for code, (s, src) in cands.items()),
                key=lambda t: -t[1],
            )[:per_concept]
            for code, score, source in scored:
                sug = by_code.get(code)
                if sug is None:
                    sug = by_code[code] = CodeSuggestion(code, description(code), score)
                sug.score = max(sug.score, score)
                sug.sources.add(source)
                sug.concepts.append(concept)
        for span, hits in self.sentence_candidates(analysis, cancel):
            for code, s in hits:
                score = (1 - PRIOR_WEIGHT) * s + PRIOR_WEIGHT * _prior_bonus(code)
                sug = by_code.get(code)
                if sug is None:
                    sug = by_code[code] = CodeSuggestion(code, description(code), score)
                elif any(span.start <= c.start < span.end for c in sug.concepts):
                    continue  # a term in this sentence already supports the code
                if score > sug.score:
                    sug.score = score
                sug.sources.add("sentence")
                sug.concepts.append(span)
        for sug in by_code.values():
            mentions = len({c.start for c in sug.concepts})
            sug.score = round(min(1.0, sug.score + 0.03 * (mentions - 1)), 4)
        return sorted(by_code.values(), key=lambda s: (-s.score, s.code))
