"""Model-pack manifests: what a pack is, where its weights came from, and their checksums.

Two kinds of manifest share one shape:

* a *source* manifest in ``models/<pack_id>.toml`` says how to build a default pack from a
  registry package (package name + version, the shipped file(s) and their sha256);
* an *installed* manifest in ``<packs_dir>/<pack_id>/manifest.toml`` lists the files that
  are actually loaded (e.g. the safetensors converted from a GGUF) with their sha256.
"""

from __future__ import annotations

import json
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from desktop.core.errors import InputError

TASKS = ("text-generation", "sentence-embedding", "cxr-classification")
# Formats of an *installed* pack. GGUF is converted at install/import time, so it never
# appears here; "torch" is a checkpoint loaded by a task loader (see loaders.py).
INSTALLED_FORMATS = ("hf-safetensors", "torch")


@dataclass(frozen=True)
class PackFile:
    path: str  # relative to the pack folder (installed) or the package root (source)
    sha256: str
    size: int | None = None


@dataclass(frozen=True)
class PackManifest:
    id: str
    task: str
    format: str
    version: str
    licence: str
    files: tuple[PackFile, ...]
    description: str = ""
    # Where the weights came from: {"package": ..., "package_version": ..., "file": ...}
    # for registry packages, {"imported_from": <file name>, "sha256": ...} for imports.
    source: dict[str, Any] = field(default_factory=dict)
    # Load-time options, e.g. {"dtype": "float32", "max_seq_length": 256}.
    runtime: dict[str, Any] = field(default_factory=dict)

    def to_toml(self) -> str:
        lines = [
            f"id = {_q(self.id)}",
            f"task = {_q(self.task)}",
            f"format = {_q(self.format)}",
            f"version = {_q(self.version)}",
            f"licence = {_q(self.licence)}",
            f"description = {_q(self.description)}",
            "",
            "[source]",
            *(f"{k} = {_q(v)}" for k, v in self.source.items()),
            "",
            "[runtime]",
            *(f"{k} = {_q(v)}" for k, v in self.runtime.items()),
        ]
        for f in self.files:
            lines += ["", "[[files]]", f"path = {_q(f.path)}", f"sha256 = {_q(f.sha256)}"]
            if f.size is not None:
                lines.append(f"size = {f.size}")
        return "\n".join(lines) + "\n"


def _q(value: Any) -> str:
    # JSON scalars are valid TOML scalars for the str/int/float/bool values we write.
    return json.dumps(value, ensure_ascii=False)


def parse_manifest(data: dict[str, Any], origin: str) -> PackManifest:
    try:
        files = tuple(
            PackFile(path=str(f["path"]), sha256=str(f["sha256"]).lower(), size=f.get("size"))
            for f in data.get("files", [])
        )
        manifest = PackManifest(
            id=str(data["id"]),
            task=str(data["task"]),
            format=str(data["format"]),
            version=str(data["version"]),
            licence=str(data.get("licence", "unknown")),
            description=str(data.get("description", "")),
            files=files,
            source=dict(data.get("source", {})),
            runtime=dict(data.get("runtime", {})),
        )
    except (KeyError, TypeError) as exc:
        raise InputError(f"The model pack manifest {origin} is missing a field: {exc}.") from exc
    if manifest.task not in TASKS:
        raise InputError(
            f"The model pack manifest {origin} has an unknown task {manifest.task!r} "
            f"(expected one of {', '.join(TASKS)})."
        )
    if not files:
        raise InputError(f"The model pack manifest {origin} lists no files.")
    return manifest


def read_manifest(path: Path) -> PackManifest:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"The model pack manifest {path} cannot be read: {exc}.") from exc
    return parse_manifest(data, str(path))


def write_manifest(manifest: PackManifest, path: Path) -> None:
    tmp = path.with_suffix(".toml.tmp")
    tmp.write_text(manifest.to_toml(), encoding="utf-8")
    tmp.replace(path)


def bundled_manifests_dir() -> Path:
    """``models/`` beside the package in a checkout, or inside a PyInstaller bundle."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "models"
    return Path(__file__).resolve().parents[3] / "models"


def bundled_manifests() -> dict[str, PackManifest]:
    folder = bundled_manifests_dir()
    manifests = [read_manifest(p) for p in sorted(folder.glob("*.toml"))]
    return {m.id: m for m in manifests}
