"""Every quote in every answer is a verbatim substring of the unit it cites."""

import json

import pytest

from assistant import Assistant
from assistant.base.config import PROJECT_ROOT

EVAL_QUESTIONS = [json.loads(line)["question"] for line in (PROJECT_ROOT / "eval" / "dev.jsonl").open(encoding="utf-8")]
EXTRA = ["第四部分", "part 1", "第一部分讲了什么", "序言", "锻造实干家队伍的三个发力点是什么？", "三张清单包括哪些？"]


@pytest.mark.parametrize("question", EVAL_QUESTIONS + EXTRA)
def test_quotes_are_verbatim_and_labels_match(assistant: Assistant, question: str):
    answer = assistant.ask(question)
    for citation in answer.citations:
        unit = assistant.corpus.unit(citation.unit_id)
        assert citation.quote and citation.quote in unit.text
        assert citation.label == unit.label
        assert (citation.doc, citation.article, citation.paragraph) == (unit.doc, unit.article, unit.paragraph)
        assert f"“{citation.quote}”" in answer.text
    assert answer.refused == (not answer.citations)


def test_mission_question(assistant: Assistant):
    answer = assistant.ask("容错纠错 applies when?")
    best = answer.citations[0]
    assert best.label == "《意见》第13条（坚持严管厚爱）"
    assert (best.doc, best.article, best.paragraph) == ("opinion", 13, None)
    assert "完善容错纠错、澄清正名办法" in best.quote
    assert answer.text.startswith("《意见》第13条（坚持严管厚爱）：“强化组织为干部担当")


def test_related_units_are_listed_after_the_main_quote(assistant: Assistant):
    answer = assistant.ask("容错纠错、澄清正名办法")
    assert [c.unit_id for c in answer.citations][:2] == ["opinion/art13", "commentary/para6"]
    assert "相关内容：" in answer.text
    assert answer.citations[0].score >= answer.citations[1].score


def test_control_characters_are_stripped(assistant: Assistant):
    answer = assistant.ask("火线\x00提拔\x1b\u200b")
    assert answer.question == "火线 提拔"
    assert answer.citations[0].unit_id == "opinion/art11"
