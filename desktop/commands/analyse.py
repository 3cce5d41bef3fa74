"""``desktop analyse note FILE``: problem list, ICD-10-CM codes and differential, headless.

For demos and IT checks: nothing is stored; the note is read from FILE (any format note
import accepts) and the results are printed with the character spans that support them.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from desktop.core.config import load_settings


def _progress(fraction: float, message: str) -> None:
    print(f"[{fraction * 100:3.0f}%] {message}", file=sys.stderr, flush=True)


def _spans(item: dict[str, Any]) -> str:
    return "; ".join(f"[{e['start']}:{e['end']}] \"{e['text']}\"" for e in item["evidence"])


def _print_result(result: dict[str, Any]) -> None:
    print(f"{result['title']} — {result['notice']}")
    print("Sections: " + ", ".join(s["name"] for s in result["sections"]))
    headings = {"problem": "Problem list", "icd10": "ICD-10-CM codes",
                "differential": "Differential diagnosis"}
    for category, heading in headings.items():
        items = [i for i in result["items"] if i["category"] == category]
        print(f"\n{heading} ({len(items)}):")
        if not items:
            print("  (none found)")
        for item in items:
            score = f"{item['score']:.2f} " if item["score"] is not None else ""
            mark = " — can't miss" if item.get("cannot_miss") else ""
            print(f"  {score}{item['label']}{mark}")
            print(f"       {item['detail']}")
            print(f"       evidence: {_spans(item)}")
    if result["excluded"]:
        print("\nNot coded (negated, family history or hypothetical):")
        for ex in result["excluded"]:
            e = ex["evidence"]
            print(f"  {ex['assertion']:12} [{e['start']}:{e['end']}] \"{ex['text']}\"")


def _analyse_note(args: argparse.Namespace) -> int:
    from desktop.core.analysis.coding import IcdCoder
    from desktop.core.analysis.diagnoses import build_result, coder_for, provenance_for
    from desktop.core.analysis.notes import analyse_note
    from desktop.core.ingest.notes import import_note_file

    settings = load_settings()
    imported = import_note_file(Path(args.file), settings)
    analysis = analyse_note(imported.text)
    runtime = None
    try:
        if args.no_embeddings:
            coder, notice = IcdCoder(), "Codes from the term index only (--no-embeddings)."
        else:
            from desktop.core.inference import ModelRuntime

            runtime = ModelRuntime(settings)
            coder, notice = coder_for(runtime)
        coder.prepare(_progress)
        result, _ = build_result(analysis, coder, note_id=None, coder_notice=notice)
    finally:
        if runtime is not None:
            runtime.close()
    if args.json:
        json.dump({"result": result, "provenance": provenance_for(coder).to_dict()},
                  sys.stdout, indent=1, ensure_ascii=False)
        print()
    else:
        _print_result(result)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("analyse", help="analyse a note without storing it")
    sub = parser.add_subparsers(dest="analyse_command", required=True)
    note = sub.add_parser("note", help="problem list, ICD-10-CM codes and differential of FILE")
    note.add_argument("file", help="a note file (.txt, .md, .pdf, .docx or a photo)")
    note.add_argument("--json", action="store_true", help="print the result as JSON")
    note.add_argument("--no-embeddings", action="store_true",
                      help="code from the term index only (no model needed)")
    note.set_defaults(func=_analyse_note)
