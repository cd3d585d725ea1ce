"""Every bad input, file and index reported in the hardening issue: a clear error of the project's own type, the
documented exit code, and a batch that goes on past a bad line."""

from __future__ import annotations

import json
import os
import re
import sys
import time
from pathlib import Path

import pytest

from assistant import Assistant, Settings
from assistant import cli as cli_module
from assistant.base.errors import ConfigError, CorpusError, IndexStoreError
from assistant.base.files import atomic_write, read_limited, remove_stale_temps
from assistant.search.index import MANIFEST, load_index, open_index
from assistant.text.corpus import load_corpus
from tests.conftest import TINY_POLICY, write_document

ROOT = os.geteuid() == 0 if hasattr(os, "geteuid") else False


def _lines(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines()]


# One bad line never ends a batch


@pytest.mark.parametrize("bad", ["第1十条", "第十1条", "part xiii", "第十十条讲什么", "第1十句"])
def test_a_numeral_that_is_not_a_number_is_text_and_the_batch_goes_on(run_cli, bad):
    code, out, err = run_cli("ask", "--json", "-", stdin=f"{bad}\n火线提拔\n".encode())
    first, second = _lines(out)
    assert code == 0 and err == ""
    assert first["question"] == bad and "error" not in first
    assert second["citations"][0]["label"] == "《意见》第11条（树牢用人导向）"


def test_show_with_a_numeral_that_is_not_a_number_says_so(run_cli):
    code, out, err = run_cli("show", "1十")
    assert (code, out) == (2, "")
    assert err == "error: '1十' names no article, part or paragraph; try 13, 第十三条 or 第四部分\n"


def test_invalid_utf8_on_stdin_becomes_a_replacement_character(run_cli):
    code, out, _ = run_cli("ask", "--json", "-", stdin=b"caf\xe9\n\xff\xfe\n" + "火线提拔\n".encode())
    first, second, third = _lines(out)
    assert code == 0
    assert (first["question"], second["question"]) == ("caf\ufffd", "\ufffd\ufffd")
    assert third["citations"][0]["label"] == "《意见》第11条（树牢用人导向）"


def test_a_lone_surrogate_is_replaced_not_passed_to_the_encoder(assistant: Assistant):
    answer = assistant.ask("caf\udce9 火线提拔")
    assert answer.question == "caf\ufffd 火线提拔"
    assert answer.citations[0].label == "《意见》第11条（树牢用人导向）"


def test_an_over_long_line_reports_itself_and_the_batch_exits_2(run_cli):
    code, out, _ = run_cli("ask", "--json", "-", stdin=("干" * 1001 + "\n火线提拔\n").encode())
    first, second = _lines(out)
    assert code == 2 and first["error"].startswith("the question has 1001 characters")
    assert second["citations"][0]["label"] == "《意见》第11条（树牢用人导向）"


def test_an_unexpected_failure_on_one_line_reports_itself_and_the_batch_goes_on(run_cli, assistant, monkeypatch):
    original = assistant.ask

    def failing(question, history=()):
        if question == "坏":
            raise RuntimeError("injected")
        return original(question, history)

    monkeypatch.setattr(assistant, "ask", failing)
    code, out, _ = run_cli("ask", "--json", "-", stdin="坏\n火线提拔\n".encode())
    first, second = _lines(out)
    assert code == 1 and first == {"question": "坏", "error": "internal error (RuntimeError('injected'))"}
    assert second["citations"][0]["label"] == "《意见》第11条（树牢用人导向）"


def test_web_api_never_answers_with_a_null_error(assistant: Assistant, monkeypatch):
    pytest.importorskip("gradio")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import app as web

    handlers = web.Handlers(assistant)
    assert handlers.api_ask("caf\udce9")["question"] == "caf\ufffd"
    monkeypatch.setattr(
        assistant, "ask", lambda question: (_ for _ in ()).throw(UnicodeEncodeError("utf-8", "", 0, 1, "x"))
    )
    assert handlers.api_ask("问题") == {"question": "问题", "error": web.FAILURE}


# Output paths


@pytest.mark.parametrize("command", ["quiz", "outline", "glossary"])
def test_output_path_that_is_a_folder(run_cli, tmp_path, command):
    folder = tmp_path / "out.md"
    folder.mkdir()
    code, out, err = run_cli(command, "--articles", "11-13", "-o", str(folder))
    assert (code, out) == (2, "")
    assert err == f"error: {folder} is a folder; give a file name; choose a writable file path ending in .docx or .md\n"


@pytest.mark.parametrize("command", ["quiz", "outline", "glossary"])
def test_output_path_in_an_unwritable_place(run_cli, command):
    code, out, err = run_cli(command, "--articles", "11-13", "-o", "/proc/q.docx")
    assert (code, out) == (2, "")
    assert err.startswith("error: cannot write /proc/q.docx: ") and err.endswith("ending in .docx or .md\n")
    assert "Traceback" not in err


@pytest.fixture
def read_only_folder(tmp_path: Path):
    """A folder this process cannot write into: a mode 555 folder, or /sys for root (who ignores modes)."""
    if ROOT:
        yield Path("/sys")
        return
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    yield folder
    folder.chmod(0o755)


def test_output_path_in_a_read_only_folder(run_cli, read_only_folder):
    before = set(read_only_folder.iterdir())
    code, _, err = run_cli("outline", "--articles", "13", "-o", str(read_only_folder / "q.md"))
    assert code == 2 and "Permission denied" in err and set(read_only_folder.iterdir()) == before


def test_a_failed_write_leaves_the_old_file_and_no_temp_file(tmp_path, monkeypatch):
    target = tmp_path / "notes.md"
    target.write_text("old", encoding="utf-8")

    def broken_replace(source, destination):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="No space left on device"):
        atomic_write(target, b"new")
    assert target.read_text(encoding="utf-8") == "old" and [p.name for p in tmp_path.iterdir()] == ["notes.md"]


# The index manifest


def _manifest(index_dir: Path) -> dict:
    return json.loads((index_dir / MANIFEST).read_text(encoding="utf-8"))


@pytest.mark.parametrize("content", ["[]", "null", "42", '"text"', "{}", "{not json"])
def test_a_manifest_that_is_not_an_object_means_rebuild(tiny_parts, content):
    corpus, segmenter, index_dir = tiny_parts
    open_index(corpus, segmenter, [], index_dir, progress=False)
    (index_dir / MANIFEST).write_text(content, encoding="utf-8")
    with pytest.raises(IndexStoreError, match="manifest"):
        load_index(corpus, segmenter, [], index_dir)
    notices: list[str] = []
    index = open_index(corpus, segmenter, [], index_dir, notify=notices.append, progress=False)
    assert len(index.units) == 8 and "manifest" in notices[0]
    assert isinstance(_manifest(index_dir), dict)


@pytest.mark.parametrize("name", [".", "..", "/dev/zero", "../rows-0123456789abcdef.json", "manifest.json", ""])
def test_a_manifest_file_entry_outside_the_index_is_never_read(tiny_parts, name):
    corpus, segmenter, index_dir = tiny_parts
    open_index(corpus, segmenter, [], index_dir, progress=False)
    manifest = _manifest(index_dir)
    manifest["rows"]["file"] = name
    (index_dir / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    started = time.perf_counter()
    with pytest.raises(IndexStoreError, match="is not the name of an index file"):
        load_index(corpus, segmenter, [], index_dir)
    assert time.perf_counter() - started < 5  # /dev/zero would be read for ever


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda m: m.update(extra=1), "the keys are"),
        (lambda m: m.update(format="4"), "'format' is not a int"),
        (lambda m: m["rows"].update(count=True), "'count' of 'rows' is not a int"),
        (lambda m: m["rows"].update(sha256="x"), "is not a SHA-256 digest"),
        (lambda m: m.update(embedders=[{"name": "e5"}]), "an entry of 'embedders' does not have the keys"),
        (lambda m: m["rows"].update(count=-1), "out of range"),
    ],
)
def test_a_manifest_that_breaks_the_schema_means_rebuild(tiny_parts, change, problem):
    corpus, segmenter, index_dir = tiny_parts
    open_index(corpus, segmenter, [], index_dir, progress=False)
    manifest = _manifest(index_dir)
    change(manifest)
    (index_dir / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(IndexStoreError, match=problem):
        load_index(corpus, segmenter, [], index_dir)


def test_an_index_file_over_its_size_limit_is_not_read(tiny_parts):
    corpus, segmenter, index_dir = tiny_parts
    open_index(corpus, segmenter, [], index_dir, progress=False)
    manifest = _manifest(index_dir)
    rows = index_dir / manifest["rows"]["file"]
    with pytest.raises(Exception, match="the limit is 10"):
        read_limited(rows, 10)


def test_an_index_dir_that_is_a_file_gives_one_clear_message(tmp_path, monkeypatch, capsys, tiny_corpus):
    target = tmp_path / "index-file"
    target.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(target))
    monkeypatch.setenv("ASSISTANT_CORPUS_DIR", str(tiny_corpus))
    monkeypatch.setenv("ASSISTANT_EMBEDDERS", "none")
    assert cli_module.main(["build"]) == 1
    err = capsys.readouterr().err
    assert err == f"error: {target} is a file, not a folder; set ASSISTANT_INDEX_DIR to a writable folder\n"


def test_an_index_dir_that_cannot_be_created_gives_one_clear_message(tiny_parts):
    corpus, segmenter, _ = tiny_parts
    with pytest.raises(IndexStoreError, match=r"^cannot create /proc/index: .*; set ASSISTANT_INDEX_DIR"):
        open_index(corpus, segmenter, [], Path("/proc/index"), progress=False)


def test_a_read_only_index_dir_gives_one_clear_message(tiny_parts, read_only_folder):
    corpus, segmenter, _ = tiny_parts
    problem = r"(is not writable|Permission denied); set ASSISTANT_INDEX_DIR to a writable folder$"
    with pytest.raises(IndexStoreError, match=problem):
        open_index(corpus, segmenter, [], read_only_folder, progress=False)


def test_index_files_get_the_umask_mode(tiny_parts):
    corpus, segmenter, index_dir = tiny_parts
    previous = os.umask(0o022)
    try:
        open_index(corpus, segmenter, [], index_dir, progress=False)
    finally:
        os.umask(previous)
    modes = {p.name: p.stat().st_mode & 0o777 for p in index_dir.iterdir()}
    assert set(modes.values()) == {0o644} and MANIFEST in modes


def test_temp_files_of_killed_writers_are_removed_on_the_next_build(tiny_parts):
    corpus, segmenter, index_dir = tiny_parts
    index_dir.mkdir()
    dead = index_dir / f".{MANIFEST}.999999999.0123abcd.tmp"  # no such process
    old = index_dir / f".{MANIFEST}.{os.getppid()}.89abcdef.tmp"
    live = index_dir / f".{MANIFEST}.{os.getpid()}.00000000.tmp"
    legacy, recent_legacy = index_dir / f".{MANIFEST}.k2j_9x0q.tmp", index_dir / f".{MANIFEST}.a1b2c3d4.tmp"
    for path in (dead, old, live, legacy, recent_legacy):
        path.write_bytes(b"partial")
    for path in (old, legacy):
        os.utime(path, (time.time() - 2 * 24 * 3600,) * 2)
    open_index(corpus, segmenter, [], index_dir, progress=False)
    assert not dead.exists() and not old.exists() and not legacy.exists()
    assert live.exists() and recent_legacy.exists()
    assert remove_stale_temps(index_dir, re.compile(re.escape(MANIFEST))) == []


# The corpus


def test_an_article_line_whose_number_is_not_a_number_is_text(tmp_path):
    folder = tmp_path / "corpus"
    write_document(folder, "rules", TINY_POLICY + "第1十条 正文不是新的一条。\n", {"kind": "policy"})
    corpus = load_corpus(folder)
    articles = [u for u in corpus.units if u.kind == "article"]
    assert [u.article for u in articles] == [1, 2, 3]
    assert articles[-1].text.endswith("第1十条 正文不是新的一条。")


def test_a_folder_named_like_a_corpus_file_is_reported(tiny_corpus):
    (tiny_corpus / "x.json").mkdir()
    with pytest.raises(CorpusError, match=r"x\.json: cannot read .*: Is a directory; corpus files must be regular"):
        load_corpus(tiny_corpus)


def test_a_fifo_in_the_corpus_is_reported_not_waited_on(tiny_corpus):
    os.mkfifo(tiny_corpus / "x.txt")
    started = time.perf_counter()
    with pytest.raises(CorpusError, match=r"x\.txt is not a regular file; corpus files must be regular files"):
        load_corpus(tiny_corpus)
    assert time.perf_counter() - started < 5


def test_a_corpus_file_over_the_size_limit_is_reported(tiny_corpus):
    (tiny_corpus / "long.txt").write_bytes(("长" * (4 << 20)).encode("utf-8"))  # one 12 MB line
    with pytest.raises(CorpusError, match=r"long\.txt has 12,582,912 bytes; the limit is 1,048,576"):
        load_corpus(tiny_corpus)
    with pytest.raises(CorpusError, match="the limit is 100"):
        load_corpus(tiny_corpus, max_file_bytes=100)


def test_the_size_limit_comes_from_the_environment(monkeypatch, tiny_corpus):
    monkeypatch.setenv("ASSISTANT_MAX_FILE_BYTES", "2048")
    assert Settings().max_file_bytes == 2048
    monkeypatch.setenv("ASSISTANT_MAX_FILE_BYTES", "lots")
    with pytest.raises(ConfigError, match=r"ASSISTANT_MAX_FILE_BYTES must be a whole number from 1 to .*, not 'lots'"):
        Settings()
    assert cli_module.main(["outline"]) == 2


def test_a_bad_llm_timeout_in_the_environment_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("ASSISTANT_LLM_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("ASSISTANT_LLM_TIMEOUT", "soon")
    with pytest.raises(ConfigError, match="ASSISTANT_LLM_TIMEOUT must be a positive number of seconds, not 'soon'"):
        Settings()


def test_an_unusable_cache_folder_is_a_clear_error(tiny_corpus, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    settings = Settings(corpus_dir=tiny_corpus, index_dir=tmp_path / "index", cache_dir=blocker, embedders=())
    with pytest.raises(ConfigError, match=r"cannot use .*/file/jieba as the cache folder: Not a directory; set ASSIST"):
        Assistant.from_settings(settings)
