"""Note-understanding speed: one 1,000-word note and the MTSamples dev set.

Figures: seconds to analyse a 1,000-word note after the pipeline is loaded (target < 1 s),
and the total time over MTSamples dev (4,699 notes; target < 10 min). Peer measured in the
same run on the same texts: medspaCy's stock default pipeline (tokenizer, PyRuSH,
TargetMatcher without terms, ConText with its default rules) — the ratio shows what our
term lists, sections and assertion logic cost on top of the library itself.
Run: .venv/bin/python bench/bench_notes.py [--limit N]   (N notes of MTSamples; 0 = all)
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import desktop  # noqa: E402,F401
from desktop.core.analysis.notes import analyse_note  # noqa: E402
from desktop.core.analysis.notes.pipeline import get_pipeline  # noqa: E402

MTSAMPLES = REPO.parent / "shared" / "data" / "mtsamples" / "mtsamples_dev.csv"


def load_notes(limit: int) -> list[str]:
    with MTSAMPLES.open(encoding="utf-8", newline="") as fh:
        notes = [r["transcription"] for r in csv.DictReader(fh) if r["transcription"].strip()]
    return notes[:limit] if limit else notes


def thousand_words(notes: list[str]) -> str:
    words: list[str] = []
    for note in notes:
        words.extend(note.split())
        if len(words) >= 1000:
            break
    return " ".join(words[:1000])


def timed(fn, texts: list[str]) -> float:
    started = time.perf_counter()
    for text in texts:
        fn(text)
    return time.perf_counter() - started


def diagnoses_time(text: str) -> float:
    """Seconds for the whole diagnoses result once the embedder and ICD index are loaded."""
    from desktop.core.analysis.coding import IcdCoder
    from desktop.core.analysis.diagnoses import build_result
    from desktop.core.config import Settings
    from desktop.core.inference import ModelRuntime, PackRegistry

    settings = Settings(data_dir=REPO / ".cache" / "test-packs")
    PackRegistry(settings).install_defaults()
    runtime = ModelRuntime(settings)
    try:
        coder = IcdCoder(runtime.embedder(), settings.data_dir / "cache")
        coder.prepare()
        build_result(analyse_note(text), coder, note_id=None)  # warm-up
        return min(timed(lambda t: build_result(analyse_note(t), coder, note_id=None), [text])
                   for _ in range(3))
    finally:
        runtime.close()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=0)
    args = parser.parse_args()
    import medspacy
    from loguru import logger

    logger.disable("PyRuSH")
    warnings.filterwarnings("ignore")
    started = time.perf_counter()
    get_pipeline()
    print(f"ClinicDesk pipeline load: {time.perf_counter() - started:.1f} s")
    peer = medspacy.load()
    notes = load_notes(args.limit)
    note_1k = thousand_words(notes)
    analyse_note(note_1k)  # warm-up
    ours_1k = min(timed(analyse_note, [note_1k]) for _ in range(3))
    peer_1k = min(timed(peer, [note_1k]) for _ in range(3))
    print(f"1,000-word note: {ours_1k:.3f} s (target < 1 s: {'met' if ours_1k < 1 else 'NOT met'})"
          f"; medspaCy default {peer_1k:.3f} s; ratio {ours_1k / peer_1k:.2f}")
    ours_dx = diagnoses_time(note_1k)
    print(f"1,000-word note, full diagnoses (concepts + ICD codes with MiniLM + differential): "
          f"{ours_dx:.3f} s; ratio to analyse_note alone {ours_dx / ours_1k:.2f}")
    words = sum(len(n.split()) for n in notes)
    ours = timed(analyse_note, notes)
    peer_total = timed(peer, notes)
    full = 4699 / len(notes)
    print(f"MTSamples dev: {len(notes)} notes, {words} words: {ours:.1f} s "
          f"({1000 * ours / len(notes):.0f} ms/note); medspaCy default {peer_total:.1f} s; "
          f"ratio {ours / peer_total:.2f}")
    if len(notes) < 4699:
        print(f"  extrapolated to all 4,699 notes: {ours * full / 60:.1f} min")
    print(f"Target whole dev set < 10 min: {'met' if ours * full < 600 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
