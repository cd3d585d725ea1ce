"""The support rule: relevance, gap detectors, calibration data and fitting."""

import json
from dataclasses import replace
from pathlib import Path

import pytest

from assistant.answering.support import (
    FULL,
    NONE,
    PARTIAL,
    SupportFeatures,
    SupportRule,
    calibration_key,
    fit_rule,
    load_rule,
    measure_gap,
    membership_gap,
    place_gap,
    premise_gap,
    save_rule,
    scope_gap,
)
from assistant.question.asks import SCOPE_QUESTIONS, asked_member

RULE = SupportRule(min_coverage=0.3, weak_coverage=0.1, strong_dense=0.88, english_min_matched=2, max_unknown=0.4,
                   partial_dense=0.9)  # fmt: skip


def _features(**changes) -> SupportFeatures:
    base = {"coverage": 0.5, "dense_top": 0.85, "matched": 3, "english": False}
    return SupportFeatures(**{**base, **changes})


def test_relevance_thresholds():
    assert RULE.grade(_features()).support == FULL
    assert RULE.grade(_features(coverage=0.2)).support == NONE
    assert RULE.grade(_features(coverage=0.2, dense_top=0.9)).support == FULL
    assert RULE.grade(_features(english=True, matched=1)).support == NONE
    wary = replace(RULE, english_max_unknown=0.6)  # most of an English question's words unknown: off the topic
    assert wary.grade(_features(english=True, unknown_share=0.7)).support == NONE
    assert wary.grade(_features(english=True, unknown_share=0.5)).support == FULL
    assert wary.grade(_features(unknown_share=0.7)).support == FULL  # a Chinese question: unknown nouns decide


def test_gaps_make_a_relevant_answer_partial():
    grade = RULE.grade(_features(gap="原文没有规定具体金额，以下是最接近的规定。"))
    assert (grade.support, grade.gap) == (PARTIAL, "原文没有规定具体金额，以下是最接近的规定。")
    named = RULE.grade(_features(gap="原文没有规定具体金额，以下是最接近的规定。", unknown_nouns=("奖金",)))
    assert named.gap == "原文没有提到“奖金”；原文没有规定具体金额，以下是最接近的规定。"
    merged = RULE.grade(_features(gap="原文没有提到“某条例”，以下是最接近的内容。", unknown_nouns=("年假",)))
    assert merged.gap == "原文没有提到“某条例”、“年假”，以下是最接近的内容。"
    unknown = RULE.grade(_features(unknown_nouns=("年假",), unknown_share=0.6))
    assert (unknown.support, unknown.gap) == (PARTIAL, "原文没有提到“年假”，以下是最接近的内容。")
    close_paraphrase = _features(unknown_nouns=("路子",), unknown_share=0.6, dense_top=0.95)
    assert RULE.grade(close_paraphrase).support == FULL


def test_measure_gap_needs_the_measure_in_the_quotes():
    assert measure_gap("每月至少组织几次集体研讨", ["每月至少组织1次集体研讨交流"]) == ""
    assert measure_gap("用多长时间建成", ["用1至2年时间建成储备"]) == ""
    assert (
        measure_gap("奖金发多少钱", ["给予精神激励和物质奖励"]) == "原文没有规定“奖金”的具体金额，以下是最接近的规定。"
    )
    assert measure_gap("提拔要公示几天", ["表现优秀的及时提拔重用"]) == "原文没有规定具体天数，以下是最接近的规定。"
    assert measure_gap("容错纠错适用于什么情况", ["完善容错纠错"]) == ""
    assert measure_gap("评估体系有哪些评估指标和权重", ["探索建立评估体系"]).startswith("原文没有规定具体评分办法")
    assert measure_gap("检查太多 文件管不管这个", ["规范检查考核"]) == ""  # whether it covers the topic, not whom
    assert measure_gap("文件管不管村干部", ["规范检查考核"]).startswith("原文没有规定具体适用范围")


def _specific(text: str) -> list[str]:
    """Stand-in for the retriever's specific words: the two-character words of a tiny vocabulary, in order."""
    vocabulary = ("体检", "公示", "提拔", "研讨", "擂台", "年假")
    return sorted((w for w in vocabulary if w in text), key=text.index)


def test_how_often_something_is_done_is_answered_by_the_item_that_does_it():
    chain = ["健全“每月调度、季度通报、半年考核、年终评估”的工作链条，在市十七届人大一次会议上"]
    words = ("工作进度", "调度", "通报", "一次")
    specific = lambda text: sorted((w for w in words if w in text), key=text.index)  # noqa: E731
    assert measure_gap("工作进度多久调度一次", chain, specific) == ""  # 每月调度
    assert measure_gap("工作进度多久通报一次", chain, specific).startswith("原文没有规定“工作进度”的具体频次")
    assert measure_gap("实施意见什么时候出", ["制定实施意见"]) == "原文没有规定具体时间，以下是最接近的规定。"


def test_an_english_gap_names_what_is_asked_about_not_the_question_frame():
    gap = measure_gap("How do I apply for a work visa to China?", ["以实干作答"])
    assert gap == "原文没有规定具体程序（apply for a work visa to China），以下是最接近的规定。"


def test_how_often_is_asked_with_any_measure_word_of_once():
    survey = ["每年开展一轮市管领导班子全覆盖深度调研"]
    assert measure_gap("班子调研多久搞一轮", survey) == ""  # 每年: how often, not how long
    assert measure_gap("读书会多久开一回", ["集体研讨交流"]) == "原文没有规定具体频次，以下是最接近的规定。"


def test_during_a_span_states_no_period():
    assert premise_gap("一年当中工作进度按什么节奏盯", ["健全按月调度、五年规划、三年目标"]) == ""
    assert premise_gap("一天当中安排几项培训", ["每期集中培训3天"]) == ""  # any span: during a day
    assert premise_gap("用一年时间建成吗", ["用1至2年时间建成"]) == ""
    assert premise_gap("用五年时间建成吗", ["用1至2年时间建成"]).startswith("原文是“1至2年”，不是“五年”")


def test_a_span_of_time_is_not_what_is_measured():
    words = ("中心组", "一个月")
    specific = lambda text: sorted((w for w in words if w in text), key=text.index)  # noqa: E731
    assert measure_gap("中心组一个月几次", ["中心组每月至少组织1次集体研讨交流"], specific) == ""


def test_naming_a_term_of_the_text_makes_a_question_relevant():
    diluted = _features(coverage=0.1, names_term=True)  # English words around 容错纠错 lower its coverage
    assert RULE.grade(diluted).support == FULL
    assert RULE.grade(_features(coverage=0.1)).support == NONE


def test_the_noun_a_measure_qualifies_is_what_is_measured():
    words = ("单位", "制定", "规划")
    specific = lambda text: sorted((w for w in words if w in text), key=text.index)  # noqa: E731
    assert measure_gap("各单位要制定几年的规划", ["细化提出五年规划"], specific) == ""  # 规划, not 制定
    assert measure_gap("各单位要制定几年的规划", ["细化提出目标"], specific).startswith("原文没有规定“规划”的具体期限")


def test_a_superlative_is_not_what_is_measured():
    words = ("留党察看", "最长")
    specific = lambda text: sorted((w for w in words if w in text), key=text.index)  # noqa: E731
    gap = measure_gap("留党察看最长多久", ["给予处分"], specific)
    assert gap == "原文没有规定“留党察看”的具体期限，以下是最接近的规定。"


def test_the_measure_must_be_about_what_is_measured():
    survey = ["每年开展一轮市管领导班子全覆盖深度调研"]
    promote, select = ["表现优秀的及时提拔重用"], ["每年选树一批先进"]
    assert measure_gap("干部体检每年几次", survey, _specific) == "原文没有规定“体检”的具体频次，以下是最接近的规定。"
    assert measure_gap("每月组织几次研讨", ["每月至少组织1次集体研讨交流"], _specific) == ""
    assert measure_gap("提拔要公示多少天", promote, _specific).startswith("原文没有规定“公示”的具体天数")
    assert measure_gap("公务员年假一年有几天", select, _specific).startswith("原文没有规定“年假”的具体天数")


def test_english_measure_gap_names_the_asked_phrase():
    assert measure_gap("How many days of annual leave do cadres get?", ["每年选树"], _specific) == (
        "原文没有规定具体天数（How many days of annual leave），以下是最接近的规定。"
    )
    assert "the retirement age for division-level" in measure_gap(
        "What is the retirement age for division-level cadres?", []
    )


@pytest.mark.parametrize(
    ("question", "noun"),
    [
        ("火线提拔由谁审批", "审批主体"),
        ("书记擂台怎么打分", "评分办法"),
        ("慢作为的干部会给什么处分", "处分种类"),
        ("进苗圃计划需要什么条件", "条件"),
        ("苗圃计划的选拔标准是什么", "标准"),
        ("什么情况下会挂红牌", "条件"),
        ("村干部算不算这个意见管的范围", "适用范围"),
        ("亮绩赛绩的结果在哪公布", "公布方式"),
        ("年终奖什么时候发", "时间"),
    ],
)
def test_asked_details_the_text_does_not_give(question: str, noun: str):
    quotes = ["实施年轻干部“苗圃计划”突破提升行动"]
    assert measure_gap(question, quotes) == f"原文没有规定具体{noun}，以下是最接近的规定。"


def test_any_quantity_asked_needs_a_number_about_it():
    quotes = ["在干部休假、疗休养等方面加大政策倾斜力度"]
    assert measure_gap("疗休养倾斜多少", quotes, _specific) == "原文没有规定具体数量，以下是最接近的规定。"
    assert measure_gap("每次聚焦多少个主题", ["每次聚焦1至2个主题"]) == ""
    assert measure_gap("哪几个方面", quotes) == ""


def test_the_items_of_something_only_named_need_a_list_in_the_quote():
    assert (
        measure_gap("党史教育基地具体是哪几个", ["建好用好红色教育基地"])
        == "原文没有规定具体名单，以下是最接近的规定。"
    )
    assert measure_gap("五个一线具体是哪些", ["城市更新建设、项目招引建设、信访维稳“五个一线”"]) == ""
    assert measure_gap("具体有哪些活动", ["常态化开展“书记擂台”“局长述讲”活动"]) == ""


def test_a_vague_quantity_is_not_a_count():
    assert (
        measure_gap("标兵每年评多少个", ["每年选树一批“夺旗扛旗”标兵"]) == "原文没有规定具体数量，以下是最接近的规定。"
    )
    assert measure_gap("每次聚焦几个主题", ["每次聚焦1至2个主题"]) == ""


def test_how_big_is_not_an_age():
    assert measure_gap("招揽的范围会放到多大", ["在更宽领域、更大范围内选干部"]) == ""
    assert measure_gap("年龄上限是多少岁", ["优秀年轻干部"]) == "原文没有规定具体年龄，以下是最接近的规定。"


def test_place_gap():
    assert (
        place_gap("深圳市的容错纠错规定", ["深圳市"])
        == "本文件是本市的规定，不涉及深圳市的规定；以下是本市的相关规定。"
    )
    assert place_gap("外省怎么做的", []).startswith("本文件是本市的规定，不涉及外省")
    assert place_gap("容错纠错怎么做", []) == ""
    masked = place_gap("深圳市的容错纠错规定", ["深圳市"], mask="**")
    assert masked == "原文没有提到“深圳市”（本文件隐去了市名，以“**”代替）；以下是本市的相关规定。"


def test_calibration_round_trip(tmp_path: Path):
    path = tmp_path / "calibration.json"
    save_rule(RULE, ("e5",), {"fitted_on": "3 dev items"}, path)
    rule, entry = load_rule(("e5",), path)
    assert entry == "e5" and rule.thresholds() == RULE.thresholds()
    fallback, entry = load_rule(("st:local",), path)
    assert entry == "default" and fallback.thresholds() == RULE.thresholds()
    assert json.loads(path.read_text(encoding="utf-8"))["e5"]["fitted_on"] == "3 dev items"
    assert load_rule(("e5",), tmp_path / "missing.json") == (SupportRule(), "")
    assert calibration_key(()) == "sparse" and calibration_key(("e5", "use")) == "e5+use"


def test_fit_finds_the_separating_threshold():
    cases = [(0.1, False), (0.15, False), (0.35, True), (0.5, True)]

    def score(rule: SupportRule) -> float:
        return sum(rule.relevant(_features(coverage=c, dense_top=0.0)) == answerable for c, answerable in cases)

    grid = {"min_coverage": [0.05, 0.2, 0.3, 0.6], "weak_coverage": [0.0], "strong_dense": [1.01]}
    rule, best = fit_rule(score, grid)
    assert best == 4 and rule.min_coverage in (0.2, 0.3)


@pytest.mark.parametrize(
    ("question", "member", "whole"),
    [
        ("河长制包括水库吗", "水库", "河长制"),
        ("河长制包不包括水库", "水库", "河长制"),
        ("水库算不算河湖之一", "水库", "河湖"),
        ("本办法适用于村干部吗", "", ""),  # a question of scope, not of a list
        ("河长制包括什么", "", ""),
        ("Does the rule cover reservoirs?", "reservoirs", "rule"),
        ("Is flood control one of the key tasks?", "flood control", "key tasks"),
        ("办法包括哪些内容", "", ""),
        ("What does the rule cover?", "", ""),
        ("水库怎么管", "", ""),
        ("包括哪些内容", "", ""),
        ("河长制里有没有奖金什么的", "奖金", "河长制"),  # "and the like" is not part of the member
        ("河长制有没有补贴之类的", "补贴", "河长制"),
        ("河长制包括哪些么", "", ""),  # the 么 of a question word stays, so it still asks for the list
        ("河长有没有专门的培训班", "培训班", "河长"),  # a qualifier is not part of what is asked for
    ],
)
def test_asked_member(question: str, member: str, whole: str):
    assert asked_member(question) == (member, whole)


@pytest.mark.parametrize(
    ("question", "covered"),
    [
        ("本办法适用于村干部吗", "村干部"),
        ("河长制适不适用于水库", "水库"),
        ("Does the rule apply to lakes?", "lakes"),
        ("河长制适用于什么情况", ""),
        ("有什么针对性措施", ""),
        ("检查太多 文件管不管这个", ""),  # a demonstrative names nobody the text could apply to
    ],
)
def test_asked_scope(question: str, covered: str):
    assert asked_member(question, SCOPE_QUESTIONS)[0] == covered


def test_scope_gap():
    assert scope_gap("村干部", in_text=False) == "原文没有提到“村干部”，以下是最接近的内容。"
    assert (
        scope_gap("基层干部", in_text=True)
        == "原文没有规定适用范围，没有说明是否适用于“基层干部”；以下是最接近的规定。"
    )


def test_membership_gap():
    assert membership_gap("水库", in_quotes=True, in_text=True) == ""
    assert membership_gap("水库", in_quotes=False, in_text=False) == "原文没有提到“水库”，以下是最接近的内容。"
    assert membership_gap("河道", in_quotes=False, in_text=True) == "所引原文没有列入“河道”，以下是原文。"


RULE_TEXT = "河长每月巡河1次，每次检查1至2个河段，用2至3年建成示范河湖。"


@pytest.mark.parametrize(
    ("question", "gap"),
    [
        ("河长每周巡河几次", "原文是“每月”，不是“每周”；以下是原文。"),
        ("每月巡河2次吗", "原文是“1次”，不是“2次”；以下是原文。"),
        ("每次检查3个河段吗", "原文是“1至2个”，不是“3个”；以下是原文。"),
        ("用五年建成示范河湖吗", "原文是“2至3年”，不是“五年”；以下是原文。"),
        ("每次检查两个河段吗", ""),  # inside 1至2个
        ("用两到三年建成吗", ""),  # the same range in other words
        ("一个月巡河几次", ""),  # 一个 is an article, not a stated number
        ("每月巡河几次", ""),
        ("五个一线是哪些", ""),  # nothing of that kind in the quote
    ],
)
def test_premise_gap(question: str, gap: str):
    assert premise_gap(question, [RULE_TEXT]) == gap


def test_a_stated_period_is_checked_on_the_clause_about_it():
    clauses = ["每年开展一轮市管领导班子全覆盖深度调研", "每季度开展一轮专班跟踪调研"]
    assert premise_gap("深度调研每季度开展吗", clauses[:1], clauses) == "原文是“每年”，不是“每季度”；以下是原文。"
    never = "原文没有“每月”的说法，也没有规定具体频次；以下是原文。"
    assert premise_gap("擂台每月开展吗", ["常态化开展擂台"]) == never
    assert premise_gap("擂台每月开展吗", [], all_quotes=["常态化开展擂台"]) == ""  # no clause is about the question
    wider = premise_gap("预警每月一次吗", ["监测预警机制"], ["监测预警机制，季度预警"])
    assert wider == "原文是“季度”，不是“每月”；以下是原文。"
