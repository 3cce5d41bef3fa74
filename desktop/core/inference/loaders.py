"""Which function turns an installed pack of a given task into a model object.

Other areas add tasks with ``register_loader(task, fn)``, where ``fn(pack: InstalledPack)``
returns the model object ``ModelRuntime.load(pack_id)`` hands back; it runs on the
inference worker thread. Built-in: "text-generation" and "sentence-embedding".
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from desktop.core.errors import NotAvailableError

if TYPE_CHECKING:
    from desktop.core.inference.packs import InstalledPack

Loader = Callable[["InstalledPack"], Any]

_loaders: dict[str, Loader] = {}
_lock = threading.Lock()
# Modules that register a loader when imported, tried if a task has none yet.
_PROVIDERS = {"cxr-classification": "desktop.core.analysis.imaging"}


def register_loader(task: str, fn: Loader) -> None:
    with _lock:
        _loaders[task] = fn


def _load_llm(pack: InstalledPack) -> Any:
    from desktop.core.inference.llm import load_causal_lm

    return load_causal_lm(pack)


def _load_encoder(pack: InstalledPack) -> Any:
    from desktop.core.inference.embeddings import load_sentence_encoder

    return load_sentence_encoder(pack)


register_loader("text-generation", _load_llm)
register_loader("sentence-embedding", _load_encoder)


def get_loader(task: str) -> Loader:
    with _lock:
        fn = _loaders.get(task)
    if fn is None and task in _PROVIDERS:
        try:
            importlib.import_module(_PROVIDERS[task])
        except ImportError:
            pass
        with _lock:
            fn = _loaders.get(task)
    if fn is None:
        raise NotAvailableError(
            f"This version of ClinicDesk cannot run {task} model packs (no loader is installed)."
        )
    return fn
