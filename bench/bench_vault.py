"""Vault throughput: SQLCipher vs plain sqlite3 on the same schema, same pragmas, same run.

Prints inserts/s and queries/s for both and their ratio (goal >= 0.85x), the same through
the full Vault API (which also writes an audit entry per call), and the unlock time with
the production scrypt cost. Data is synthetic (no patient content).

    .venv/bin/python bench/bench_vault.py [--rows 3000]
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlcipher3 import dbapi2 as sqlcipher  # noqa: E402

from desktop.core.vault import Vault, connection, keys, schema  # noqa: E402

NOTE_SQL = (
    "INSERT INTO notes (patient_id, text, kind, source_name, sha256, created_at, created_by) "
    "VALUES (?, ?, 'text', '', ?, '2024-01-01', 'bench')"
)


def synthetic_text(rng: random.Random, n: int) -> str:
    words = ["pain", "fever", "cough", "denies", "history", "of", "chest", "mg", "daily", "bp"]
    return " ".join(rng.choice(words) for _ in range(n))


def open_plain(path: Path) -> Any:
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    connection.configure(conn)
    return conn


def open_cipher(path: Path) -> Any:
    return connection.connect(path, keys.new_db_key())


def open_unkeyed(path: Path) -> Any:
    # Same SQLite build as the vault, no key: isolates the cost of encryption itself.
    conn = sqlcipher.connect(str(path), isolation_level=None, check_same_thread=False)
    connection.configure(conn)
    return conn


def setup(conn: Any, patients: int) -> None:
    conn.execute("BEGIN IMMEDIATE")
    schema.migrate(conn)
    conn.executemany(
        "INSERT INTO patients (name, created_at, updated_at) VALUES (?, '2024', '2024')",
        [(f"Patient {i}",) for i in range(patients)],
    )
    conn.execute("COMMIT")


def timed(fn: Callable[[], int]) -> float:
    start = time.perf_counter()
    count = fn()
    return count / (time.perf_counter() - start)


def insert_workload(conn: Any, texts: list[str], patients: int) -> dict[str, float]:
    few = len(texts) // 10

    def insert_each() -> int:  # the app's pattern: one transaction per record
        for i, text in enumerate(texts[:few]):
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(NOTE_SQL, (i % patients + 1, text, "0" * 64))
            conn.execute("COMMIT")
        return few

    def insert_batch() -> int:  # import of many notes: CPU-bound, shows encryption cost
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(NOTE_SQL, [(i % patients + 1, t, "0" * 64)
                                    for i, t in enumerate(texts[few:])])
        conn.execute("COMMIT")
        return len(texts) - few

    return {"insert (1 per transaction)": timed(insert_each),
            "insert (batched)": timed(insert_batch)}


def read_workload(conn: Any, ids: list[int], patients: int) -> dict[str, float]:
    def point_reads() -> int:
        for note_id in ids:
            conn.execute("SELECT text FROM notes WHERE id = ?", (note_id,)).fetchone()
        return len(ids)

    def patient_lists() -> int:
        for pid in range(1, patients + 1):
            conn.execute("SELECT id, text FROM notes WHERE patient_id = ? ORDER BY id",
                         (pid,)).fetchall()
        return patients

    # With the app's page cache (connection.CACHE_KIB) these notes stay decrypted in memory...
    conn.execute(f"PRAGMA cache_size = -{connection.CACHE_KIB}")
    point_reads()  # warm it (the 2 MB phase of the previous trial evicted most pages)
    patient_lists()
    result = {"query by id (app cache)": timed(point_reads),
              "query by patient (app cache)": timed(patient_lists)}
    # ...a vault much larger than the cache (years of images) decrypts on every miss.
    conn.execute("PRAGMA cache_size = -2000")
    result["query by id (2 MB cache)"] = timed(point_reads)
    result["query by patient (2 MB cache)"] = timed(patient_lists)
    return result


def best(runs: list[dict[str, float]]) -> dict[str, float]:
    """Best of several interleaved runs: the machine is shared, noise only slows things."""
    return {op: max(run[op] for run in runs) for op in runs[0]}


def api_workload(directory: Path, rows: int) -> dict[str, float]:
    vault, _ = Vault.create(directory / "api.vault", "bench", "Bench", "bench passphrase",
                            kdf=keys.TEST_KDF)
    with vault:
        pid = vault.add_patient("Bench Patient")
        rng = random.Random(1)
        texts = [synthetic_text(rng, 200) for _ in range(rows // 10)]
        ids: list[int] = []

        def adds() -> int:
            ids.extend(vault.add_note(pid, t) for t in texts)
            return len(texts)

        def reads() -> int:
            for note_id in ids:
                vault.get_note(note_id)
            return len(ids)

        return {"Vault.add_note (audited)": timed(adds), "Vault.get_note (audited)": timed(reads)}


def unlock_times(directory: Path, repeats: int = 3) -> list[float]:
    path = directory / "strong.vault"
    Vault.create(path, "bench", "Bench", "bench passphrase", kdf=keys.STRONG_KDF)[0].lock()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        Vault.unlock(path, "bench", "bench passphrase").lock()
        times.append(time.perf_counter() - start)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=3000)
    parser.add_argument("--patients", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    # Synthetic data only, so a throw-away temp dir is fine here.
    with tempfile.TemporaryDirectory(prefix="clinicdesk-bench-") as tmp:
        directory = Path(tmp)
        rng = random.Random(7)
        texts = [synthetic_text(rng, rng.randint(50, 400)) for _ in range(args.rows)]
        ids = [rng.randint(1, args.rows) for _ in range(args.rows)]
        openers = (("sqlite3", open_plain), ("unkeyed", open_unkeyed), ("sqlcipher", open_cipher))
        inserts: dict[str, list[dict[str, float]]] = {name: [] for name, _ in openers}
        reads: dict[str, list[dict[str, float]]] = {name: [] for name, _ in openers}
        conns: dict[str, Any] = {}
        # Interleaved, so load from other processes on this machine hits every engine alike.
        for rep in range(args.repeats):
            for name, opener in openers:
                if name in conns:
                    conns[name].close()
                conns[name] = opener(directory / f"{name}-{rep}.db")
                setup(conns[name], args.patients)
                inserts[name].append(insert_workload(conns[name], texts, args.patients))
        for _trial in range(args.repeats * 3):
            for name, conn in conns.items():
                reads[name].append(read_workload(conn, ids, args.patients))
        for conn in conns.values():
            conn.close()
        figures = {name: {**best(inserts[name]), **best(reads[name])} for name in conns}
        print(f"vault bench: {args.rows} notes (50-400 words), {args.patients} patients, "
              f"WAL, synchronous=FULL, same schema; best of interleaved runs")
        print("peers: stdlib sqlite3, and the vault's own SQLite build without a key (unkeyed)")
        print(f"{'operation':30} {'sqlite3/s':>10} {'unkeyed/s':>10} {'sqlcipher/s':>12} "
              f"{'vs sqlite3':>10} {'vs unkeyed':>10}")
        ratios = []
        for op, plain in figures["sqlite3"].items():
            cipher, unkeyed = figures["sqlcipher"][op], figures["unkeyed"][op]
            ratios.append(cipher / plain)
            print(f"{op:30} {plain:10.0f} {unkeyed:10.0f} {cipher:12.0f} "
                  f"{cipher / plain:9.2f}x {cipher / unkeyed:9.2f}x")
        app = [r for op, r in zip(figures["sqlite3"], ratios, strict=True) if "2 MB" not in op]
        pattern = [r for op, r in zip(figures["sqlite3"], ratios, strict=True)
                   if "2 MB" not in op and "batched" not in op]
        for label, values in (("app's usage pattern", pattern), ("app cache settings", app),
                              ("all, incl. cache misses", ratios)):
            worst = min(values)
            print(f"worst ratio vs sqlite3, {label}: {worst:.2f}x (goal >= 0.85x) "
                  f"{'MET' if worst >= 0.85 else 'NOT MET'}")
        for op, rate in api_workload(directory, args.rows).items():
            print(f"{op:30} {rate:11.0f}/s")
        times = unlock_times(directory)
        print(f"unlock with production scrypt (n=2^17, r=8): median "
              f"{statistics.median(times):.2f} s (min {min(times):.2f}, max {max(times):.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
