"""Building at scale: chunks saved as they finish, an interrupted build resumes, worker processes, HNSW by size."""

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from assistant import Assistant, Settings
from assistant.base.config import PROJECT_ROOT
from assistant.search.batch_embed import discard_checkpoints, embed_rows
from assistant.search.embeddings import ArrayEmbeddings, load_embedder
from assistant.search.index import MANIFEST, ROWS_SEARCHED, DenseIndex, build_index, dense_index, load_index, row_texts
from tests.conftest import NEEDS_ST, st_model_dir

TEXTS = [f"第{n}条 河长每月巡河{n}次，发现问题及时处理。" for n in range(1, 12)]


class Interrupted(Exception):
    pass


class StopsAfter(ArrayEmbeddings):
    """The real USE embedder, interrupted after ``calls`` batches (as Ctrl-C would); counts the texts it embeds."""

    def __init__(self, real: ArrayEmbeddings, calls: int) -> None:
        self.real, self.calls, self.embedded = real, calls, 0
        self.name, self.id = real.name, real.id

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if self.calls == 0:
            raise Interrupted
        self.calls -= 1
        self.embedded += len(texts)
        return self.real.embed_passages(texts)

    def embed_question(self, text: str) -> np.ndarray:
        return self.real.embed_question(text)


@pytest.fixture(scope="module")
def use(cache_dir: Path) -> ArrayEmbeddings:
    return load_embedder("use", cache_dir)


def test_an_interrupted_embedding_resumes_from_its_saved_chunks(use: ArrayEmbeddings, tmp_path: Path):
    reference = use.embed_passages(TEXTS)
    first = StopsAfter(use, calls=2)
    with pytest.raises(Interrupted):
        embed_rows(first, TEXTS, tmp_path, progress=False, chunk_rows=3)
    [folder] = tmp_path.glob(".embedding-use-*")
    assert sorted(p.name for p in folder.iterdir()) == ["chunk-0000000000.npy", "chunk-0000000003.npy"]
    second = StopsAfter(use, calls=100)
    matrix = embed_rows(second, TEXTS, tmp_path, progress=False, chunk_rows=3)
    assert second.embedded == len(TEXTS) - 6  # only the chunks that were not saved
    assert np.allclose(matrix, reference, atol=1e-5)
    discard_checkpoints(tmp_path)
    assert not list(tmp_path.glob(".embedding-*"))


def test_a_damaged_chunk_or_other_texts_are_embedded_again(use: ArrayEmbeddings, tmp_path: Path):
    embed_rows(use, TEXTS, tmp_path, progress=False, chunk_rows=4)
    [folder] = tmp_path.glob(".embedding-use-*")
    (folder / "chunk-0000000004.npy").write_bytes(b"not an array")
    again = StopsAfter(use, calls=100)
    embed_rows(again, TEXTS, tmp_path, progress=False, chunk_rows=4)
    assert again.embedded == 4
    other = StopsAfter(use, calls=100)
    embed_rows(other, [*TEXTS[:-1], "另一段文字"], tmp_path, progress=False, chunk_rows=4)
    assert other.embedded == len(TEXTS)  # other texts: another checkpoint folder, nothing reused
    assert len(list(tmp_path.glob(".embedding-use-*"))) == 2


@pytest.mark.slow
def test_worker_processes_give_the_same_vectors(use: ArrayEmbeddings, tmp_path: Path, cache_dir: Path):
    alone = embed_rows(use, TEXTS, tmp_path / "one", workers=1, progress=False, chunk_rows=3)
    shared = embed_rows(use, TEXTS, tmp_path / "two", workers=2, progress=False, cache_dir=cache_dir, chunk_rows=3)
    assert shared.shape == alone.shape and np.allclose(shared, alone, atol=1e-5)


def test_hnsw_above_the_row_limit_finds_the_rows_flat_finds(use: ArrayEmbeddings):
    matrix = use.embed_passages(TEXTS * 30)  # 330 rows: more than one search returns
    flat = DenseIndex(use, dense_index(matrix, flat_max_rows=len(matrix)))
    graph = DenseIndex(use, dense_index(matrix, flat_max_rows=len(matrix) - 1))
    assert (flat.kind, graph.kind) == ("flat", "hnsw")
    exact, approximate = flat.scores("巡河发现问题"), graph.scores("巡河发现问题")
    found = np.flatnonzero(approximate > approximate.min())
    assert len(found) < ROWS_SEARCHED <= len(matrix)
    assert np.allclose(approximate[found], exact[found], atol=1e-5)
    assert set(np.argsort(-exact)[:10]) <= set(np.argsort(-approximate, kind="stable")[:ROWS_SEARCHED])


def test_an_hnsw_index_is_written_named_and_loaded(tiny_parts, use: ArrayEmbeddings, cache_dir: Path):
    corpus, segmenter, index_dir = tiny_parts
    built = build_index(corpus, segmenter, [use], index_dir, progress=False, cache_dir=cache_dir, flat_max_rows=1)
    manifest = json.loads((index_dir / MANIFEST).read_text(encoding="utf-8"))
    assert [e["kind"] for e in manifest["embedders"]] == ["hnsw"]
    loaded = load_index(corpus, segmenter, [use], index_dir)
    assert loaded.dense["use"].kind == "hnsw"
    question = "河长每月巡河几次"
    assert np.array_equal(loaded.dense["use"].scores(question), built.dense["use"].scores(question))
    assert len(row_texts(corpus)[0]) == loaded.dense["use"].index.ntotal
    assert not list(index_dir.glob(".embedding-*"))  # checkpoints go once the index is complete


def test_the_assistant_answers_from_an_hnsw_index(tiny_corpus: Path, tmp_path: Path, cache_dir: Path):
    settings = Settings(corpus_dir=tiny_corpus, index_dir=tmp_path / "index", cache_dir=cache_dir,
                        embedders=("use",), flat_max_rows=1)  # fmt: skip
    assert Assistant.from_settings(settings).ask("河长每月巡河几次？").citations[0].unit_id == "rules/art1"


@pytest.mark.parametrize(
    ("name", "good", "bad"), [("ASSISTANT_BUILD_WORKERS", "2", "0"), ("ASSISTANT_FLAT_MAX_ROWS", "500", "-1")]
)
def test_build_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch, name: str, good: str, bad: str):
    from assistant.base.errors import ConfigError

    monkeypatch.setenv(name, good)
    settings = Settings()
    assert (settings.build_workers, settings.flat_max_rows)[name.endswith("ROWS")] == int(good)
    monkeypatch.setenv(name, bad)
    with pytest.raises(ConfigError, match=f"{name} must be a whole number from 1 to"):
        Settings()


@pytest.mark.parametrize(("kind", "message"), [("ivf", "kind is not one of"), ("hnsw", "does not match the rows")])
def test_a_wrong_index_kind_in_the_manifest_means_rebuild(tiny_parts, use: ArrayEmbeddings, kind: str, message: str):
    from assistant.base.errors import IndexStoreError

    corpus, segmenter, index_dir = tiny_parts
    build_index(corpus, segmenter, [use], index_dir, progress=False)
    manifest = json.loads((index_dir / MANIFEST).read_text(encoding="utf-8"))
    manifest["embedders"][0]["kind"] = kind
    (index_dir / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(IndexStoreError, match=message):
        load_index(corpus, segmenter, [use], index_dir)


@pytest.mark.slow
@pytest.mark.skipif(st_model_dir() is None, reason=NEEDS_ST)
def test_vectors_from_an_outside_job_build_the_index_the_assistant_would(tiny_corpus: Path, tmp_path: Path):
    """The README's recipe: ``rows`` → a sentence-transformers job in another process → ``build --vectors``."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, ASSISTANT_CORPUS_DIR=str(tiny_corpus), ASSISTANT_INDEX_DIR=str(tmp_path / "outside"),
               ASSISTANT_CACHE_DIR=str(tmp_path / "cache"), ASSISTANT_EMBEDDERS=f"st:{st_model_dir()}")  # fmt: skip
    run = {"env": env, "cwd": PROJECT_ROOT, "capture_output": True, "text": True, "timeout": 600, "check": True}
    subprocess.run([sys.executable, "-m", "assistant", "rows", "-o", str(tmp_path / "rows.jsonl")], **run)
    job = (
        "import json, sys, numpy\n"
        "from sentence_transformers import SentenceTransformer\n"
        "model = SentenceTransformer(sys.argv[1], device='cpu')  # device='cuda' on a GPU machine\n"
        "texts = [json.loads(line)['text'] for line in open(sys.argv[2], encoding='utf-8')]\n"
        "numpy.save(sys.argv[3], model.encode(texts, batch_size=64, normalize_embeddings=True))\n"
    )
    vectors = tmp_path / "vectors.npy"
    subprocess.run([sys.executable, "-c", job, str(st_model_dir()), str(tmp_path / "rows.jsonl"), str(vectors)], **run)
    spec = f"st:{st_model_dir()}"
    built = subprocess.run([sys.executable, "-m", "assistant", "build", "--vectors", f"{spec}={vectors}"], **run)
    assert "Built" in built.stdout
    settings = Settings(corpus_dir=tiny_corpus, index_dir=tmp_path / "outside", cache_dir=tmp_path / "cache",
                        embedders=(spec,))  # fmt: skip
    outside = Assistant.from_settings(settings)
    inside = Assistant.from_settings(replace(settings, index_dir=tmp_path / "inside"))
    assert np.allclose(outside.index.dense[spec].matrix, inside.index.dense[spec].matrix, atol=1e-5)
    question = "How often does the river chief patrol?"
    assert outside.ask(question).to_dict() == inside.ask(question).to_dict()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is not a .npy file"),
        (b"hello\n", "is not a .npy file"),
        ("zeros", "are all zeros"),
        ("int64", "are int64; floating-point vectors are needed"),
    ],
)
def test_bad_vector_files_are_refused_with_a_message(
    tiny_corpus: Path, tmp_path: Path, content, message, capsys, monkeypatch: pytest.MonkeyPatch
):
    from assistant import cli as cli_module
    from assistant import load_corpus

    path = tmp_path / "vectors.npy"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        rows = len(row_texts(load_corpus(tiny_corpus))[0])
        np.save(path, np.zeros((rows, 512), np.float32) if content == "zeros" else np.ones((rows, 512), np.int64))
    monkeypatch.setenv("ASSISTANT_CORPUS_DIR", str(tiny_corpus))
    monkeypatch.setenv("ASSISTANT_EMBEDDERS", "use")
    assert cli_module.main(["build", "--vectors", f"use={path}"]) == 2
    assert message in capsys.readouterr().err
