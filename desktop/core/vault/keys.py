"""Key wrapping: the random database key, wrapped once per clinician and once for recovery.

The keyring is a small JSON file beside the vault (``<vault>.keys``): it has to live outside
the encrypted database because it is what opens it. Each entry is the 256-bit database key
sealed with AES-256-GCM under a key derived from a passphrase by scrypt. Changing a
passphrase rewrites one entry; the database is never re-encrypted. The file also keeps the
count of failed unlock attempts so that restarting the app does not reset the delay.
"""

from __future__ import annotations

import base64
import errno
import json
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from desktop.core.errors import ClinicDeskError
from desktop.core.vault.errors import (
    DiskFullError,
    NotAVaultError,
    VaultTooNewError,
    WrongPassphraseError,
)

KEYRING_FORMAT = "clinicdesk-keyring"
KEYRING_VERSION = 1
DB_KEY_BYTES = 32
RECOVERY_ENTRY = "recovery"
# Failed attempts for user names that have no entry share one counter, so guessing
# names cannot grow the file.
UNKNOWN_USER_BUCKET = "*unknown*"


@dataclass(frozen=True)
class KdfParams:
    """scrypt cost. ``n=2**17, r=8, p=1`` (128 MiB, ~0.5 s here) follows OWASP guidance."""

    n: int = 2**17
    r: int = 8
    p: int = 1


STRONG_KDF = KdfParams()
# Only for tests and benchmarks: entries record their own cost, so a vault made with this
# stays cheap to open; production code never passes it.
TEST_KDF = KdfParams(n=2**10, r=8, p=1)
DEFAULT_KDF = STRONG_KDF


def keyring_path(vault_path: Path) -> Path:
    return vault_path.with_name(vault_path.name + ".keys")


def pending_keyring_path(vault_path: Path) -> Path:
    """Key file for a new database key, written before ``PRAGMA rekey`` (see accounts.rekey)."""
    return vault_path.with_name(vault_path.name + ".keys.pending")


def promote_pending(vault_path: Path) -> None:
    """The database now uses the pending key: make the pending key file the real one."""
    try:
        os.replace(pending_keyring_path(vault_path), keyring_path(vault_path))
        fsync_dir(vault_path.parent)
    except OSError as exc:
        raise disk_error(exc, "the new key file (it will be completed at next unlock)") from exc


def new_db_key() -> bytes:
    return secrets.token_bytes(DB_KEY_BYTES)


def new_recovery_key() -> str:
    """160 random bits as 8 groups of 4 base32 characters (easy to write down)."""
    raw = base64.b32encode(secrets.token_bytes(20)).decode("ascii")
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def normalise_recovery_key(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch.isalnum())


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def _derive(secret: str, salt: bytes, kdf: KdfParams) -> bytes:
    return Scrypt(salt=salt, length=32, n=kdf.n, r=kdf.r, p=kdf.p).derive(secret.encode("utf-8"))


def wrap_key(db_key: bytes, secret: str, aad: str, kdf: KdfParams) -> dict[str, Any]:
    salt = secrets.token_bytes(16)
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(_derive(secret, salt, kdf)).encrypt(nonce, db_key, aad.encode("utf-8"))
    return {
        "kdf": "scrypt",
        "n": kdf.n,
        "r": kdf.r,
        "p": kdf.p,
        "salt": _b64(salt),
        "nonce": _b64(nonce),
        "wrapped": _b64(sealed),
    }


def unwrap_key(entry: dict[str, Any], secret: str, aad: str) -> bytes:
    """The database key, or ``WrongPassphraseError`` (AES-GCM tag mismatch)."""
    try:
        kdf = KdfParams(n=int(entry["n"]), r=int(entry["r"]), p=int(entry["p"]))
        salt, nonce = _unb64(entry["salt"]), _unb64(entry["nonce"])
        sealed = _unb64(entry["wrapped"])
    except (KeyError, TypeError, ValueError) as exc:
        raise NotAVaultError("The vault's key file is damaged (unreadable key entry).") from exc
    try:
        return AESGCM(_derive(secret, salt, kdf)).decrypt(nonce, sealed, aad.encode("utf-8"))
    except InvalidTag:
        raise WrongPassphraseError("The user name or passphrase is not correct.") from None


def failure_delay(failures: int) -> float:
    """Seconds to wait before checking a passphrase after ``failures`` misses in a row."""
    if failures < 3:
        return 0.0
    return float(min(2 ** (failures - 3), 30))


class Keyring:
    """The ``<vault>.keys`` file: wrapped keys per user, recovery entry, failure counters."""

    def __init__(self, path: Path, data: dict[str, Any]) -> None:
        self.path = path
        self.data = data

    @classmethod
    def new(cls, vault_path: Path, vault_id: str) -> Keyring:
        data = {
            "format": KEYRING_FORMAT,
            "version": KEYRING_VERSION,
            "vault_id": vault_id,
            "users": {},
            "recovery": None,
            "failures": {},
        }
        return cls(keyring_path(vault_path), data)

    @classmethod
    def load(cls, vault_path: Path, path: Path | None = None) -> Keyring:
        """The key file of ``vault_path`` (or the file ``path``, e.g. a pending re-key)."""
        path = path or keyring_path(vault_path)
        if not path.is_file():
            raise NotAVaultError(
                f"{vault_path} is not a ClinicDesk vault: its key file {path.name} is missing. "
                "Restore the vault and its key file together from a backup."
            )
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise NotAVaultError(f"The vault's key file {path} is damaged: {exc}") from exc
        if not isinstance(data, dict) or data.get("format") != KEYRING_FORMAT:
            raise NotAVaultError(f"{path} is not a ClinicDesk key file.")
        if not isinstance(data.get("vault_id"), str) or not isinstance(data.get("users"), dict):
            raise NotAVaultError(f"The vault's key file {path} is damaged (missing entries).")
        if int(data.get("version", 0)) > KEYRING_VERSION:
            raise VaultTooNewError(
                "This vault's key file was written by a newer version of ClinicDesk. "
                "Update ClinicDesk to open it; nothing was changed."
            )
        if not isinstance(data.get("failures"), dict):
            data["failures"] = {}
        return cls(path, data)

    @property
    def vault_id(self) -> str:
        return str(self.data["vault_id"])

    def _aad(self, entry_name: str) -> str:
        # Binds each sealed key to this vault and this entry, so entries cannot be swapped.
        return f"{KEYRING_FORMAT}:{self.vault_id}:{entry_name}"

    # --- entries -------------------------------------------------------------------
    def has_user(self, username: str) -> bool:
        return username in self.data["users"]

    def usernames(self) -> list[str]:
        return sorted(self.data["users"])

    def set_user(self, username: str, db_key: bytes, passphrase: str, kdf: KdfParams) -> None:
        self.data["users"][username] = wrap_key(db_key, passphrase, self._aad(username), kdf)

    def remove_user(self, username: str) -> None:
        self.data["users"].pop(username, None)
        self.data["failures"].pop(username, None)

    def set_recovery(self, db_key: bytes, recovery_key: str, kdf: KdfParams) -> None:
        secret = normalise_recovery_key(recovery_key)
        self.data["recovery"] = wrap_key(db_key, secret, self._aad(RECOVERY_ENTRY), kdf)

    def unwrap_user(self, username: str, passphrase: str) -> bytes:
        entry = self.data["users"].get(username)
        if entry is None:
            raise WrongPassphraseError("The user name or passphrase is not correct.")
        return unwrap_key(entry, passphrase, self._aad(username))

    def unwrap_recovery(self, recovery_key: str) -> bytes:
        entry = self.data.get("recovery")
        if not entry:
            raise WrongPassphraseError("This vault has no recovery key.")
        try:
            secret = normalise_recovery_key(recovery_key)
            return unwrap_key(entry, secret, self._aad(RECOVERY_ENTRY))
        except WrongPassphraseError:
            raise WrongPassphraseError("The recovery key is not correct.") from None

    # --- failed attempts -----------------------------------------------------------
    def _bucket(self, name: str) -> str:
        if name == RECOVERY_ENTRY or self.has_user(name):
            return name
        return UNKNOWN_USER_BUCKET

    def failures(self, name: str) -> int:
        try:
            return int(self.data["failures"].get(self._bucket(name), {}).get("count", 0))
        except (AttributeError, TypeError, ValueError):
            return 5  # a tampered counter is treated as several failures, not as none

    def record_failure(self, name: str, now: float) -> None:
        bucket = self._bucket(name)
        self.data["failures"][bucket] = {"count": self.failures(name) + 1, "last": now}
        self.save()

    def clear_failures(self, name: str) -> None:
        if self.data["failures"].pop(self._bucket(name), None) is not None:
            self.save()

    # --- persistence ---------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        return json.loads(json.dumps(self.data))

    def save(self, path: Path | None = None, data: dict[str, Any] | None = None) -> None:
        """Write atomically (temp file, fsync, rename): a crash leaves the old or new file."""
        write_json_atomic(path or self.path, self.data if data is None else data)


def write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    payload = json.dumps(data, indent=1, sort_keys=True).encode("utf-8")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, payload)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
        fsync_dir(path.parent)
    except OSError as exc:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
        raise disk_error(exc, f"the key file {path.name}") from exc


def fsync_dir(directory: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def disk_error(exc: OSError, what: str) -> ClinicDeskError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return DiskFullError(
            f"The disk is full, so {what} could not be saved. Nothing was changed. "
            "Free some disk space and try again."
        )
    return ClinicDeskError(f"Could not save {what}: {exc.strerror or exc}. Nothing was changed.")


Sleep = Callable[[float], None]
Clock = Callable[[], float]
DEFAULT_SLEEP: Sleep = time.sleep
DEFAULT_CLOCK: Clock = time.time
