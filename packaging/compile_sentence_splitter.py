"""Compile PyFastNER's matcher with Cython: the same source and sentences, split faster.

PyRuSH, medspaCy's sentence splitter, spends most of its time in PyFastNER's FastCNER:
plain Python walking a rule trie from every character of a note (about 70 % of note
analysis). The wheel ships only the Python source. Cython compiles those modules unchanged
into extension modules that Python imports in preference to the .py files beside them
(~1.4x faster); ``sentence_splitter/FastCNER.pxd`` adds the types the matcher works with (C
integers for positions, typed dicts): ~1.3x faster again in alternating runs.

A compiled build is kept only if it splits the demo notes into exactly the sentences the
pure-Python modules give; a typed build that fails (a later PyFastNER whose source no longer
fits the declarations) falls back to the untyped one, and no C compiler or no matching
build means a message and the pure-Python modules (slower, otherwise identical). The
built files are added to the package's RECORD so that pip removes them on an upgrade.
Run by `make deps` after the packages are installed.
Run: .venv/bin/python packaging/compile_sentence_splitter.py
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

MODULES = ("FastCNER", "WildCardFunctions", "ReplicationFunctionsLambda")
DECLARATIONS = Path(__file__).resolve().parent / "sentence_splitter"
REPO = Path(__file__).resolve().parents[1]
# Splits the demo notes with whichever PyFastNER is first on sys.path; prints a digest.
SENTENCES_PROBE = """
import hashlib, pathlib, sys
sys.path.append(sys.argv[1])
from loguru import logger
logger.disable("PyRuSH")
from PyRuSH.RuSH import RuSH
from desktop.core.analysis.notes.sentences import splitter_rules
matcher = sys.modules["PyFastNER.FastCNER"].__file__
assert sys.argv[2] != "compiled" or not matcher.endswith(".py"), matcher
rush = RuSH(splitter_rules())
digest = hashlib.sha256()
for note in sorted(pathlib.Path(sys.argv[1], "resources", "demo", "notes").glob("*.txt")):
    for span in rush.segToSentenceSpans(note.read_text("utf-8")):
        digest.update(f"{span.begin},{span.end};".encode())
print(digest.hexdigest())
"""


def package_dir() -> Path:
    spec = importlib.util.find_spec("PyFastNER")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("PyFastNER is not installed: run make deps")
    return Path(next(iter(spec.submodule_search_locations)))


def source_copy(target: Path, scratch: Path) -> Path:
    """The package's Python source (no compiled modules) in ``scratch``/PyFastNER."""
    copy = scratch / "PyFastNER"
    shutil.copytree(target, copy, ignore=shutil.ignore_patterns("__pycache__", "*.so", "*.pyd"))
    return copy


def compile_copy(copy: Path, declarations: bool) -> list[Path]:
    """Build the extension modules in place in ``copy``; return them."""
    if declarations:
        for pxd in DECLARATIONS.glob("*.pxd"):
            shutil.copy2(pxd, copy / pxd.name)
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    sources = [f"{name}.py" for name in MODULES]
    # -3: the package is Python 3; -i: build in place next to the sources.
    subprocess.run(
        [sys.executable, "-m", "Cython.Build.Cythonize", "-3", "-i", "-q", *sources],
        cwd=copy,
        check=True,
        capture_output=True,
    )
    return [copy / f"{name}{suffix}" for name in MODULES]


def sentences_with(package_parent: Path, kind: str) -> str | None:
    """Digest of the demo notes' sentences with the PyFastNER under ``package_parent``
    (None when that build does not run)."""
    out = subprocess.run(
        [sys.executable, "-c", SENTENCES_PROBE, str(REPO), kind],
        capture_output=True, text=True, cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(package_parent)},
    )
    return out.stdout.strip() if out.returncode == 0 else None


def record(built: list[Path], target: Path) -> None:
    root = target.parent
    records = [
        info / "RECORD"
        for info in root.glob("*.dist-info")
        if info.name.lower().startswith("pyfastner-") and (info / "RECORD").is_file()
    ]
    for record_file in records:
        lines = record_file.read_text(encoding="utf-8").splitlines()
        lines += [
            entry
            for entry in (f"{path.relative_to(root).as_posix()},," for path in built)
            if entry not in lines
        ]
        record_file.write_text("\n".join(lines) + "\n", encoding="utf-8")


def compiled_in_use() -> bool:
    probe = "import PyFastNER.FastCNER, sys; print(sys.modules['PyFastNER.FastCNER'].__file__)"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    return out.returncode == 0 and not out.stdout.strip().endswith(".py")


def main() -> int:
    target = package_dir()
    compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(compiler) is None:
        print("No C compiler: the sentence splitter runs as pure Python (slower).")
        return 0
    with tempfile.TemporaryDirectory() as scratch:
        pure = Path(scratch, "pure")
        source_copy(target, pure)
        expected = sentences_with(pure, "pure")
        if expected is None:
            print("The sentence splitter does not run from its source: pure Python is used.")
            return 0
        for declarations in (True, False):
            build = Path(scratch, "typed" if declarations else "plain")
            try:
                modules = compile_copy(source_copy(target, build), declarations)
            except subprocess.CalledProcessError as err:
                detail = (err.stderr or b"").decode(errors="replace").strip().splitlines()[-1:]
                print(f"Sentence splitter not compiled{' with types' * declarations} "
                      f"({'; '.join(detail)}).")
                continue
            except OSError as err:  # a build that left no module
                print(f"Sentence splitter not compiled ({err}).")
                continue
            if sentences_with(build, "compiled") != expected:
                print(f"The compiled{' typed' * declarations} sentence splitter splits "
                      "differently: not used.")
                continue
            try:
                built = [Path(shutil.copy2(module, target / module.name)) for module in modules]
            except OSError as err:  # the package directory is not writable
                print(f"Sentence splitter not compiled ({err}): pure Python is used.")
                return 0
            if not compiled_in_use():
                # A build that does not import would break the splitter: keep the shipped modules.
                for path in built:
                    path.unlink(missing_ok=True)
                print("The compiled sentence splitter does not import: pure Python is used.")
                return 0
            record(built, target)
            print(f"Compiled the sentence splitter's matcher ({len(built)} modules"
                  f"{', typed' * declarations}).")
            return 0
    print("Pure Python is used for the sentence splitter.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
