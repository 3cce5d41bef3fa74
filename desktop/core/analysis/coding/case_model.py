"""Which codes a whole case suggests, from the gist of the patient's own sentences.

One logistic regression per code that at least three CodiEsp train cases carry, over the
mean MiniLM vector of a note's patient sentences (``candidates.patient_sentences``). Fitted
by bench/build_coding_reranker.py and shipped as weights only
(``resources/nlp/coding_case_model.npz``). It proposes no code: it is one more feature for
the candidates the note's own spans already support. Made with the default MiniLM pack; with
another sentence model it is not used.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from desktop.core.analysis.notes.rule_files import nlp_resources_dir
from desktop.core.errors import NotAvailableError

log = logging.getLogger(__name__)
MODEL_FILE = "coding_case_model.npz"
NO_MODEL = -1.0  # feature value for a code without a model (or no usable embedder)


def note_direction(vectors: np.ndarray) -> np.ndarray:
    """The L2-normalised mean of a note's sentence vectors."""
    mean = vectors.mean(axis=0)
    return mean / (np.linalg.norm(mean) + 1e-9)


@dataclass(frozen=True)
class CaseModel:
    codes: tuple[str, ...]
    weights: np.ndarray  # (codes, dims)
    bias: np.ndarray  # (codes,)
    embedder_checksum: str

    def scores(self, sentence_vectors: np.ndarray) -> dict[str, float]:
        """Code -> probability that coders assign it to a note with these sentences."""
        logits = self.weights @ note_direction(sentence_vectors) + self.bias
        probs = 1.0 / (1.0 + np.exp(-logits))
        return dict(zip(self.codes, probs.tolist(), strict=True))

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {"codes": np.array(self.codes), "weights": self.weights.astype(np.float32),
                "bias": self.bias.astype(np.float32),
                "embedder_checksum": np.array(self.embedder_checksum)}


@lru_cache(maxsize=1)
def shipped_case_model() -> CaseModel:
    path = nlp_resources_dir() / MODEL_FILE
    try:
        with np.load(path, allow_pickle=False) as data:
            return CaseModel(tuple(str(c) for c in data["codes"]), data["weights"],
                             data["bias"], str(data["embedder_checksum"]))
    except (OSError, KeyError, ValueError) as exc:
        raise NotAvailableError(f"The ICD case model (resources/nlp/{MODEL_FILE}) is missing "
                                "or damaged. Ask IT to reinstall ClinicDesk.") from exc


def case_model_for(embedder) -> CaseModel | None:
    """The shipped model if it was made with ``embedder``'s weights, else None."""
    if embedder is None:
        return None
    model = shipped_case_model()
    if model.embedder_checksum != embedder.provenance.checksum:
        log.warning("Case-level coding model was made with another sentence model; not used")
        return None
    return model
