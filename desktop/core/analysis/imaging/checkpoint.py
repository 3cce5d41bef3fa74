"""Reading classifier weights from a checkpoint file without running code from it.

TorchXRayVision publishes whole pickled models (``torch.save(model)``) whose classes live in
``torchxrayvision``/``torchvision``, neither of which is installed here. A pickle can run
arbitrary code, so we never unpickle with the real classes: every class the file names is
replaced by an inert placeholder that only records its attributes, and tensors are rebuilt
by torch's own storage functions. The state dict is then read off the placeholders.
Plain state-dict files (including the packs ``desktop train-cxr`` writes) load with
``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import math
import pickle
import types
import warnings
from collections import OrderedDict
from pathlib import Path
from typing import Any

import torch

from desktop.core.analysis.imaging.densenet import PATHOLOGIES, XRV_ALL_OP_THRESHS, CxrDenseNet
from desktop.core.errors import InputError

# What a pickled model may legitimately reference besides placeholder classes.
_ALLOWED_CALLABLES = {
    ("collections", "OrderedDict"): OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): torch._utils._rebuild_tensor_v2,
    ("torch._utils", "_rebuild_parameter"): torch._utils._rebuild_parameter,
    ("torch._utils", "_rebuild_parameter_with_state"): torch._utils._rebuild_parameter_with_state,
    ("builtins", "set"): set,
    ("__builtin__", "set"): set,  # protocol-2 pickles spell builtins the Python 2 way
}


class _Placeholder:
    """Stands in for any class a pickled model names (nn.Conv2d, xrv DenseNet, ...)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __setstate__(self, state: Any) -> None:
        if isinstance(state, dict):
            self.__dict__.update(state)


def _storage_classes() -> dict[tuple[str, str], Any]:
    names = [n for n in dir(torch) if n.endswith("Storage")]
    return {("torch", n): getattr(torch, n) for n in names}


class _InertUnpickler(pickle.Unpickler):
    """Real objects only for tensor rebuilding; every other name becomes a placeholder.

    A placeholder called by the pickle (REDUCE) just records nothing, so a file that
    names ``os.system`` or ``builtins.eval`` gets an inert object, never the function.
    Unknown names (numpy arrays of thresholds, hooks) thus cost nothing but their value.
    """

    def find_class(self, module: str, name: str) -> Any:
        key = (module, name)
        if key in _ALLOWED_CALLABLES:
            return _ALLOWED_CALLABLES[key]
        storages = _storage_classes()
        if key in storages:
            return storages[key]
        return type(name, (_Placeholder,), {"__module__": "clinicdesk.placeholder"})


_inert_pickle = types.ModuleType("clinicdesk_inert_pickle")
_inert_pickle.Unpickler = _InertUnpickler  # type: ignore[attr-defined]
_inert_pickle.load = pickle.load  # type: ignore[attr-defined]
_inert_pickle.__name__ = "pickle"


def _module_state(obj: Any, prefix: str = "") -> dict[str, torch.Tensor]:
    """``state_dict()`` of an unpickled module tree, read from its recorded attributes."""
    state: dict[str, torch.Tensor] = {}
    for kind in ("_parameters", "_buffers"):
        for name, value in (getattr(obj, kind, None) or {}).items():
            if value is not None:
                state[prefix + name] = value.detach() if hasattr(value, "detach") else value
    for name, child in (getattr(obj, "_modules", None) or {}).items():
        if child is not None:
            state.update(_module_state(child, f"{prefix}{name}."))
    return state


def read_state_dict(path: Path) -> dict[str, torch.Tensor]:
    """The tensors of a checkpoint: safetensors, a plain state dict or a pickled model."""
    if path.suffix.lower() == ".safetensors":
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        try:
            return load_file(str(path), device="cpu")
        except (SafetensorError, OSError, ValueError) as exc:
            raise InputError(f"{path.name} is not a readable safetensors file ({exc}).") from exc
    try:
        obj: Any = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # noqa: BLE001 - not a plain tensor file; try the inert unpickler
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # old files: "cannot retrieve source code"
                obj = torch.load(
                    path, map_location="cpu", weights_only=False, pickle_module=_inert_pickle
                )
        except Exception as exc:  # noqa: BLE001 - every failure means "not usable weights"
            raise InputError(
                f"{path.name} is not a readable PyTorch checkpoint ({str(exc)[:160]})."
            ) from exc
    if isinstance(obj, dict) and isinstance(obj.get("state_dict"), dict):
        obj = obj["state_dict"]
    if isinstance(obj, dict):
        return {str(k): v for k, v in obj.items() if isinstance(v, torch.Tensor)}
    state = _module_state(obj)
    if not state:
        raise InputError(f"{path.name} does not contain model weights.")
    return state


def load_cxr_densenet(path: Path) -> CxrDenseNet:
    """A ``CxrDenseNet`` with the checkpoint's weights; ``InputError`` if they do not fit.

    A TorchXRayVision checkpoint carries no operating points; the published ones of
    densenet121-res224-all are filled in when the file has 18 outputs and none of its own.
    """
    state = read_state_dict(path)
    weight = state.get("classifier.weight")
    if weight is None or tuple(weight.shape[1:]) != (1024,):
        raise InputError(
            f"{path.name} is not a DenseNet-121 chest X-ray classifier "
            "(no classifier layer of 1024 inputs)."
        )
    net = CxrDenseNet(num_classes=int(weight.shape[0]))
    expected = net.state_dict()
    for key, value in expected.items():  # files saved by older torch lack these counters
        if key.endswith("num_batches_tracked") and key not in state:
            state[key] = torch.zeros_like(value)
    if "op_threshs" not in state:
        if weight.shape[0] == len(PATHOLOGIES):
            state["op_threshs"] = torch.tensor(XRV_ALL_OP_THRESHS, dtype=torch.float32)
        else:
            state["op_threshs"] = torch.full((weight.shape[0],), math.nan)
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    wrong = [k for k in expected if k in state and state[k].shape != expected[k].shape]
    if missing or unexpected or wrong:
        detail = (missing or unexpected or wrong)[:3]
        raise InputError(
            f"{path.name} does not match the DenseNet-121 chest X-ray architecture "
            f"({len(missing)} missing, {len(unexpected)} unexpected, {len(wrong)} mis-shaped "
            f"weights, e.g. {', '.join(detail)})."
        )
    net.load_state_dict({k: state[k].float() if state[k].is_floating_point() else state[k]
                         for k in expected})
    net.eval()
    return net
