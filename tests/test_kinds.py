"""Question kinds: each kind is recognised by how the question asks, and answered by its own strategy."""

from pathlib import Path

import pytest

from assistant import Assistant, QuestionKind, Settings
from assistant.question.query import LAST, parse_question


@pytest.mark.parametrize(
    ("question", "kind", "detail"),
    [
        ("第四部分包括哪几条？", QuestionKind.STRUCTURE, "members"),
        ("第9条属于哪个部分", QuestionKind.STRUCTURE, "part_of"),
        ("第二部分的标题是什么", QuestionKind.STRUCTURE, "title"),
        ("意见一共有几条", QuestionKind.STRUCTURE, "count"),
        ("分为几个部分", QuestionKind.STRUCTURE, "count"),
        ("意见一共分了几大块？", QuestionKind.STRUCTURE, "count"),  # 块 / 板块 / 章 are how cadres say 部分
        ("意见有几章", QuestionKind.STRUCTURE, "count"),
        ("第三块有几条", QuestionKind.STRUCTURE, "members"),
        ("最后一个板块包括哪几条", QuestionKind.STRUCTURE, "members"),
        ("How many articles does the opinion have?", QuestionKind.STRUCTURE, "count"),
        ("意见最后一条是第几条", QuestionKind.LOOKUP, ()),
        ("第十五条有几句话", QuestionKind.STRUCTURE, "sentences"),
        ("十三条讲的什么", QuestionKind.LOOKUP, ()),  # a numeral word at the start names an article
        ("帮我总结一下第四部分", QuestionKind.LOOKUP, ()),
        ("summarize article 12", QuestionKind.LOOKUP, ()),
        ("第9条第3句是什么？", QuestionKind.SENTENCE, 3),
        ("第十四条的第一句话", QuestionKind.SENTENCE, 1),
        ("评论员文章第5段最后一句", QuestionKind.SENTENCE, LAST),
        ("“实干家”出现了几次", QuestionKind.OCCURRENCE, ("实干家",)),
        ("文件里提到几次赛马", QuestionKind.OCCURRENCE, ("赛马",)),
        ("哪几条提到了“实干家”", QuestionKind.OCCURRENCE, ("实干家",)),  # every place, not the one that says it best
        ("第5条和第7条有什么不同？", QuestionKind.COMPARE, ()),
        ("火线提拔和破格提拔有什么区别", QuestionKind.COMPARE, ("火线提拔", "破格提拔")),
        ("第几条说的", QuestionKind.LOCATE, ()),  # which article, not how many
        ("评论里说实干家跟一般干活的人有啥不一样", QuestionKind.COMPARE, ("实干家", "一般干活的人")),
        ("深度调研和专班跟踪调研，频率上有什么不同", QuestionKind.COMPARE, ("深度调研", "专班跟踪调研")),
        ("在职干部同退休干部有什么区别", QuestionKind.COMPARE, ("在职干部", "退休干部")),
        ("哪一条讲火线提拔", QuestionKind.LOCATE, ("火线提拔",)),
        ("一岗双责出自哪里", QuestionKind.LOCATE, ("一岗双责",)),
        ("苗圃计划是什么意思", QuestionKind.DEFINITION, ("苗圃计划",)),
        ("三张清单包括哪些", QuestionKind.LIST, ()),
        ("第十三条", QuestionKind.LOOKUP, ()),
        ("part three", QuestionKind.LOOKUP, ()),
        ("第13条对容错纠错怎么规定", QuestionKind.CONTENT, ()),
        ("理论学习中心组每月至少组织几次集体研讨交流？", QuestionKind.CONTENT, ()),
        ("年轻干部培养有哪几条措施", QuestionKind.LIST, ()),
    ],
)
def test_kind_is_recognised(question: str, kind: QuestionKind, detail):
    parsed = parse_question(question)
    assert parsed.kind == kind
    if kind == QuestionKind.STRUCTURE:
        assert parsed.aspect == detail
    elif kind == QuestionKind.SENTENCE:
        assert parsed.ordinal == detail
    else:
        assert parsed.subjects == detail


def keyword_assistant(folder: Path, policy: str, commentary: str, cache_dir: Path) -> Assistant:
    """An assistant over a two-document corpus written to ``folder``, keyword retrieval only (kinds do not depend
    on the embedders)."""
    from tests.conftest import write_document

    write_document(folder, "rules", policy, {"short": "《办法》", "kind": "policy"})
    write_document(folder, "remarks", commentary, {"short": "《评论》", "kind": "commentary"})
    settings = Settings(
        corpus_dir=folder, index_dir=folder.parent / "index", cache_dir=cache_dir, embedders=(), llm=None
    )
    return Assistant.from_settings(settings)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory, cache_dir: Path) -> Assistant:
    """The tiny two-document corpus."""
    from tests.conftest import TINY_COMMENTARY, TINY_POLICY

    return keyword_assistant(tmp_path_factory.mktemp("kinds") / "corpus", TINY_POLICY, TINY_COMMENTARY, cache_dir)


def test_structure_members_of_a_part(tiny: Assistant):
    answer = tiny.ask("第一部分包括哪几条？")
    assert answer.kind == "structure" and answer.support == "full"
    assert (
        answer.text.splitlines()[0]
        == "《办法》第一部分（总体要求）包括2条：第1条（推行河长制）、第2条（严格执法监督）。"
    )
    assert [c.unit_id for c in answer.citations] == ["rules/part1", "rules/art1", "rules/art2"]


def test_structure_part_of_an_article(tiny: Assistant):
    answer = tiny.ask("第3条属于哪个部分")
    assert answer.text.splitlines()[0] == "《办法》第3条（加强经费保障），属于第二部分（保障措施）。"
    assert answer.citations[0].unit_id == "rules/part2"


def test_structure_counts_of_the_document(tiny: Assistant):
    answer = tiny.ask("一共有几条？")
    assert answer.text.splitlines()[0] == "《办法》共3条（最后一条是《办法》第3条（加强经费保障）），分为2个部分："
    assert answer.citations[0].unit_id == "rules/art3"


def test_structure_counts_of_parts_cite_the_parts_first(tiny: Assistant):
    answer = tiny.ask("分了几大块？")
    assert [c.unit_id for c in answer.citations] == ["rules/part1", "rules/part2", "rules/art3"]


@pytest.mark.parametrize(
    ("question", "cited"),
    [
        ("《办法》的全称是什么", ["rules/title"]),
        ("Who wrote the commentary?", ["remarks/title", "remarks/byline"]),
        ("评论是谁写的", ["remarks/title", "remarks/byline"]),
    ],
)
def test_the_document_itself_is_answered_from_its_title_line_and_byline(
    tiny: Assistant, question: str, cited: list[str]
):
    answer = tiny.ask(question)
    assert (answer.kind, answer.support) == ("structure", "full")
    assert [c.unit_id for c in answer.citations] == cited
    assert answer.citations[0].quote in answer.text


def test_a_masked_name_in_the_title_is_a_gap(tmp_path: Path, cache_dir: Path):
    from tests.conftest import TINY_COMMENTARY, TINY_POLICY

    masked_policy = TINY_POLICY.replace("关于", "**市关于", 1)
    masked = keyword_assistant(tmp_path / "corpus", masked_policy, TINY_COMMENTARY, cache_dir)
    answer = masked.ask("《办法》是哪个市的")
    assert (answer.support, answer.gap) == (
        "partial",
        "原文隐去了名称（以“**”代替），没有写明具体是哪里；以下是原文的标题。",
    )
    assert masked.ask("《办法》的标题是什么").support == "full"


@pytest.mark.parametrize(
    ("question", "support", "gap"),
    [
        ("《办法》共5条吗", "partial", "《办法》共3条，不是5条；以下是原文。"),
        ("办法的三个部分分别是什么", "partial", "《办法》共2个部分，不是3个部分；以下是原文。"),
        ("《办法》一共有3条吗", "full", ""),
        ("两个部分分别讲什么", "full", ""),
    ],
)
def test_a_stated_size_of_the_document_is_checked(tiny: Assistant, question: str, support: str, gap: str):
    answer = tiny.ask(question)
    assert (answer.kind, answer.support, answer.gap) == ("structure", support, gap)


@pytest.mark.parametrize(
    ("question", "kind", "aspect"),
    [
        ("第四部分包括哪几条？", QuestionKind.STRUCTURE, "members"),
        ("第五部分有几条 都叫啥", QuestionKind.STRUCTURE, "members"),
        ("第9条属于哪个部分", QuestionKind.STRUCTURE, "part_of"),
        ("第五部分包括容错纠错吗", QuestionKind.LIST, ""),  # about a topic in the part
        ("火线提拔属于第十三条吗", QuestionKind.CONTENT, ""),
    ],
)
def test_structure_wording_about_a_topic_is_a_question_about_the_topic(question: str, kind: QuestionKind, aspect: str):
    parsed = parse_question(question)
    assert (parsed.kind, parsed.aspect) == (kind, aspect)


def test_sentence_counted_after_the_heading(tiny: Assistant):
    answer = tiny.ask("第1条第2句是什么")
    assert answer.kind == "sentence"
    assert answer.text == "《办法》第1条（推行河长制）第2句（共2句）：“每月巡河1次。”"
    last = tiny.ask("第1条最后一句")
    assert last.citations[0].quote == "每月巡河1次。"


def test_sentence_out_of_range_says_how_many_there_are(tiny: Assistant):
    answer = tiny.ask("第2条第5句是什么")
    assert answer.support == "partial"
    assert answer.gap == "《办法》第2条（严格执法监督）（标题之外）只有1句，没有第5句；以下是全文。"


def test_occurrence_counts_every_unit(tiny: Assistant):
    answer = tiny.ask("“河长制”出现了几次？")
    assert answer.kind == "occurrence" and answer.support == "full"
    assert answer.text == (
        "“河长制”在正文中共出现2次，分布在2处：《办法》第1条（推行河长制）1次、《评论》第2段1次。\n"
        "《办法》第1条（推行河长制）：“推行河长制。”\n《评论》第2段：“推行河长制，关键在落实。”"
    )
    assert [c.unit_id for c in answer.citations] == ["rules/art1", "remarks/para2"]


def test_occurrence_of_an_absent_term_is_not_covered(tiny: Assistant):
    answer = tiny.ask("“湖长制”出现了几次？")
    assert answer.refused and answer.text == "原文中没有出现“湖长制”。"


def test_compare_named_units_quotes_both(tiny: Assistant):
    answer = tiny.ask("第1条和第2条有什么不同？")
    assert answer.kind == "compare"
    assert answer.text == (
        "《办法》第1条（推行河长制）：“各级设立“河长”，负责河湖管护。”……“每月巡河1次。”\n"
        "《办法》第2条（严格执法监督）：“对非法采砂实行“零容忍”。”"
    )
    assert [c.unit_id for c in answer.citations] == ["rules/art1", "rules/art1", "rules/art2"]


def test_compare_terms_states_the_missing_side(tiny: Assistant):
    answer = tiny.ask("河长和湖长有什么区别")
    assert answer.kind == "compare" and answer.support == "partial"
    assert answer.gap == "原文没有提到“湖长”，只能引用另一方的原文。"
    assert answer.citations[0].unit_id == "rules/art1"


def test_compare_reads_a_side_as_the_word_the_text_uses(tiny: Assistant):
    """Neither 零容忍制度 nor 河长职责 is in the text, but each one's rarest longest word is (quotes aside)."""
    answer = tiny.ask("零容忍制度和河长职责有什么区别")
    assert answer.kind == "compare" and answer.support == "full"
    assert answer.text.splitlines()[0] == "（“零容忍制度”按原文的“零容忍”、“河长职责”按原文的“河长”引用。）"
    assert [c.unit_id for c in answer.citations] == ["rules/art2", "rules/art1"]


def test_a_long_side_is_read_as_a_long_term_it_holds(tiny: Assistant):
    answer = tiny.ask("每年一次的专项资金安排和非法采砂的执法监督有什么区别")
    assert answer.kind == "compare" and answer.support == "full"
    assert [c.unit_id for c in answer.citations] == ["rules/art3", "rules/art2"]


def test_comparing_two_parts_names_what_each_holds(tiny: Assistant):
    answer = tiny.ask("第一部分和第二部分侧重点有什么不同")
    assert answer.kind == "compare"
    assert answer.text.splitlines()[:2] == [
        "《办法》第一部分（总体要求）包括2条：第1条（推行河长制）、第2条（严格执法监督）。",
        "《办法》第二部分（保障措施）包括1条：第3条（加强经费保障）。",
    ]
    assert [c.unit_id for c in answer.citations] == [
        "rules/part1",
        "rules/art1",
        "rules/art2",
        "rules/part2",
        "rules/art3",
    ]


def test_terms_are_found_whatever_the_quotes_and_width():
    from assistant.answering.kinds import contains, count_in

    assert contains("对非法采砂实行“零容忍”。", "零容忍制度") is False
    assert contains("实行“零容忍”制度", "零容忍制度") and contains("党委（党组）", "党委(党组)")
    assert count_in("“河长”和河长", "河长") == 2 and count_in("“河长”", "“河长”") == 1


def test_locate_names_the_unit_and_its_part(tiny: Assistant):
    answer = tiny.ask("“零容忍”出自哪一条？")
    assert answer.kind == "locate"
    assert answer.text.splitlines()[0] == "见《办法》第2条（严格执法监督），属于第一部分（总体要求）："


def test_followup_names_a_unit_that_did_not_cover_the_first_question(assistant: Assistant):
    first = assistant.ask("火线提拔是什么？")
    second = assistant.ask("那第十三条呢？", [first])
    assert second.citations and second.citations[0].unit_id == "opinion/art13"
    assert not second.refused


HEADINGS_POLICY = """关于河长制的办法
一、推行河长制
1.设立河长。各级设立“河长”，负责河湖管护。
二、加强经费保障
2.资金来源。财政每年安排专项资金，保障河湖管护经费。
"""
HEADINGS_COMMENTARY = """守护碧水清流
本报评论员
怎样推行河长制？
推行河长制，关键在落实，河长要定期巡河。
"""


@pytest.fixture(scope="module")
def headings(tmp_path_factory: pytest.TempPathFactory, cache_dir: Path) -> Assistant:
    """A corpus whose part heading and rhetorical question echo a question's words without answering it."""
    folder = tmp_path_factory.mktemp("headings") / "corpus"
    return keyword_assistant(folder, HEADINGS_POLICY, HEADINGS_COMMENTARY, cache_dir)


def test_a_question_the_text_asks_itself_is_not_the_answer(headings: Assistant):
    ranked = [h.unit.id for h in headings.retriever.retrieve(parse_question("评论怎样推行河长制")).hits]
    assert ranked[:2] == ["remarks/para2", "remarks/para1"]


def test_a_part_heading_ranks_below_the_article_that_says_it(headings: Assistant):
    ranked = [h.unit.id for h in headings.retriever.retrieve(parse_question("经费保障")).hits]
    assert ranked[:2] == ["rules/art2", "rules/part2"]


@pytest.mark.parametrize(
    ("remainder", "framing"),
    [
        ("“用育备”结合是什么意思", "意思"),
        ("工作链条包括哪几个环节", "环节"),
        ("“一岗双责”出自哪里", "哪里"),
        ("随访和家访有什么区别", "区别"),
    ],
)
def test_topic_text_drops_the_wording_of_the_question(remainder: str, framing: str):
    from assistant.question.query import topic_text

    assert framing not in topic_text(remainder)


def test_items_quoted_one_after_another_count_as_a_list():
    from assistant.answering.kinds import _enumerates

    assert _enumerates("常态化开展“书记擂台”“局长述讲”活动", 2)
    assert _enumerates("严、真、细、实、快", 5) and not _enumerates("严、真", 3)
    assert not _enumerates("开展“四项治理”", 2) and not _enumerates("严、真", None)


@pytest.mark.parametrize(
    ("question", "count"),
    [
        ("三张清单是哪三张", 3),
        ("要锻造哪四支队伍", 4),
        ("五个一线是哪五个", 5),
        ("哪几条讲年轻干部", None),
        ("哪一条讲年轻干部", None),  # which one, not a list
        ("Which three levers does the plan use?", 3),
        ("What are the four kinds of teams to build?", 4),
        ("What is the plan for the next five years?", None),
    ],
)
def test_the_number_of_items_asked_for(question: str, count: int | None):
    assert parse_question(question).list_count == count


@pytest.mark.parametrize(
    ("question", "noun"),
    [
        ("要提高哪三种能力", "能力"),
        ("干部要练哪几种劲", "劲"),
        ("哪些条款涉及基层减负", ""),
        ("Which three political abilities should cadres improve?", "abilities"),
        ("What are the four kinds of teams the city builds?", "teams"),
        ("Which three sources of recommendation are there?", "recommendation"),
    ],
)
def test_the_kind_of_item_asked_for(question: str, noun: str):
    assert parse_question(question).list_noun == noun


def test_a_counted_subject_is_read_as_the_text_writes_it(tiny: Assistant):
    """Leftover wording around a term (里, 这个词) does not stop it being counted."""
    counted = tiny.ask("河长这个词提了几次")
    assert counted.kind == "occurrence" and counted.text.startswith("“河长”在正文中共出现")
    assert tiny.ask("评论里河长制出现几次").text.startswith("“河长制”在《评论》正文中共出现1次")


def test_how_many_sentences_a_unit_has(tiny: Assistant):
    answer = tiny.ask("第1条有几句")
    assert answer.kind == "structure"
    assert answer.text.splitlines()[0] == "《办法》第1条（推行河长制）共2句（不算标题）。"
    assert [c.quote for c in answer.citations] == ["各级设立“河长”，负责河湖管护。", "每月巡河1次。"]


@pytest.mark.parametrize("question", ["三条措施分别是什么", "哪三条讲年轻干部", "第一议题制度"])
def test_counts_of_things_are_not_article_numbers(question: str):
    assert parse_question(question).references == ()


def test_containment_ignores_width_quotes_and_asides():
    from assistant.answering.kinds import contains, count_in

    assert contains("建立“随访”制度", "随访制度")
    assert contains("党委（党组）要负责", "党委(党组)")
    assert contains("组织（人事）部门", "组织部门")
    assert not contains("建立“随访”制度", "“随访制度”")
    assert count_in("“实干家”不是一般的实干者，实干家", "实干家") == 2


def test_a_compare_question_embeds_only_the_question(assistant: Assistant, monkeypatch: pytest.MonkeyPatch):
    """Each side of a comparison is a phrase of the text, found by its keywords: the embedders run once per question
    (a compare question took two more embeddings, 22-27 ms against 10-15 ms)."""
    embedded: list[str] = []
    for dense in assistant.index.dense.values():
        original = dense.embedder.embed_question
        monkeypatch.setattr(dense.embedder, "embed_question", lambda text, f=original: embedded.append(text) or f(text))
    answer = assistant.ask("火线提拔跟破格提拔啥区别")
    assert answer.kind == "compare" and len(answer.citations) == 2
    assert len(embedded) == len(assistant.index.dense)


def test_a_sentence_that_points_back_is_quoted_with_the_sentence_it_points_to(tmp_path: Path, cache_dir: Path):
    """这三个方面… names nothing by itself: the sentence before, which lists the three, is quoted with it."""
    from tests.conftest import TINY_POLICY

    commentary = (
        "守护碧水清流\n本报评论员\n"
        "办法给出了清晰指向——管住排污口、清理河道垃圾、修复岸线植被。这三个方面紧扣河湖长效治理要求。\n"
        "推行河长制，关键在落实。\n"
    )
    pointing = keyword_assistant(tmp_path / "corpus", TINY_POLICY, commentary, cache_dir)
    answer = pointing.ask("评论说三个方面紧扣什么")
    assert [c.quote for c in answer.citations] == [
        "办法给出了清晰指向——管住排污口、清理河道垃圾、修复岸线植被。",
        "这三个方面紧扣河湖长效治理要求。",
    ]


def test_a_question_for_a_measure_leads_with_a_close_unit_that_gives_it(tiny_corpus):
    from assistant import load_corpus
    from assistant.answering.kinds import _giving_measure
    from assistant.search.retrieve import Hit

    units = {u.id: u for u in load_corpus(tiny_corpus).units}
    law, patrol = units["rules/art2"], units["rules/art1"]  # 每月巡河1次 stands in 第1条

    def hits(rival_score: float) -> list[Hit]:
        return [
            Hit(law, 1.0, (1.0,) * len(law.sentences), 0),
            Hit(patrol, rival_score, (*(0.1,) * (len(patrol.sentences) - 1), 1.0), 1),  # its best: 每月巡河1次
        ]

    assert _giving_measure("河长多久巡一次河", hits(0.9)).unit is patrol
    assert _giving_measure("河长多久巡一次河", hits(0.5)).unit is law  # not close enough to the best
    assert _giving_measure("河长负责什么", hits(0.9)).unit is law  # no measure asked
