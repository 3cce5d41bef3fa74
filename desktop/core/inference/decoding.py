"""The token-by-token loop of a causal LM: prompt pass, then one forward per new token.

Our own loop instead of ``model.generate``, for a reason measured on SmolLM2
(bench/bench_generation.py): the prompt pass uses every core while each one-token
step uses ``decode_threads`` (default 1). A one-row matmul gains little from a second
thread, and with a second busy process on a two-core workstation (or the GUI thread wanting
its core) two OpenMP threads that must meet after every matmul stalled decoding from 30 ms
to over 1 s per token. It also checks Cancel between tokens and times the first token
exactly.
"""

from __future__ import annotations

import functools
import inspect
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from desktop.core.tasks import CancelToken


@dataclass(frozen=True)
class DecodeSettings:
    max_new_tokens: int
    eos_ids: frozenset[int]
    temperature: float = 0.0  # 0 = greedy
    seed: int = 0
    kv_cache: str = "dynamic"  # or "static" (preallocated)
    decode_threads: int = 1


@dataclass(frozen=True)
class Decoded:
    token_ids: list[int]
    finished: bool  # the model ended its answer (an end-of-sequence token)
    first_token_seconds: float | None


@contextmanager
def intra_op_threads(count: int) -> Iterator[None]:
    """Run torch ops on this thread with ``count`` OpenMP threads, then restore."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(max(1, min(count, before)))
    try:
        yield
    finally:
        torch.set_num_threads(before)


def decode(
    model: Any,
    input_ids: Any,
    settings: DecodeSettings,
    *,
    on_token: Callable[[int], None] | None = None,
    cancel: CancelToken | None = None,
) -> Decoded:
    """Greedy (or sampled) continuation of ``input_ids`` (shape 1 x n). Stops at an
    end-of-sequence token, at ``max_new_tokens``, or when ``cancel`` fires."""
    import torch

    started = time.perf_counter()
    cache = _new_cache(model, settings, int(input_ids.shape[1]))
    sampler = None
    if settings.temperature > 0:
        sampler = torch.Generator().manual_seed(settings.seed)
    out: list[int] = []
    first: float | None = None
    finished = False
    step_input = input_ids
    with torch.inference_mode():
        for step in range(settings.max_new_tokens):
            if cancel is not None and cancel.cancelled:
                break
            if step == 0:
                logits = _forward(model, step_input, cache)
            else:
                with intra_op_threads(settings.decode_threads):
                    logits = _forward(model, step_input, cache)
            token = _choose(logits, settings.temperature, sampler)
            if first is None:
                first = time.perf_counter() - started
            if token in settings.eos_ids:
                finished = True
                break
            out.append(token)
            if on_token is not None:
                on_token(token)
            step_input = torch.tensor([[token]], dtype=input_ids.dtype)
    return Decoded(out, finished, first)


def _new_cache(model: Any, settings: DecodeSettings, prompt_len: int) -> Any:
    from transformers import DynamicCache, StaticCache

    if settings.kv_cache == "static":
        return StaticCache(config=model.config, max_cache_len=prompt_len + settings.max_new_tokens)
    return DynamicCache(config=model.config)


def _forward(model: Any, input_ids: Any, cache: Any) -> Any:
    # logits_to_keep=1: only the last position's logits (the vocabulary matmul is the
    # largest in a small model; the prompt's other positions are never needed).
    kwargs = {_cache_argument(type(model)): cache}
    out = model(input_ids=input_ids, use_cache=True, logits_to_keep=1, **kwargs)
    return out.logits[0, -1]


@functools.cache
def _cache_argument(model_class: type) -> str:
    """transformers 5.24 renamed ``past_key_values`` to ``cache`` (the old name warns)."""
    parameters = inspect.signature(model_class.forward).parameters
    return "cache" if "cache" in parameters else "past_key_values"


def _choose(logits: Any, temperature: float, sampler: Any) -> int:
    import torch

    if sampler is None:
        return int(logits.argmax())
    probs = torch.softmax(logits.float() / temperature, dim=-1)
    return int(torch.multinomial(probs, 1, generator=sampler))
