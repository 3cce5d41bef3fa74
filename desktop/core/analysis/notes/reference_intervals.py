"""Whether a lab result is clearly normal, from curated adult reference intervals.

``resources/nlp/lab_reference_intervals.json`` holds, per lab term and unit, the interval
normal for any adult (the overlap of men's and women's). A result is judged only when its
unit is listed: "creatinine 1.1 mg/dl" is normal, "creatinine 3.4 mg/dl" and "creatinine
1.1 mmol/l" are not judged normal. A result with no unit, as transcribed notes mostly write
them ("potassium 4.1", "total bilirubin 0.6"), is read in the conventional U.S. unit: the
other units' normal values are of another magnitude, so it cannot be mistaken.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache

from desktop.core.analysis.notes.note_analysis import Concept
from desktop.core.analysis.notes.rule_files import nlp_resources_dir
from desktop.core.errors import NotAvailableError

INTERVALS_FILE = "lab_reference_intervals.json"


@lru_cache(maxsize=1)
def _intervals() -> dict[str, dict[str, tuple[float, float]]]:
    try:
        data = json.loads((nlp_resources_dir() / INTERVALS_FILE).read_text("utf-8"))
        return {term: {unit: (float(low), float(high)) for unit, (low, high) in units.items()}
                for term, units in data["intervals"].items()}
    except (OSError, KeyError, TypeError, ValueError) as exc:
        raise NotAvailableError(
            f"The lab reference intervals (resources/nlp/{INTERVALS_FILE}) are missing or "
            "damaged. Ask IT to reinstall ClinicDesk.") from exc


def is_normal_lab(concept: Concept) -> bool:
    """True only for a lab result inside its adult reference interval, in a listed unit (no
    unit: the conventional one)."""
    if concept.category != "lab" or concept.value is None:
        return False
    units = _intervals().get(concept.term or "")
    if units is None:
        return False
    unit = re.sub(r"\s+", "", (concept.unit or "").lower())
    interval = units.get(unit)
    try:
        value = float(concept.value)
    except ValueError:
        return False
    return interval is not None and interval[0] <= value <= interval[1]
