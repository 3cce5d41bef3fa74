"""Sentence embeddings with a sentence-transformers style pack (plain transformers + pooling).

Rows are L2-normalised float32, so a dot product is the cosine similarity.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from desktop.core.errors import ClinicDeskError, InputError
from desktop.core.inference.pack_model import PackModel
from desktop.core.inference.worker import Priority
from desktop.core.provenance import Provenance
from desktop.core.tasks import CancelToken, ProgressFn

if TYPE_CHECKING:
    from desktop.core.inference.packs import InstalledPack

_BATCH = 32


@dataclass
class LoadedEncoder:
    model: Any
    tokenizer: Any
    max_seq_length: int
    pooling: str  # "mean", "cls" or "max"
    dimension: int


def _read_json(path: Any) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def load_sentence_encoder(pack: InstalledPack) -> LoadedEncoder:
    import torch
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # no console bars in the app or CLI
    try:
        tokenizer = AutoTokenizer.from_pretrained(pack.path, local_files_only=True)
        model = AutoModel.from_pretrained(pack.path, local_files_only=True, dtype=torch.float32)
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise ClinicDeskError(
            f"The model pack '{pack.id}' could not be loaded as a sentence encoder ({exc})."
        ) from exc
    model.eval()
    st_config = _read_json(pack.path / "sentence_bert_config.json")
    pooling_config = _read_json(pack.path / "1_Pooling" / "config.json")
    pooling = str(pack.manifest.runtime.get("pooling", "mean"))
    if pooling_config.get("pooling_mode_cls_token"):
        pooling = "cls"
    elif pooling_config.get("pooling_mode_max_tokens"):
        pooling = "max"
    max_len = int(pack.manifest.runtime.get("max_seq_length", st_config.get("max_seq_length", 256)))
    return LoadedEncoder(model, tokenizer, max_len, pooling, int(model.config.hidden_size))


def encode_texts(
    enc: LoadedEncoder, texts: list[str], cancel: CancelToken | None,
    progress: ProgressFn | None = None,
) -> np.ndarray:
    import torch

    # Batches of similar length: a batch is padded to its longest text, and a note's
    # sentences range from "Afebrile." to a paragraph (as sentence-transformers does).
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    ordered = [texts[i] for i in order]
    rows = []
    for start in range(0, len(ordered), _BATCH):
        if cancel is not None:
            cancel.raise_if_cancelled()
        if progress is not None:
            progress(start / len(ordered), "Comparing sentences")
        batch = enc.tokenizer(
            ordered[start : start + _BATCH], padding=True, truncation=True,
            max_length=enc.max_seq_length, return_tensors="pt",
        )
        with torch.inference_mode():
            hidden = enc.model(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        if enc.pooling == "cls":
            pooled = hidden[:, 0]
        elif enc.pooling == "max":
            pooled = hidden.masked_fill(mask == 0, -1e9).max(dim=1).values
        else:
            pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
        rows.append(torch.nn.functional.normalize(pooled, p=2, dim=1).float().numpy())
    if not rows:
        return np.zeros((0, enc.dimension), dtype=np.float32)
    vectors = np.empty((len(texts), enc.dimension), dtype=np.float32)
    vectors[order] = np.concatenate(rows)
    return vectors


class Embedder(PackModel):
    """Sentence embeddings with one pack (see ModelRuntime.embedder)."""

    @property
    def provenance(self) -> Provenance:
        return self.pack.provenance({"pooling": "mean", "normalised": True, "dtype": "float32"})

    def encode(
        self,
        texts: list[str],
        *,
        cancel: CancelToken | None = None,
        priority: int = Priority.NORMAL,
        progress: ProgressFn | None = None,
    ) -> np.ndarray:
        """``(len(texts), dim)`` float32, each row L2-normalised."""
        if isinstance(texts, str) or not all(isinstance(t, str) for t in texts):
            raise InputError("Embeddings need a list of texts.")
        texts = list(texts)
        return self._runtime.run_with_model(
            self.pack, lambda enc: encode_texts(enc, texts, cancel, progress),
            priority=priority, cancel=cancel, name=f"embed:{self.pack.id}",
        )
