"""Embedding retrieval tables for coding, with their vectors cached on disk.

Two tables: ICD-10-CM descriptions, and English example sentences from CodiEsp train cases
aligned to their codes. The description vectors depend only on public texts and the
embedder's weights, so their cache (plain .npy under ``<data_dir>/cache``) holds no patient
data; its name carries the embedder checksum and a hash of the texts, so a new model or
table rebuilds it. The example sentences ship only as MiniLM vectors with their codes
(``resources/nlp/coding_exemplars.npz``), not as text: they are the corpus's, not ours.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from functools import lru_cache
from pathlib import Path

import numpy as np

from desktop.core.analysis.coding.icd_table import description, embedding_vocabulary
from desktop.core.analysis.notes.rule_files import nlp_resources_dir
from desktop.core.tasks import CancelToken, ProgressFn

log = logging.getLogger(__name__)
_memo: dict[str, np.ndarray] = {}
_memo_lock = threading.Lock()
_CHUNK = 256


class EmbeddingTable:
    """Rows of ``texts`` each labelled with a code; search returns (code, cosine) pairs."""

    label = "Preparing the ICD-10-CM index (first use only)"

    def __init__(self, embedder, cache_dir: Path, name: str, codes: tuple[str, ...],
                 texts: tuple[str, ...], digest_of: tuple[str, ...]) -> None:
        self.embedder = embedder
        self.codes = codes
        self.texts = texts
        table_hash = hashlib.sha256("\n".join(digest_of).encode()).hexdigest()[:12]
        checksum = embedder.provenance.checksum[:16]
        self.family = f"{name}-{checksum}"  # this table with these weights, any term lists
        self.key = f"{self.family}-{table_hash}"
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
        self._remove_superseded()  # also when another table in this process loaded it
        return cached

    def _load_or_build(self, progress, cancel) -> np.ndarray:
        if self.cache_path.is_file():
            try:
                data = np.load(self.cache_path)
                if data.shape[0] == len(self.texts):
                    return data
            except (OSError, ValueError):
                log.warning("Coding embedding cache unreadable; rebuilding %s",
                            self.cache_path.name)
        log.info("Encoding %d texts for %s (one-off)", len(self.texts), self.key)
        parts = []
        for start in range(0, len(self.texts), _CHUNK):
            if cancel is not None:
                cancel.raise_if_cancelled()
            if progress is not None:
                progress(start / len(self.texts), self.label)
            parts.append(self.embedder.encode(list(self.texts[start:start + _CHUNK]),
                                              cancel=cancel))
        data = np.concatenate(parts).astype(np.float32)
        self.cache_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.cache_path.with_suffix(".partial.npy")
        np.save(tmp, data)
        tmp.replace(self.cache_path)  # atomic: a crash never leaves a half-written cache
        return data

    def _remove_superseded(self) -> None:
        """Delete this table's caches for other term lists with the same weights: each upgrade
        that adds codes writes a new one (about 6 MB), and nothing reads the old ones again (a
        rollback to an older version encodes its own once more). Another embedding pack's
        cache stays: IT may switch between packs, and each would encode again."""
        for old in self.cache_path.parent.glob(f"{self.family}-*.npy"):
            if old != self.cache_path and not old.name.endswith(".partial.npy"):
                try:
                    old.unlink()
                except OSError as exc:  # another user's file, or in use: harmless to keep
                    log.info("Could not remove superseded cache %s: %s", old.name, exc)

    def search(self, vectors: np.ndarray, k: int, skip_rows: np.ndarray | None = None
               ) -> list[list[tuple[str, float]]]:
        """Top-``k`` (code, cosine) per row of ``vectors`` (rows L2-normalised).

        ``skip_rows`` (row indices) are never returned; training uses it to hold a case's
        own entries out.
        """
        matrix = self.matrix()
        if matrix.shape[0] == 0:
            return [[] for _ in range(len(vectors))]
        sims = vectors @ matrix.T
        if skip_rows is not None and len(skip_rows):
            sims[:, skip_rows] = -np.inf
        k = min(k, matrix.shape[0])
        top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        results = []
        for row, idx in zip(sims, top, strict=True):
            order = idx[np.argsort(-row[idx])]
            results.append([(self.codes[i], float(row[i])) for i in order
                            if np.isfinite(row[i])])
        return results


class IcdEmbeddingIndex(EmbeddingTable):
    """ICD-10-CM descriptions of ``embedding_vocabulary``."""

    def __init__(self, embedder, cache_dir: Path) -> None:
        codes = embedding_vocabulary()
        super().__init__(embedder, cache_dir, "icd10cm", codes,
                         tuple(description(c) for c in codes), codes)


EXEMPLARS_FILE = "coding_exemplars.npz"


@lru_cache(maxsize=1)
def exemplar_table() -> dict[str, np.ndarray]:
    """codes, cases (CodiEsp case ids), vectors (L2-normalised) and the embedder checksum
    the vectors were made with, from the shipped file."""
    with np.load(nlp_resources_dir() / EXEMPLARS_FILE, allow_pickle=False) as data:
        return {name: data[name] for name in data.files}


class ExemplarIndex(EmbeddingTable):
    """Sentences from CodiEsp train cases (as vectors), each labelled with its aligned code.

    Usable only with the embedder the vectors were made with (the default MiniLM pack);
    with another, the table is empty and the coder works without examples.
    """

    def __init__(self, embedder, cache_dir: Path) -> None:
        table = exemplar_table()
        usable = str(table["embedder_checksum"]) == embedder.provenance.checksum
        if not usable:
            log.warning("Coding examples were made with another sentence model; not used")
        self.cases = tuple(table["cases"]) if usable else ()
        codes = tuple(str(c) for c in table["codes"]) if usable else ()
        super().__init__(embedder, cache_dir, "coding-exemplars", codes, (), codes)
        dims = table["vectors"].shape[1]
        self._matrix = (table["vectors"].astype(np.float32) if usable
                        else np.zeros((0, dims), dtype=np.float32))
