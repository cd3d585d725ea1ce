"""Trainer toolkit: validity over many seeds, counts, repeatability, outline, glossary, Word round trip."""

from dataclasses import replace
from pathlib import Path

import pytest
from docx import Document

from assistant import QuestionError, load_corpus
from assistant import cli as cli_module
from assistant.text.terms import glossary
from assistant.training.export import glossary_material, outline_material, quiz_material
from assistant.training.study import (
    BLANK,
    FILL,
    JUDGE,
    LETTERS,
    MULTIPLE,
    QUESTION_TYPES,
    SINGLE,
    check_question,
    make_quiz,
    outline,
    quiz_problems,
    select_units,
)
from tests.conftest import CORPUS_DIR


@pytest.fixture(scope="module")
def corpus():
    return load_corpus(CORPUS_DIR)


@pytest.mark.parametrize("scope", [{}, {"articles": "11-13"}, {"parts": "二"}, {"articles": "5,7"}])
def test_every_question_is_valid_for_many_seeds(corpus, scope):
    units = select_units(corpus, **scope)
    texts = [u.text for u in corpus.units]
    for seed in range(40):
        quiz = make_quiz(corpus, units, count=15, seed=seed)
        assert quiz.dropped == [] or all(":" in d for d in quiz.dropped)
        stems = [(q.kind, q.stem) for q in quiz.questions]
        assert len(stems) == len(set(stems))
        for question in quiz.questions:
            assert check_question(question, corpus) == ""
            unit = corpus.unit(question.unit_id)
            assert unit in units or (question.kind == MULTIPLE and unit.doc == "opinion")
            assert question.source in unit.text and question.label == unit.label
            assert question.explanation == f"出处：{unit.label}：“{question.source}”"
            assert question.difficulty in ("易", "中", "难")
            if question.kind == FILL:
                assert question.stem.replace(BLANK, question.answer) == question.source
            if question.kind == SINGLE:
                right = question.options[LETTERS.index(question.answer)]
                assert question.stem.replace(BLANK, right) == question.source
                assert all(o not in question.source for o in question.options if o != right)
            if question.kind == MULTIPLE:
                keyed = [o for letter, o in zip(LETTERS, question.options, strict=False) if letter in question.answer]
                assert keyed and all(o in question.source for o in keyed)
                assert all(o not in question.source for o in question.options if o not in keyed)
            if question.kind == JUDGE:
                statement = question.stem.split("提出：", 1)[1]
                assert (question.answer == "正确") == any(statement in t for t in texts)


def test_counts_are_honoured_or_the_shortfall_is_stated(corpus):
    quiz = make_quiz(corpus, select_units(corpus), count=20, types=[FILL, SINGLE, JUDGE], seed=1)
    assert len(quiz.questions) == 20 and quiz.shortfall == ""
    assert {q.kind for q in quiz.questions} == {FILL, SINGLE, JUDGE}
    small = make_quiz(corpus, select_units(corpus, articles="11-13"), count=20, types=[FILL, SINGLE, JUDGE], seed=1)
    assert len(small.questions) < 20  # one question per sentence: 11-13 have ten sentences with something to ask
    assert small.shortfall == (
        f"只生成了{len(small.questions)}道有效题目（要求20道）：所选范围内可出题的句子不足（每句至多出一题）。"
    )


def test_the_issues_quizzes_no_longer_give_answers_away(corpus):
    """The reported quizzes: 11-13 blanked 负面清单, 叫醒 and 叫停 out of one sentence; 年轻干部 reused one sentence."""
    quiz = make_quiz(corpus, select_units(corpus, articles="11-13"), count=20, types=[FILL, SINGLE, JUDGE], seed=1)
    assert quiz_problems(quiz, corpus) == []
    assert len({q.source for q in quiz.questions}) == len(quiz.questions)


@pytest.mark.parametrize(("original", "substitute"), [("用育备", "叫醒"), ("火线提拔", "短安排")])
def test_the_reported_unnatural_swaps_are_rejected(corpus, original: str, substitute: str):
    """“叫醒”结合 and 实行“短安排” were free points in 判断 questions."""
    from assistant.text.corpus import POLICY
    from assistant.training.study import _blanks, profiles, substitution_problem

    known = profiles(_blanks([u for d in corpus.documents_of_kind(POLICY) for u in d.units], glossary(corpus)))
    assert substitution_problem(known[original], known[substitute]) != ""


def test_multiple_choice_on_articles_11_to_13(corpus):
    quiz = make_quiz(corpus, select_units(corpus, articles="11-13"), count=5, types=[MULTIPLE], seed=1)
    assert quiz.questions and {q.kind for q in quiz.questions} == {MULTIPLE}
    assert all(check_question(q, corpus) == "" for q in quiz.questions)


def test_same_seed_same_quiz_other_seed_other_quiz(corpus):
    units = select_units(corpus)
    first = make_quiz(corpus, units, count=20, seed=7).questions
    assert make_quiz(corpus, units, count=20, seed=7).questions == first
    assert make_quiz(corpus, units, count=20, seed=8).questions != first


def test_validity_check_catches_broken_questions(corpus):
    quiz = make_quiz(corpus, select_units(corpus), count=40, seed=2)
    by_kind = {q.kind: q for q in quiz.questions}
    single = by_kind[SINGLE]
    right = single.options[LETTERS.index(single.answer)]
    wrong_key = LETTERS[(LETTERS.index(single.answer) + 1) % 4]
    assert "restore" in check_question(replace(single, answer=wrong_key), corpus)
    assert check_question(replace(single, options=(right,) * 4), corpus) == "two options are the same"
    fill = by_kind[FILL]
    assert check_question(replace(fill, answer=fill.answer + "X"), corpus)
    judge = by_kind[JUDGE]
    flipped = "错误" if judge.answer == "正确" else "正确"
    assert check_question(replace(judge, answer=flipped), corpus) in (
        "the false statement is in the text",
        "a true statement must be the cited sentence itself",
    )
    multiple = by_kind[MULTIPLE]
    assert "keyed wrongly" in check_question(replace(multiple, answer="ABCD"), corpus)


def test_malformed_questions_are_rejected_not_crashing(corpus):
    quiz = make_quiz(corpus, select_units(corpus), count=40, seed=2)
    by_kind = {q.kind: q for q in quiz.questions}
    fill, single, multiple, judge = (by_kind[k] for k in (FILL, SINGLE, MULTIPLE, JUDGE))
    elsewhere = "opinion/art12" if judge.unit_id == "opinion/art13" else "opinion/art13"
    broken = [
        replace(fill, stem=fill.source),
        replace(fill, stem=fill.stem.replace(fill.answer, ""), answer=""),
        replace(single, options=single.options[:1]),
        replace(single, answer="AB"),
        replace(single, answer="E"),
        replace(single, options=single.options[:3], answer="D"),
        replace(multiple, answer=""),
        replace(multiple, answer="Z"),
        replace(judge, stem="《意见》第13条说：强化"),
        replace(judge, stem="《意见》第13条提出：强化", answer="正确"),
        replace(judge, unit_id=elsewhere, label=corpus.unit(elsewhere).label),
        replace(judge, unit_id="opinion/nowhere"),
    ]
    for question in broken:
        assert check_question(question, corpus), question


def test_multiple_choice_needs_whole_listed_items(corpus):
    unit = corpus.unit("opinion/art13")
    source = unit.sentences[1].text
    fragments = replace(
        make_quiz(corpus, select_units(corpus), count=40, seed=2, types=[MULTIPLE]).questions[0],
        options=("干部", "担当", "上级", "下级"), answer="ABC", source=source, unit_id=unit.id, label=unit.label,
    )  # fmt: skip
    assert "keyed wrongly" in check_question(fragments, corpus)


def test_bad_scope_and_types(corpus):
    with pytest.raises(QuestionError, match="out of range"):
        select_units(corpus, articles="14-16")
    with pytest.raises(QuestionError, match="not an article or part number"):
        select_units(corpus, parts="abc")
    with pytest.raises(QuestionError, match="question types"):
        make_quiz(corpus, select_units(corpus), types=["简答"])


def test_glossary_lists_formula_items(corpus):
    entries = {e.term: e for e in glossary(corpus)}
    assert entries["五个一线"].items == ("城市更新建设", "项目招引建设", "信访维稳", "疫情防控", "镇街村居")
    assert entries["五个回头看"].items == ("日", "周", "月", "季", "年")
    assert entries["三张清单"].items == ("配备目标", "重点措施", "调整计划")
    assert entries["三个区分开来"].unit.label == "《意见》第13条（坚持严管厚爱）"
    assert entries["三个发力点"].quoted is False and len(entries["三个发力点"].items) == 3
    assert entries["两个确立"].items == ()
    traits = entries["四个特质"]  # 这四个特质: the items are in the sentence before, after its dash
    assert traits.quoted is False and traits.unit.label == "《评论员文章》第3段"
    assert traits.items[0] == "锻造激情状态更加昂扬的“实干家”队伍" and len(traits.items) == 4


def test_outline_of_part_four(corpus):
    (part,) = outline(corpus, select_units(corpus, parts="四"))
    assert part.unit.label == "《意见》第四部分（以“实干家”要求用好干部管好干部）"
    assert [a.unit.number for a in part.articles] == [11, 12, 13]
    article13 = part.articles[2]
    assert "三个区分开来" in article13.terms
    assert [u.label for u in article13.commentary] == ["《评论员文章》第3段", "《评论员文章》第6段"]
    assert all(s in article13.unit.text for s in article13.key_sentences) and len(article13.key_sentences) == 3


def test_word_round_trip(corpus, tmp_path: Path):
    quiz = make_quiz(corpus, select_units(corpus, articles="11-13"), count=12, types=list(QUESTION_TYPES), seed=1)
    path = tmp_path / "quiz.docx"
    quiz_material(corpus, quiz, "第11-13条").docx(path)
    document = Document(str(path))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings[-1] == "参考答案与解析"
    sections = [h.split("、")[1].split("（")[0] for h in headings[:-1]]
    assert sections == [f"{k}题" for k in QUESTION_TYPES if any(q.kind == k for q in quiz.questions)]
    assert document.paragraphs[0].style.name == "Title" and document.paragraphs[0].text == "学习测验"
    assert document.paragraphs[2].text == f"依据：《{corpus.documents[0].title}》"
    numbered = [p.text for p in document.paragraphs if p.text[:1].isdigit()]
    assert len(numbered) == 2 * len(quiz.questions)  # questions, then the answer key
    key_at = next(i for i, p in enumerate(document.paragraphs) if p.text == "参考答案与解析")
    assert 'w:br w:type="page"' in document.paragraphs[key_at - 1]._p.xml  # the key starts on a page of its own
    outline_path = tmp_path / "outline.docx"
    outline_material(corpus, outline(corpus, select_units(corpus, parts="四")), "第四部分").docx(outline_path)
    outline_headings = [p.text for p in Document(str(outline_path)).paragraphs if p.style.name == "Heading 2"]
    assert outline_headings == [
        "《意见》第11条（树牢用人导向）",
        "《意见》第12条（严格奖优罚劣）",
        "《意见》第13条（坚持严管厚爱）",
    ]
    markdown = glossary_material(corpus, glossary(corpus), "全文").markdown()
    assert "“五个一线”：城市更新建设、项目招引建设、信访维稳、疫情防控、镇街村居" in markdown


def test_cli_quiz_outline_glossary(corpus, tmp_path: Path, capsys):
    args = ["quiz", "--articles", "11-13", "--n", "20", "--types", "填空,单选,判断", "--seed", "1"]
    made = len(make_quiz(corpus, select_units(corpus, articles="11-13"), 20, [FILL, SINGLE, JUDGE], 1).questions)
    assert cli_module.main([*args, "-o", str(tmp_path / "quiz.docx")]) == 0
    numbered = [p.text for p in Document(str(tmp_path / "quiz.docx")).paragraphs if p.text[:1].isdigit()]
    assert len(numbered) == 2 * made and f"只生成了{made}道有效题目" in capsys.readouterr().err
    paper, key = tmp_path / "paper.docx", tmp_path / "key.docx"
    assert cli_module.main([*args, "-o", str(paper), "--key", str(key), "--difficulty", "易:1,中:1"]) == 0
    assert capsys.readouterr().out.splitlines() == [f"wrote {paper}", f"wrote {key}"]
    paper_texts = [p.text for p in Document(str(paper)).paragraphs]
    assert not any("参考答案" in t or "出处" in t for t in paper_texts)
    assert sum("出处" in p.text for p in Document(str(key)).paragraphs) == sum(t[:1].isdigit() for t in paper_texts)
    assert cli_module.main(["outline", "--part", "四", "-o", str(tmp_path / "outline.docx")]) == 0
    assert cli_module.main(["glossary", "-o", str(tmp_path / "terms.md")]) == 0
    assert (tmp_path / "terms.md").read_text(encoding="utf-8").startswith("# 提法术语表")
    capsys.readouterr()
    assert cli_module.main([*args]) == 0
    assert capsys.readouterr().out.startswith("# 学习测验")
    assert cli_module.main(["quiz", "--articles", "99"]) == 2
    assert "out of range" in capsys.readouterr().err
    assert cli_module.main(["quiz", "--articles", "14", "--types", "多选"]) == 2
    assert "出不了多选题" in capsys.readouterr().err
    assert cli_module.main([*args, "--key", str(key)]) != 0
    assert "-o" in capsys.readouterr().err


def test_cli_slides(tmp_path: Path, capsys):
    from pptx import Presentation

    deck = tmp_path / "deck" / "lecture.pptx"
    assert cli_module.main(["slides", "--part", "四", "-o", str(deck)]) == 0
    assert capsys.readouterr().out == f"wrote {deck}\n"
    titles = [slide.shapes.title.text for slide in Presentation(str(deck)).slides]
    assert titles[0].startswith("学习《意见》第四部分") and titles[-1] == "思考与讨论" and len(titles) == 5
    with pytest.raises(SystemExit):
        cli_module.main(["slides", "--part", "四", "-o", str(tmp_path / "lecture.docx")])
    assert "slides are written as .pptx" in capsys.readouterr().err
    assert cli_module.main(["slides", "--articles", "99", "-o", str(deck)]) == 2


@pytest.mark.parametrize(
    ("original", "substitute"),
    [
        ("坚决不用", "贯通式"),  # 对…干部“贯通式”。 loses its verb
        ("叫停", "短安排"),  # 果断“叫醒”“短安排”
        ("随访", "贯通式"),  # 领导干部“贯通式”制度
        ("拧螺丝", "业务骨干"),
        ("优秀苗子", "拧螺丝"),
        ("韧劲", "大胆改"),
    ],
)
def test_the_attack_reports_ungrammatical_swaps_are_rejected(corpus, original: str, substitute: str):
    from assistant.text.corpus import POLICY
    from assistant.training.study import _blanks, profiles, substitution_problem

    known = profiles(_blanks([u for d in corpus.documents_of_kind(POLICY) for u in d.units], glossary(corpus)))
    assert substitution_problem(known[original], known[substitute]).startswith(("part of speech", "a paired"))


def test_no_stem_shows_another_questions_distractor_in_its_real_place(corpus):
    """The attack report: seed 3 swapped 短安排 into a 判断 while another stem read “长计划”与“短安排”相结合."""
    for seed in range(40):
        quiz = make_quiz(corpus, select_units(corpus), count=20, seed=seed)
        for i, asking in enumerate(quiz.questions):
            for j, other in enumerate(quiz.questions):
                assert i == j or not any(s in asking.stem for s in other.substitutes), (seed, i, j)


@pytest.mark.parametrize("mix", ["易:1e308", "易:inf", "中=inf", "易:nan", "易:-1,中:2", "易:" + "9" * 999, "易:１e９"])
def test_a_difficulty_weight_that_is_not_a_plain_number_is_a_clear_error(corpus, mix: str):
    with pytest.raises(QuestionError, match="weight"):
        make_quiz(corpus, select_units(corpus), count=5, seed=1, difficulty=mix)


def test_paper_and_key_paths_and_scope_mistakes_are_refused_before_writing(tmp_path: Path, capsys):
    same = tmp_path / "x.docx"
    assert cli_module.main(["quiz", "-o", str(same), "--key", str(tmp_path / "." / "x.docx")]) == 2
    assert "the same file" in capsys.readouterr().err and not same.exists()
    (tmp_path / "dir.docx").mkdir()
    assert cli_module.main(["quiz", "-o", str(same), "--key", str(tmp_path / "dir.docx")]) == 2
    assert "is a folder" in capsys.readouterr().err and not same.exists()
    assert cli_module.main(["quiz", "--part", "四", "--topic", "年轻干部"]) == 2
    assert "not both" in capsys.readouterr().err
