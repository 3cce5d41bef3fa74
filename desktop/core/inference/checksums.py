"""sha256 of pack files, with a verification cache so loading a verified pack stays fast.

Policy (what we chose and why): a pack's files are fully hashed when it is installed or
imported and by ``desktop models verify``. On load we re-hash a file only when its size or
modification time (ns) differ from the last successful verification, recorded in
``<packs_dir>/.verified.json``. That catches corruption, truncation, partial copies and
replaced files at load time in milliseconds; a deliberate edit that also restores the
mtime is caught by ``desktop models verify`` (which ignores the cache).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path

_CHUNK = 1024 * 1024


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def combined_checksum(file_digests: dict[str, str]) -> str:
    """One checksum for a whole pack: sha256 over sorted ``path:sha256`` lines."""
    lines = "".join(f"{p}:{d}\n" for p, d in sorted(file_digests.items()))
    return hashlib.sha256(lines.encode()).hexdigest()


class VerificationCache:
    """Remembers (size, mtime_ns, sha256) of files that last hashed correctly."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()

    def _read(self) -> dict[str, list]:
        try:
            return json.loads(self._path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def is_verified(self, file: Path, sha256: str) -> bool:
        st = file.stat()
        entry = self._read().get(str(file))
        return entry == [st.st_size, st.st_mtime_ns, sha256]

    def remember(self, file: Path, sha256: str) -> None:
        st = file.stat()
        with self._lock:
            data = self._read()
            data[str(file)] = [st.st_size, st.st_mtime_ns, sha256]
            self._write(data)

    def forget_under(self, folder: Path) -> None:
        prefix = str(folder) + os.sep
        with self._lock:
            data = {k: v for k, v in self._read().items() if not k.startswith(prefix)}
            self._write(data)

    def _write(self, data: dict[str, list]) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._path.with_name(f"{self._path.name}.{os.getpid()}.{threading.get_ident()}")
        tmp.write_text(json.dumps(data), encoding="utf-8")
        tmp.replace(self._path)
