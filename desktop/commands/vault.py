"""``desktop vault ...``: create, check, back up, restore and manage accounts (IT scripting).

Passphrases and recovery keys are never command-line arguments (they would show in the
process list and shell history): they are asked for without echo on a terminal, or read
one per line from standard input when it is not a terminal (scripts, tests).
"""

from __future__ import annotations

import argparse
import getpass
import sys
import time
from datetime import date
from pathlib import Path

from desktop.core.config import load_settings
from desktop.core.errors import InputError
from desktop.core.vault import Vault
from desktop.core.vault.records import ROLES


def read_secret(prompt: str, *, confirm: bool = False) -> str:
    """One passphrase: no-echo prompt on a terminal, else the next line of stdin."""
    if sys.stdin.isatty():
        value = getpass.getpass(prompt)
        if confirm and getpass.getpass("Type it again: ") != value:
            raise InputError("The two passphrases were not the same. Nothing was changed.")
        return value
    line = sys.stdin.readline()
    if not line:
        raise InputError(f"Expected a line on standard input for: {prompt.strip(': ')}")
    return line.rstrip("\r\n")


def _vault_path(args: argparse.Namespace) -> Path:
    return Path(args.vault) if args.vault else load_settings().vault_path


def _open(args: argparse.Namespace) -> Vault:
    path = _vault_path(args)
    if getattr(args, "recovery", False):
        return Vault.unlock_with_recovery(path, read_secret("Recovery key: "))
    if not args.user:
        raise InputError("Say who you are with --user NAME (or use --recovery).")
    return Vault.unlock(path, args.user, read_secret(f"Passphrase for {args.user}: "))


def _init(args: argparse.Namespace) -> int:
    path = _vault_path(args)
    passphrase = read_secret(f"New passphrase for {args.user}: ", confirm=True)
    vault, recovery_key = Vault.create(path, args.user, args.display_name, passphrase)
    vault.lock()
    print(f"Created the vault {path} with administrator account '{args.user}'.")
    print("RECOVERY KEY (shown only now; write it down and keep it away from this computer):")
    print(f"    {recovery_key}")
    return 0


def _check(args: argparse.Namespace) -> int:
    with _open(args) as vault:
        problems = vault.integrity_check()
        counts = {} if problems else vault.row_counts()
    if problems:
        print(f"The vault {_vault_path(args)} has problems:")
        for problem in problems:
            print(f"  - {problem}")
        print("Restore the latest good backup (`desktop vault restore`).")
        return 1
    print("OK: encrypted pages, database structure, record links and audit chain verified.")
    print("Contents: " + ", ".join(f"{n} {table}" for table, n in counts.items()) + ".")
    return 0


def _audit_verify(args: argparse.Namespace) -> int:
    with _open(args) as vault:
        report = vault.verify_audit_chain()
    if report.ok:
        print(f"OK: the audit log's {report.entries} entries are intact.")
        return 0
    print(f"The audit log was tampered with ({len(report.problems)} problem(s)):")
    for problem in report.problems:
        print(f"  - {problem}")
    return 1


def _audit_report(args: argparse.Namespace) -> int:
    try:
        since = date.fromisoformat(args.since) if args.since else None
    except ValueError:
        raise InputError(f"--since takes a date such as 2026-11-01, not '{args.since}'.") from None
    with _open(args) as vault:
        trail = vault.access_report(patient_id=args.patient, username=args.by, since=since,
                                    limit=args.limit)
    for entry in trail:
        when, who, action, record, detail = entry.report_row()
        print(f"{when} UTC  {who:20} {action:16} {record:16} {detail}")
    print(f"{len(trail)} entries (newest first; this report is recorded in the trail too).")
    return 0


def _backup(args: argparse.Namespace) -> int:
    dest = Path(args.dest) if args.dest else (
        load_settings().backups_dir / f"clinicdesk-{time.strftime('%Y%m%d-%H%M%S')}.vault")
    path = _vault_path(args)
    # Works while ClinicDesk is open on the vault (e.g. a nightly scheduled backup).
    if args.recovery:
        written = Vault.backup_file(path, dest, recovery_key=read_secret("Recovery key: "))
    elif args.user:
        written = Vault.backup_file(path, dest, username=args.user,
                                    passphrase=read_secret(f"Passphrase for {args.user}: "))
    else:
        raise InputError("Say who you are with --user NAME (or use --recovery).")
    print(f"Backup written and verified: {written} (and {written.name}.keys beside it).")
    return 0


def _restore(args: argparse.Namespace) -> int:
    dest = _vault_path(args)
    if args.recovery:
        secrets = {"recovery_key": read_secret("Recovery key: ")}
    elif args.user:
        secrets = {"username": args.user,
                   "passphrase": read_secret(f"Passphrase for {args.user}: ")}
    else:
        raise InputError("Say who you are with --user NAME (or use --recovery).")
    Vault.restore(args.backup, dest, overwrite=args.overwrite, **secrets)
    print(f"Restored {args.backup} to {dest}; it was verified before and after copying.")
    return 0


def _add_user(args: argparse.Namespace) -> int:
    with _open(args) as vault:
        new_passphrase = read_secret(f"New passphrase for {args.username}: ", confirm=True)
        user = vault.add_user(args.username, args.display_name, new_passphrase, role=args.role)
    print(f"Added {user.role} account '{user.username}' ({user.display_name}).")
    return 0


def _change_passphrase(args: argparse.Namespace) -> int:
    if not args.user:
        raise InputError("Say whose passphrase to change with --user NAME.")
    path = _vault_path(args)
    old = read_secret(f"Current passphrase for {args.user}: ")
    new = read_secret(f"New passphrase for {args.user}: ", confirm=True)
    with Vault.unlock(path, args.user, old) as vault:
        vault.change_passphrase(args.user, old, new)
    print(f"Changed the passphrase of '{args.user}'.")
    return 0


def _reset_passphrase(args: argparse.Namespace) -> int:
    with _open(args) as vault:
        new = read_secret(f"New passphrase for {args.username}: ", confirm=True)
        vault.reset_passphrase(args.username, new)
    print(f"Reset the passphrase of '{args.username}'.")
    return 0


def _revoke_user(args: argparse.Namespace) -> int:
    with _open(args) as vault:
        vault.revoke_user(args.username)
    print(f"Revoked '{args.username}': their key entry was removed and they can no longer "
          "unlock this vault. A copy of the key file taken earlier would still open it; run "
          "`desktop vault rekey` if that is a risk. Backups keep the old key file.")
    return 0


def _users(args: argparse.Namespace) -> int:
    with _open(args) as vault:
        users = vault.list_users()
    for user in users:
        state = f"revoked {user.revoked_at[:10]}" if user.revoked_at else "active"
        print(f"{user.username:24} {user.role:10} {state:18} {user.display_name}")
    return 0


def _rekey(args: argparse.Namespace) -> int:
    if not args.user:
        raise InputError("Re-encrypting needs an administrator: --user NAME.")
    passphrase = read_secret(f"Passphrase for {args.user}: ")
    with Vault.unlock(_vault_path(args), args.user, passphrase) as vault:
        recovery_key, others = vault.rekey(passphrase)
    print("Re-encrypted the vault with a new key; copies of the old key file no longer open it.")
    print("NEW RECOVERY KEY (the old one stopped working; shown only now):")
    print(f"    {recovery_key}")
    if others:
        print("These accounts need a new passphrase (`desktop vault reset-passphrase NAME`): "
              + ", ".join(others))
    print("Backups made before now still open with the old key file and passphrases.")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("vault", help="create, check, back up and manage the vault")
    commands = parser.add_subparsers(dest="vault_command", required=True)

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--vault", help="vault file (default: the one in the data folder)")
    who = argparse.ArgumentParser(add_help=False)
    who.add_argument("--user", help="your user name")
    who.add_argument("--recovery", action="store_true", help="unlock with the recovery key")

    init = commands.add_parser("init", parents=[common], help="create a new vault")
    init.add_argument("--user", required=True, help="the first (administrator) account")
    init.add_argument("--display-name", required=True, help='e.g. "Dr Amina Yusuf"')
    init.set_defaults(func=_init)

    check = commands.add_parser("check", parents=[common, who],
                                help="verify encryption, structure and the audit chain")
    check.set_defaults(func=_check)

    audit = commands.add_parser("audit-verify", parents=[common, who],
                                help="verify the hash-chained audit log")
    audit.set_defaults(func=_audit_verify)

    report = commands.add_parser(
        "audit", parents=[common, who],
        help="who opened, changed or exported which records (administrators)")
    report.add_argument("--patient", type=int, help="only this patient's records (patient id)")
    report.add_argument("--by", metavar="USERNAME", help="only what this account did")
    report.add_argument("--since", metavar="YYYY-MM-DD", help="only entries from this day on "
                        "(UTC)")
    report.add_argument("--limit", type=int, help="at most this many entries")
    report.set_defaults(func=_audit_report)

    backup = commands.add_parser("backup", parents=[common, who],
                                 help="write a verified encrypted backup")
    backup.add_argument("dest", nargs="?", help="backup file (default: in the backups folder)")
    backup.set_defaults(func=_backup)

    restore = commands.add_parser("restore", parents=[common, who],
                                  help="verify a backup and install it as the vault")
    restore.add_argument("backup", type=Path)
    restore.add_argument("--overwrite", action="store_true",
                         help="replace an existing vault (it is kept aside, renamed)")
    restore.set_defaults(func=_restore)

    add_user = commands.add_parser("add-user", parents=[common, who],
                                   help="add a clinician account (administrators)")
    add_user.add_argument("username")
    add_user.add_argument("--display-name", required=True)
    add_user.add_argument("--role", choices=ROLES, default="clinician")
    add_user.set_defaults(func=_add_user)

    change = commands.add_parser("change-passphrase", parents=[common],
                                 help="change your own passphrase")
    change.add_argument("--user", required=True)
    change.set_defaults(func=_change_passphrase)

    reset = commands.add_parser("reset-passphrase", parents=[common, who],
                                help="set a forgotten passphrase (administrator or recovery key)")
    reset.add_argument("username")
    reset.set_defaults(func=_reset_passphrase)

    revoke = commands.add_parser("revoke-user", parents=[common, who],
                                 help="remove an account's access (administrators)")
    revoke.add_argument("username")
    revoke.set_defaults(func=_revoke_user)

    users = commands.add_parser("users", parents=[common, who], help="list the accounts")
    users.set_defaults(func=_users)

    rekey = commands.add_parser("rekey", parents=[common],
                                help="re-encrypt under a new key (after revoking someone)")
    rekey.add_argument("--user", required=True, help="an administrator account")
    rekey.set_defaults(func=_rekey)
