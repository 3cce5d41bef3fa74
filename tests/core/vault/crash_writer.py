"""Writer process for the kill -9 test: adds patients and notes forever, printing each id
only after its transaction committed. Run as ``python crash_writer.py <vault> <user> <pass>``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from desktop.core.vault import Vault  # noqa: E402


def main() -> None:
    path, username, passphrase = sys.argv[1:4]
    vault = Vault.unlock(path, username, passphrase)
    print("ready", flush=True)
    n = 0
    while True:
        n += 1
        patient_id = vault.add_patient(f"Crash Test {n}")
        # Big enough that some commits span several pages of the WAL.
        note_id = vault.add_note(patient_id, f"note {n} " + "x" * (n % 7 * 900))
        print(f"{patient_id} {note_id}", flush=True)


if __name__ == "__main__":
    main()
