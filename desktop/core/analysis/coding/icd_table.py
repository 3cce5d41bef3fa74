"""The ICD-10-CM table (from ``simple-icd-10-cm``): descriptions and codable leaves."""

from __future__ import annotations

from collections.abc import Mapping
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


def coded_as(code: str, priors: Mapping[str, float] | None = None) -> str:
    """The granularity to suggest ``code`` at: its codable leaf, unless coders in the
    training data assign the code itself more often (CodiEsp often codes e.g. ``C50``)."""
    leaf = preferred_leaf(code)
    if leaf == code:
        return code
    priors = coding_priors() if priors is None else priors
    return code if priors.get(code, 0.0) > priors.get(leaf, 0.0) else leaf


@lru_cache(maxsize=1)
def coding_priors() -> dict[str, float]:
    """Code -> share of CodiEsp train documents carrying it (empty if the file is absent)."""
    path = nlp_resources_dir() / "coding_priors.tsv"
    if not path.is_file():
        return {}
    return {code: int(n) / int(total) for code, n, total in read_table(path)}


@lru_cache(maxsize=1)
def table_vocabulary() -> frozenset[str]:
    """Every 3-character category plus the codes the curated term lists name."""
    codes = {c for c in icd.get_all_codes(True) if icd.is_category(c)}
    terms = nlp_resources_dir() / "terms"
    for row in read_table(terms / "common_clinical_terms.tsv"):
        codes.update(c for c in row[2].split("|") if c and icd.is_valid_item(c))
    for table in ("fracture_sites.tsv", "cancer_sites.tsv"):
        codes.update(row[1] for row in read_table(terms / table))
    codes.update(code for row in read_table(terms / "spine_conditions.tsv") for code in row[3:])
    return frozenset(codes)


@lru_cache(maxsize=1)
def embedding_vocabulary() -> tuple[str, ...]:
    """Codes whose descriptions are embedded for retrieval.

    ``table_vocabulary`` plus the codes seen in the CodiEsp train priors: ~3.8k
    descriptions instead of ~74k keeps the one-off encoding to about a minute on a 2-core
    machine; finer codes are reached from a category via ``preferred_leaf``, the lexical
    term index and the train-frequent siblings of a found code.
    """
    return tuple(sorted(table_vocabulary() | set(coding_priors())))


@lru_cache(maxsize=2)
def _prefix_map(name: str) -> dict[str, str]:
    return {prefix: code for prefix, code in read_table(nlp_resources_dir() / "terms" / name)}


def _longest_prefix(name: str, code: str) -> str | None:
    table = _prefix_map(name)
    for length in range(len(code), 2, -1):
        if code[:length] in table:
            return table[code[:length]]
    return None


def personal_history_code(code: str) -> str | None:
    """The Z85 code for a treated cancer no longer present (C55 -> Z85.42), if one fits."""
    return _longest_prefix("cancer_personal_history.tsv", code)


def past_condition_code(code: str) -> str | None:
    """The code ICD-10-CM gives a condition that is over (I21.9 -> I25.2 Old myocardial
    infarction, I82.409 -> Z86.718), if one fits; cancers are ``personal_history_code``'s."""
    return _longest_prefix("past_condition_codes.tsv", code)


# ICD-10-CM's neoplasm chapter by behaviour (the Neoplasm Table's columns), and Z85 for a
# malignancy that is over: C77-C79 and C7B are secondary, C00-C96 otherwise primary.
_BEHAVIOURS = (("C77", "C79", "secondary"), ("C7B", "C7B", "secondary"),
               ("C00", "C96", "malignant"), ("D00", "D09", "in situ"),
               ("D10", "D36", "benign"), ("D3A", "D3A", "benign"),
               ("D37", "D48", "uncertain"), ("D49", "D49", "unspecified"),
               ("Z85", "Z85", "history"))


def neoplasm_behaviour(code: str) -> str | None:
    """"malignant", "secondary", "in situ", "benign", "uncertain", "unspecified" or
    "history" (Z85) for a neoplasm's code; None for any other code."""
    category = code[:3].upper()
    return next((b for low, high, b in _BEHAVIOURS if low <= category <= high), None)
