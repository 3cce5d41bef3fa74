"""The sentence splitter `make deps` compiles splits notes exactly as the library's source."""

from __future__ import annotations

import importlib.util
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _compile_script():
    path = REPO / "packaging" / "compile_sentence_splitter.py"
    spec = importlib.util.spec_from_file_location("compile_sentence_splitter", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_installed_sentence_splitter_splits_as_the_library_source(tmp_path):
    # The compiled, typed matcher must give the same sentence boundaries as PyFastNER's own
    # Python: a difference would move every sentence-level evidence span.
    script = _compile_script()
    installed = script.package_dir()
    script.source_copy(installed, tmp_path / "pure")
    expected = script.sentences_with(tmp_path / "pure", "pure")
    assert expected is not None
    assert script.sentences_with(installed.parent, "installed") == expected
