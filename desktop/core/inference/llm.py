"""Text generation with a causal LM pack: chat template, greedy by default, streaming, cancel.

``Generator`` is the handle callers use; it sends each request to the inference worker,
which owns the loaded model. ``on_token`` is called on the worker thread with each new
piece of text; a GUI must re-post it to its own thread.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from desktop.core.errors import ClinicDeskError, InputError
from desktop.core.inference.decoding import DecodeSettings, decode
from desktop.core.inference.pack_model import PackModel
from desktop.core.inference.precision import (
    quantize_weights_int8,
    resolve_dtype,
    resolve_quantization,
)
from desktop.core.inference.worker import Priority
from desktop.core.provenance import Provenance
from desktop.core.tasks import Cancelled, CancelToken, ProgressFn

if TYPE_CHECKING:
    from desktop.core.inference.packs import InstalledPack

# Used only when an imported base model ships no chat template.
_FALLBACK_TEMPLATE = (
    "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}assistant: {% endif %}"
)


@dataclass
class LoadedLLM:
    model: Any
    tokenizer: Any
    dtype: str
    quantization: str
    chat_template: str  # "pack" or "fallback"
    kv_cache: str = "dynamic"  # or "static" (preallocated; see bench/bench_generation.py)
    decode_threads: int = 1  # see decoding.py


@dataclass(frozen=True)
class GenerationResult:
    text: str
    provenance: Provenance
    # True when max_new_tokens ran out before the model finished its answer (text is cut).
    # A cancelled generation raises Cancelled instead of returning a partial result.
    stopped_early: bool
    new_tokens: int = 0
    seconds: float = 0.0
    first_token_seconds: float | None = None


def load_causal_lm(pack: InstalledPack) -> LoadedLLM:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # no console bars in the app or CLI
    options = pack.manifest.runtime
    dtype = resolve_dtype(str(options.get("dtype", "float32")))  # imports: as shipped
    quantization = resolve_quantization(str(options.get("quantization", "none")), dtype)
    try:
        tokenizer = AutoTokenizer.from_pretrained(pack.path, local_files_only=True)
        model = AutoModelForCausalLM.from_pretrained(
            pack.path, local_files_only=True, dtype=getattr(torch, dtype)
        )
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise ClinicDeskError(
            f"The model pack '{pack.id}' could not be loaded as a language model ({exc}). "
            "IT: re-import it from a complete Hugging Face folder or GGUF file."
        ) from exc
    model.eval()
    if quantization == "weight-int8":
        quantize_weights_int8(model)
    elif quantization == "dynamic-int8":  # kept for bench comparison; garbles small models
        model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
    template = "pack"
    if not getattr(tokenizer, "chat_template", None):
        tokenizer.chat_template, template = _FALLBACK_TEMPLATE, "fallback"
    kv_cache = str(options.get("kv_cache", "dynamic"))
    decode_threads = int(options.get("decode_threads", 1))
    return LoadedLLM(model, tokenizer, dtype, quantization, template, kv_cache, decode_threads)


def _check_messages(messages: list[dict[str, str]]) -> None:
    if not isinstance(messages, list) or not messages:
        raise InputError("There is nothing to send to the language model (no messages).")
    for m in messages:
        role_ok = isinstance(m, dict) and m.get("role") in ("system", "user", "assistant")
        if not role_ok or not isinstance(m.get("content"), str):
            raise InputError(
                "Each chat message needs a role (system, user or assistant) and text content."
            )


class Generator(PackModel):
    """Chat generation with one text-generation pack (see ModelRuntime.generator)."""

    @property
    def provenance(self) -> Provenance:
        """Pack identity without per-call parameters (each result carries its own)."""
        return self.pack.provenance({})

    def count_tokens(self, text: str) -> int:
        """Prompt budgeting for callers (e.g. to fit notes into the context window)."""
        llm = self._runtime.run_with_model(self.pack, lambda llm: llm, name="tokenizer")
        return len(llm.tokenizer(text, add_special_tokens=False)["input_ids"])

    def generate(
        self,
        messages: list[dict[str, str]],
        *,
        max_new_tokens: int = 256,
        on_token: Callable[[str], None] | None = None,
        cancel: CancelToken | None = None,
        temperature: float = 0.0,
        seed: int = 0,
        priority: int = Priority.NORMAL,
        progress: ProgressFn | None = None,
    ) -> GenerationResult:
        """Answer ``messages`` (rendered with the pack's chat template). Greedy unless
        ``temperature`` > 0. Blocks until done; raises Cancelled if ``cancel`` fires."""
        _check_messages(messages)
        if max_new_tokens < 1:
            raise InputError("max_new_tokens must be at least 1.")
        request = _Request(messages, max_new_tokens, on_token, cancel, temperature, seed, progress)
        return self._runtime.run_with_model(
            self.pack, lambda llm: _generate(self.pack, llm, request),
            priority=priority, cancel=cancel, name=f"generate:{self.pack.id}",
        )


@dataclass
class _Request:
    messages: list[dict[str, str]]
    max_new_tokens: int
    on_token: Callable[[str], None] | None
    cancel: CancelToken | None
    temperature: float
    seed: int
    progress: ProgressFn | None


def _generate(pack: InstalledPack, llm: LoadedLLM, req: _Request) -> GenerationResult:
    import torch
    from transformers import TextStreamer

    started = time.perf_counter()
    cancel = req.cancel

    class _Stream(TextStreamer):
        """Turns token ids into whole words for ``on_token`` (never half a word)."""

        def on_finalized_text(self, text: str, stream_end: bool = False) -> None:
            if text and req.on_token is not None and not (cancel and cancel.cancelled):
                req.on_token(text)

    tok = llm.tokenizer
    inputs = tok.apply_chat_template(
        req.messages, add_generation_prompt=True, return_dict=True, return_tensors="pt"
    )
    prompt_len = int(inputs["input_ids"].shape[1])
    limit = getattr(llm.model.config, "max_position_embeddings", None)
    if limit and prompt_len + req.max_new_tokens > limit:
        raise InputError(
            f"The text is too long for the model '{pack.id}' ({prompt_len} tokens plus "
            f"{req.max_new_tokens} to write; its limit is {limit}). Select fewer or shorter notes."
        )
    sampling = req.temperature > 0
    params: dict[str, Any] = {
        "max_new_tokens": req.max_new_tokens,
        "decoding": "sampling" if sampling else "greedy",
        "temperature": req.temperature if sampling else 0.0,
        "dtype": llm.dtype,
        "quantization": llm.quantization,
        "chat_template": llm.chat_template,
        "kv_cache": llm.kv_cache,
        "prompt_tokens": prompt_len,
    }
    if sampling:
        params["seed"] = req.seed
    eos = llm.model.generation_config.eos_token_id
    eos_ids = frozenset(eos if isinstance(eos, list) else [eos if eos is not None
                                                          else tok.eos_token_id])
    settings = DecodeSettings(
        max_new_tokens=req.max_new_tokens, eos_ids=eos_ids, temperature=req.temperature,
        seed=req.seed, kv_cache=llm.kv_cache, decode_threads=llm.decode_threads,
    )
    streamer = _Stream(tok, skip_prompt=False, skip_special_tokens=True)
    written = 0

    def on_token_id(token: int) -> None:
        nonlocal written
        written += 1
        streamer.put(torch.tensor([token]))
        if req.progress is not None:
            req.progress(min(written / req.max_new_tokens, 1.0), "Writing")

    decoded = decode(llm.model, inputs["input_ids"], settings, on_token=on_token_id,
                     cancel=cancel)
    if cancel is not None and cancel.cancelled:
        raise Cancelled()
    streamer.end()
    text = tok.decode(decoded.token_ids, skip_special_tokens=True).strip()
    return GenerationResult(
        text=text,
        provenance=pack.provenance(params),
        stopped_early=not decoded.finished and len(decoded.token_ids) >= req.max_new_tokens,
        new_tokens=len(decoded.token_ids),
        seconds=time.perf_counter() - started,
        first_token_seconds=decoded.first_token_seconds,
    )
