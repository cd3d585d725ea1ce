"""Attribution by alignment (assistant.guard): every claim a model writes is shown only where a source sentence
supports it, and the citation comes from that sentence. Each attack from issue 14 is a case here."""

from __future__ import annotations

import pytest

from assistant import Assistant
from assistant.guard import guard_answer, has_markup, split_claims
from assistant.numerals import numbers_in

GOOD = "完善容错纠错、澄清正名办法[第13条]。"
NOT_SAID = "no source sentence says this"


@pytest.fixture(scope="module")
def units(assistant: Assistant):
    return {u.id: u for u in assistant.corpus.units}


@pytest.fixture(scope="module")
def check(assistant: Assistant, units):
    """guard_answer over 第13条 and the sixth commentary paragraph, with the corpus's dictionary."""
    sources = [units["opinion/art13"], units["commentary/para6"]]
    return lambda text, given=None: guard_answer(text, given or sources, assistant.index.bridge)


def test_supported_claims_are_kept_and_cited_by_the_sentence_that_supports_them(check, units):
    text = "落实“三个区分开来”要求，完善容错纠错、澄清正名办法[第13条]。评论员文章也提出为实干者撑腰[评论员文章第6段]。"
    result = check(text)
    assert result.removed == [] and result.text == text
    for citation in result.citations:
        assert citation.quote in units[citation.unit_id].text
    assert {c.unit_id for c in result.citations} == {"opinion/art13", "commentary/para6"}


def test_a_claim_without_a_tag_is_aligned_and_gets_the_tag_of_its_source(check):
    assert check("完善容错纠错、澄清正名办法。").text == GOOD
    inline = check("《意见》第13条明确规定，要完善容错纠错、澄清正名办法。")
    assert inline.text == "《意见》第13条明确规定，要完善容错纠错、澄清正名办法[第13条]。"


@pytest.mark.parametrize(
    ("claim", "reason"),
    [
        # tags and inline references are hints that must name the supporting source
        ("退休年龄为六十岁[第99条]。", "cites [第99条], which is not among the sources"),
        ("要实施苗圃计划突破提升行动[1]。", "cites [1], which is not among the sources"),
        ("要大胆改[第13条第99款]。", "cites [第13条第99款], which is not among the sources"),
        ("依照（第九十九条）处理[第13条]。", "mentions 第99条, which is not among the sources"),
        ("详见第99条。", "mentions 第99条, which is not among the sources"),
        ("意见提出《干部免责条例》[第13条]。", "names a document the sources are not from"),
        ("鼓励干部大胆改、大胆试、大胆闯[第12条]。", "cites [第12条], which is not among the sources"),
        # no source sentence says it (short sentences included)
        ("奖金50万元。", "no source sentence says this"),
        ("干部退休年龄为六十五。", "no source sentence says this"),
        ("机关食堂伙食补贴按月足额发放到个人[第13条]。", "no source sentence says this"),
        ("不完善容错纠错、澄清正名办法[第13条]。", "no source sentence says this"),
        ("意见提出‘终身免责’制度[第13条]。", "no source sentence says this"),
        ("原文没有涉及这个问题。", "no source sentence says this"),
        (
            "officials who make mistakes are never punished and get paid double [第13条].",
            "no source sentence says this",
        ),
        ("Cadres are never held responsible for any mistakes they make [第13条].", "no source sentence says this"),
        ("Cadres who try boldly get fifty thousand yuan [第13条].", "no source sentence says this"),
        # numbers and quoted terms must be in the supporting sentence
        ("落实“四个区分开来”要求[第13条]。", "the number 四 is not in the source"),
        ("鼓励干部大胆改、大胆试、大胆闯，共Ⅻ条[第13条]。", "the number Ⅻ is not in the source"),
        # links and markup never pass
        ("完善容错纠错、澄清正名办法![](http://example.com/x.png)[第13条]。", "contains a link or markup"),
        ("完善容错纠错、澄清正名办法，详见 http://example.com [第13条]。", "contains a link or markup"),
        ("完善容错纠错、澄清正名办法，见 www.example.com[第13条]。", "contains a link or markup"),
        ("完善容错纠错、澄清正名办法<img src=x>[第13条]。", "contains a link or markup"),
    ],
)
def test_unsupported_claims_are_removed(check, claim: str, reason: str):
    result = check(claim + GOOD)
    assert result.removed == [(claim, reason)]
    assert result.text == GOOD


@pytest.mark.parametrize(
    ("claim", "kept"),
    [
        ("每月至少组织1次集体研讨交流[第5条]。", True),
        ("每月至少组织一次集体研讨交流。", True),
        ("每月至少组织伍次集体研讨交流[第5条]。", False),
        ("每月至少组织两次集体研讨交流[第5条]。", False),  # the text has a 2, but not 2次
        ("每月至少组织Ⅻ次集体研讨交流[第5条]。", False),
        ("每月至少组织III次集体研讨交流[第5条]。", False),
        ("每月至少组织贰次集体研讨交流[第5条]。", False),
    ],
)
def test_numbers_in_every_script_must_be_in_the_source(check, units, claim: str, kept: bool):
    result = check(claim, [units["opinion/art5"]])
    assert (result.removed == []) is kept


def test_a_model_tag_that_disagrees_with_the_alignment_drops_the_claim(check, units):
    result = check(
        "理论学习中心组每月至少组织1次集体研讨交流[第13条]。", [units["opinion/art5"], units["opinion/art13"]]
    )
    assert result.removed == [
        ("理论学习中心组每月至少组织1次集体研讨交流[第13条]。", "its words are from 第5条, not from the unit it names")
    ]


def test_a_lead_in_is_shown_only_with_a_kept_item(check, units):
    given = [units["opinion/art5"]]
    reply = "学习制度要求：\n1. 每月至少组织1次集体研讨交流\n2. 每年发放奖金伍佰元"
    result = check(reply, given)
    assert result.text == "1. 每月至少组织1次集体研讨交流[第5条]"
    assert check("可以采取以下措施：\n- 每年发放奖金伍佰元\n- 实行两级审核", given).text == ""
    supported_lead_in = check("完善党委（党组）理论学习中心组学习制度：\n- 每月至少组织1次集体研讨交流", given)
    assert (
        supported_lead_in.text
        == "完善党委（党组）理论学习中心组学习制度[第5条]：\n- 每月至少组织1次集体研讨交流[第5条]"
    )


def test_claims_are_sentences_and_list_items():
    claims = split_claims("总的来说：\n1. 甲乙丙丁。[第1条]\n- 戊己庚辛；壬癸[第2条]\nIt says this. And that.")
    assert [(c.marker, c.content) for c in claims] == [
        ("", "总的来说："),
        ("1. ", "甲乙丙丁。"),
        ("- ", "戊己庚辛；"),
        ("", "壬癸"),
        ("", "It says this."),
        ("", "And that."),
    ]
    assert claims[1].tags == ["第1条"] and claims[0].lead_in


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("奖金50万元", [500000]),
        ("伍佰元", [500]),
        ("共Ⅻ条", [12]),
        ("XII articles", [12]),
        ("两级审核", [2]),
        ("fifty thousand yuan", [50000]),
        ("paid double", [2]),
        ("三个区分开来", [3]),
        ("二〇二四年", [2024]),
        ("1,000人", [1000]),
        ("三千五百万", [35000000]),
        ("统一一线，十分重要，千方百计", []),
        ("one of the twenty-five", [25]),
    ],
)
def test_numbers_are_read_in_every_script(text: str, values: list[int]):
    assert [n.value for n in numbers_in(text)] == values


@pytest.mark.parametrize(
    "text", ["http://x", "见 www.x.cn", "![](a.png)", "[x](y)", "<img src=x>", "&lt;b&gt;", "$$x$$", "ftp://host"]
)
def test_markup_is_recognised(text: str):
    assert has_markup(text) and not has_markup("完善容错纠错、澄清正名办法。")
