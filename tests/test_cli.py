"""The command line: JSON contract, stdin batches, lookups, search, and every bad input."""

import json
import os
import subprocess
import sys

import pytest

from assistant import cli as cli_module
from assistant.base.config import PROJECT_ROOT


@pytest.fixture
def cli(assistant, monkeypatch):
    """Run ``main`` in-process with the session's assistant; returns (exit code, stdout, stderr)."""

    def run(capsys, *argv: str, stdin: str | None = None):
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", __import__("io").StringIO(stdin))
        code = cli_module.main(list(argv), assistant=assistant)
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def _check_contract(payload: dict) -> None:
    assert list(payload) == ["question", "answer", "support", "refused", "gap", "kind", "corrections", "citations"]
    assert isinstance(payload["question"], str) and isinstance(payload["answer"], str)
    assert isinstance(payload["refused"], bool)
    for citation in payload["citations"]:
        assert list(citation) == ["doc", "article", "paragraph", "label", "quote", "score"]
        assert citation["article"] is None or isinstance(citation["article"], int)
        assert citation["paragraph"] is None or isinstance(citation["paragraph"], int)
        assert isinstance(citation["score"], float)
    scores = [c["score"] for c in payload["citations"]]
    assert scores[:1] == sorted(scores, reverse=True)[:1]


def test_ask_json_prints_exactly_one_object(cli, capsys):
    code, out, err = cli(capsys, "ask", "--json", "容错纠错 applies when?")
    assert code == 0 and err == ""
    assert len(out.strip().splitlines()) == 1
    payload = json.loads(out)
    _check_contract(payload)
    assert payload["question"] == "容错纠错 applies when?"
    assert payload["refused"] is False
    assert payload["citations"][0]["label"] == "《意见》第13条（坚持严管厚爱）"
    assert (payload["citations"][0]["doc"], payload["citations"][0]["article"]) == ("opinion", 13)


def test_ask_plain_text(cli, capsys):
    code, out, _ = cli(capsys, "ask", "第十三条")
    assert code == 0
    assert out.startswith("《意见》第13条（坚持严管厚爱）：“13.坚持严管厚爱。")


def test_ask_json_stdin_one_object_per_line(cli, capsys):
    stdin = "火线提拔\n\n第99条\n" + "长" * 1001 + "\n今天天气怎么样？\n"
    code, out, _ = cli(capsys, "ask", "--json", "-", stdin=stdin)
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 2  # one line was too long; the others were still answered
    assert [line["question"][:4] for line in lines] == ["火线提拔", "第99条", "长长长长", "今天天气"]
    _check_contract(lines[0])
    assert lines[0]["citations"][0]["article"] == 11
    assert lines[1]["refused"] is True and "共有15条" in lines[1]["answer"]
    assert "1000" in lines[2]["error"]
    assert lines[3]["refused"] is True


@pytest.mark.parametrize("question", ["", "   ", "\t\n", "\x00\x01"])
def test_empty_question_exits_2(cli, capsys, question):
    code, out, err = cli(capsys, "ask", question)
    assert code == 2 and out == ""
    assert err.startswith("error: the question is empty")


def test_too_long_question_exits_2(cli, capsys):
    code, out, err = cli(capsys, "ask", "干部" * 501)
    assert code == 2 and out == ""
    assert "1002 characters; the limit is 1000" in err


@pytest.mark.parametrize(
    "question", ["asdkjh qweoiu zmxn", "Wie hoch ist die Rente?", "😀😀😀", "<script>alert(1)</script>"]
)
def test_gibberish_and_other_languages_are_refused(cli, capsys, question):
    code, out, _ = cli(capsys, "ask", "--json", question)
    assert code == 0
    payload = json.loads(out)
    assert payload["refused"] is True and payload["citations"] == []


def test_show_article_and_part(cli, capsys):
    code, out, _ = cli(capsys, "show", "13")
    assert code == 0 and out.startswith("《意见》第13条（坚持严管厚爱）\n13.坚持严管厚爱。强化组织")
    code, out, _ = cli(capsys, "show", "第四部分")
    assert code == 0
    assert [line for line in out.splitlines() if line.startswith("《意见》")] == [
        "《意见》第四部分（以“实干家”要求用好干部管好干部）",
        "《意见》第11条（树牢用人导向）",
        "《意见》第12条（严格奖优罚劣）",
        "《意见》第13条（坚持严管厚爱）",
    ]


def test_show_several_units_at_once(cli, capsys):
    for args in (("13", "14"), ("13、14",)):
        code, out, _ = cli(capsys, "show", *args)
        headings = [line for line in out.splitlines() if line.startswith("《意见》")]
        assert code == 0 and headings == ["《意见》第13条（坚持严管厚爱）", "《意见》第14条（加强组织领导）"]


def test_show_and_search_without_input_say_what_they_need(cli, capsys):
    code, out, err = cli(capsys, "show", " ")
    assert code == 2 and out == "" and "nothing to show" in err
    code, out, err = cli(capsys, "search", "")
    assert code == 2 and out == "" and "nothing to search for" in err


def test_show_missing_unit_exits_2(cli, capsys):
    code, out, err = cli(capsys, "show", "第99条")
    assert code == 2 and out == ""
    assert "《意见》共有15条" in err
    code, _, err = cli(capsys, "show", "hello")
    assert code == 2 and "names no article" in err


def test_search_highlights_matches(cli, capsys):
    code, out, _ = cli(capsys, "search", "容错纠错", "--color", "never")
    assert code == 0
    assert out.splitlines() == [
        "《意见》第13条（坚持严管厚爱）：强化组织为干部担当、上级为下级担当，落实“三个区分开来”要求，完善【容错纠错】、"
        "澄清正名办法，鼓励干部大胆改、大胆试、大胆闯，推动各项工作“当龙头、得一等、争第一、多拿奖”。",
        "《评论员文章》第6段：此外，坚持为实干者撑腰，通过进一步完善【容错纠错】、澄清正名办法，鼓励干部大胆改、大胆试、"
        "大胆闯，推动党员干部在各项工作“当龙头、得一等、争第一、多拿奖”。",
    ]
    code, out, err = cli(capsys, "search", "不存在的词")
    assert code == 1 and out == "" and "没有找到" in err


@pytest.mark.slow
def test_subprocess_batch_loads_once_and_imports_no_torch(tmp_path):
    """A real process: ``ask --json -`` answers several lines, and the default path never imports torch or LangChain."""
    env = dict(os.environ, ASSISTANT_INDEX_DIR=str(tmp_path / "index"), ASSISTANT_CACHE_DIR=str(tmp_path / "cache"))
    script = (
        "import os, runpy, sys\n"
        "leave = os._exit\n"
        "def report(code):\n"  # ``ask`` leaves through os._exit
        "    print('TORCH' if 'torch' in sys.modules or 'sentence_transformers' in sys.modules else 'NO-TORCH')\n"
        "    print('LANGCHAIN' if 'langchain_core' in sys.modules else 'NO-LANGCHAIN', flush=True)\n"
        "    leave(code)\n"
        "os._exit = report\n"
        "sys.argv = ['assistant', 'ask', '--json', '-']\n"
        "runpy.run_module('assistant', run_name='__main__')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], input="第十三条\n容错纠错 applies when?\n", capture_output=True, text=True,
        env=env, cwd=PROJECT_ROOT, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[-2:] == ["NO-TORCH", "NO-LANGCHAIN"]
    answers = [json.loads(line) for line in lines[:-2]]
    assert [a["citations"][0]["article"] for a in answers] == [13, 13]
    assert result.stderr.count("Building the index") == 1
    assert (tmp_path / "index" / "manifest.json").exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["search", "火线提拔", "--limit", "0"], "must be 1 or more"),
        (["quiz", "-o", "quiz.pdf"], "write .docx (Word) or .md (Markdown)"),
        (["bench", "--rounds", "0"], "must be 1 or more"),
        (["build", "--workers", "0"], "must be a whole number from 1 to 64"),
        (["build", "--workers", "two"], "must be a whole number from 1 to 64"),
    ],
)
def test_bad_arguments_exit_2_with_a_message(capsys, argv, message):
    with pytest.raises(SystemExit) as stopped:
        cli_module.main(argv)
    assert stopped.value.code == 2 and message in capsys.readouterr().err


def test_missing_eval_set_is_a_clear_error(cli, capsys, tmp_path):
    code, _, err = cli(capsys, "eval", "--dev", str(tmp_path / "missing.jsonl"), "--split", "dev", "--no-ablation")
    assert code == 2 and err.startswith("error: cannot read the eval set")


def test_the_gate_refuses_the_dev_split(capsys: pytest.CaptureFixture[str]):
    """The floors are the test split's: gating the dev split against them would fail for the wrong reason."""
    from assistant.cli import main

    assert main(["eval", "--split", "dev", "--gate", "--no-ablation"]) == 2
    assert "use --split test or both" in capsys.readouterr().err
