import json
import shutil
from pathlib import Path

import pytest

from assistant import Assistant, Settings
from assistant.search.index import BM25, MANIFEST, builder_fingerprint


def _settings(corpus: Path, index: Path, cache: Path, embedders=("e5",)) -> Settings:
    return Settings(corpus_dir=corpus, index_dir=index, cache_dir=cache, embedders=embedders)


def _open(settings: Settings) -> tuple[Assistant, list[str]]:
    messages: list[str] = []
    return Assistant.from_settings(settings, notify=messages.append), messages


def test_bm25_scores_match_the_formula():
    bm25 = BM25([["河长", "巡河"], ["河长"], ["经费"]], k1=1.2, b=0.75)
    scores = bm25.scores(["巡河"])
    assert scores[1] == scores[2] == 0.0
    idf = __import__("math").log(1 + (3 - 1 + 0.5) / (1 + 0.5))
    average = 4 / 3
    expected = idf * 1 * 2.2 / (1 + 1.2 * (1 - 0.75 + 0.75 * 2 / average))
    assert scores[0] == pytest.approx(expected)
    assert bm25.known(["经费", "没有"]) == ["经费"]


def test_synonyms_in_a_group_count_once_per_document():
    bm25 = BM25([["培训", "训练", "调训"], ["培养", "年轻"], ["经费"]])
    training = (["培训", "训练", "调训", "培养"], 0.25)
    scores = bm25.grouped_scores([training])
    assert scores[0] == pytest.approx(0.25 * max(bm25.scores([t])[0] for t in training[0]))
    assert scores[1] == pytest.approx(0.25 * bm25.scores(["培养"])[1])
    assert scores[2] == 0.0
    young = (["年轻"], 1.0)
    assert bm25.grouped_scores([training, young])[1] == pytest.approx(scores[1] + bm25.scores(["年轻"])[1])


def test_round_trip_and_files(tiny_corpus: Path, tmp_path: Path, cache_dir: Path):
    settings = _settings(tiny_corpus, tmp_path / "index", cache_dir)
    built, messages = _open(settings)
    assert messages == [f"Building the index in {settings.index_dir} (no index in {settings.index_dir})."]
    names = sorted(p.name for p in settings.index_dir.iterdir())
    assert MANIFEST in names and any(n.startswith("dense-e5-") and n.endswith(".faiss") for n in names)
    assert not any(n.endswith(".tmp") or n.endswith(".pkl") for n in names)
    manifest = json.loads((settings.index_dir / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["corpus_hash"] == built.corpus.hash
    assert manifest["embedders"][0]["dim"] == 384
    loaded, messages = _open(settings)
    assert messages == []
    assert loaded.index.rows == built.index.rows
    assert loaded.index.tokens == built.index.tokens
    assert loaded.ask("河长每月巡河几次？").citations[0].unit_id == "rules/art1"


def _rebuild_reason(settings: Settings) -> str:
    _, messages = _open(settings)
    assert len(messages) == 1, messages
    _, again = _open(settings)
    assert again == []  # rebuilt index is fresh
    return messages[0]


def test_index_built_by_other_code_is_rebuilt(tiny_corpus: Path, tmp_path: Path, cache_dir: Path):
    settings = _settings(tiny_corpus, tmp_path / "index", cache_dir)
    _open(settings)
    manifest_path = settings.index_dir / MANIFEST
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    assert manifest["builder"] == builder_fingerprint()
    manifest["builder"] = "0" * 16
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    assert "the code that builds the index changed" in _rebuild_reason(settings)


def test_edited_corpus_is_detected(tiny_corpus: Path, tmp_path: Path, cache_dir: Path):
    settings = _settings(tiny_corpus, tmp_path / "index", cache_dir)
    _open(settings)
    path = tiny_corpus / "rules.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("每月巡河1次", "每周巡河2次"), encoding="utf-8")
    assert "the corpus changed" in _rebuild_reason(settings)
    assistant, _ = _open(settings)
    assert "每周巡河2次" in assistant.ask("河长多久巡河一次？").text


def test_changed_embedder_is_detected(tiny_corpus: Path, tmp_path: Path, cache_dir: Path):
    _open(_settings(tiny_corpus, tmp_path / "index", cache_dir, ("e5",)))
    reason = _rebuild_reason(_settings(tiny_corpus, tmp_path / "index", cache_dir, ("e5", "use")))
    assert "built with embedders" in reason


@pytest.mark.parametrize("damage", ["truncate", "delete", "garbage-manifest", "bit-flip"])
def test_damaged_index_is_rebuilt(tiny_corpus: Path, tmp_path: Path, cache_dir: Path, damage: str):
    settings = _settings(tiny_corpus, tmp_path / "index", cache_dir)
    _open(settings)
    faiss_file = next(settings.index_dir.glob("dense-*.faiss"))
    if damage == "truncate":
        faiss_file.write_bytes(faiss_file.read_bytes()[:100])
    elif damage == "delete":
        faiss_file.unlink()
    elif damage == "garbage-manifest":
        (settings.index_dir / MANIFEST).write_text('{"format": ', encoding="utf-8")
    else:
        blob = bytearray(faiss_file.read_bytes())
        blob[-5] ^= 0xFF
        faiss_file.write_bytes(bytes(blob))
    reason = _rebuild_reason(settings)
    assert "damaged" in reason or "missing" in reason


def test_unwritable_index_folder_gives_a_clear_error(tiny_corpus: Path, tmp_path: Path, cache_dir: Path):
    blocker = tmp_path / "file-not-folder"
    blocker.write_text("x", encoding="utf-8")
    from assistant import AssistantError

    with pytest.raises(AssistantError, match="ASSISTANT_INDEX_DIR"):
        Assistant.from_settings(_settings(tiny_corpus, blocker / "index", cache_dir))


def test_copied_index_loads_elsewhere(tiny_corpus: Path, tmp_path: Path, cache_dir: Path):
    _open(_settings(tiny_corpus, tmp_path / "index", cache_dir))
    shutil.copytree(tmp_path / "index", tmp_path / "copy")
    _, messages = _open(_settings(tiny_corpus, tmp_path / "copy", cache_dir))
    assert messages == []


def test_the_index_stores_the_start_up_vocabularies(tiny_parts):
    from assistant.question.normalize import term_readings
    from assistant.search.index import load_index, open_index
    from assistant.text.segment import corpus_abbreviations, corpus_vocabulary

    corpus, segmenter, index_dir = tiny_parts
    open_index(corpus, segmenter, [], index_dir, progress=False)
    loaded = load_index(corpus, segmenter, [], index_dir)
    texts = [u.text for u in corpus.units]
    assert loaded.vocabulary == corpus_vocabulary(texts, segmenter) and "零容忍" in loaded.vocabulary
    assert loaded.abbreviations == corpus_abbreviations("\n".join(texts), segmenter)
    assert loaded.readings == term_readings(loaded.vocabulary)
    assert loaded.readings.terms["零容忍"] == ("nin", "ron", "ren")  # fuzzy: l→n, -ng→-n
    assert "措" in loaded.readings.chars and "䶮" not in loaded.readings.chars  # common characters only


def test_readings_that_do_not_fit_the_vocabulary_are_refused():
    import json

    from assistant.base.errors import IndexStoreError
    from assistant.search.index import _stored_readings

    vocabulary = ["零容忍", "火线提拔"]
    good = {"terms": ["nin ron ren", "huo xian ti ba"], "chars": {"措": "cuo"}}
    assert _stored_readings(json.loads(json.dumps(good)), vocabulary).terms["火线提拔"] == ("huo", "xian", "ti", "ba")
    for bad in [None, {"terms": good["terms"]}, {**good, "terms": ["nin ron", "huo xian ti ba"]},
                {**good, "terms": good["terms"][:1]}, {**good, "chars": {"措": 1}}]:  # fmt: skip
        with pytest.raises(IndexStoreError):
            _stored_readings(bad, vocabulary)
