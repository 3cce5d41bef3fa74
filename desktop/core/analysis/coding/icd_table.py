"""The ICD-10-CM table (from ``simple-icd-10-cm``): descriptions and codable leaves."""

from __future__ import annotations

from functools import lru_cache

import simple_icd_10_cm as icd

from desktop.core.analysis.notes.rule_files import nlp_resources_dir, read_table


def normalise(code: str) -> str | None:
    """``"j189"``/``"J18.9"`` -> ``"J18.9"``; None when not an ICD-10-CM code."""
    code = code.strip().upper()
    if not code:
        return None
    if not icd.is_valid_item(code):
        return None
    return icd.add_dot(code)


def description(code: str) -> str:
    return icd.get_description(code)


@lru_cache(maxsize=4096)
def preferred_leaf(code: str) -> str:
    """A codable leaf for ``code``: itself, else its "unspecified" child (J18 -> J18.9)."""
    if icd.is_leaf(code):
        return code
    children = icd.get_children(code)
    if not children:
        return code
    unspecified = [c for c in children if "unspecified" in icd.get_description(c).lower()]
    chosen = sorted(unspecified or children, key=lambda c: (not c.endswith("9"), len(c), c))[0]
    return preferred_leaf(chosen)


@lru_cache(maxsize=1)
def coding_priors() -> dict[str, float]:
    """Code -> share of CodiEsp train documents carrying it (empty if the file is absent)."""
    path = nlp_resources_dir() / "coding_priors.tsv"
    if not path.is_file():
        return {}
    return {code: int(n) / int(total) for code, n, total in read_table(path)}


@lru_cache(maxsize=1)
def embedding_vocabulary() -> tuple[str, ...]:
    """Codes whose descriptions are embedded for retrieval.

    Every 3-character category plus the codes seen in the priors and the curated term list:
    ~3.8k descriptions instead of ~74k keeps the one-off encoding to about a minute on a
    2-core machine; finer codes are reached from a category via ``preferred_leaf`` and the
    lexical term index.
    """
    codes = {c for c in icd.get_all_codes(True) if icd.is_category(c)}
    codes.update(coding_priors())
    for row in read_table(nlp_resources_dir() / "terms" / "common_clinical_terms.tsv"):
        codes.update(c for c in row[2].split("|") if c and icd.is_valid_item(c))
    return tuple(sorted(codes))
