"""The encrypted local vault (SQLCipher 4): patients, notes, images, AI results, audit.

``from desktop.core.vault import Vault``. See store.py for opening and accounts,
clinical.py for patient records, keys.py for how passphrases unlock the database key.
"""

from desktop.core.vault.errors import (
    DiskFullError,
    NotAVaultError,
    PermissionDeniedError,
    RecordNotFoundError,
    VaultError,
    VaultInUseError,
    VaultLockedError,
    VaultTooNewError,
    WrongPassphraseError,
)
from desktop.core.vault.records import (
    Analysis,
    AuditChainReport,
    AuditEntry,
    Decision,
    Encounter,
    ImageRecord,
    Note,
    Patient,
    User,
)
from desktop.core.vault.store import Vault

__all__ = [
    "Analysis",
    "AuditChainReport",
    "AuditEntry",
    "Decision",
    "DiskFullError",
    "Encounter",
    "ImageRecord",
    "Note",
    "NotAVaultError",
    "Patient",
    "PermissionDeniedError",
    "RecordNotFoundError",
    "User",
    "Vault",
    "VaultError",
    "VaultInUseError",
    "VaultLockedError",
    "VaultTooNewError",
    "WrongPassphraseError",
]
