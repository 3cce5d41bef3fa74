"""One process per vault: an exclusive OS lock on ``<vault>.lock`` while it is open.

The OS drops the lock when the process dies (even on kill -9), so a crash never leaves
a vault that cannot be opened. The lock file holds no data and is left in place.
"""

from __future__ import annotations

import os
import weakref
from pathlib import Path

from desktop.core.vault.errors import VaultInUseError

if os.name == "nt":  # pragma: no cover - exercised on Windows builds only
    import msvcrt
else:
    import fcntl


def lock_path(vault_path: Path) -> Path:
    return vault_path.with_name(vault_path.name + ".lock")


class VaultFileLock:
    def __init__(self, vault_path: Path) -> None:
        self.path = lock_path(vault_path)
        self._fd: int | None = None

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if os.name == "nt":  # pragma: no cover
                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            else:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise VaultInUseError(
                "This vault is already open in ClinicDesk on this computer (another window "
                "or another user's session). Close it there first, then try again."
            ) from None
        self._fd = fd
        # A Vault dropped without lock() must not keep the vault blocked until exit.
        self._finalizer = weakref.finalize(self, os.close, fd)

    def release(self) -> None:
        if self._fd is None:
            return
        self._finalizer.detach()
        try:
            if os.name == "nt":  # pragma: no cover
                msvcrt.locking(self._fd, msvcrt.LK_UNLCK, 1)
            else:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            os.close(self._fd)
            self._fd = None

    @property
    def held(self) -> bool:
        return self._fd is not None
