"""What every task front-end (Embedder, Generator) shares: one pack, run by one runtime."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from desktop.core.inference.packs import InstalledPack
    from desktop.core.inference.runtime import ModelRuntime


class PackModel:
    """A handle on one installed pack; the model itself lives on the runtime's worker."""

    def __init__(self, runtime: ModelRuntime, pack: InstalledPack) -> None:
        self._runtime = runtime
        self.pack = pack

    @property
    def pack_id(self) -> str:
        return self.pack.id
