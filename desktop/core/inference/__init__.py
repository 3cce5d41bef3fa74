"""Local model runtime: model packs, offline loading, and the one inference worker.

Public API: ``ModelRuntime`` (embedder / generator / load), ``PackRegistry``,
``register_loader``, ``Priority``; results carry ``desktop.core.provenance.Provenance``.
"""

from desktop.core.inference.embeddings import Embedder
from desktop.core.inference.llm import GenerationResult, Generator
from desktop.core.inference.loaders import register_loader
from desktop.core.inference.packs import InstalledPack, PackIntegrityError, PackRegistry
from desktop.core.inference.runtime import ModelRuntime
from desktop.core.inference.worker import InferenceWorker, Priority

__all__ = [
    "Embedder",
    "GenerationResult",
    "Generator",
    "InferenceWorker",
    "InstalledPack",
    "ModelRuntime",
    "PackIntegrityError",
    "PackRegistry",
    "Priority",
    "register_loader",
]
