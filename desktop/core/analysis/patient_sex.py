"""The patient's sex as the chart or the note gives it, and codes that apply to one sex only
(``terms/sex_specific_codes.tsv``): "N40.0 Benign prostatic hyperplasia" is no suggestion
for a woman, an ectopic pregnancy no condition to consider for a man."""

from __future__ import annotations

import re
from functools import lru_cache

from desktop.core.analysis.notes.rule_files import nlp_resources_dir, read_table

SEX_WORDS = {"woman": "female", "female": "female", "girl": "female", "lady": "female",
             "man": "male", "male": "male", "boy": "male", "gentleman": "male",
             # neurology's "8y/o RHM": right- (left-) handed male (female)
             "rhm": "male", "lhm": "male", "rhf": "female", "lhf": "female"}
# "a 73-year-old female", "This 23-year-old African American woman", "a 45 y/o RHF": the
# patient's own words
STATED = re.compile(
    r"\b\d{1,3}[- ]?(?:(?:year|yr|month|week|day)s?[- ]old|yo\b|y/o|y\.o\.)\s*"
    rf"(?:[a-z-]+\s+){{0,3}}?({'|'.join(SEX_WORDS)})\b", re.IGNORECASE)


@lru_cache(maxsize=1)
def _sex_of_prefixes() -> tuple[tuple[str, str], ...]:
    rows = read_table(nlp_resources_dir() / "terms" / "sex_specific_codes.tsv")
    return tuple((prefix, sex) for prefix, sex in rows)


# "Her husband, a 45-year-old man, ...": a relative's age and sex, not the patient's.
RELATIVE_BEFORE = re.compile(
    r"\b(?:husband|wife|partner|spouse|boyfriend|girlfriend|sons?|daughters?|brothers?|"
    r"sisters?|father|mother|child|grand\w+)\b[^.]{0,30}$", re.IGNORECASE)


def stated_sex(text: str) -> str | None:
    """"female" or "male" by the note's first age-and-sex phrase about the patient."""
    for match in STATED.finditer(text):
        if not RELATIVE_BEFORE.search(text[max(0, match.start() - 40):match.start()]):
            return SEX_WORDS[match.group(1).lower()]
    return None


def patient_sex(text: str, record_sex: str | None = None) -> str | None:
    """The chart's sex when it is female or male, else the one the note states."""
    return record_sex if record_sex in ("female", "male") else stated_sex(text)


def for_other_sex(code: str, sex: str | None) -> bool:
    """Whether ``code`` applies only to the sex that is not ``sex`` (False without one)."""
    return sex is not None and any(code.startswith(prefix) and only != sex
                                   for prefix, only in _sex_of_prefixes())


def sex_mismatch_notice(text: str, record_sex: str | None) -> str | None:
    """A note whose stated sex the chart contradicts may be another patient's."""
    stated = stated_sex(text)
    if record_sex not in ("female", "male") or stated is None or stated == record_sex:
        return None
    return (f"Check the patient: the note describes the patient as {stated}, but this chart "
            f"records {record_sex}.")
