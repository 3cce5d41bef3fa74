"""How often CodiEsp coders kept a candidate code found with the same evidence.

Counted on the train split's candidates (bench/build_coding_reranker.py), per key: the code,
its category, the code with or without a naming term, the code with the set of sources that
found it, and the code with each term or phrase that supports it ("pain" -> R52 is kept far
less often than "renal colic" -> N23). The re-ranker reads these rates as features, which
tells it which evidence coders trust for which code. The file holds codes, short terms and
counts only (``resources/nlp/coding_evidence_rates.json``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from desktop.core.analysis.coding.candidates import CodeCandidate
from desktop.core.analysis.notes.rule_files import nlp_resources_dir
from desktop.core.errors import NotAvailableError

RATES_FILE = "coding_evidence_rates.json"
KINDS = ("code", "category", "code_lexical", "signature", "term")
# Pseudo-counts at the base rate: a key seen once says little.
SMOOTHING = 2.0
SEEN_PER_CASES = 100  # "seen" features count per 100 train cases, whatever was counted


def evidence_keys(cand: CodeCandidate) -> dict[str, list[str]]:
    """Per kind, the keys a candidate is counted under (a term key per supporting term)."""
    terms = sorted({s.text.lower() for s in cand.concepts if s.category != "sentence"})
    return {
        "code": [cand.code],
        "category": [cand.code[:3]],
        "code_lexical": [f"{cand.code}|{int(cand.lexical > 0)}"],
        "signature": [f"{cand.code}|{'+'.join(sorted(cand.sources))}"],
        "term": [f"{cand.code}|{t}" for t in terms] or [f"{cand.code}|"],
    }


@dataclass(frozen=True)
class EvidenceRates:
    """Per kind and key: (candidates kept by coders, candidates seen)."""

    base: float  # share of all candidates that coders kept
    cases: int  # train cases counted
    counts: dict[str, dict[str, tuple[int, int]]]

    @classmethod
    def count(cls, labelled: Iterable[tuple[CodeCandidate, bool]], cases: int
              ) -> EvidenceRates:
        counts: dict[str, dict[str, list[int]]] = {kind: {} for kind in KINDS}
        kept = seen = 0
        for cand, is_gold in labelled:
            kept, seen = kept + is_gold, seen + 1
            for kind, keys in evidence_keys(cand).items():
                for key in keys:
                    entry = counts[kind].setdefault(key, [0, 0])
                    entry[0] += is_gold
                    entry[1] += 1
        return cls(kept / max(seen, 1), cases,
                   {kind: {k: (v[0], v[1]) for k, v in table.items()}
                    for kind, table in counts.items()})

    def features(self, cand: CodeCandidate) -> dict[str, float]:
        """``<kind>_rate`` (smoothed share kept; the best of a candidate's terms) and
        ``<kind>_seen`` (log of how often that key was seen per 100 cases)."""
        out = {}
        per = SEEN_PER_CASES / max(self.cases, 1)
        for kind, keys in evidence_keys(cand).items():
            table = self.counts[kind]
            rate, seen = max(((kept + SMOOTHING * self.base) / (n + SMOOTHING), n)
                             for kept, n in (table.get(key, (0, 0)) for key in keys))
            out[f"{kind}_rate"] = rate
            out[f"{kind}_seen"] = math.log1p(seen * per)
        return out

    def to_json(self) -> dict:
        return {"base": self.base, "cases": self.cases, "smoothing": SMOOTHING,
                "counts": {kind: {k: list(v) for k, v in sorted(table.items())}
                           for kind, table in self.counts.items()}}


@lru_cache(maxsize=1)
def evidence_rates() -> EvidenceRates:
    path = nlp_resources_dir() / RATES_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return EvidenceRates(float(data["base"]), int(data["cases"]),
                             {kind: {k: (int(v[0]), int(v[1])) for k, v in
                                     data["counts"][kind].items()} for kind in KINDS})
    except (OSError, KeyError, ValueError, TypeError, IndexError) as exc:
        raise NotAvailableError(f"The ICD coding statistics (resources/nlp/{RATES_FILE}) are "
                                "missing or damaged. Ask IT to reinstall ClinicDesk.") from exc
