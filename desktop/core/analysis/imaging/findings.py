"""Per-pathology probabilities -> likely / possible / unlikely, using each label's operating points.

* likely: probability at or above the label's PPV-80% point (TorchXRayVision published
  these for densenet121-res224-all), or, for models without one, a calibrated score of at
  least ``LIKELY_SCORE`` (well past the operating point);
* possible: at or above the operating point (``op_threshs``, calibrated score >= 0.5);
* unlikely: below it.
A label whose operating point is NaN was not learned by the model and is left out rather
than reported as unlikely.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

LIKELY, POSSIBLE, UNLIKELY = "likely", "possible", "unlikely"
LIKELY_SCORE = 0.75
_ORDER = {LIKELY: 0, POSSIBLE: 1, UNLIKELY: 2}
DISPLAY_NAMES = {
    "Pleural_Thickening": "Pleural thickening",
    "Lung Lesion": "Lung lesion",
    "Lung Opacity": "Lung opacity",
    "Enlarged Cardiomediastinum": "Enlarged cardiomediastinum",
}


@dataclass(frozen=True)
class Finding:
    index: int  # position in the model's outputs
    label: str  # the model's label, e.g. "Pleural_Thickening"
    category: str
    probability: float
    score: float  # calibrated: 0.5 at the operating point
    operating_point: float

    @property
    def display_name(self) -> str:
        return DISPLAY_NAMES.get(self.label, self.label)

    @property
    def detail(self) -> str:
        return (
            f"{self.category.capitalize()}: model probability {self.probability:.2f} "
            f"(this label's operating point is {self.operating_point:.3f})"
        )


def categorise(
    probability: float, score: float, op_thresh: float, ppv80: float | None
) -> str:
    if ppv80 is not None and not math.isnan(ppv80):
        if probability >= ppv80:
            return LIKELY
    elif score >= LIKELY_SCORE:
        return LIKELY
    return POSSIBLE if probability >= op_thresh else UNLIKELY


def rank_findings(
    labels: tuple[str, ...],
    probabilities: np.ndarray,
    scores: np.ndarray,
    op_threshs: np.ndarray,
    ppv80_threshs: np.ndarray | None,
) -> list[Finding]:
    """Assessed labels, likely first, then by calibrated score."""
    findings = []
    for i, label in enumerate(labels):
        op = float(op_threshs[i])
        if not label or math.isnan(op):
            continue
        ppv80 = None if ppv80_threshs is None else float(ppv80_threshs[i])
        prob, score = float(probabilities[i]), float(scores[i])
        findings.append(Finding(i, label, categorise(prob, score, op, ppv80), prob, score, op))
    return sorted(findings, key=lambda f: (_ORDER[f.category], -f.score))
