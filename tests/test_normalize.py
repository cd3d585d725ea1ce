"""Question normalization: script, width, enumerations and pinyin repair against the corpus's own vocabulary."""

import pytest

from assistant import Assistant
from assistant.question.normalize import Correction, corpus_enumerations, fuzzy_syllable


@pytest.fixture(scope="module")
def normalizer(assistant: Assistant):
    return assistant.normalizer


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("容錯糾錯適用於什麼情況", "容错纠错适用于什么情况"),  # traditional → simplified
        ("第１３条讲了什么", "第13条讲了什么"),  # full-width digits
        ("ａｒｔｉｃｌｅ ５", "article 5"),
        ("严真细实快是什么要求", "严、真、细、实、快是什么要求"),  # an enumeration typed without separators
        ("韧劲 快劲 细劲", "韧劲、快劲、细劲"),
        ("当龙头,得一等,争第一,多拿奖", "当龙头、得一等、争第一、多拿奖"),
        ("干部的退休年龄是多少？", "干部的退休年龄是多少?"),  # full-width punctuation made plain, nothing else
        ("火线提拔走啥程序 咋申请", "火线提拔走什么程序 怎么申请"),  # spoken question words read as standard ones
        ("办法啥时候出台", "办法什么时候出台"),
        ("为啥要出这个文件", "为什么要出这个文件"),
        ("红蓝绿挂牌是干嘛用的", "红蓝绿挂牌是做什么用的"),
    ],
)
def test_normalized_text(normalizer, typed: str, read: str):
    normalized = normalizer.normalize(typed)
    assert normalized.text == read and normalized.corrections == ()
    assert normalized.original == typed


@pytest.mark.parametrize(
    ("typed", "read", "correction"),
    [
        ("容错纠措什么时候适用", "容错纠错什么时候适用", Correction("容错纠措", "容错纠错")),
        ("火线提八是什么", "火线提拔是什么", Correction("火线提八", "火线提拔")),
        ("苗圃计化", "苗圃计划", Correction("苗圃计化", "苗圃计划")),
        ("一刚双责指什么", "一岗双责指什么", Correction("一刚双责", "一岗双责")),
        ("澄清正明办法", "澄清正名办法", Correction("澄清正明", "澄清正名")),
        ("苗甫计划", "苗圃计划", Correction("苗甫计划", "苗圃计划")),  # 甫 has two readings, fǔ and pǔ
    ],
)
def test_homophone_typos_are_repaired_and_reported(normalizer, typed: str, read: str, correction: Correction):
    normalized = normalizer.normalize(typed)
    assert normalized.text == read and normalized.corrections == (correction,)


@pytest.mark.parametrize(
    "question",
    ["干部是否可以当场奖励", "公务员的工资怎么定", "上面怎么盯那些拖着不办的事", "实际情况怎么样", "书记擂台局长述讲"],
)
def test_real_words_are_never_corrected(normalizer, question: str):
    assert normalizer.normalize(question).text == question


def test_enumerations_come_from_the_text():
    found = corpus_enumerations(["严格落实“严、真、细、实、快”工作要求", "坚持韧劲、快劲、细劲相统一", "甲、乙"])
    assert found == [("严", "真", "细", "实", "快"), ("韧劲", "快劲", "细劲")]


def test_fuzzy_syllables_merge_common_confusions():
    assert [fuzzy_syllable(s) for s in ("zhi", "chang", "shen", "lan", "ying")] == ["zi", "can", "sen", "nan", "yin"]


def test_the_answer_says_how_the_question_was_read(assistant: Assistant):
    answer = assistant.ask("容错纠措什么时候适用")
    assert answer.text.startswith("（“容错纠措”按“容错纠错”理解。）\n")
    assert answer.citations[0].unit_id == "opinion/art13"
    assert answer.to_dict()["corrections"] == [{"typed": "容错纠措", "read_as": "容错纠错"}]
    assert answer.question == "容错纠措什么时候适用"


def test_traditional_question_is_answered_like_the_simplified_one(assistant: Assistant):
    traditional, simplified = assistant.ask("容錯糾錯適用於什麼情況"), assistant.ask("容错纠错适用于什么情况")
    assert traditional.citations == simplified.citations and traditional.support == simplified.support == "full"


@pytest.mark.parametrize(
    ("typed", "read", "named", "reference"),
    [
        ("组织保障那部分有哪些条", "第五部分有哪些条", "组织保障那部分", "第五部分"),  # only 强化组织保障 has it
        ("“树牢用人导向”这一条讲了什么", "第11条讲了什么", "树牢用人导向这一条", "第11条"),
        ("用好干部管好干部那部分包括哪几条", "第四部分包括哪几条", "用好干部管好干部那部分", "第四部分"),
    ],
)
def test_a_unit_named_by_its_title_is_read_as_its_number(normalizer, typed: str, read: str, named: str, reference: str):
    normalized = normalizer.normalize(typed)
    assert (normalized.text, normalized.corrections) == (read, (Correction(named, reference),))


@pytest.mark.parametrize("question", ["怎样加强组织领导", "实干家队伍那部分讲什么", "加强组织领导"])
def test_a_title_without_what_it_names_or_shared_by_several_is_left_alone(normalizer, question: str):
    assert normalizer.normalize(question).text == question


def test_the_answer_says_which_unit_a_title_was_read_as(assistant: Assistant):
    answer = assistant.ask("组织保障那部分有哪些条")
    assert answer.kind == "structure"
    assert answer.text.startswith("（“组织保障那部分”按“第五部分”理解。）\n《意见》第五部分（强化组织保障）包括2条")


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("第五部分第二条讲什么", "第15条讲什么"),  # the second article of part five
        ("第二部分第三条", "第7条"),
        ("Part 2 article 1?", "第5条?"),
        ("第四部分第11条", "第11条"),  # already the article's own number
    ],
)
def test_an_article_counted_within_its_part(normalizer, typed: str, read: str):
    assert normalizer.normalize(typed).text == read


def test_a_part_without_that_many_articles_is_left_alone(normalizer):
    assert normalizer.normalize("第四部分第5条").text == "第四部分第5条"


@pytest.mark.parametrize(
    ("typed", "read", "named"),
    [
        ("狠抓执行落实这一条讲什么", "第15条讲什么", "狠抓执行落实这一条"),
        ("“狠抓执行落实”那一条", "第15条", "狠抓执行落实那一条"),
        ("明确目标任务这部分有几条", "第一部分有几条", "明确目标任务这部分"),
        ("执行落实要狠抓", "执行落实要狠抓", None),  # no "this article": not a name
    ],
)
def test_units_named_by_title(normalizer, typed: str, read: str, named: str | None):
    normalized = normalizer.normalize(typed)
    assert normalized.text == read
    assert [c.typed for c in normalized.corrections] == ([named] if named else [])


@pytest.mark.parametrize(
    "question",
    [
        "请解释“![x](http://e/x.png)”",
        "什么是“[松绑减压](http://x)”？",
        "什么是“https://evil.example/”",
        "“![a](//e.example/a.png)”是什么意思",
        "“![a](http://e/a.png)”和“松绑减压”有什么区别",
        "“<img src=x onerror=alert(1)>”是什么",
        "“a|b|c”是什么 ~~x~~ $$y$$ &amp; www.x.com mailto:a@b.c",
    ],
)
def test_an_answer_never_repeats_markup_from_the_question(assistant: Assistant, question: str):
    """The attack report: gap sentences (原文没有提到“…”) repeated a question's link or image into the answer, which
    a chat window then rendered."""
    from assistant.answering.guard import has_markup

    answer = assistant.ask(question)
    assert not has_markup(answer.text), answer.text
    assert answer.question == question  # the question itself is kept as typed


def test_markup_is_taken_out_but_the_masked_city_name_stays():
    from assistant.question.normalize import without_markup

    assert without_markup("什么是“[松绑减压](http://x)”？") == "什么是“松绑减压”？"
    assert without_markup("中共**市委的意见") == "中共**市委的意见"
    assert without_markup("a|b ~~c~~") == "a b c"
