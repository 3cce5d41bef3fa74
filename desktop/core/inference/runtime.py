"""ModelRuntime: the app's one entry point to local models.

Owns the inference worker and the models it has loaded (a least-recently-used cache kept
under ``settings.model_memory_budget_mb``). Thread-safe: any thread may call it; all model
work runs on the worker thread.
"""

from __future__ import annotations

import gc
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, TypeVar

from desktop.core.config import Settings
from desktop.core.errors import NotAvailableError
from desktop.core.inference.embeddings import Embedder
from desktop.core.inference.llm import Generator
from desktop.core.inference.loaders import get_loader
from desktop.core.inference.packs import InstalledPack, PackRegistry
from desktop.core.inference.worker import InferenceWorker, Priority
from desktop.core.tasks import CancelToken

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class _Loaded:
    pack: InstalledPack
    model: Any
    nbytes: int


def model_nbytes(model: Any, fallback: int) -> int:
    """Bytes held by a loaded model's tensors (torch modules, or objects holding one)."""
    module = getattr(model, "model", model)
    try:
        tensors = list(module.parameters()) + list(module.buffers())
    except AttributeError:
        return fallback
    seen: set[int] = set()
    total = 0
    for t in tensors:
        if t.data_ptr() not in seen:  # tied weights (embeddings/lm_head) count once
            seen.add(t.data_ptr())
            total += t.numel() * t.element_size()
    return total or fallback


class ModelRuntime:
    def __init__(self, settings: Settings, registry: PackRegistry | None = None) -> None:
        self.settings = settings
        self.registry = registry or PackRegistry(settings)
        self.worker = InferenceWorker()
        self.budget_bytes = settings.model_memory_budget_mb * 1024 * 1024
        self._loaded: OrderedDict[str, _Loaded] = OrderedDict()  # worker thread only
        self._lock = threading.Lock()  # guards reads of _loaded from other threads

    # -- handles ------------------------------------------------------------------------
    def embedder(self, pack_id: str | None = None) -> Embedder:
        return Embedder(self, self._pack(pack_id, "sentence-embedding"))

    def generator(self, pack_id: str | None = None) -> Generator:
        return Generator(self, self._pack(pack_id, "text-generation"))

    def load(self, pack_id: str, *, priority: int = Priority.NORMAL) -> Any:
        """The model object for any pack (built by its task's registered loader)."""
        pack = self.registry.get(pack_id)
        return self.run_with_model(
            pack, lambda model: model, priority=priority, name=f"load:{pack_id}"
        )

    def pack(self, pack_id: str) -> InstalledPack:
        """The installed, verified pack (for provenance), without loading it."""
        return self.registry.get(pack_id)

    # -- running work on the worker -------------------------------------------------------
    def run(
        self, fn: Callable[[], T], *, priority: int = Priority.NORMAL,
        cancel: CancelToken | None = None, name: str = "job",
    ) -> T:
        """Run ``fn()`` on the inference worker and wait for its result (or exception)."""
        return self.worker.run(fn, priority=priority, cancel=cancel, name=name)

    def submit(
        self, fn: Callable[[], T], *, priority: int = Priority.NORMAL,
        cancel: CancelToken | None = None, name: str = "job",
    ) -> Future[T]:
        """Queue ``fn()`` on the inference worker without waiting."""
        return self.worker.submit(fn, priority=priority, cancel=cancel, name=name)

    def run_with_model(
        self, pack: InstalledPack, fn: Callable[[Any], T], *, priority: int = Priority.NORMAL,
        cancel: CancelToken | None = None, name: str = "job",
    ) -> T:
        """Run ``fn(model)`` on the worker with ``pack`` loaded (loading it if needed)."""
        return self.run(lambda: fn(self._ensure_loaded(pack)), priority=priority,
                        cancel=cancel, name=name)

    # -- the model cache (worker thread) ----------------------------------------------------
    def loaded_pack_ids(self) -> list[str]:
        """Loaded packs, least recently used first."""
        with self._lock:
            return list(self._loaded)

    def unload(self, pack_id: str) -> None:
        def drop() -> None:
            with self._lock:
                self._loaded.pop(pack_id, None)
            gc.collect()

        self.run(drop, priority=Priority.INTERACTIVE, name="unload")

    def close(self) -> None:
        """Unload every model and stop the worker (after queued jobs finish)."""
        def drop_all() -> None:
            with self._lock:
                self._loaded.clear()
            gc.collect()

        if not self.worker._closed:
            self.worker.submit(drop_all, priority=Priority.BACKGROUND, name="close")
        self.worker.shutdown()

    def _pack(self, pack_id: str | None, task: str) -> InstalledPack:
        pack = self.registry.get(pack_id or self.registry.default_pack_id(task))
        if pack.task != task:
            raise NotAvailableError(
                f"The model pack '{pack.id}' is for {pack.task}, not {task}."
            )
        return pack

    def _ensure_loaded(self, pack: InstalledPack) -> Any:
        with self._lock:
            entry = self._loaded.get(pack.id)
            if entry is not None and entry.pack.checksum == pack.checksum:
                self._loaded.move_to_end(pack.id)
                return entry.model
        self._make_room(pack.id, pack.size_bytes)
        model = get_loader(pack.task)(pack)
        nbytes = model_nbytes(model, pack.size_bytes)
        with self._lock:
            self._loaded[pack.id] = _Loaded(pack, model, nbytes)
        log.info("loaded model pack %s (%.0f MB)", pack.id, nbytes / 2**20)
        return model

    def _make_room(self, pack_id: str, needed: int) -> None:
        """Unload least-recently-used models until ``needed`` fits in the budget (the
        pack being loaded always gets loaded, even if it alone exceeds the budget)."""
        with self._lock:
            self._loaded.pop(pack_id, None)  # a replaced/reinstalled pack
            while self._loaded and sum(e.nbytes for e in self._loaded.values()) + needed > (
                self.budget_bytes
            ):
                evicted, _ = self._loaded.popitem(last=False)
                log.info("unloaded model pack %s to stay within the memory budget", evicted)
        gc.collect()
