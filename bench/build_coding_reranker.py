"""Fit the ICD-10-CM candidate re-ranker on the CodiEsp training split.

For every English train case, the app's own pipeline (analyse_note + candidate gathering)
proposes codes; a candidate is a positive when the case's gold codes (trainD.tsv) hold it.
Gradient-boosted trees over the candidates' evidence features are fitted (scikit-learn,
used here only; the app walks the exported trees with numpy) and written to
resources/nlp/coding_reranker.json. Code priors and phrase statistics are out-of-fold so
a case's own codes never inform its features. Dev stays held out (bench/eval_icd_coding.py).
Source: CodiEsp corpus, CLEF eHealth 2020 (CC BY 4.0), train split only.
Run: .venv/bin/python bench/build_coding_reranker.py [--limit N] [--cache FILE]
"""

from __future__ import annotations

import argparse
import csv
import json
import pickle
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import desktop  # noqa: E402,F401
from desktop.core.analysis.coding.candidates import collect_candidates  # noqa: E402
from desktop.core.analysis.coding.embedding_index import (  # noqa: E402
    ExemplarIndex,
    IcdEmbeddingIndex,
)
from desktop.core.analysis.coding.icd_table import normalise, table_vocabulary  # noqa: E402
from desktop.core.analysis.coding.reranker import MODEL_FILE, TreeEnsemble, feature_rows  # noqa: E402
from desktop.core.analysis.notes import analyse_note  # noqa: E402
from desktop.core.config import Settings  # noqa: E402
from desktop.core.inference import ModelRuntime, PackRegistry  # noqa: E402

TRAIN = REPO.parent / "shared" / "data" / "codiesp" / "train"
PACKS_ROOT = REPO / ".cache" / "test-packs"  # same gitignored cache the test fixture uses
OUT = REPO / "resources" / "nlp" / MODEL_FILE
# Chosen by 5-fold cross-validation on train only.
PRIOR_FOLDS = 10
PARAMS = {"max_iter": 300, "learning_rate": 0.05, "max_leaf_nodes": 31, "min_samples_leaf": 20}


def out_of_fold(docs: list[str], gold: dict[str, set[str]]) -> dict[str, tuple[dict, dict]]:
    """Per case: (code priors, phrase lexicon) mined from train cases outside its fold.

    Not leave-one-out: there a case's own label would shift its code's prior by exactly
    one count, which the trees learn to read. Here all cases of a fold see the same values.
    """
    from bench.build_coding_lexicon import mine, train_texts

    folds: dict[int, list[str]] = defaultdict(list)
    for i, doc in enumerate(docs):
        folds[i % PRIOR_FOLDS].append(doc)
    out = {}
    for members in folds.values():
        held = set(members)
        others = [d for d in docs if d not in held]
        counts = Counter(c for d in others for c in gold[d])
        priors = {code: n / len(others) for code, n in counts.items()
                  if normalise(code) == code}
        lexicon = mine(train_texts(others), gold)
        out.update({doc: (priors, lexicon) for doc in members})
    return out


def load_gold(path: Path) -> dict[str, set[str]]:
    gold: dict[str, set[str]] = defaultdict(set)
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.reader(fh, delimiter="\t"):
            gold[row[0]].add(normalise(row[1]) or row[1].strip().upper())
    return gold


class HeldOut:
    """A retrieval table with some rows hidden (a train case's own entries)."""

    def __init__(self, table, rows: list[int]) -> None:
        self.table, self.rows = table, np.array(rows, dtype=np.int64)

    def search(self, vectors, k):
        return self.table.search(vectors, k, skip_rows=self.rows)


def gather(docs: list[str], gold: dict[str, set[str]]) -> dict[str, dict]:
    """Per document and variant ("full"/"lexical"): candidates, LOO priors, text length.

    The case is held out throughout: priors and phrases come from other folds, its own example
    sentences leave the exemplar table, and ICD descriptions in the table only because of
    codes of its fold are hidden.
    """
    held_out = out_of_fold(docs, gold)
    settings = Settings(data_dir=PACKS_ROOT)
    PackRegistry(settings).install_defaults()
    runtime = ModelRuntime(settings)
    out = {}
    try:
        embedder = runtime.embedder()
        index = IcdEmbeddingIndex(embedder, PACKS_ROOT / "cache")
        exemplars = ExemplarIndex(embedder, PACKS_ROOT / "cache")
        index.matrix()
        exemplars.matrix()
        prior_only = {i: c for i, c in enumerate(index.codes) if c not in table_vocabulary()}
        started = time.perf_counter()
        for i, doc in enumerate(docs):
            text = (TRAIN / "text_files_en" / f"{doc}.txt").read_text(encoding="utf-8")
            analysis = analyse_note(text)
            priors, lexicon = held_out[doc]
            held_index = HeldOut(index, [r for r, c in prior_only.items() if c not in priors])
            held_examples = HeldOut(exemplars, [r for r, case in enumerate(exemplars.cases)
                                                if case == doc])
            out[doc] = {
                "full": collect_candidates(analysis, embedder=embedder, index=held_index,
                                           exemplars=held_examples, lexicon=lexicon,
                                           priors=priors),
                "lexical": collect_candidates(analysis, lexicon=lexicon, priors=priors),
                "priors": priors, "length": len(text), "analysis": analysis,
            }
            if i % 50 == 0:
                print(f"  {i}/{len(docs)} cases ({time.perf_counter() - started:.0f} s)")
    finally:
        runtime.close()
    return out


def design(gathered: dict[str, dict], gold: dict[str, set[str]], variant: str):
    names, xs, ys, groups, codes = None, [], [], [], []
    for g, (doc, item) in enumerate(gathered.items()):
        cands = list(item[variant].values())
        if not cands:
            continue
        names, rows = feature_rows(cands, item["priors"], item["length"])
        xs.append(rows)
        ys.extend(c.code in gold[doc] for c in cands)
        groups.extend([g] * len(cands))
        codes.extend(c.code for c in cands)
    return names, np.vstack(xs), np.array(ys, dtype=int), np.array(groups), codes


def mean_ap(scores, ys, groups, gold_sizes: list[int]) -> float:
    """CodiEsp MAP over all documents (a document with no candidate scores 0)."""
    total = 0.0
    for g, size in enumerate(gold_sizes):
        mask = groups == g
        order = np.argsort(-scores[mask], kind="stable")
        hits, ap = 0, 0.0
        for k, y in enumerate(ys[mask][order], start=1):
            if y:
                hits += 1
                ap += hits / k
        total += ap / size if size else 0.0
    return total / len(gold_sizes)


def fit(x, y):
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(random_state=0, **PARAMS).fit(x, y)


def cross_validate(x, y, groups, gold_sizes, folds=5) -> float:
    scores = np.zeros(len(y))
    for f in range(folds):
        test = groups % folds == f
        scores[test] = fit(x[~test], y[~test]).decision_function(x[test])
    return mean_ap(scores, y, groups, gold_sizes)


def export(model, names: list[str], x) -> dict:
    """The fitted trees as plain node lists the app evaluates with numpy."""
    trees = []
    for (predictor,) in model._predictors:
        trees.append([[-1 if n["is_leaf"] else int(n["feature_idx"]),
                       float(n["num_threshold"]), int(n["left"]), int(n["right"]),
                       round(float(n["value"]), 6)] for n in predictor.nodes])
    part = {"baseline": round(float(model._baseline_prediction.ravel()[0]), 6), "trees": trees}
    ours = TreeEnsemble(tuple(names), part["baseline"],
                        tuple(np.array(t, dtype=np.float64) for t in trees))
    drift = np.abs(ours.raw_scores(x[:5000]) - model.decision_function(x[:5000])).max()
    assert drift < 1e-3, f"exported trees disagree with scikit-learn by {drift}"
    return part


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--cache", type=Path, help="pickle of gathered candidates (reused)")
    parser.add_argument("--no-cv", action="store_true", help="skip the 5-fold train MAP")
    args = parser.parse_args()
    gold = load_gold(TRAIN / "trainD.tsv")
    docs = sorted(gold)[: args.limit or None]
    if args.cache and args.cache.is_file():
        gathered = pickle.loads(args.cache.read_bytes())
    else:
        gathered = gather(docs, gold)
        if args.cache:
            args.cache.write_bytes(pickle.dumps(gathered))
    gold_sizes = [len(gold[d]) for d in gathered]
    models, names = {}, None
    for variant in ("full", "lexical"):
        names, x, y, groups, _ = design(gathered, gold, variant)
        line = f"{variant}: {len(y)} candidates, gold recall {y.sum() / sum(gold_sizes):.3f}"
        models[variant] = export(fit(x, y), names, x)
        if not args.no_cv:
            cv = cross_validate(x, y, groups, gold_sizes)
            models[variant]["train_cv_map"] = round(cv, 4)
            line += f"; 5-fold train MAP {cv:.3f}"
        print(line)
    OUT.write_text(json.dumps({
        "about": "ICD-10-CM candidate re-ranker (gradient-boosted trees) fitted on the CodiEsp "
                 "train split (CLEF eHealth 2020, CC BY 4.0) by bench/build_coding_reranker.py",
        "params": PARAMS, "features": names, "models": models,
    }, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"-> {OUT} ({OUT.stat().st_size // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
