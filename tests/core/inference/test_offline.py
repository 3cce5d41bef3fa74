"""Model loading and inference never open a network connection."""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap

import pytest

from desktop.core.inference import ModelRuntime
from tests.fixtures.packs import REPO_ROOT

pytestmark = pytest.mark.slow


@pytest.fixture
def blocked_sockets(monkeypatch):
    """Every outgoing connection attempt raises and is recorded."""
    attempts: list[object] = []

    def refuse(*args, **kwargs):
        attempts.append(args[1:] if args and isinstance(args[0], socket.socket) else args)
        raise OSError("network access attempted during an offline test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    return attempts


def test_loading_and_inference_with_sockets_blocked(packs_settings, blocked_sockets):
    runtime = ModelRuntime(packs_settings)  # a fresh runtime: models load from disk here
    try:
        vectors = runtime.embedder().encode(["shortness of breath"])
        result = runtime.generator().generate(
            [{"role": "user", "content": "Say hello."}], max_new_tokens=8
        )
    finally:
        runtime.close()
    assert vectors.shape == (1, 384)
    assert result.text
    assert blocked_sockets == []


def test_a_fresh_process_imports_and_runs_with_sockets_blocked_from_the_start(
    tmp_path, tiny_llm_dir
):
    # Blocks sockets before transformers/torch are imported, so import-time calls count too.
    script = textwrap.dedent(
        f"""
        import socket
        attempts = []
        def refuse(*a, **k):
            attempts.append(repr(a[1:]))
            raise OSError("network access attempted")
        socket.socket.connect = refuse
        socket.socket.connect_ex = refuse
        socket.create_connection = refuse
        from pathlib import Path
        import desktop
        from desktop.core.config import Settings
        from desktop.core.inference import ModelRuntime, PackRegistry
        settings = Settings(data_dir=Path({str(tmp_path / "data")!r}))
        PackRegistry(settings).import_path(Path({str(tiny_llm_dir)!r}), pack_id="tiny")
        rt = ModelRuntime(settings)
        out = rt.generator("tiny").generate([{{"role": "user", "content": "hello"}}],
                                           max_new_tokens=4)
        rt.close()
        assert out.new_tokens == 4
        print("ATTEMPTS", attempts)
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}, cwd=REPO_ROOT,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "ATTEMPTS []" in proc.stdout
