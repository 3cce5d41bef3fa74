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
# The file's units are lower-case for matching; shown as laboratories write them.
UNIT_DISPLAY = {"meq/l": "mEq/L", "mmol/l": "mmol/L", "mg/dl": "mg/dL", "g/dl": "g/dL",
                "g/l": "g/L", "umol/l": "\u00b5mol/L", "\u00b5mol/l": "\u00b5mol/L", "u/l": "U/L",
                "iu/l": "IU/L", "k/ul": "K/\u00b5L", "x10^9/l": "\u00d710\u2079/L",
                "miu/l": "mIU/L", "uiu/ml": "\u00b5IU/mL"}


Intervals = dict[str, dict[str, tuple[float, float]]]


@lru_cache(maxsize=1)
def _intervals() -> tuple[Intervals, Intervals]:
    """(intervals normal for any adult, outer limits normal for some adult)."""
    try:
        data = json.loads((nlp_resources_dir() / INTERVALS_FILE).read_text("utf-8"))

        def table(key: str) -> Intervals:
            return {term: {unit: (float(low), float(high)) for unit, (low, high) in units.items()}
                    for term, units in data[key].items()}

        return table("intervals"), table("outer")
    except (OSError, KeyError, TypeError, ValueError) as exc:
        raise NotAvailableError(
            f"The lab reference intervals (resources/nlp/{INTERVALS_FILE}) are missing or "
            "damaged. Ask IT to reinstall ClinicDesk.") from exc


def _judged(concept: Concept, outer: bool = False
            ) -> tuple[float, tuple[float, float], str] | None:
    """The result's value, its adult interval (or outer limits) and the unit it was read in."""
    if concept.category != "lab" or concept.value is None:
        return None
    intervals, limits = _intervals()
    units = intervals.get(concept.term or "")
    if outer and concept.term in limits:
        units = limits[concept.term or ""]
    if units is None:
        return None
    unit = re.sub(r"\s+", "", (concept.unit or "").lower())
    interval = units.get(unit)
    try:
        value = float(concept.value)
    except ValueError:
        return None
    if interval is None:
        return None
    if not unit:  # the conventional unit: the listed one with the same interval
        unit = next((u for u, i in units.items() if u and i == interval), "")
    return value, interval, unit


def is_normal_lab(concept: Concept) -> bool:
    """True only for a lab result inside its adult reference interval, in a listed unit (no
    unit: the conventional one)."""
    judged = _judged(concept)
    return judged is not None and judged[1][0] <= judged[0] <= judged[1][1]


def out_of_range_note(concept: Concept, written: str | None = None) -> str | None:
    """"low: below 8.5 mg/dL, the adult reference limit" for a result outside the limits
    normal for any adult (a woman's hemoglobin of 13 is no "low"), else None.

    ``written`` is the whole number as the note writes it when the concept's value is only
    its first digits ("white count of 41,900": 41.9 K/uL, not 41).
    """
    judged = _judged(concept, outer=True)
    if judged is None:
        return None
    value, (low, high), unit = judged
    if written:
        try:
            value = float(written.replace(",", ""))
        except ValueError:
            return None
        if "," in written and unit == "k/ul":
            value /= 1000  # counts per microlitre, the interval in thousands
    if low <= value <= high:
        return None
    side, limit = ("low: below", low) if value < low else ("high: above", high)
    unit = UNIT_DISPLAY.get(unit, unit)
    gap = "" if unit in ("%", "") else " "
    return f"{side} {limit:g}{gap}{unit}, the adult reference limit"
