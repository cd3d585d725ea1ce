"""Follow-up questions are rewritten from the previous turn by general rules."""

import pytest

from assistant import Assistant
from assistant.question.followup import rewrite_followup
from assistant.text.corpus import load_corpus
from tests.conftest import CORPUS_DIR


@pytest.fixture(scope="module")
def corpus():
    return load_corpus(CORPUS_DIR)


@pytest.mark.parametrize(
    ("previous", "unit_id", "question", "standalone"),
    [
        ("第五条讲了什么？", "opinion/art5", "那第六条呢？", "第六条讲了什么？"),
        ("第二部分有哪些内容？", "opinion/part2", "第三部分呢？", "第三部分有哪些内容？"),
        ("What does article 3 say?", "opinion/art3", "what about article 4?", "article 4 What does say?"),
        ("苗圃计划是什么？", "opinion/art10", "下一条呢？", "第11条"),
        ("苗圃计划是什么？", "opinion/art10", "上一条呢？", "第9条"),
        ("评论员文章第2段", "commentary/para2", "下一段", "评论员文章第3段"),
        ("火线提拔是什么？", "opinion/art11", "这一条还说了什么？", "第11条还说了什么？"),
        ("书记擂台是什么？", "opinion/art6", "具体怎么做？", "书记擂台是什么？ 具体怎么做？"),
        ("书记擂台是什么？", "opinion/art6", "第十二条讲了什么？", "第十二条讲了什么？"),
        ("书记擂台是什么？", "opinion/art6", "怎样为基层干部松绑减压？", "怎样为基层干部松绑减压？"),
        ("第12条讲了什么", "opinion/art12", "它属于哪个部分", "第12条 属于哪个部分"),
        ("What does article 11 say?", "opinion/art11", "Which part is it in?", "第11条 Which part is in?"),
        ("书记擂台是什么？", "opinion/art6", "它多久搞一次", "书记擂台多久搞一次"),
        ("书记擂台是什么？", "opinion/art6", "第几条说的", "书记擂台是什么？ 第几条说的"),
        ("书记擂台是什么？", "opinion/art6", "在第几部分", "书记擂台是什么？ 在第几部分"),
        (
            "书记擂台是什么？",
            "opinion/art6",
            "它跟年度考核、季度通报和半年考核结果的运用有什么关系？",
            "它跟年度考核、季度通报和半年考核结果的运用有什么关系？",
        ),
        (None, None, "那第六条呢？", "那第六条呢？"),
    ],
)
def test_rewrite(corpus, previous, unit_id, question, standalone):
    unit = corpus.unit(unit_id) if unit_id else None
    assert " ".join(rewrite_followup(question, previous, unit).split()) == standalone


def test_conversation_through_the_assistant(assistant: Assistant):
    first = assistant.ask("第五条讲了什么？")
    second = assistant.ask("那第六条呢？", [first])
    assert second.rewritten == "第六条讲了什么？"
    assert second.question == "那第六条呢？"
    assert second.citations[0].unit_id == "opinion/art6"
    third = assistant.ask("下一条呢？", [first, second])
    assert third.citations[0].unit_id == "opinion/art7"
    alone = assistant.ask("那第六条呢？")
    assert alone.rewritten == "" and alone.citations[0].unit_id == "opinion/art6"


def test_follow_up_after_a_refusal_still_stands_alone(assistant: Assistant):
    refused = assistant.ask("今天天气怎么样？")
    assert refused.refused
    answer = assistant.ask("火线提拔是什么？", [refused])
    assert answer.citations[0].unit_id == "opinion/art11"


@pytest.mark.parametrize(
    ("previous", "unit_id", "question", "standalone"),
    [
        ("第一部分", "opinion/part1", "上一部分", "第0部分"),  # answered: 共有5个部分，没有第0部分
        ("第13条", "opinion/art13", "下一部分", "第五部分"),
        ("第11条", "opinion/art11", "Is it true that cadres retire at 65?", "Is it true that cadres retire at 65?"),
    ],
)
def test_relative_references_follow_the_kind_asked_for(corpus, previous, unit_id, question, standalone):
    assert rewrite_followup(question, previous, corpus.unit(unit_id)) == standalone


def test_a_named_article_that_does_not_cover_the_previous_topic_names_only_what_it_lacks(assistant: Assistant):
    first = assistant.ask("火线提拔适用于什么样的干部？")
    second = assistant.ask("那第十三条呢？", [first])
    assert (second.support, second.gap) == ("partial", "《意见》第13条（坚持严管厚爱）没有提到“火线提拔”；以下是原文。")
    assert [c.unit_id for c in second.citations] == ["opinion/art13"]


@pytest.mark.parametrize(
    ("previous", "question", "standalone"),
    [
        ("苗圃计划是什么？", "它多久评估一次", "苗圃计划多久评估一次"),
        ("五个一线是什么", "包括乡村振兴吗", "五个一线包括乡村振兴吗"),
        ("五个一线包括乡村振兴吗", "那疫情防控呢", "五个一线包括疫情防控吗"),
        ("火线提拔适用于哪些干部", "那破格提拔呢", "破格提拔适用于哪些干部"),
        ("火线提拔是什么", "那深圳呢", "火线提拔是什么 那深圳呢"),  # the same thing elsewhere
        ("What is 火线提拔?", "what about 破格提拔?", "What is 破格提拔?"),
        ("火线提拔是什么", "它包括安全生产一线吗", "火线提拔包括安全生产一线吗"),
        ("火线提拔包括安全生产一线吗", "它适用于退休干部吗", "火线提拔适用于退休干部吗"),  # 它 is the whole
        ("五个一线包括信访维稳吗", "包括乡村振兴吗", "五个一线包括乡村振兴吗"),
        ("意见适用于事业单位吗", "那国有企业呢", "意见适用于国有企业吗"),
        ("意见是谁发的", "那评论员文章呢", "评论员文章是谁发的"),
        ("重点领域有哪些", "包括乡村振兴吗", "重点领域包括乡村振兴吗"),
        ("怎样为基层干部松绑减压？", "具体怎么做？", "怎样为基层干部松绑减压？ 具体怎么做？"),
    ],
)
def test_rewrite_around_the_previous_focus(corpus, previous: str, question: str, standalone: str):
    from assistant.text.segment import domain_terms

    assert rewrite_followup(question, previous, None, domain_terms(corpus)) == standalone


def test_another_thing_of_the_text_takes_the_place_of_the_subject(corpus):
    from assistant.text.segment import domain_terms

    text = "\n".join(u.text for u in corpus.units)
    rewritten = rewrite_followup("那容错纠错呢", "火线提拔适用于哪些干部", None, domain_terms(corpus), text)
    assert rewritten == "容错纠错适用于哪些干部"
    elsewhere = rewrite_followup("那深圳呢", "火线提拔适用于哪些干部", None, domain_terms(corpus), text)
    assert elsewhere == "火线提拔适用于哪些干部 那深圳呢"
