"""The peer for bench_generation.py: llama-cpp-python on the same GGUF, same prompt.

Runs under bench/.venv-llamacpp (never the app's venv). Reads a JSON request on stdin:
{"gguf": path, "prompt": chat-formatted text, "max_new_tokens": n, "repeats": r,
 "threads": t} and prints one JSON line per run: ttft_s, seconds, new_tokens, text.
"""

import json
import sys
import time

from llama_cpp import Llama


def main() -> None:
    req = json.load(sys.stdin)
    llm = Llama(
        model_path=req["gguf"], n_ctx=1024, n_threads=req["threads"],
        n_threads_batch=req["threads"], seed=0, verbose=False,
    )
    tokens = llm.tokenize(req["prompt"].encode(), add_bos=False, special=True)
    for run in range(req["repeats"] + 1):  # run 0 warms up
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
            if len(out) >= req["max_new_tokens"]:
                break
        seconds = time.perf_counter() - started
        if run:
            text = llm.detokenize(out).decode(errors="replace")
            print(json.dumps({"ttft_s": first, "seconds": seconds, "new_tokens": len(out),
                              "text": text}), flush=True)


if __name__ == "__main__":
    main()
