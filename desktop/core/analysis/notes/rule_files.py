"""Where the clinical rule and term files live, and a checksum of them for provenance."""

from __future__ import annotations

import hashlib
import re
import sys
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from desktop.core.errors import NotAvailableError


def nlp_resources_dir() -> Path:
    """``resources/nlp`` beside the package (source tree) or inside a PyInstaller bundle."""
    bundle = getattr(sys, "_MEIPASS", None)
    candidates = [Path(bundle) / "resources" / "nlp"] if bundle else []
    candidates.append(Path(__file__).resolve().parents[4] / "resources" / "nlp")
    for candidate in candidates:
        if (candidate / "section_rules.json").is_file():
            return candidate
    raise NotAvailableError(
        "The clinical rule files (resources/nlp) are missing from this installation. "
        "Ask IT to reinstall ClinicDesk."
    )


RULE_FILES = (
    "section_rules.json",
    "context_rules.json",
    "measurement_rules.json",
    "lab_reference_intervals.json",
    "terms/icd10cm_terms.tsv",
    "terms/common_clinical_terms.tsv",
    "terms/case_sensitive_terms.tsv",
    "terms/pain_sites.tsv",
    "terms/fracture_sites.tsv",
    "terms/cancer_sites.tsv",
    "terms/tumor_sites.tsv",
    "terms/cellulitis_sites.tsv",
    "terms/osteoarthritis_sites.tsv",
    "terms/abscess_sites.tsv",
    "terms/foreign_body_sites.tsv",
    "terms/laceration_sites.tsv",
    "terms/abrasion_sites.tsv",
    "terms/contusion_sites.tsv",
    "terms/sprain_sites.tsv",
    "terms/injury_sites.tsv",
    "terms/sex_specific_codes.tsv",
    "terms/spine_conditions.tsv",
    "terms/body_sites.tsv",
    "terms/mucosal_findings.tsv",
    "terms/organ_words.txt",
    "terms/condition_synonyms.tsv",
    "terms/cancer_personal_history.tsv",
    "terms/past_condition_codes.tsv",
    "terms/problem_names.tsv",
    "terms/medications.txt",
    "terms/procedures.txt",
    "terms/allergens.tsv",
    "differential.json",
    "coding_priors.tsv",
    "coding_exemplars.npz",
    "coding_lexicon.tsv",
    "coding_reranker.json",
    "coding_evidence_rates.json",
    "coding_case_model.npz",
)


@lru_cache(maxsize=1)
def rules_checksum() -> str:
    """sha256 over every rule file, so a stored result names the exact rules that made it."""
    digest = hashlib.sha256()
    base = nlp_resources_dir()
    for name in RULE_FILES:
        digest.update(name.encode())
        try:
            digest.update((base / name).read_bytes())
        except OSError as exc:
            raise NotAvailableError(
                f"The clinical rule file resources/nlp/{name} is missing or unreadable. "
                "Ask IT to reinstall ClinicDesk.") from exc
    return digest.hexdigest()


def read_table(path: Path) -> list[list[str]]:
    """Rows of a tab-separated (or one-column) term file, skipping ``#`` comments and blanks."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            rows.append(line.split("\t"))
    return rows


def words_pattern(words: Iterable[str]) -> re.Pattern[str]:
    """Any of a term file's words, whole, in the singular or with a plural "s"/"es", a
    multi-word one across any spaces ("chest  wall", "vocal\ncord")."""
    alternatives = "|".join(re.escape(w.strip()).replace(r"\ ", r"\s+")
                            for w in sorted(words, key=len, reverse=True) if w.strip())
    return re.compile(rf"\b(?:{alternatives})(?:e?s)?\b", re.IGNORECASE)
