"""ModelRuntime with tiny random-weight models: cancel, LRU unloading, failure isolation."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from desktop.core.errors import InputError, NotAvailableError
from desktop.core.inference import ModelRuntime, PackRegistry, loaders
from desktop.core.provenance import Provenance
from desktop.core.tasks import Cancelled, CancelToken
from tests.fixtures.packs import build_tiny_llm

HELLO = [{"role": "user", "content": "hello"}]


def test_cancel_stops_generation_within_a_token(tiny_runtime):
    generator = tiny_runtime.generator("tiny-llm")
    token = CancelToken()
    steps: list[float] = []

    def on_token(text: str) -> None:
        token.cancel()  # the clinician presses Cancel as the first words appear

    with pytest.raises(Cancelled):
        generator.generate(
            HELLO, max_new_tokens=200, on_token=on_token, cancel=token,
            progress=lambda f, m: steps.append(f),
        )
    assert 1 <= len(steps) <= 2  # at most one more token after Cancel
    assert generator.generate(HELLO, max_new_tokens=5).new_tokens == 5  # still usable


def test_a_failing_generation_reports_its_error_and_the_runtime_keeps_working(tiny_runtime):
    generator = tiny_runtime.generator("tiny-llm")

    def broken_sink(text: str) -> None:
        raise RuntimeError("display went away")

    with pytest.raises(RuntimeError, match="display went away"):
        generator.generate(HELLO, max_new_tokens=5, on_token=broken_sink)
    with pytest.raises(InputError):
        generator.generate([{"role": "doctor", "content": "x"}])
    result = generator.generate(HELLO, max_new_tokens=6)
    assert result.new_tokens == 6 and result.stopped_early is True
    assert Provenance.from_dict(result.provenance.to_dict()) == result.provenance


def test_least_recently_used_model_is_unloaded_to_fit_the_budget(app_settings, tmp_path):
    registry = PackRegistry(app_settings)
    for i, name in enumerate(["llm-a", "llm-b", "llm-c"]):
        registry.import_path(build_tiny_llm(tmp_path / name, seed=i), pack_id=name)
    runtime = ModelRuntime(app_settings, registry)
    try:
        one_model = registry.get("llm-a").size_bytes
        runtime.budget_bytes = int(2.5 * one_model)  # room for two tiny models
        for name in ["llm-a", "llm-b", "llm-a", "llm-c"]:
            runtime.generator(name).generate(HELLO, max_new_tokens=1)
        assert runtime.loaded_pack_ids() == ["llm-a", "llm-c"]  # b was least recently used
        runtime.generator("llm-b").generate(HELLO, max_new_tokens=1)  # reloads transparently
        assert runtime.loaded_pack_ids() == ["llm-c", "llm-b"]
    finally:
        runtime.close()


def test_embedder_is_safe_to_call_from_several_threads(tiny_runtime):
    embedder = tiny_runtime.embedder("tiny-encoder")
    expected = embedder.encode(["chest pain", "no fever"])
    results: list[np.ndarray] = []

    def call() -> None:
        results.append(embedder.encode(["chest pain", "no fever"]))

    threads = [threading.Thread(target=call) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(results) == 4
    steps: list[float] = []
    many = embedder.encode(["chest pain"] * 70, progress=lambda f, m: steps.append(f))
    assert many.shape[0] == 70 and steps == [0.0, 32 / 70, 64 / 70]
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        embedder.encode(["no fever"], cancel=token)
    for r in results:
        assert np.allclose(r, expected)
    assert np.allclose(np.linalg.norm(expected, axis=1), 1.0, atol=1e-5)


def test_registered_loader_runs_on_the_worker_and_its_failures_are_contained(
    app_settings, tmp_path, monkeypatch
):
    import torch

    ckpt = tmp_path / "cxr.pt"
    torch.save({"w": torch.ones(3)}, ckpt)
    PackRegistry(app_settings).import_path(ckpt, pack_id="cxr-test", task="cxr-classification")
    seen: dict[str, str] = {}

    def load_cxr(pack):
        seen["thread"] = threading.current_thread().name
        return torch.load(pack.path / "cxr.pt", weights_only=True)

    monkeypatch.setitem(loaders._loaders, "cxr-classification", load_cxr)
    runtime = ModelRuntime(app_settings)
    try:
        model = runtime.load("cxr-test")
        assert torch.equal(model["w"], torch.ones(3))
        assert seen["thread"] == "clinicdesk-inference"

        def broken(pack):
            raise RuntimeError("bad checkpoint")

        monkeypatch.setitem(loaders._loaders, "cxr-classification", broken)
        runtime.unload("cxr-test")
        with pytest.raises(RuntimeError, match="bad checkpoint"):
            runtime.load("cxr-test")
        assert runtime.run(lambda: "alive") == "alive"
    finally:
        runtime.close()


def test_a_prompt_longer_than_the_context_window_is_refused_clearly(tiny_runtime):
    generator = tiny_runtime.generator("tiny-llm")
    long_note = " ".join(["chest pain"] * 400)  # 800 tokens; the tiny model holds 512
    with pytest.raises(InputError, match="too long for the model 'tiny-llm'"):
        generator.generate([{"role": "user", "content": long_note}], max_new_tokens=8)
    assert generator.generate(HELLO, max_new_tokens=2).new_tokens == 2


def test_wrong_task_is_refused(tiny_runtime):
    with pytest.raises(NotAvailableError, match="is for sentence-embedding"):
        tiny_runtime.generator("tiny-encoder")
