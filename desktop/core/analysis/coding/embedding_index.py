"""Embedding retrieval over ICD-10-CM descriptions, with the table's vectors cached on disk.

The vectors depend only on the public ICD table and the embedder's weights, so the cache
(plain .npy under ``<data_dir>/cache``) holds no patient data; its name carries the
embedder checksum and a hash of the vocabulary, so a new model or table rebuilds it.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from pathlib import Path

import numpy as np

from desktop.core.analysis.coding.icd_table import description, embedding_vocabulary
from desktop.core.tasks import CancelToken, ProgressFn

log = logging.getLogger(__name__)
_memo: dict[str, np.ndarray] = {}
_memo_lock = threading.Lock()
_CHUNK = 256


class IcdEmbeddingIndex:
    def __init__(self, embedder, cache_dir: Path) -> None:
        self.embedder = embedder
        self.codes = embedding_vocabulary()
        vocab_hash = hashlib.sha256("\n".join(self.codes).encode()).hexdigest()[:12]
        checksum = embedder.provenance.checksum[:16]
        self.key = f"icd10cm-{checksum}-{vocab_hash}"
        self.cache_path = cache_dir / f"{self.key}.npy"
        self._matrix: np.ndarray | None = None

    def matrix(self, progress: ProgressFn | None = None,
               cancel: CancelToken | None = None) -> np.ndarray:
        if self._matrix is not None:
            return self._matrix
        with _memo_lock:
            cached = _memo.get(self.key)
        if cached is None:
            cached = self._load_or_build(progress, cancel)
            with _memo_lock:
                _memo[self.key] = cached
        self._matrix = cached
        return cached

    def _load_or_build(self, progress, cancel) -> np.ndarray:
        if self.cache_path.is_file():
            try:
                data = np.load(self.cache_path)
                if data.shape[0] == len(self.codes):
                    return data
            except (OSError, ValueError):
                log.warning("ICD embedding cache unreadable; rebuilding %s", self.cache_path.name)
        log.info("Encoding %d ICD-10-CM descriptions (one-off)", len(self.codes))
        texts = [description(code) for code in self.codes]
        parts = []
        for start in range(0, len(texts), _CHUNK):
            if cancel is not None:
                cancel.raise_if_cancelled()
            if progress is not None:
                progress(start / len(texts), "Preparing the ICD-10-CM index (first use only)")
            parts.append(self.embedder.encode(texts[start:start + _CHUNK], cancel=cancel))
        data = np.concatenate(parts).astype(np.float32)
        self.cache_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.cache_path.with_suffix(".partial.npy")
        np.save(tmp, data)
        tmp.replace(self.cache_path)  # atomic: a crash never leaves a half-written cache
        return data

    def search(self, vectors: np.ndarray, k: int) -> list[list[tuple[str, float]]]:
        """Top-``k`` (code, cosine) per row of ``vectors`` (rows L2-normalised)."""
        matrix = self.matrix()
        sims = vectors @ matrix.T
        k = min(k, matrix.shape[0])
        top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        results = []
        for row, idx in zip(sims, top, strict=True):
            order = idx[np.argsort(-row[idx])]
            results.append([(self.codes[i], float(row[i])) for i in order])
        return results
