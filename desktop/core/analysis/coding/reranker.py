"""Score candidate codes with boosted trees learned on CodiEsp train (not dev).

The model (``resources/nlp/coding_reranker.json``, built by bench/build_coding_reranker.py)
maps each candidate's evidence — how it was found, how well the text matches, how often
coders assign the code and keep it when found this way (``evidence_rates``), what the whole
case suggests (``case_model``) — to the probability that a human coder would assign it.
There are two weight sets: one for the full coder and one for the term index alone.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from desktop.core.analysis.coding.candidates import CodeCandidate
from desktop.core.analysis.coding.evidence_rates import EvidenceRates
from desktop.core.analysis.coding.icd_table import description
from desktop.core.analysis.notes.rule_files import nlp_resources_dir
from desktop.core.errors import NotAvailableError

MODEL_FILE = "coding_reranker.json"
CHAPTERS = "ABCDEFGHIJKLMNOPQRSTVWXYZ"


def feature_rows(cands: list[CodeCandidate], priors: Mapping[str, float],
                 text_length: int, rates: EvidenceRates) -> tuple[list[str], np.ndarray]:
    """Feature names and one row per candidate (same order)."""
    if not cands:
        return [], np.zeros((0, 0))
    best_concept = max(c.concept_cosine for c in cands)
    best_sentence = max(c.sentence_cosine for c in cands)
    category_prior: dict[str, float] = {}
    for code, share in priors.items():
        category_prior[code[:3]] = category_prior.get(code[:3], 0.0) + share
    in_category: dict[str, int] = {}
    for c in cands:
        in_category[c.code[:3]] = in_category.get(c.code[:3], 0) + 1
    rows = []
    for c in cands:
        share = priors.get(c.code, 0.0)
        sentence = c.sentence_cosine > 0
        f = {
            "lexical": c.lexical,
            "has_lexical": float(c.lexical > 0),
            "concept_cosine": c.concept_cosine,
            "concept_gap": best_concept - c.concept_cosine if c.concept_cosine else 0.0,
            "sentence_cosine": c.sentence_cosine,
            "sentence_gap": best_sentence - c.sentence_cosine if sentence else 0.0,
            "sentence_top": 1.0 / (1 + c.sentence_rank) if sentence else 0.0,
            "sentence_only": float(c.sources == {"sentence"}),
            "exemplar_cosine": c.exemplar_cosine,
            "exemplar_votes": float(c.exemplar_votes),
            "phrase_precision": c.phrase_precision,
            "phrase_log_lift": math.log(c.phrase_lift),
            "phrases": float(c.phrase_count),
            "log_mentions": math.log(c.mentions),
            "present": float(c.present),
            "problem": float(c.problem),
            "prior_log": math.log(share + 1e-3),
            "prior_seen": float(share > 0),
            "category_prior_log": math.log(category_prior.get(c.code[:3], 0.0) + 1e-3),
            "category_candidates": float(in_category[c.code[:3]]),
            "note_candidates": math.log(len(cands)),
            "lexical_x_prior": c.lexical * math.log(share + 1e-3),
            "sentence_x_prior": c.sentence_cosine * float(share > 0),
            "concept_x_prior": c.concept_cosine * float(share > 0),
            "sibling": float(c.sibling),
            "sibling_x_prior": float(c.sibling) * math.log(share + 1e-3),
            "depth": len(c.code.replace(".", "")) - 3,
            "unspecified": float("unspecified" in description(c.code).lower()),
            "position": c.first_offset / max(text_length, 1),
            "case_score": c.case_score,
            **rates.features(c),
        }
        for letter in CHAPTERS:
            f[f"chapter_{letter}"] = float(c.code.startswith(letter))
        rows.append(f)
    names = list(rows[0])
    return names, np.array([[r[n] for n in names] for r in rows], dtype=np.float64)


@dataclass(frozen=True)
class TreeEnsemble:
    """Gradient-boosted trees: each node is (feature, threshold, left, right, value);
    a leaf has feature -1. Score = sigmoid(baseline + sum of the reached leaves' values)."""

    features: tuple[str, ...]
    baseline: float
    trees: tuple[np.ndarray, ...]  # (nodes, 5) float arrays

    def raw_scores(self, rows: np.ndarray) -> np.ndarray:
        total = np.full(len(rows), self.baseline)
        picks = np.arange(len(rows))
        for nodes in self.trees:
            at = np.zeros(len(rows), dtype=np.int64)
            while True:
                feature = nodes[at, 0].astype(np.int64)
                inner = feature >= 0
                if not inner.any():
                    break
                left = rows[picks, np.where(inner, feature, 0)] <= nodes[at, 1]
                step = np.where(left, nodes[at, 2], nodes[at, 3]).astype(np.int64)
                at = np.where(inner, step, at)
            total += nodes[at, 4]
        return total

    def probabilities(self, names: list[str], rows: np.ndarray) -> np.ndarray:
        if not len(rows):
            return np.zeros(0)
        if tuple(names) != self.features:
            raise NotAvailableError("The ICD coding model does not match this version of "
                                    "ClinicDesk. Ask IT to reinstall ClinicDesk.")
        return 1.0 / (1.0 + np.exp(-self.raw_scores(rows)))


@lru_cache(maxsize=2)
def load_model(variant: str) -> TreeEnsemble:
    """``variant`` is "full" (with embeddings) or "lexical" (term index only)."""
    path = nlp_resources_dir() / MODEL_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        part = data["models"][variant]
        return TreeEnsemble(tuple(data["features"]), float(part["baseline"]),
                            tuple(np.array(t, dtype=np.float64) for t in part["trees"]))
    except (OSError, KeyError, ValueError) as exc:
        raise NotAvailableError("The ICD coding model (resources/nlp/coding_reranker.json) "
                                "is missing or damaged. Ask IT to reinstall ClinicDesk.") from exc
