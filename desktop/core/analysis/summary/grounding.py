"""Check every generated sentence against the source notes before it is shown as fact.

Small language models invent facts. A generated sentence is *supported* only if:
- its meaning is close to a note sentence (MiniLM cosine similarity >= a threshold),
- every number in it occurs in the notes (with the same unit when both give one),
- every drug name in it occurs in the notes, as taken if it says taken and as stopped
  if it says stopped,
- every problem it asserts is asserted the same way in the notes (not negated there,
  not only possible or family history), and a problem it denies is not recorded there,
- its negation agrees with the note sentences that support it,
- (abstractive mode) most of its content words occur in the notes.
Otherwise it is unsupported, with a reason a clinician can read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from spacy.lang.en.stop_words import STOP_WORDS

from desktop.core.analysis.summary import claims
from desktop.core.analysis.summary.rules import SummaryRules, load_rules
from desktop.core.analysis.summary.sources import SourceNote
from desktop.core.provenance import NoteSpan

PROBLEM_CATEGORIES = {"problem", "symptom", "finding"}
_AFFIRMED = {"present", "historical"}
_STOP = frozenset(STOP_WORDS) | {"patient", "patients", "note", "notes", "summary", "also"}
_SENTENCE_END = re.compile(r"(?<=[a-z)%][.!?])\s+(?=[A-Z0-9\"(])")
INCOMPLETE = "incomplete: the model reached its length limit mid-sentence"
_ENDS = (".", "!", "?")
# "Dr. X" and "e.g. fever" do not end a sentence.
_ABBREVIATION_END = re.compile(r"(?i)\b(?:dr|mr|mrs|ms|st|vs|no|approx|e\.g|i\.e|[a-z])\.$")
_ALLERGY_WORDS = re.compile(r"(?i)allerg|reaction|intoleran|sensitiv|avoid")
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")
# A medication mention's assertion as a claim about whether the drug is taken now.
_CURRENT = {"present": "taken", "historical": "stopped", "negated": "stopped",
            "hypothetical": "planned", "possible": "planned"}


@dataclass(frozen=True)
class SentenceCheck:
    """The verdict on one generated sentence."""

    text: str
    supported: bool
    reason: str  # why it is unsupported; "" when supported
    similarity: float
    evidence: tuple[NoteSpan, ...] = field(default=())

    def to_removed(self) -> dict[str, str]:
        return {"text": self.text, "reason": self.reason}


def split_generated(text: str) -> list[str]:
    """Sentences of model output (prose, bullets or numbered lines); headers dropped."""
    sentences = []
    for line in text.splitlines():
        line = _BULLET.sub("", line.strip().strip("*#").strip())
        pieces: list[str] = []
        for piece in _SENTENCE_END.split(line):
            if pieces and _ABBREVIATION_END.search(pieces[-1]):
                pieces[-1] = f"{pieces[-1]} {piece}"
            else:
                pieces.append(piece)
        for piece in pieces:
            piece = piece.strip().strip("*#").strip()
            # "Summary:" or "**Plan**" alone is formatting, not a claim.
            if not piece or (piece.endswith(":") and len(piece.split()) <= 4):
                continue
            sentences.append(piece)
    return sentences


@dataclass(frozen=True)
class _NoteSentence:
    note: SourceNote
    span: NoteSpan
    negated: bool


class GroundingChecker:
    """Holds the embedded note sentences of one summary run; check() many outputs."""

    def __init__(
        self,
        notes: Sequence[SourceNote],
        embedder: Any,
        *,
        mode: str = "abstractive",
        medication_terms: Iterable[str] = (),
        rules: SummaryRules | None = None,
    ) -> None:
        self.rules = rules or load_rules()
        self.mode = mode
        patient = mode == "patient"
        self.threshold = (
            self.rules.similarity_patient if patient else self.rules.similarity_abstractive
        )
        self._embedder = embedder
        self._notes = list(notes)
        self._medication_terms = sorted({t.lower() for t in medication_terms if len(t) >= 4})
        self._sentences = [
            _NoteSentence(note, span, bool(claims.negation_cues_in(span.text, self.rules)))
            for note in self._notes
            for span in _comparison_spans(note)
        ]
        self._matrix = np.asarray(embedder.encode([s.span.text for s in self._sentences]))
        # Note dates are source data too: a summary may say "On 2024-03-01 ...".
        corpus = "\n".join([n.text for n in self._notes] + [n.date for n in self._notes])
        self._corpus_lower = corpus.lower()
        self._numbers: dict[str, set[str]] = {}
        for claim in claims.find_numbers(corpus, self.rules, number_words=True):
            self._numbers.setdefault(claim.value, set()).add(claim.unit)
        self._vocab = {w[:5] for w in claims.content_words(corpus, _STOP)}
        self._allergens = self._find_allergens()
        self._plain_to_clinical: dict[str, str] = {}
        for clinical, plain_words in self.rules.lay_terms.items():
            for plain in plain_words:
                self._plain_to_clinical.setdefault(plain, clinical)
        self._note_concepts = [
            (note, c) for note in self._notes for c in getattr(note.analysis, "concepts", [])
        ]

    def _find_allergens(self) -> set[str]:
        """Drugs the notes list as allergies: a summary must never say they are given."""
        allergens = set()
        for note in self._notes:
            analysis = note.analysis
            for concept in getattr(analysis, "concepts", []):
                if concept.category == "allergy" and concept.assertion != "negated":
                    allergens.add(concept.text.lower())
            for section in getattr(analysis, "sections", []):
                if section.name != "allergies":
                    continue
                body = note.text[section.start : section.end]
                allergens.update(n.lower() for n in self._drug_names(body, []))
        return allergens

    # -- public -----------------------------------------------------------------------

    def check(self, generated: str, *, truncated: bool = False) -> list[SentenceCheck]:
        """Verdicts for every sentence of ``generated``, in order.

        ``truncated``: the model hit its token limit, so an unfinished last sentence is
        removed as incomplete (half a sentence can say the opposite of the whole one).
        """
        sentences = split_generated(generated)
        tail: list[SentenceCheck] = []
        if truncated and sentences and not sentences[-1].rstrip("\"')*").endswith(_ENDS):
            tail = [SentenceCheck(sentences.pop(), False, INCOMPLETE, 0.0)]
        if not sentences:
            return tail
        vectors = np.asarray(self._embedder.encode(sentences))
        sims = vectors @ self._matrix.T
        if self.mode == "patient":
            # Plain words ("high blood pressure", "you") are compared in the note's terms too.
            rewritten = [self._clinical_wording(s) for s in sentences]
            sims = np.maximum(sims, np.asarray(self._embedder.encode(rewritten)) @ self._matrix.T)
        return [self._check_one(s, sims[i]) for i, s in enumerate(sentences)] + tail

    def _clinical_wording(self, sentence: str) -> str:
        text = f" {sentence} "
        for plain, clinical in self._plain_to_clinical.items():
            text = re.sub(rf"(?i)\b{re.escape(plain)}\b", clinical, text)
        text = re.sub(r"(?i)\byour\b", "the patient's", text)
        text = re.sub(r"(?i)\byou\b", "the patient", text)
        return text.strip()

    # -- one sentence ---------------------------------------------------------------

    def _check_one(self, sentence: str, sims: np.ndarray) -> SentenceCheck:
        order = np.argsort(-sims)
        best = float(sims[order[0]])
        support = [self._sentences[i] for i in order[:3] if sims[i] >= self.threshold]
        evidence: list[NoteSpan] = [s.span for s in support[:1]]

        def verdict(reason: str) -> SentenceCheck:
            return SentenceCheck(sentence, not reason, reason, best, tuple(evidence))

        if len(sentence.split()) < 2 or not re.search(r"[A-Za-z]{3,}", sentence):
            return verdict("too short to be checked against the note")
        # Exact checks first: their reasons tell the clinician precisely what was invented.
        concepts = self._concepts_of(sentence)
        exact: list[NoteSpan] = []
        for reason_or_spans in (
            self._check_numbers(sentence),
            self._check_drugs(sentence, concepts),
            self._check_problems(concepts),
        ):
            if isinstance(reason_or_spans, str):
                return verdict(reason_or_spans)
            exact.extend(s for s in reason_or_spans if s not in exact)
        if not support:
            return verdict(f"no note sentence says this (closest similarity {best:.2f})")
        evidence.extend(s for s in exact if s not in evidence)
        negated = bool(claims.negation_cues_in(sentence, self.rules))
        if not any(s.negated == negated for s in support):
            return verdict(
                "the note states the opposite (it says this is absent)"
                if not negated
                else "the note does not say this is absent"
            )
        if self.mode != "patient":
            words = claims.content_words(sentence, _STOP)
            if words:
                known = sum(w[:5] in self._vocab for w in words)
                if known / len(words) < self.rules.content_overlap_abstractive:
                    missing = list(dict.fromkeys(w for w in words if w[:5] not in self._vocab))
                    missing = missing[:3]
                    return verdict(f"words not found in the note: {', '.join(missing)}")
        return verdict("")

    def _spans_containing(self, needle_lower: str) -> list[NoteSpan]:
        for s in self._sentences:
            if claims.contains_term(s.span.text.lower(), needle_lower) >= 0:
                return [s.span]
        return []

    def _check_numbers(self, sentence: str) -> str | list[NoteSpan]:
        spans: list[NoteSpan] = []
        found = claims.find_numbers(sentence, self.rules)
        found += claims.generated_number_words(sentence, self.rules)
        for claim in found:
            units = self._numbers.get(claim.value)
            if units is None:
                return f"the number {claim.shown} is not in the note"
            note_units = {u for u in units if u}
            if claim.unit and note_units and claim.unit not in note_units:
                shown = ", ".join(f"{claim.value} {u}" for u in sorted(note_units))
                return f"the note gives {shown}, not {claim.shown}"
            spans += self._spans_containing(sentence[claim.start : claim.end].lower())
        return spans

    def _drug_names(self, sentence: str, concepts: list[Any]) -> list[str]:
        lower = sentence.lower()
        names = [c.text for c in concepts if c.category == "medication"]
        names += [t for t in self._medication_terms if claims.contains_term(lower, t) >= 0]
        names += claims.drug_like_words(sentence, self.rules)
        return list(dict.fromkeys(n.strip() for n in names if n.strip()))

    def _check_drugs(self, sentence: str, concepts: list[Any]) -> str | list[NoteSpan]:
        spans: list[NoteSpan] = []
        for name in self._drug_names(sentence, concepts):
            head = name.lower()
            if claims.contains_term(self._corpus_lower, head) < 0:
                first = re.split(r"[\s\d]", head, maxsplit=1)[0]
                if len(first) < 4 or claims.contains_term(self._corpus_lower, first) < 0:
                    return f"the drug {name} is not in the note"
                head = first
            if head in self._allergens and not _ALLERGY_WORDS.search(sentence):
                return f"the note lists {name} as an allergy"
            contradiction = self._check_drug_status(name, concepts)
            if contradiction:
                return contradiction
            spans += self._spans_containing(head)
        return spans

    def _check_drug_status(self, name: str, concepts: list[Any]) -> str:
        """A drug the sentence calls taken must be taken in some note, and one it calls
        stopped must be stopped (or no longer taken) in some note: a summary that says
        "she takes metformin" when the note says it was discontinued, or only plans it
        ("if the A1c stays above 8, we will start metformin"), invents a medication."""
        lower = name.lower()
        said = {
            _CURRENT.get(c.assertion, "")
            for c in concepts
            if c.category == "medication" and _same_name(c.text, [lower])
        } - {"", "planned"}
        noted = {
            _CURRENT.get(c.assertion, "")
            for _, c in self._note_concepts
            if c.category == "medication" and _same_name(c.text, [lower])
        } - {""}
        if not said or not noted:
            return ""  # the sentence or the notes do not say either way
        if noted == {"planned"}:
            return f"the note only plans {name}; it does not say it was taken or stopped"
        if "taken" in said and "taken" not in noted:
            return f"the note says {name} was stopped or is not taken"
        if "stopped" in said and "stopped" not in noted:
            return f"the note lists {name} as taken, not stopped"
        return ""

    def _concepts_of(self, sentence: str) -> list[Any]:
        return list(getattr(_analyse(sentence), "concepts", []))

    def _check_problems(self, concepts: list[Any]) -> str | list[NoteSpan]:
        spans: list[NoteSpan] = []
        for concept in concepts:
            if concept.category not in PROBLEM_CATEGORIES:
                continue
            names = self._names_for(concept.text)
            matches = [
                (note, c)
                for note, c in self._note_concepts
                if c.category in PROBLEM_CATEGORIES and _same_name(c.text, names)
            ]
            said = concept.assertion
            if not matches:
                if any(claims.contains_term(self._corpus_lower, n) >= 0 for n in names):
                    continue  # in the note words; the negation check still applies
                return f"{concept.text} is not mentioned in the note"
            assertions = {c.assertion for _, c in matches}
            if said in _AFFIRMED and not assertions & _AFFIRMED:
                if "negated" in assertions:
                    return f"the note says there is no {concept.text}"
                if assertions & {"possible", "hypothetical"}:
                    return f"the note only says {concept.text} is possible"
                if "family" in assertions:
                    return f"in the note {concept.text} is family history, not the patient's"
            if said == "negated" and "negated" not in assertions:
                return f"the note records {concept.text}; it does not rule it out"
            note, c = matches[0]
            spans.append(note.span(c.start, c.end))
        return spans

    def _names_for(self, text: str) -> list[str]:
        """The problem's own words plus the clinical terms its plain words stand for."""
        lowered = text.lower().strip()
        names = [lowered]
        for clinical, plain_words in self.rules.lay_terms.items():
            if lowered in plain_words or clinical == lowered:
                names.append(clinical)
                names.extend(plain_words)
        return list(dict.fromkeys(names))


_LIST_PIECE = re.compile(r"[^,;]+")
_LONG_SENTENCE = 60


def _comparison_spans(note: SourceNote) -> list[NoteSpan]:
    """Note sentences, plus the comma-separated pieces of long ones (medication lists), so
    a short claim like "She takes Nexium 40 mg" can match the piece that says it."""
    spans = []
    # A note the sentence splitter found no sentence in is compared as one piece.
    for sentence in note.sentence_spans() or [note.span(0, len(note.text))]:
        spans.append(sentence)
        if len(sentence.text) > _LONG_SENTENCE:
            for piece in _LIST_PIECE.finditer(sentence.text):
                start = sentence.start + piece.start()
                span = note.span(start, start + len(piece.group(0)))
                if len(span.text.split()) >= 2:
                    spans.append(span)
    return spans


def _same_name(note_text: str, names: list[str]) -> bool:
    """A note mention names what one of ``names`` names (a problem or a drug): equal, or one
    contains the other as whole words ("metformin" in "metformin er")."""
    note_lower = note_text.lower().strip()
    return any(
        name == note_lower
        or claims.contains_term(note_lower, name) >= 0
        or claims.contains_term(name, note_lower) >= 0
        for name in names
    )


def _analyse(text: str) -> Any:
    from desktop.core.analysis.notes import analyse_note

    return analyse_note(text)
