"""Retrieval and refusal on the real corpus: questions written by reading the text, exact top citation."""

import numpy as np
import pytest

from assistant import Assistant
from assistant.question.query import parse_question

# (question, id of the unit that must be cited first)
ANSWERABLE = [
    ("容错纠错 applies when?", "opinion/art13"),
    ("三个区分开来是什么？", "opinion/art13"),
    ("火线提拔适用于什么样的干部？", "opinion/art11"),
    ("理论学习中心组每月至少组织几次集体研讨交流？", "opinion/art5"),
    ("用多长时间建成储备一支优秀年轻干部队伍？", "opinion/art4"),
    ("书记擂台和局长述讲", "opinion/art6"),
    ("对政治素质不高、实干精神欠缺的干部怎么处理？", "opinion/art8"),
    ("红蓝绿挂牌", "opinion/art10"),
    ("每年选树哪些先进团队和标兵？", "opinion/art12"),
    ("怎样为基层干部松绑减压？", "opinion/art13"),
    ("一岗双责", "opinion/art14"),
    ("市委组织部要做什么？", "opinion/art15"),
    ("家访制度", "opinion/art8"),
    ("如何打通党政机关与企事业单位干部交流渠道？", "opinion/art9"),
    ("五个一线本领提升工程", "opinion/art7"),
    ("怎么让基层少开会？", "opinion/art13"),
    ("表现好的干部能不能不按年头提拔？", "opinion/art11"),
    ("新上任的干部要接受什么培训？", "opinion/art7"),
    ("政治路线确定之后，什么是决定的因素？", "commentary/para2"),
    ("实干家中的家是什么意思？", "commentary/para7"),
    ("市委书记陆治原强调要用实干做什么？", "commentary/para1"),
    ("How are cadres who make outstanding contributions on the front line promoted?", "opinion/art11"),
    ("What does the text say about reducing the burden on grassroots cadres?", "opinion/art13"),
    ("What does 苗圃计划 refer to?", "opinion/art10"),
    ("第一议题制度", "opinion/art5"),
    ("党史学习教育常态化长效化", "opinion/art5"),
    ("日周月季年五个回头看", "opinion/art6"),
    ("为加快建设新时代社会主义现代化国际大都市提出了什么意见", "opinion/preamble"),
]

OUT_OF_SCOPE = [
    "住房公积金缴存比例是多少？",
    "What is the retirement age for cadres?",
    "asdfgh qwerty zxcv",
    "今天天气怎么样？",
    "Quelle est la politique de télétravail ?",
]


@pytest.mark.parametrize(("question", "unit_id"), ANSWERABLE)
def test_top_citation(assistant: Assistant, question: str, unit_id: str):
    answer = assistant.ask(question)
    assert not answer.refused, answer.text
    assert answer.citations[0].unit_id == unit_id, answer.text


@pytest.mark.parametrize("question", OUT_OF_SCOPE)
def test_out_of_scope_is_refused(assistant: Assistant, question: str):
    answer = assistant.ask(question)
    assert answer.refused
    assert answer.citations == ()
    assert answer.text.startswith("《意见》和《评论员文章》没有涉及这个问题")
    assert len(answer.nearest) == 3 and all(label in answer.text for label in answer.nearest)


@pytest.mark.parametrize(
    ("question", "unit_id"),
    [
        ("第十三条", "opinion/art13"),
        ("第13条", "opinion/art13"),
        ("13条", "opinion/art13"),
        ("article 13", "opinion/art13"),
        ("Article 13?", "opinion/art13"),
        ("十三", "opinion/art13"),
        ("１３", "opinion/art13"),
        ("序言", "opinion/preamble"),
        ("评论员文章第6段", "commentary/para6"),
        ("第六段", "commentary/para6"),
    ],
)
def test_article_lookup_quotes_the_whole_unit(assistant: Assistant, question: str, unit_id: str):
    answer = assistant.ask(question)
    unit = assistant.corpus.unit(unit_id)
    assert not answer.refused
    assert [(c.unit_id, c.quote) for c in answer.citations] == [(unit_id, unit.text)]
    assert answer.text == f"{unit.label}：“{unit.text}”"


def test_part_lookup_lists_its_articles(assistant: Assistant):
    answer = assistant.ask("第四部分")
    assert [c.unit_id for c in answer.citations] == ["opinion/part4", "opinion/art11", "opinion/art12", "opinion/art13"]
    assert [c.quote for c in answer.citations[1:]] == ["树牢用人导向。", "严格奖优罚劣。", "坚持严管厚爱。"]
    assert assistant.ask("part 4").citations == answer.citations


def test_question_about_a_named_article_quotes_the_matching_sentence(assistant: Assistant):
    answer = assistant.ask("第十三条中关于基层减负是怎么说的？")
    assert [c.unit_id for c in answer.citations] == ["opinion/art13"]
    assert answer.citations[0].quote.startswith("落实基层减负要求")


@pytest.mark.parametrize(
    ("question", "message"),
    [
        ("第99条", "《意见》共有15条，没有第99条；请查询第1至15条。"),
        ("article 16", "《意见》共有15条，没有第16条；请查询第1至15条。"),
        ("第九部分", "《意见》共有5个部分，没有第九部分；请查询第1至5部分。"),
        ("评论员文章第20段", "《评论员文章》共有8段，没有第20段；请查询第1至8段。"),
    ],
)
def test_out_of_range_reference(assistant: Assistant, question: str, message: str):
    answer = assistant.ask(question)
    assert answer.refused
    assert answer.text == message


def test_list_question_gathers_items_across_articles(assistant: Assistant):
    answer = assistant.ask("意见要锻造哪四个方面的“实干家”队伍？")
    assert sorted(c.article for c in answer.citations) == [1, 2, 3, 4]
    assert answer.text.splitlines()[0].startswith("1. 《意见》第1条")


def test_list_question_answered_by_one_enumerating_sentence(assistant: Assistant):
    answer = assistant.ask("五个一线是哪五个？")
    assert answer.citations[0].unit_id == "opinion/art7"
    assert "城市更新建设、项目招引建设、信访维稳、疫情防控、镇街村居“五个一线”" in answer.citations[0].quote


@pytest.mark.parametrize(
    "question", ["hello", "test", "ok", "What's the weather today?", "What is the retirement age?"]
)
def test_off_topic_english_is_refused(assistant: Assistant, question: str):
    assert assistant.ask(question).refused


@pytest.mark.parametrize("question", ["意见中有哪3条关于年轻干部的规定？", "请列举2条容错纠错的措施"])
def test_counts_with_tiao_are_not_article_numbers(assistant: Assistant, question: str):
    answer = assistant.ask(question)
    assert not answer.refused
    assert answer.citations[0].unit_id not in ("opinion/art2", "opinion/art3")


@pytest.mark.parametrize("question", ["火线提拨是啥意思", "工作链条包括哪几个环节？", "三个区分开来在哪一条"])
def test_the_wording_of_a_question_is_not_a_word_the_text_lacks(assistant: Assistant, question: str):
    assert assistant.ask(question).support == "full"


def test_a_named_article_that_does_not_cover_the_question(assistant: Assistant):
    """The named article exists, so it is shown; the answer says first what it does not mention."""
    answer = assistant.ask("第十三条规定了退休年龄吗？")
    assert answer.support == "partial" and not answer.refused
    assert answer.gap == "《意见》第13条（坚持严管厚爱）没有提到“退休年龄”；以下是原文。"
    assert answer.text.startswith(answer.gap + "\n《意见》第13条（坚持严管厚爱）：“13.坚持严管厚爱。")
    assert [c.unit_id for c in answer.citations] == ["opinion/art13"]


@pytest.mark.parametrize(
    ("question", "gap"),
    [
        ("干部的退休年龄是多少？", "原文没有提到“退休年龄”；原文没有规定“退休”的具体年龄，以下是最接近的规定。"),
        ("公务员工资标准是怎么定的？", "原文没有提到“公务员”、“工资标准”，以下是最接近的内容。"),
        ("干部提拔需要公示多少天？", "原文没有规定“公示”的具体天数，以下是最接近的规定。"),
        ("干部体检每年几次？", "原文没有规定“体检”的具体频次，以下是最接近的规定。"),
        ("深圳市的容错纠错规定", "原文没有提到“深圳市”（本文件隐去了市名，以“**”代替）；以下是本市的相关规定。"),
        ("三个区分开来具体指哪三个", "原文只提出“三个区分开来”，未列出具体内容；以下是原文的提法。"),
        ("“一二三四六十”目标定位分别指什么？", "原文只提出“一二三四六十”，未列出具体内容；以下是原文的提法。"),
    ],
)
def test_near_misses_state_the_gap_before_the_nearest_provisions(assistant: Assistant, question: str, gap: str):
    answer = assistant.ask(question)
    assert (answer.support, answer.gap) == ("partial", gap)
    assert answer.text.startswith(gap + "\n") and answer.citations


def test_comparing_named_articles_on_a_topic_quotes_what_they_say_about_it(assistant: Assistant):
    answer = assistant.ask("第5条和第13条在常态化上有什么不同")
    art5 = [c.quote for c in answer.citations if c.unit_id == "opinion/art5"]
    assert len(art5) == 2 and all("常态化" in quote for quote in art5)
    untopical = assistant.ask("第5条和第13条有什么不同")
    assert not all("常态化" in c.quote for c in untopical.citations if c.unit_id == "opinion/art5")


@pytest.mark.parametrize(
    ("question", "unit_id", "items"),
    [
        ("要提高哪三种能力", "opinion/art5", "政治判断力、政治领悟力、政治执行力"),
        ("干部要练哪几种劲", "opinion/art6", "韧劲、快劲、细劲"),
    ],
)
def test_a_list_question_finds_the_sentence_listing_that_kind_of_item(
    assistant: Assistant, question: str, unit_id: str, items: str
):
    answer = assistant.ask(question)
    assert [c.unit_id for c in answer.citations] == [unit_id] and items in answer.citations[0].quote


def test_locating_a_quoted_term_the_text_lacks_says_so(assistant: Assistant):
    answer = assistant.ask("“年终奖制度”在哪条")
    assert (answer.kind, answer.support) == ("locate", "partial")
    assert answer.gap == "原文没有提到“年终奖制度”，以下是最接近的内容。"
    assert answer.text.startswith(answer.gap + "\n") and answer.citations


# Reported by an attacker trying the assistant as a demanding user (each was wrong before).
@pytest.mark.parametrize(
    ("question", "support", "gap"),
    [
        ("市管领导班子深度调研多久一次？", "full", ""),  # 每年开展一轮: a frequency, not a missing term
        ("“五年规划、三年目标和年度任务”由谁细化提出？", "full", ""),  # who drafts is said; nothing to approve
        ("书记擂台多久开一次？", "partial", "原文没有规定“书记擂台”的具体频次，以下是最接近的规定。"),
        ("意见提到“躺平”干部吗？", "partial", "原文没有提到“躺平”，以下是最接近的内容。"),
        ("火线提拔需要经过谁批准", "partial", "原文没有规定“火线提拔”的具体审批主体，以下是最接近的规定。"),
        ("物质奖励的标准是多少钱", "partial", "原文没有规定“标准”的具体金额，以下是最接近的规定。"),
        ("火线提拔包括安全生产一线吗", "partial", "原文没有提到“安全生产一线”，以下是最接近的内容。"),
        ("意见适用于村干部吗", "partial", "原文没有提到“村干部”，以下是最接近的内容。"),
        ("意见适用于事业单位吗", "partial", "原文没有规定适用范围，没有说明是否适用于“事业单位”；以下是最接近的规定。"),
        ("容错纠错适用于什么情况", "full", ""),
        ("火线提拔包括信访维稳吗", "full", ""),
        ("三张清单包括考核结果吗", "partial", "所引原文没有列入“考核结果”，以下是原文。"),
        ("信访维稳算不算五个一线", "full", ""),
        (
            "三张清单包括台账管理吗",
            "partial",
            "所引原文没有列入“台账管理”，以下是原文。",
        ),  # next to the list, not in it
        ("重点领域包括城市更新建设吗", "partial", "所引原文没有列入“城市更新建设”，以下是原文。"),  # another list
        ("五个一线里有乡村振兴吗", "partial", "原文没有提到“乡村振兴”，以下是最接近的内容。"),
        ("火线提拔适用于疫情防控一线的干部吗", "full", ""),  # the provision names whom it is for
        ("上级党组织每年做到巡听全覆盖吗", "full", ""),  # 覆盖吗 asks about no member
        ("Which four types of inaction are punished?", "full", ""),  # asks which types, not which sanction
        ("擂台赛怎么报名", "partial", "原文没有规定“擂台赛”的具体程序，以下是最接近的规定。"),  # 擂台赛 is no city
        ("理论学习中心组每月至少组织2次集体研讨，对吗", "partial", "原文是“1次”，不是“2次”；以下是原文。"),
        ("市管领导班子深度调研每季度开展一轮吗", "partial", "原文是“每年”，不是“每季度”；以下是原文。"),
        ("每年选树两批争先创优团队吗", "partial", "原文是“一批”，不是“两批”；以下是原文。"),
        ("五个一线是哪六个", "partial", "原文是“五个一线”，共5个，不是6个；以下是原文。"),
        ("三张清单是哪三张", "full", ""),
        ("Is finance one of the key fields?", "partial", "原文没有提到“finance”，以下是最接近的内容。"),
        ("年轻人能破格提拔吗", "full", ""),  # 年轻人 is the text's 年轻干部 in other words
        ("老干部有什么政策", "partial", "原文没有提到“老干部”，以下是最接近的内容。"),  # people the text never names
        ("公务员年假有几天", "partial", "原文没有规定“公务员”的具体天数，以下是最接近的规定。"),
    ],
)
def test_reported_support_mistakes(assistant: Assistant, question: str, support: str, gap: str):
    answer = assistant.ask(question)
    assert (answer.support, answer.gap) == (support, gap)


@pytest.mark.parametrize(
    "question",
    [
        "评论员那篇第5段讲的啥",
        "评论员文章 para 8 main point",
        "What is the gist of article 13?",
        "第十三条的要点是什么",
    ],
)
def test_summary_and_pointing_words_are_no_topic_of_a_named_unit(assistant: Assistant, question: str):
    answer = assistant.ask(question)
    assert (answer.kind, answer.support, answer.gap) == ("lookup", "full", "")


def test_reported_questions_about_the_documents_themselves(assistant: Assistant):
    city = assistant.ask("意见是哪个市的")
    assert (city.kind, city.support, [c.unit_id for c in city.citations]) == ("structure", "partial", ["opinion/title"])
    assert city.gap.startswith("原文隐去了名称（以“**”代替）")
    author = assistant.ask("评论员文章的作者是谁")
    assert [c.quote for c in author.citations] == ["聚力锻造过硬的“实干家”干部队伍", "本报评论员"]
    title = assistant.ask("What is the full title of the Opinion?")
    assert (title.support, title.citations[0].quote) == ("full", assistant.corpus.documents[0].title)


@pytest.mark.parametrize(
    ("question", "support", "gap"),
    [
        ("这个文件的标题是什么", "full", ""),
        ("发文机关是什么", "full", ""),
        ("这是市委的意见吗", "full", ""),
        ("这是上海市委的意见吗", "partial", "原文隐去了名称（以“**”代替），没有写明具体是哪里；以下是原文的标题。"),
        (
            "Which city is this about?",
            "partial",
            "原文隐去了名称（以“**”代替），没有写明具体是哪里；以下是原文的标题。",
        ),
        ("意见由市委组织部发布吗", "partial", "原文的标题和署名中没有“市委组织部”；以下是原文。"),
        ("意见是2022年发的吗", "partial", "原文的标题和署名没有写明发布时间；以下是原文。"),
        ("这个意见的文号是多少", "partial", "原文的标题和署名没有写明文号；以下是原文。"),
    ],
)
def test_reported_document_claims(assistant: Assistant, question: str, support: str, gap: str):
    answer = assistant.ask(question)
    assert (answer.kind, answer.support, answer.gap) == ("structure", support, gap)
    assert answer.citations[0].unit_id == "opinion/title"


def test_generic_answer_nouns_and_spelled_out_abbreviations_are_no_gap(assistant: Assistant):
    assert (assistant.ask("第7条有哪些措施").support, assistant.ask("第7条有哪些措施").kind) == ("full", "lookup")
    spelled = assistant.ask("这份文件是为了贯彻哪一次党的代表大会？")  # the text writes 党代会
    assert (spelled.kind, spelled.support) == ("content", "full")
    assert not parse_question("这份文件是为了贯彻哪一次党的代表大会？").is_list


def test_a_topic_asked_of_the_wrong_unit_is_said_to_be_missing_there(assistant: Assistant):
    answer = assistant.ask("火线提拔属于第十三条吗")
    assert (answer.support, answer.gap) == ("partial", "《意见》第13条（坚持严管厚爱）没有提到“火线提拔”；以下是原文。")


def test_whether_a_document_mentions_a_term(assistant: Assistant):
    answer = assistant.ask("评论员文章提到火线提拔吗")
    assert (answer.kind, answer.support) == ("occurrence", "full")
    assert answer.text.startswith("《评论员文章》中没有出现“火线提拔”；它出现在：《意见》第11条（树牢用人导向）1次。")
    assert assistant.ask("意见有没有提到容错纠错").text.startswith("“容错纠错”在《意见》正文中共出现1次")


def test_both_documents_named_both_front_matters(assistant: Assistant):
    answer = assistant.ask("评论员文章的标题和意见的标题分别是什么")
    assert [c.unit_id for c in answer.citations] == ["opinion/title", "commentary/title", "commentary/byline"]


@pytest.mark.parametrize(
    "question", ["第3条里的“一二三四六十”分别指什么", "What are the items of 一二三四六十 in article 3?"]
)
def test_a_formula_in_a_named_article_is_not_taken_for_its_items(assistant: Assistant, question: str):
    answer = assistant.ask(question)
    assert (answer.support, answer.gap) == ("partial", "原文只提出“一二三四六十”，未列出具体内容；以下是原文的提法。")


def test_a_place_the_masked_text_never_names_is_not_said_to_be_another_city(assistant: Assistant):
    answer = assistant.ask("青岛的优秀年轻干部怎么培养")
    assert answer.gap == "原文没有提到“青岛”（本文件隐去了市名，以“**”代替）；以下是本市的相关规定。"


@pytest.mark.parametrize("question", ["组织上会不会上门到家里去了解人", "干部福利有哪些"])
def test_a_common_word_jieba_tags_as_a_place_is_not_taken_for_another_city(assistant: Assistant, question: str):
    assert "市名" not in assistant.ask(question).text


@pytest.mark.parametrize(
    ("question", "place"),
    [("外国的干部怎么管", "外国"), ("How do other countries reward hard-working cadres?", "other countries")],
)
def test_a_question_about_other_countries_says_the_text_is_this_citys(assistant: Assistant, question: str, place: str):
    assert assistant.ask(question).gap == f"本文件是本市的规定，不涉及{place}的规定；以下是本市的相关规定。"


def test_an_english_list_question_finds_the_enumeration_of_its_noun(assistant: Assistant):
    answer = assistant.ask("Which three political abilities should cadres improve?")
    assert answer.citations[0].unit_id == "opinion/art5"
    assert "政治判断力、政治领悟力、政治执行力" in answer.citations[0].quote


def test_an_english_list_of_the_texts_formula_is_answered_not_refused(assistant: Assistant):
    answer = assistant.ask("What are the three lists?")
    assert (answer.support, answer.citations[0].unit_id) == ("full", "opinion/art10")
    assert "“三张清单”" in answer.citations[0].quote
    assert assistant.ask("What are the four seasons?").support == "none"
    recommended = assistant.ask("Which three sources of recommendation are there?")
    assert (recommended.support, recommended.citations[0].unit_id) == ("full", "opinion/art9")


def test_reported_wrong_answers(assistant: Assistant):
    assert "组织部门" not in assistant.ask("组织部门的职责是什么").gap  # the text writes 组织（人事）部门
    counted = assistant.ask("How many times does 实干家 appear in the commentary?")
    assert counted.kind == "occurrence" and counted.text.startswith("“实干家”在《评论员文章》正文中共出现19次")
    assert assistant.ask("“实干家”在意见里出现几次").text.startswith("“实干家”在《意见》正文中共出现11次")
    located = assistant.ask("哪些条款提到“党校”？")
    assert (located.kind, located.support) == ("locate", "full")
    assert [c.unit_id for c in located.citations] == ["opinion/art5", "opinion/art7"]
    assert assistant.ask("第五部分第二条讲啥").citations[0].unit_id == "opinion/art15"
    titles = assistant.ask("List all the article titles")
    assert titles.kind == "structure" and "第9条（拓宽视野渠道）" in titles.text
    assert "（What is the budget for the 苗圃计划）" in assistant.ask("What is the budget for the 苗圃计划?").gap


@pytest.mark.parametrize(
    ("noun", "variant"), [("年轻人", True), ("负责人", True), ("工作人员", False), ("年终奖", False), ("公务员", False)]
)
def test_a_person_noun_is_a_variant_only_of_people_the_text_names(assistant: Assistant, noun: str, variant: bool):
    from assistant.answering.extractive import _variant

    assert _variant(assistant.answerer.context, noun) is variant


def test_dense_scores_match_a_full_faiss_search(assistant: Assistant):
    for dense in assistant.index.dense.values():
        query = dense.embedder.embed_question("容错纠错 applies when?")[None, :].astype(np.float32)
        similarities, ids = dense.index.search(query, dense.index.ntotal)
        expected = np.empty(dense.index.ntotal)
        expected[ids[0]] = similarities[0]
        np.testing.assert_allclose(dense.scores("容错纠错 applies when?"), expected, atol=1e-5)


def test_each_unit_owns_a_slice_of_the_sentence_rows(assistant: Assistant):
    index = assistant.index
    for position in range(len(index.units)):
        owned = np.flatnonzero(index.sentence_unit == position)
        assert list(range(index.sentence_start[position], index.sentence_end[position])) == owned.tolist()
        assert len(owned) == len(index.units[position].sentences)


def test_hits_are_built_for_the_head_of_the_ranking_only(assistant: Assistant):
    """``limit`` (by default ``CANDIDATES``) cuts the ranking; the head is the same ranking with the same scores."""
    from assistant.search.retrieve import CANDIDATES

    question = parse_question("容错纠错 applies when?")
    full = assistant.retriever.retrieve(question, limit=len(assistant.corpus.units))
    head = assistant.retriever.retrieve(question, limit=5)
    assert len(full.hits) == len(assistant.corpus.units) < CANDIDATES
    assert [(h.unit.id, h.score, h.sentence_scores) for h in head.hits] == [
        (h.unit.id, h.score, h.sentence_scores) for h in full.hits[:5]
    ]
    assert (head.coverage, head.known, head.dense_top) == (full.coverage, full.known, full.dense_top)
