"""kill -9 of a writer at random moments: the vault still opens, is intact, and every row
the writer reported as committed is there."""

from __future__ import annotations

import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from desktop.core.vault import Vault
from tests.fixtures.vault import VAULT_PASSPHRASE, VAULT_USER

WRITER = Path(__file__).with_name("crash_writer.py")
ROUNDS = 50


def _run_and_kill(vault_path: Path, rng: random.Random) -> list[tuple[int, int]]:
    proc = subprocess.Popen(
        [sys.executable, str(WRITER), str(vault_path), VAULT_USER, VAULT_PASSPHRASE],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )
    if rng.random() < 0.2:
        time.sleep(rng.uniform(0.0, 0.3))  # may die while still unlocking
    else:
        assert proc.stdout.readline() == b"ready\n"
        time.sleep(rng.uniform(0.0, 0.25))
    proc.kill()
    out = proc.stdout.read()
    proc.wait()
    proc.stdout.close()
    committed = []
    for line in out.decode().split("\n")[:-1]:  # the last piece may be cut off mid-print
        if line and line != "ready":
            patient_id, note_id = line.split()
            committed.append((int(patient_id), int(note_id)))
    return committed


@pytest.mark.slow
def test_kill_minus_nine_at_random_points_loses_no_committed_row(vault, vault_path):
    vault.lock()
    rng = random.Random(20240525)
    all_committed: list[tuple[int, int]] = []
    for round_no in range(ROUNDS):
        all_committed.extend(_run_and_kill(vault_path, rng))
        with Vault.unlock(vault_path, VAULT_USER, VAULT_PASSPHRASE) as opened:
            problems = opened.integrity_check()
            assert problems == [], f"round {round_no}: {problems}"
            present = {p.id for p in opened.search_patients(limit=10**6)}
            missing = [pid for pid, _ in all_committed if pid not in present]
            assert not missing, f"round {round_no}: committed patients lost: {missing[:5]}"
            if all_committed:
                pid, nid = all_committed[-1]
                assert opened.get_note(nid).patient_id == pid
            assert opened.row_counts()["notes"] >= len(all_committed)
    assert len(all_committed) > ROUNDS  # the writer really wrote between kills
