"""Browsing helpers and HTML rendering: table of contents, 提法 index, escaping, highlighting."""

import pytest

from assistant import Assistant
from assistant.text.terms import term_index
from assistant.web.browse import table_of_contents
from assistant.web.render import answer_markdown, highlight, search_results, source_cards, term_table


def test_table_of_contents_nests_articles_under_parts(assistant: Assistant):
    toc = table_of_contents(assistant.corpus)
    assert len(toc) == 29
    assert [(e.depth, e.title) for e in toc[:3]] == [
        (0, "《意见》序言"),
        (0, "第一部分（明确目标任务）"),
        (1, "1. 锻造激情状态更加昂扬的“实干家”队伍"),
    ]
    assert toc[-1].title == "《评论员文章》第8段"
    assert sum(e.depth == 1 for e in toc) == 15


def test_term_index_finds_each_quoted_term_with_its_first_sentence(assistant: Assistant):
    terms = {e.term: e for e in term_index(assistant.corpus)}
    entry = terms["三个区分开来"]
    assert [u.id for u in entry.units] == ["opinion/art13"]
    assert entry.sentence.text.startswith("强化组织为干部担当")
    assert [u.id for u in terms["长计划"].units] == ["opinion/art10", "commentary/para3"]
    assert terms["实干家"].unit.id == "opinion/preamble"
    assert len(terms) == 58


def test_highlight_escapes_and_marks():
    assert highlight("a<b>c", [(1, 4)]) == "a<mark>&lt;b&gt;</mark>c"
    assert highlight("abcdef", [(0, 3), (2, 5)]) == "<mark>abcde</mark>f"  # overlapping spans are one mark


def test_the_command_line_marks_the_same_spans_without_html():
    from assistant.web.render import mark_spans

    text = "实行“火线提拔”，形成<导向>"
    spans = [(3, 7), (3, 5), (12, 14)]
    assert mark_spans(text, spans, "【", "】") == "实行“【火线提拔】”，形成<【导向】>"
    assert highlight(text, spans) == "实行“<mark>火线提拔</mark>”，形成&lt;<mark>导向</mark>&gt;"


def test_cards_show_quote_inside_full_text(assistant: Assistant):
    answer = assistant.ask("火线提拔适用于什么样的干部？")
    html = source_cards(answer, {u.id: u for u in assistant.corpus.units})
    quote = answer.citations[0].quote
    assert html.count('class="card"') == len({c.unit_id for c in answer.citations})
    assert f"<mark>{quote}</mark>" in html
    assert "《意见》第11条（树牢用人导向）" in html


def test_refusal_is_marked_and_lists_nearest(assistant: Assistant):
    answer = assistant.ask("今天天气怎么样？")
    assert answer_markdown(answer).startswith("⚠️ **原文未涉及**")
    html = source_cards(answer, {})
    assert 'class="card refusal"' in html and all(label in html for label in answer.nearest)


@pytest.mark.parametrize("attack", ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>"])
def test_user_text_is_escaped_everywhere(assistant: Assistant, attack: str):
    answer = assistant.ask(attack)
    assert "<script" not in answer_markdown(answer) and "<img" not in answer_markdown(answer)
    assert "<script" not in search_results([], attack) and "&lt;" in search_results([], attack)
    assert "<img" not in term_table(term_index(assistant.corpus), attack)


def test_three_support_grades_look_different(assistant: Assistant):
    full = answer_markdown(assistant.ask("火线提拔是什么？"))
    partial_answer = assistant.ask("对表现突出的干部奖金发多少")
    partial = answer_markdown(partial_answer)
    none = answer_markdown(assistant.ask("今天天气怎么样？"))
    assert not full.startswith(("⚠️", "◐")) and none.startswith("⚠️ **原文未涉及**")
    assert partial.startswith(f"◐ **原文只部分涉及：{partial_answer.gap}**")
    assert 'class="card partial"' in source_cards(partial_answer, {u.id: u for u in assistant.corpus.units})
