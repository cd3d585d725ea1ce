"""Several documents of one kind: references, follow-ups and `show` go to the document the question names.

The second policy below is written for these tests (a made-up measure on forests, labelled as such); articles 1 to 3
exist in both policies, article 4 only in the second.
"""

from pathlib import Path

import pytest

from assistant import Assistant, Settings
from assistant.base.errors import UnitNotFoundError
from tests.conftest import TINY_COMMENTARY, TINY_POLICY, write_document

SECOND_POLICY = """关于加强森林防火的规定（测试用虚构文件）
一、总体要求
1.推行林长制。各级设立“林长”，负责林区巡护。每周巡林2次。
2.严格火源管理。进山人员不得携带火种。
二、保障措施
3.加强经费保障。每年安排防火专项资金。
4.加强队伍建设。每个乡镇组建扑火队。
"""


@pytest.fixture(scope="module")
def two_policies(tmp_path_factory: pytest.TempPathFactory, cache_dir: Path) -> Assistant:
    folder = tmp_path_factory.mktemp("two") / "corpus"
    write_document(folder, "rules", TINY_POLICY, {"short": "《办法》", "kind": "policy"})
    write_document(
        folder, "forest", SECOND_POLICY, {"short": "《规定》", "kind": "policy", "aliases": "防火规定、林长规定"}
    )
    write_document(folder, "remarks", TINY_COMMENTARY, {"short": "《评论》", "kind": "commentary"})
    settings = Settings(corpus_dir=folder, index_dir=folder.parent / "index", cache_dir=cache_dir, embedders=())
    return Assistant.from_settings(settings)


def _cited(assistant: Assistant, question: str, history=()) -> list[str]:
    return [c.unit_id for c in assistant.ask(question, history).citations]


@pytest.mark.parametrize(
    ("question", "unit"),
    [
        ("《规定》第1条是什么？", "forest/art1"),
        ("《办法》第1条是什么？", "rules/art1"),
        ("规定第二条讲了什么", "forest/art2"),
        ("防火规定第1条", "forest/art1"),
        ("规定2条讲了什么", "forest/art2"),
        ("第1条在《规定》里怎么说", "forest/art1"),
        ("第4条是什么？", "forest/art4"),  # only one policy has it
    ],
)
def test_a_reference_goes_to_the_document_named_or_the_only_one_that_has_it(two_policies, question, unit):
    assert _cited(two_policies, question)[0] == unit


def test_a_reference_two_documents_have_asks_which_one_is_meant(two_policies):
    answer = two_policies.ask("第1条是什么？")
    assert answer.refused and not answer.citations
    assert answer.text == "《规定》、《办法》都有第1条；请说明是哪一份文件，例如“《规定》第1条”。"  # file order


def test_each_reference_takes_the_document_named_before_it(two_policies):
    cited = _cited(two_policies, "《办法》第1条和《规定》第1条有什么不同？")
    assert list(dict.fromkeys(cited)) == ["rules/art1", "forest/art1"]


def test_a_follow_up_stays_in_the_document_of_the_conversation(two_policies):
    first = two_policies.ask("《规定》第1条是什么？")
    assert _cited(two_policies, "那第2条呢？", [first])[0] == "forest/art2"
    other = two_policies.ask("《办法》第1条是什么？")
    assert _cited(two_policies, "那第2条呢？", [other])[0] == "rules/art2"


def test_show_reads_the_document_name_and_says_which_documents_have_a_unit(two_policies):
    assert [u.id for u in two_policies.show("《规定》第2条")] == ["forest/art2"]
    assert [u.id for u in two_policies.show("第4条")] == ["forest/art4"]
    with pytest.raises(UnitNotFoundError, match="《规定》、《办法》都有第2条"):
        two_policies.show("第2条")
    with pytest.raises(UnitNotFoundError, match="《规定》共有4条，没有第9条"):
        two_policies.show("《规定》第9条")


def test_aliases_come_from_the_short_name_the_title_and_the_metadata(two_policies):
    forest = next(d for d in two_policies.corpus.documents if d.id == "forest")
    assert {"《规定》", "规定", "防火规定", "林长规定", forest.title} <= set(forest.aliases)
    mentions = two_policies.corpus.mentions("《办法》和防火规定")
    assert [(start, d.id) for start, d in mentions] == [(0, "rules"), (5, "forest")]


def _units(assistant: Assistant) -> dict[str, object]:
    return {u.id: u for u in assistant.corpus.units}


def test_same_numbered_articles_of_two_documents_get_tags_that_name_their_document(two_policies):
    from assistant.answering.guard import citation_tag, source_tags

    units = _units(two_policies)
    sources = [units["rules/art1"], units["forest/art1"], units["forest/art4"], units["remarks/para2"]]
    assert list(source_tags(sources)) == ["《办法》第1条", "《规定》第1条", "第4条", "评论第2段"]
    assert citation_tag(units["rules/art1"]) == "第1条"


@pytest.mark.parametrize(
    ("sentence", "kept", "cited"),
    [
        ("各级设立“林长”，负责林区巡护[《规定》第1条]。", True, "forest/art1"),
        ("各级设立“林长”，负责林区巡护[规定第1条]。", True, "forest/art1"),
        ("各级设立“河长”，负责河湖管护[《办法》第1条]。", True, "rules/art1"),
        ("各级设立“林长”，负责林区巡护[第1条]。", False, None),  # either document's: names neither
        ("各级设立“河长”，负责河湖管护[《规定》第1条]。", False, None),  # the other document's words
        ("各级设立“林长”，负责林区巡护[《条例》第1条]。", False, None),  # a document that is not a source
    ],
)
def test_the_guard_accepts_a_citation_only_into_the_document_it_names(two_policies, sentence, kept, cited):
    from assistant.answering.guard import guard_answer

    units = _units(two_policies)
    result = guard_answer(sentence, [units["rules/art1"], units["forest/art1"]])
    assert (result.removed == []) is kept
    assert [c.unit_id for c in result.citations] == ([cited] if cited else [])
    if kept:  # shown with the tag that names its source alone
        assert result.text == sentence.split("[")[0] + f"[{units[cited].short}第1条]。"


def test_the_llm_prompt_names_the_documents_of_its_sources(two_policies):
    from assistant.answering.llm import build_messages

    units = _units(two_policies)
    system, *_, user = build_messages("林长负责什么？", [units["forest/art1"], units["rules/art1"]])
    assert "关于《规定》和《办法》的问题" in system.content
    assert "来源2（标注为 [《办法》第1条]）" in user.content
    assert "来源1（标注为 [《规定》第1条]）《规定》第1条（推行林长制）" in user.content


def test_a_refusal_names_a_few_documents_and_counts_many(two_policies, tmp_path: Path, cache_dir: Path):
    assert two_policies.ask("今天天气怎么样？").text.startswith("《规定》、《办法》和《评论》没有涉及这个问题")
    folder = tmp_path / "corpus"
    for number in range(1, 5):
        write_document(folder, f"p{number}", TINY_POLICY, {"short": f"《办法{number}》", "kind": "policy"})
    many = Assistant.from_settings(
        Settings(corpus_dir=folder, index_dir=tmp_path / "index", cache_dir=cache_dir, embedders=())
    )
    assert many.ask("今天天气怎么样？").text.startswith("所收录的4份文件没有涉及这个问题")


def test_study_material_is_per_document_and_across_documents(two_policies):
    from assistant.base.errors import QuestionError
    from assistant.training.export import outline_material
    from assistant.training.study import outline, select_units

    corpus = two_policies.corpus
    everything = select_units(corpus)
    assert [u.id for u in everything] == [f"forest/art{n}" for n in range(1, 5)] + [f"rules/art{n}" for n in (1, 2, 3)]
    assert [u.id for u in select_units(corpus, articles="1-2", document="《规定》")] == ["forest/art1", "forest/art2"]
    assert [u.id for u in select_units(corpus, parts="二", document="rules")] == ["rules/art3"]
    with pytest.raises(QuestionError, match="choose one with --doc"):
        select_units(corpus, articles="1")
    with pytest.raises(QuestionError, match="no policy document is called '《条例》'"):
        select_units(corpus, document="《条例》")
    parts = outline(corpus, everything)
    assert [p.unit.id for p in parts] == ["forest/part1", "forest/part2", "rules/part1", "rules/part2"]
    titles = {d.id: f"《{d.title}》" for d in corpus.documents}
    assert outline_material(corpus, parts, "全文").source_title == f"{titles['forest']}、{titles['rules']}"
    only = outline(corpus, select_units(corpus, document="办法"))
    assert outline_material(corpus, only, "全文").source_title == titles["rules"]


def test_the_cli_takes_doc_for_study_material(two_policies, monkeypatch, capsys):
    from assistant import cli as cli_module

    monkeypatch.setenv("ASSISTANT_CORPUS_DIR", str(two_policies.settings.corpus_dir))
    assert cli_module.main(["outline", "--doc", "《规定》", "--articles", "4"]) == 0
    out = capsys.readouterr().out
    assert "《规定》第4条（加强队伍建设）" in out and "《办法》" not in out
    assert cli_module.main(["outline", "--articles", "4"]) == 2
    assert "choose one with --doc" in capsys.readouterr().err


def test_a_count_question_outlines_the_document_named_or_each_one(two_policies):
    both = two_policies.ask("一共有几条？").text
    assert both.startswith("《规定》共4条（最后一条是《规定》第4条（加强队伍建设）），分为2个部分：")
    assert "《办法》共3条（最后一条是《办法》第3条（加强经费保障）），分为2个部分：" in both
    one = two_policies.ask("《办法》一共有几条？").text
    assert one.startswith("《办法》共3条") and "《规定》" not in one


def test_an_assistant_is_built_from_its_parts(two_policies):
    """The constructor takes ready parts; variants share the index and change one part."""
    from assistant.search.retrieve import Fusion

    rebuilt = Assistant(two_policies.settings, two_policies.index, two_policies.support_rule)
    assert rebuilt.index is two_policies.index and rebuilt.corpus is two_policies.corpus
    assert rebuilt.ask("《规定》第4条").to_dict() == two_policies.ask("《规定》第4条").to_dict()
    sparse = two_policies.variant(Fusion(use_dense=False))
    assert sparse.index is two_policies.index and sparse.retriever.fusion.use_dense is False
    assert two_policies.with_chat_model(None).generator is None


def test_both_edges_build_material_through_one_function(two_policies):
    from assistant.base.errors import QuestionError
    from assistant.training.material import GLOSSARY, OUTLINE, QUIZ, QuizOptions, Scope, study_material

    corpus = two_policies.corpus
    outline, notice = study_material(corpus, OUTLINE, Scope(articles="4", document="规定"))
    assert (outline.subtitle, notice) == ("范围：《规定》第4条", "")
    quiz, notice = study_material(corpus, QUIZ, Scope(document="《办法》"), quiz=QuizOptions(count=50, seed=1))
    assert quiz.subtitle.startswith("范围：《办法》全文；共") and notice  # the tiny text has fewer than 50
    glossary, _ = study_material(corpus, GLOSSARY, Scope(topic="林长", document="《规定》"), two_policies.topic_units)
    assert glossary.source_title == f"《{corpus.document_named('规定').title}》"
    with pytest.raises(QuestionError, match="a topic needs the search index"):
        study_material(corpus, OUTLINE, Scope(topic="林长"))
    with pytest.raises(QuestionError, match="unknown material 'slides'"):
        study_material(corpus, "slides", Scope())


@pytest.mark.parametrize(
    ("question", "unit", "read_as"),
    [
        ("“加强队伍建设”这一条讲什么", "forest/art4", "《规定》第4条"),  # a title only one document has
        ("《规定》第二部分第二条是什么", "forest/art4", "第4条"),  # the N-th article of a part of the named document
        ("《办法》第二部分第一条是什么", "rules/art3", "第3条"),
    ],
)
def test_units_named_by_title_or_by_place_in_a_part_stay_in_their_document(two_policies, question, unit, read_as):
    answer = two_policies.ask(question)
    assert answer.citations[0].unit_id == unit
    assert [c.term for c in answer.corrections] == [read_as]


def test_a_title_two_documents_share_names_no_unit(two_policies):
    assert not two_policies.ask("“加强经费保障”这一条讲什么").corrections


# Attacks reported by a helper who added look-alike documents (《意见2》 beside 《意见》): each is a test now.


@pytest.mark.parametrize(
    "question",
    [
        "规定二第3条是什么",  # a name the corpus does not have, not 《规定》's
        "规定（二）第3条是什么",
        "第二个规定第3条是什么",  # a description of some document, not its name
        "关于森林防火的规定第3条是什么",  # a shortened title: some document, not necessarily 《规定》
    ],
)
def test_a_name_that_only_resembles_a_document_does_not_pick_it(two_policies, question):
    answer = two_policies.ask(question)
    assert not answer.citations
    assert answer.text.startswith("《规定》、《办法》都有第3条")


@pytest.mark.parametrize(
    ("question", "message"),
    [
        ("《规定》第2段是什么", "《规定》没有第2段：它按条编排。"),
        ("《评论》第3条是什么", "《评论》没有第3条：它按段编排。"),
        ("《条例》第3条是什么", "所收录的文件中没有《条例》；可查询：《规定》、《办法》。"),
    ],
)
def test_a_unit_of_the_wrong_kind_or_an_unknown_document_is_said_so(two_policies, question, message):
    answer = two_policies.ask(question)
    assert answer.text == message and not answer.citations


def test_one_reference_after_two_named_documents_is_read_in_both(two_policies):
    cited = _cited(two_policies, "办法和防火规定的第1条有什么不同")
    assert list(dict.fromkeys(cited)) == ["rules/art1", "forest/art1"]


def test_an_unqualified_reference_before_a_named_one_is_read_on_its_own(two_policies):
    cited = _cited(two_policies, "第4条和《办法》第3条有什么不同")  # only 《规定》 has a 第4条
    assert list(dict.fromkeys(cited)) == ["forest/art4", "rules/art3"]


def test_a_follow_up_after_a_missing_unit_stays_in_the_document(two_policies):
    first = two_policies.ask("《规定》第3条是什么？")
    missing = two_policies.ask("第9条", [first])
    assert missing.text.startswith("《规定》共有4条，没有第9条")
    assert _cited(two_policies, "上一条", [first, missing])[0] == "forest/art2"
    assert _cited(two_policies, "那第1条呢？", [first, missing])[0] == "forest/art1"


def test_document_names_are_not_read_as_what_the_question_asks_about(two_policies):
    answer = two_policies.ask("防火规定第4条讲了什么")
    assert answer.citations[0].unit_id == "forest/art4"
    assert "防火" not in answer.gap and answer.support == "full"


def test_show_reads_a_document_name_with_a_bare_number(two_policies):
    assert [u.id for u in two_policies.show("《规定》 2")] == ["forest/art2"]
    assert [u.id for u in two_policies.show("办法 3")] == ["rules/art3"]


def test_material_of_one_document_names_only_its_title_even_when_empty(two_policies):
    from assistant.training.material import GLOSSARY, Scope, study_material

    material, _ = study_material(two_policies.corpus, GLOSSARY, Scope(articles="4", document="《规定》"))
    assert material.source_title == f"《{two_policies.corpus.document_named('规定').title}》"


def test_a_backwards_range_says_so(two_policies):
    from assistant.base.errors import QuestionError
    from assistant.training.study import select_units

    with pytest.raises(QuestionError, match="'3-1' runs backwards; write the smaller number first"):
        select_units(two_policies.corpus, articles="3-1", document="规定")
