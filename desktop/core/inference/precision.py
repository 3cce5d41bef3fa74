"""Numeric precision of a loaded language model: dtype choice and weight-only int8.

On CPU, decoding one token reads every weight once, so its speed is set by memory bandwidth:
float32 weights are 4 bytes each, bfloat16 2, int8 1. bfloat16 compute is only fast where
the CPU has native bfloat16 instructions (AVX512-BF16 or AMX); elsewhere float32 is faster,
so ``"auto"`` picks per machine and the provenance records what was used.

Weight-only int8 keeps activations in bfloat16 and stores each weight row as int8 with one
scale per output channel (the kernel gpt-fast uses). Unlike dynamic int8, it never quantizes
activations, whose outliers in small LLMs garble the answer. Measured on SmolLM2-135M over
MTSamples notes (bench/bench_generation.py): perplexity equal to float32's, twice bfloat16's
decode speed.
"""

from __future__ import annotations

from functools import cache
from typing import Any

# Prompts (many rows at once) are faster through a bfloat16 matmul than the int8 kernel,
# which is built for the one-row decode step.
_INT8_MAX_ROWS = 4


def native_bfloat16() -> bool:
    """True when this CPU computes in bfloat16 natively (AVX512-BF16 or AMX)."""
    import torch

    cpu = torch.cpu
    checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(getattr(cpu, name, lambda: False)() for name in checks)


def resolve_dtype(name: str) -> str:
    """The dtype to load with: ``"auto"`` becomes bfloat16 or float32 for this machine."""
    if name == "auto":
        return "bfloat16" if native_bfloat16() else "float32"
    return name


def resolve_quantization(name: str, dtype: str) -> str:
    """Weight-only int8 needs bfloat16 activations (its float32 kernel is slower than plain
    float32), so on other dtypes it falls back to none."""
    if name == "weight-int8" and dtype != "bfloat16":
        return "none"
    return name


def quantize_weights_int8(model: Any) -> int:
    """Swap every ``nn.Linear`` in ``model`` for an int8-weight version; returns how many."""
    import torch

    count = 0
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, torch.nn.Linear):
                setattr(parent, name, _weight_int8_linear_class()(child))
                count += 1
    return count


@cache
def _weight_int8_linear_class() -> type:
    import torch  # torch is imported on first use only: the CLI starts fast without it

    class WeightInt8Linear(torch.nn.Module):
        """y = x Wᵀ (+ b) with W stored as int8 rows times a per-row scale."""

        def __init__(self, source: torch.nn.Linear) -> None:
            super().__init__()
            weight = source.weight.detach().float()
            scale = weight.abs().amax(dim=1).clamp(min=1e-12) / 127.0
            q = torch.round(weight / scale[:, None]).clamp(-127, 127).to(torch.int8)
            dtype = source.weight.dtype
            self.in_features, self.out_features = source.in_features, source.out_features
            self.register_buffer("qweight", q, persistent=False)
            self.register_buffer("scale", scale.to(dtype), persistent=False)
            # The de-quantized matrix, for prompts; the same values the int8 path uses.
            self.register_buffer("weight", (q.float() * scale[:, None]).to(dtype),
                                 persistent=False)
            self.bias = source.bias

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            rows = x.reshape(-1, x.shape[-1])
            if rows.shape[0] > _INT8_MAX_ROWS:
                y = torch.nn.functional.linear(rows, self.weight)
            else:
                y = torch._weight_int8pack_mm(rows, self.qweight, self.scale)
            y = y.reshape(*x.shape[:-1], self.out_features)
            return y if self.bias is None else y + self.bias

    return WeightInt8Linear
