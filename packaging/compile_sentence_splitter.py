"""Compile PyFastNER's matcher with Cython: the same source, sentences ~1.4x faster.

PyRuSH, medspaCy's sentence splitter, spends most of its time in PyFastNER's FastCNER:
plain Python walking a rule trie from every character of a note (about 70 % of note
analysis). The wheel ships only the Python source. Cython compiles those modules unchanged
(same semantics, so the same sentence boundaries) into extension modules that Python
imports in preference to the .py files beside them.

Run by `make deps` after the packages are installed; no C compiler means a message and the
pure-Python modules (slower, otherwise identical). The built files are added to the
package's RECORD so that pip removes them with the package on an upgrade.
Run: .venv/bin/python packaging/compile_sentence_splitter.py
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

MODULES = ("FastCNER", "WildCardFunctions", "ReplicationFunctionsLambda")


def package_dir() -> Path:
    spec = importlib.util.find_spec("PyFastNER")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("PyFastNER is not installed: run make deps")
    return Path(next(iter(spec.submodule_search_locations)))


def compile_modules(target: Path) -> list[Path]:
    """Build the extension modules in a scratch copy of the package; return them."""
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    built = []
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / "PyFastNER"
        shutil.copytree(target, copy, ignore=shutil.ignore_patterns("__pycache__", "*.so"))
        sources = [f"{name}.py" for name in MODULES]
        # -3: the package is Python 3; -i: build in place next to the sources.
        subprocess.run(
            [sys.executable, "-m", "Cython.Build.Cythonize", "-3", "-i", "-q", *sources],
            cwd=copy,
            check=True,
            capture_output=True,
        )
        for name in MODULES:
            module = copy / f"{name}{suffix}"
            shutil.copy2(module, target / module.name)
            built.append(target / module.name)
    return built


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
    try:
        built = compile_modules(target)
    except subprocess.CalledProcessError as err:
        detail = (err.stderr or b"").decode(errors="replace").strip().splitlines()[-1:]
        print(f"Sentence splitter not compiled ({'; '.join(detail)}): pure Python is used.")
        return 0
    except OSError as err:  # a build that left no module, or a package dir not writable
        print(f"Sentence splitter not compiled ({err}): pure Python is used.")
        return 0
    if not compiled_in_use():
        # A build that does not import would break the splitter: keep the shipped modules.
        for path in built:
            path.unlink(missing_ok=True)
        print("The compiled sentence splitter does not import: pure Python is used.")
        return 0
    record(built, target)
    print(f"Compiled the sentence splitter's matcher ({len(built)} modules).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
