"""Convert a GGUF causal LM once into a Hugging Face safetensors folder.

transformers can read GGUF directly (``gguf_file=``) but de-quantizes every tensor on each
load, which takes tens of seconds. Converting once at install/import time means later
loads read plain safetensors in about a second. Runs fully offline (``local_files_only``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from desktop.core.errors import InputError
from desktop.core.tasks import ProgressFn, no_progress


def convert_gguf_to_hf(gguf_path: Path, out_dir: Path, progress: ProgressFn = no_progress) -> None:
    """Write config, tokenizer (with chat template) and float32 safetensors to ``out_dir``."""
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    folder, name = str(gguf_path.parent), gguf_path.name
    progress(0.05, "Reading the tokenizer from the GGUF file")
    try:
        tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name, local_files_only=True)
        progress(0.2, "De-quantizing the GGUF weights (once)")
        with _report_tensor_progress(progress):
            model = AutoModelForCausalLM.from_pretrained(
                folder, gguf_file=name, local_files_only=True, dtype="float32"
            )
    except (ValueError, KeyError, OSError, RuntimeError) as exc:
        raise InputError(
            f"{gguf_path.name} is not a GGUF causal language model this version of ClinicDesk "
            f"can convert ({exc}). Ask for a pack in Hugging Face safetensors format instead."
        ) from exc
    progress(0.8, "Writing safetensors")
    # The tensors are already plain float32; transformers still tags the model as "gguf
    # quantized", which blocks save_pretrained. Drop the tag (and the config entry).
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir, safe_serialization=True)
    tokenizer.save_pretrained(out_dir)
    progress(1.0, "Converted")



@contextmanager
def _report_tensor_progress(progress: ProgressFn) -> Iterator[None]:
    """Route transformers' GGUF de-quantization progress bar (a bare tqdm) to ``progress``."""
    try:
        import transformers.modeling_gguf_pytorch_utils as gguf_utils
    except ImportError:
        yield
        return

    def bar(iterable: Any, *args: Any, **kwargs: Any) -> Iterator[Any]:
        items = list(iterable)
        for i, item in enumerate(items):
            progress(0.2 + 0.6 * i / max(len(items), 1), "De-quantizing the GGUF weights (once)")
            yield item

    original = getattr(gguf_utils, "tqdm", None)
    gguf_utils.tqdm = bar
    try:
        yield
    finally:
        gguf_utils.tqdm = original
