"""Vault errors a clinician or IT admin can act on; every one means nothing was changed."""

from __future__ import annotations

from desktop.core.errors import ClinicDeskError, InputError


class VaultError(ClinicDeskError):
    """Base class for problems opening or using the encrypted vault."""


class WrongPassphraseError(VaultError):
    """The user name, passphrase or recovery key did not unlock the vault."""


class NotAVaultError(VaultError):
    """The file is missing, damaged, or is something other than a ClinicDesk vault."""


class VaultTooNewError(VaultError):
    """The vault was written by a newer ClinicDesk with a schema this version cannot read."""


class VaultInUseError(VaultError):
    """Another ClinicDesk process on this computer has the vault open."""


class VaultBusyError(VaultError):
    """Another connection held the write lock past the busy timeout; nothing was changed."""


class DiskFullError(VaultError):
    """The disk ran out of space; the transaction was rolled back."""


class VaultLockedError(VaultError):
    """The vault was locked (signed out); unlock it again to continue."""


class PermissionDeniedError(VaultError):
    """The signed-in account may not do this (e.g. only an administrator adds users)."""


class RecordNotFoundError(InputError):
    """A record id that is not (or no longer) in the vault."""
