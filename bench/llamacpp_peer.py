"""The peer for bench_generation.py: llama-cpp-python on the same GGUF, same prompt.

Runs under bench/.venv-llamacpp (never the app's venv). The first stdin line is a JSON setup
{"gguf": path, "prompt": chat-formatted text, "max_new_tokens": n, "threads": t}; after it
answers {"ready": true}, each line "run" times one generation (printing ttft_s, seconds,
new_tokens, text) and "score <json token-id lists>" prints the teacher-forced NLL and
greedy choices. One request at a time, so the benchmark can interleave the peer's runs with
its own and both see the same machine load.
"""

import json
import sys
import time

import numpy as np
from llama_cpp import Llama


def generate(llm: Llama, tokens: list[int], max_new_tokens: int) -> dict:
    # Without reset, generate() reuses the KV cache of the previous run's identical prompt
    # and its "time to first token" is one decode step, not the prompt being read.
    llm.reset()
    started = time.perf_counter()
    first = None
    out: list[int] = []
    for tok in llm.generate(tokens, top_k=1, top_p=1.0, temp=0.0, repeat_penalty=1.0,
                            reset=True):
        if first is None:
            first = time.perf_counter() - started
        if tok == llm.token_eos():
            break
        out.append(tok)
        if len(out) >= max_new_tokens:
            break
    return {"ttft_s": first, "seconds": time.perf_counter() - started, "new_tokens": len(out),
            "text": llm.detokenize(out).decode(errors="replace")}


def score(setup: dict, notes: list[list[int]]) -> dict:
    """Teacher-forced mean next-token NLL and greedy choices on the given token ids (its own
    instance: logits for every position would slow the timed one's prompt processing)."""
    llm = Llama(model_path=setup["gguf"], n_ctx=1024, n_threads=setup["threads"],
                n_threads_batch=setup["threads"], seed=0, verbose=False, logits_all=True)
    total, count, choices = 0.0, 0, []
    for ids in notes:
        llm.reset()
        llm.eval(ids)
        logits = np.asarray(llm.scores[: len(ids)], dtype=np.float64)
        shifted = logits - logits.max(axis=1, keepdims=True)
        logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        total -= float(logp[np.arange(len(ids) - 1), ids[1:]].sum())
        count += len(ids) - 1
        choices.append(logits.argmax(axis=1).tolist())
    return {"nll": total / count, "choices": choices}


def main() -> None:
    setup = json.loads(sys.stdin.readline())
    llm = Llama(
        model_path=setup["gguf"], n_ctx=1024, n_threads=setup["threads"],
        n_threads_batch=setup["threads"], seed=0, verbose=False,
    )
    tokens = llm.tokenize(setup["prompt"].encode(), add_bos=False, special=True)
    generate(llm, tokens, setup["max_new_tokens"])  # warm up
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        command, _, payload = line.strip().partition(" ")
        if command == "run":
            answer = generate(llm, tokens, setup["max_new_tokens"])
        elif command == "score":
            answer = score(setup, json.loads(payload))
        else:
            break
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
