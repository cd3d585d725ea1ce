"""Attribution by alignment (assistant.answering.guard): every claim a model writes is shown only where a source
sentence supports it, and the citation comes from that sentence. Each attack from issue 14 is a case here."""

from __future__ import annotations

import pytest

from assistant import Assistant
from assistant.answering.guard import guard_answer, has_markup, split_claims
from assistant.text.numerals import numbers_in

GOOD = "完善容错纠错、澄清正名办法[第13条]。"
NOT_SAID = "no source sentence says this"
ENGLISH = "a claim in English cannot be checked word for word against the Chinese text"


@pytest.fixture(scope="module")
def units(assistant: Assistant):
    return {u.id: u for u in assistant.corpus.units}


@pytest.fixture(scope="module")
def check(assistant: Assistant, units):
    """guard_answer over 第13条 and the sixth commentary paragraph."""
    sources = [units["opinion/art13"], units["commentary/para6"]]
    return lambda text, given=None: guard_answer(text, given or sources)


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
            ENGLISH,
        ),
        ("Cadres are never held responsible for any mistakes they make [第13条].", ENGLISH),
        ("Cadres who try boldly get fifty thousand yuan [第13条].", ENGLISH),
        # numbers and quoted terms must be in the supporting sentence
        ("落实“四个区分开来”要求[第13条]。", NOT_SAID),
        ("鼓励干部大胆改、大胆试、大胆闯，共Ⅻ条[第13条]。", NOT_SAID),
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
    "text",
    [
        "http://x",
        "见 www.x.cn",
        "![](a.png)",
        "[x](y)",
        "<img src=x>",
        "&lt;b&gt;",
        "$$x$$",
        "ftp://host",
        "完善\x1b]8;;http://x\x07容错",
        "完善\x1b[31m容错",
        "完善\u202e容错",
    ],
)
def test_markup_is_recognised(text: str):
    assert has_markup(text) and not has_markup("完善容错纠错、澄清正名办法。")


SOURCE_SETS = {
    "S": ["opinion/art13", "commentary/para6"],
    "S2": ["opinion/art11", "opinion/art12", "opinion/art6"],
    "S3": ["opinion/art13", "opinion/art12", "commentary/para6"],
}
HELPER_ATTACKS = [
    ("S", "下级为上级担当，落实“三个区分开来”要求。"),
    ("S", "加大对有作为干部的惩处力度[第13条]。"),
    ("S", "加大对敢作为干部的惩处力度[第13条]。"),
    ("S2", "唯年龄，唯资历，唯班子排序。"),
    ("S2", "制定胜任适宜干部“下”的办法。"),
    ("S2", "坚持论资排辈。"),
    ("S", "落实“三个区分开来”要求，取消容错纠错、澄清正名办法，鼓励干部大胆改、大胆试、大胆闯。"),
    ("S", "落实基层减负要求，最大限度精文简会、规范检查考核、增加会议陪同。"),
    ("S2", "对长期打不开工作局面的领导班子和干部，果断进行提拔重用。"),
    ("S2", "坚持奖罚分明、奖惩并举，不断健全有功必罚、有过必奖的有效机制。"),
    ("S2", "对长期打不开工作局面的领导班子和干部，给予精神激励和物质奖励。"),
    ("S2", "对那些不担当不实干、相形见绌的干部，实行“火线提拔”，表现优秀的淘汰出局。"),
    ("S", "上级\u200b不\u200b为下级担当。"),
    ("S", "上级\uf967为下级担当。"),
    ("S", "上级 不 为下级担当。"),
    ("S", "禁\u200b止\u200b鼓励干部大胆改、大胆试、大胆闯。"),
    ("S2", "按规定每年选树一万名“夺旗扛旗”标兵，用足用活及时奖励政策。"),
    ("S", "对苗头性倾向性问题三日内谈话提醒、纠错纠偏。"),
    ("S2", "细化提出三年规划、五年目标和年度任务。"),
    ("S2", "最大限度激发调动干部队伍积极性创造性，5%的干部将被调整。"),
    ("S2", "Five percent of the cadre team are rewarded."),
    ("S", "完善容错纠错、澄清正名办法，13条措施鼓励干部大胆改、大胆试、大胆闯。"),
    ("S", "落实基层减负要求，最大限度精文简会、减少会议陪同，会议压减至第13条以内。"),
    ("S", "Cadres who do not act are never punished."),
    ("S", "Subordinates must take responsibility for superiors."),
    ("S", "The opinion abolishes fault-tolerance and error correction for cadres."),
    ("S", "Leaders must cancel all grassroots burden reduction and increase meetings."),
    ("S2", "Cadres are promoted purely by seniority and age."),
    ("S", "落实基层减负要求，最大限度精文简会，为基层干部‟取消考核”。"),
    ("S", "加大对不作为干部的惩处力度，包括：\n- 大胆改\n- 大胆试\n- 大胆闯"),
    ("S", "国务院办公厅规定，完善容错纠错、澄清正名办法，鼓励干部大胆改、大胆试、大胆闯。"),
    ("S3", "评论员文章指出，落实基层减负要求，最大限度精文简会。"),
    ("S3", "评论员文章第13条指出，落实基层减负要求。"),
    ("S3", "《意见》第6段提出，坚持为实干者撑腰。"),
    ("S", "减少会议陪同，详见evil.com/x。"),
    ("S", "详见ｈｔｔｐｓ：／／ｅｖｉｌ．ｃｏｍ"),
    ("S", "完善容错纠错、澄清正名办法，mailto:a@evil.com"),
    ("S", "~~完善容错纠错、澄清正名办法~~"),
    ("S", "> 完善容错纠错、澄清正名办法"),
    ("S", "| 完善容错纠错、澄清正名办法 |"),
    ("S", "完善容错纠错、澄清正名办法$x$"),
    ("S", "\x1b[H\x1b[J完善容错纠错、澄清正名办法"),
    ("S", "完善容错纠错\u202e、澄清正名办法"),
    ("S", "完善容错纠错\r、澄清正名办法"),
]


@pytest.mark.parametrize(("sources", "reply"), HELPER_ATTACKS)
def test_an_attacker_s_replies_show_nothing(check, units, sources: str, reply: str):
    """Replies an attacker wrote against the first version of this guard (role swaps, dropped negations, one word
    changed, spliced sentences, invisible and lookalike characters, numbers in odd scripts, markup, wrong documents):
    each says something its source does not, so nothing of it is shown."""
    result = check(reply, [units[unit_id] for unit_id in SOURCE_SETS[sources]])
    shown = [line for line in result.text.splitlines() if line]
    if "包括：" in reply:  # its lead-in reframes the items; the items alone are the text's own words
        assert "包括" not in result.text and all(line.startswith("- 大胆") for line in shown)
    else:
        assert result.text == ""


def test_a_tag_written_after_the_full_stop_counts_while_streaming(assistant: Assistant):
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage

    reply = "落实基层减负要求，最大限度精文简会。[评论员文章第6段]\n完善容错纠错、澄清正名办法。[第13条]"
    model = GenericFakeChatModel(messages=iter([AIMessage(content=reply)]))  # streams word by word
    answer = assistant.with_chat_model(model).ask("容错纠错、澄清正名办法有什么要求？")
    assert answer.generation.generated == "完善容错纠错、澄清正名办法[第13条]。"
    assert answer.generation.dropped[0][1] == "names one document and cites another" or "评论员文章" in str(
        answer.generation.dropped
    )


SECOND_ROUND = [
    (["opinion/art11", "commentary/para6"], "唯班子排序，表现优秀的及时提拔重用。"),
    (["opinion/art11", "commentary/para6"], "唯年龄。唯资历。唯班子排序。"),
    (["opinion/art11", "commentary/para6"], "论资排辈。"),
    (["opinion/art11", "commentary/para6"], "适宜干部“下”的办法。"),
    (["opinion/art12", "commentary/para6"], "开工作局面的领导班子和干部，都要果断进行调整。"),
    (["commentary/para7"], "是一般的“实干者”[评论员文章第7段]"),
    (["opinion/art12", "commentary/para6"], "领导班子和干部都要果断进行调整。"),
    (["opinion/art11", "commentary/para6"], "干部，都实行“火线提拔”。"),
    (["opinion/art13", "commentary/para6"], "Cadres who 作为 should be punished."),
    (["opinion/art11", "commentary/para6"], "Promote cadres by 班子排序 and age."),
    (["opinion/art11", "commentary/para6"], "Cadres should be promoted by 论资排辈."),
    (["opinion/art12", "commentary/para6"], "All leading cadres must be adjusted, 果断进行调整."),
    (["opinion/art5"], "每月组织1次集体研讨交流，每次聚焦2个主题。"),
    (["opinion/art11", "commentary/para6"], "大力推进干部能上。"),
    (["opinion/art11", "commentary/para6"], "表现的及时提拔重用。"),
]


@pytest.mark.parametrize(("sources", "reply"), SECOND_ROUND)
def test_trimming_cannot_change_what_a_sentence_says(check, units, sources: list[str], reply: str):
    """A second attacker's replies: leaving a negation, a condition or a qualifier off a copied clause, or anchoring an
    English claim with the text's words."""
    assert check(reply, [units[unit_id] for unit_id in sources]).text == ""


def test_a_clause_may_lose_a_leading_verb_and_a_sentence_whole_clauses(check, units):
    assert (
        check("班子其他成员要坚持“一岗双责”。", [units["opinion/art14"]]).text
        == "班子其他成员要坚持“一岗双责”[第14条]。"
    )
    assert check("为实干者撑腰。").text == "为实干者撑腰[评论员文章第6段]。"
    assert check("理论学习中心组每月至少组织1次集体研讨交流。", [units["opinion/art5"]]).removed == []


def test_verbatim_sentences_pass(check, units):
    dropped = [s.text for u in units.values() for s in u.sentences if check(s.text, [u]).text == ""]
    assert dropped == []
