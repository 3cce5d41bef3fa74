"""Mine English example sentences for ICD-10-CM codes from the CodiEsp training split.

CodiEsp gives each train case its codes (trainD.tsv) but text references only in Spanish,
so each gold code is aligned to the English sentence (one per line in text_files_en)
whose MiniLM embedding is closest to the code's description. The pairs show how clinical
case reports phrase a code ("renoureteral crisis" -> N23); the coder retrieves them for a
note's sentences. Writes resources/nlp/coding_exemplars.npz: the sentences' MiniLM vectors
(float16) with their code and case id, and the MiniLM pack checksum; not the sentences
themselves, which stay in ../shared (the corpus is referenced, never copied).
Source: CodiEsp corpus, CLEF eHealth 2020 (CC BY 4.0), train split only (dev held out).
Run: .venv/bin/python bench/build_coding_exemplars.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import desktop  # noqa: E402,F401
from bench.build_coding_reranker import PACKS_ROOT, TRAIN, load_gold  # noqa: E402
from desktop.core.analysis.coding.icd_table import description  # noqa: E402
from desktop.core.config import Settings  # noqa: E402
from desktop.core.inference import ModelRuntime, PackRegistry  # noqa: E402

OUT = REPO / "resources" / "nlp" / "coding_exemplars.npz"
MIN_COSINE = 0.35  # below this the closest sentence rarely expresses the code
MIN_WORDS = 3


def main() -> int:
    gold = load_gold(TRAIN / "trainD.tsv")
    settings = Settings(data_dir=PACKS_ROOT)
    PackRegistry(settings).install_defaults()
    runtime = ModelRuntime(settings)
    pairs = []
    try:
        embedder = runtime.embedder()
        for doc in sorted(gold):
            lines = (TRAIN / "text_files_en" / f"{doc}.txt").read_text(encoding="utf-8")
            sentences = [s.strip() for s in lines.splitlines()
                         if len(s.split()) >= MIN_WORDS and "\t" not in s]
            codes = sorted(c for c in gold[doc] if _described(c))
            if not sentences or not codes:
                continue
            sims = (embedder.encode([description(c) for c in codes])
                    @ embedder.encode(sentences).T)
            for code, row in zip(codes, sims, strict=True):
                best = int(row.argmax())
                if row[best] >= MIN_COSINE:
                    pairs.append((code, sentences[best], doc))
        vectors = embedder.encode([sentence for _, sentence, _ in pairs])
        checksum = embedder.provenance.checksum
    finally:
        runtime.close()
    np.savez_compressed(
        OUT, codes=np.array([c for c, _, _ in pairs]), cases=np.array([d for _, _, d in pairs]),
        vectors=vectors.astype(np.float16), embedder_checksum=np.array(checksum),
        about=np.array("MiniLM vectors of English sentences of CodiEsp train cases (CLEF eHealth "
                       "2020, CC BY 4.0; machine-translated) aligned to their gold ICD-10-CM "
                       "codes; built by bench/build_coding_exemplars.py"),
    )
    print(f"{len(pairs)} code/sentence pairs from {len(gold)} cases -> {OUT}")
    return 0


def _described(code: str) -> bool:
    try:
        return bool(description(code))
    except ValueError:
        return False


if __name__ == "__main__":
    sys.exit(main())
