"""Quiz composition rules on a tiny corpus: profiles and the substitution rule, leakage, one question per sentence,
coverage, difficulty mixes, 多选 from enumerations, and exam papers with a separate answer key."""

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from docx import Document
from pptx.dml.color import RGBColor

from assistant import QuestionError, load_corpus
from assistant.training.export import AUTHOR, POINTS, answer_key_material, quiz_material
from assistant.training.study import (
    BLANK,
    FILL,
    JUDGE,
    LETTERS,
    MULTIPLE,
    SINGLE,
    Profile,
    Question,
    Quiz,
    check_question,
    difficulty_quotas,
    enumerations,
    leakage_pairs,
    make_quiz,
    profiles,
    quiz_problems,
    select_units,
    substitution_problem,
)
from tests.conftest import write_document

RIVER_RULES = """关于加强河湖管理的办法
为了保护河湖，制定本办法。
一、总体要求
1.坚持生态优先。全面推行“河长制”，各级河长每月巡河1次。坚持“早发现”“早处置”，做到问题不过夜。
2.严格执法监督。对非法采砂实行“零容忍”，建立“三张清单”——问题清单、任务清单、责任清单。
二、保障措施
3.加强经费保障。财政每年安排专项资金，用于清淤疏浚、堤防加固、水质监测、岸线整治。推行“河湖体检”。
4.强化考核问责。落实“一河一策”，实行“红黄绿”挂牌督办，对失职干部“零容忍”问责。
5.加强宣传引导。开展“护河志愿”活动，倡导巡河护河、节水惜水、爱河护河。鼓励群众“随手拍”。
"""


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("quiz") / "corpus"
    write_document(folder, "rules", RIVER_RULES, {"short": "《办法》", "kind": "policy"})
    return load_corpus(folder)


@pytest.fixture(scope="module")
def known(corpus) -> dict[str, Profile]:
    from assistant.text.terms import glossary
    from assistant.training.study import _blanks

    return profiles(_blanks(list(corpus.units), glossary(corpus)))


def test_profiles_name_the_kind_category_and_part_of_speech(known):
    assert known["早发现"] == Profile("term", "paired", "a-v", 3)  # quoted right before “早处置”; 早 is tagged a
    assert known["河长制"] == Profile("term", "single", "n-v", 3)
    assert known["三张清单"].category == "formula"
    assert known["1次"] == Profile("number", "次", "m", 2)
    assert known["问题清单"].kind == known["清淤疏浚"].kind == "item"


@pytest.mark.parametrize(
    ("original", "substitute", "reason"),
    [
        ("河长制", "早处置", "a paired term for a single one"),  # “早处置” only makes sense next to “早发现”
        ("河长制", "三张清单", "a formula term for a single one"),
        ("河长制", "1次", "a number for a term"),
        ("河长制", "一河一策", "part of speech m-n for n-v"),
        ("河长制", "随手拍", "part of speech v for n-v"),
        ("早发现", "问题清单", "an item for a term"),
    ],
)
def test_the_substitution_rule_rejects_swaps_of_another_kind(known, original, substitute, reason):
    assert substitution_problem(known[original], known[substitute]) == reason


def test_the_substitution_rule_keeps_same_kind_swaps(known):
    assert substitution_problem(known["河长制"], known["河湖体检"]) == ""  # one character longer
    assert substitution_problem(known["清淤疏浚"], known["堤防加固"]) == ""
    long_single = Profile("term", "single", "n-v", 6)
    assert substitution_problem(known["河长制"], long_single) == "6 characters for 3"


def test_enumerations_are_cut_at_word_boundaries():
    assert enumerations("用于清淤疏浚、堤防加固、水质监测、岸线整治。") == [
        (2, 21, ("清淤疏浚", "堤防加固", "水质监测", "岸线整治"))
    ]
    assert enumerations("在干部选拔、职级晋升、教育培训、干部疗休养等方面") == []  # 疗休养 would be cut inside
    assert enumerations("甲、乙、丙") == []  # one-character items are not asked about


def _question(kind: str, stem: str, tested: tuple[str, ...], source: str = "s") -> Question:
    return Question(kind, stem, (), "", "", "", "policy/art1", source, "易", tested)


def test_leakage_pairs_name_the_stem_that_shows_an_answer():
    questions = [
        _question(FILL, f"坚持“早发现”“{BLANK}”", ("早处置",), "a"),
        _question(JUDGE, "《办法》第1条提出：坚持“早发现”“早处置”，做到问题不过夜。", ("早发现",), "b"),
        _question(FILL, f"推行“{BLANK}”。", ("河湖体检",), "c"),
    ]
    assert leakage_pairs(questions) == [(0, 1, "早发现"), (1, 0, "早处置")]  # each shows what the other asks


def test_a_composed_quiz_has_no_problems_for_many_seeds(corpus):
    units = select_units(corpus)
    for seed in range(40):
        quiz = make_quiz(corpus, units, count=20, seed=seed)
        assert quiz_problems(quiz, corpus) == []
        assert len({q.source for q in quiz.questions}) == len(quiz.questions)
        assert leakage_pairs(quiz.questions) == []


def test_questions_spread_over_the_articles(corpus):
    quiz = make_quiz(corpus, select_units(corpus), count=5, types=[FILL], seed=3)
    assert sorted(q.unit_id for q in quiz.questions) == [f"rules/art{n}" for n in range(1, 6)]


def test_a_difficulty_mix_is_honoured_or_its_shortfall_stated(corpus):
    assert difficulty_quotas("易:3,中:5,难:2", 10) == {"易": 3, "中": 5, "难": 2}
    assert difficulty_quotas("easy, hard", 5) == {"易": 3, "难": 2}
    assert difficulty_quotas("易=50%,难=50%", 4) == {"易": 2, "难": 2}
    for bad in ["容易:3", "易:x", "易:0"]:
        with pytest.raises(QuestionError):
            difficulty_quotas(bad, 10)
    quiz = make_quiz(corpus, select_units(corpus), count=4, seed=1, difficulty="难:1")
    # two enumerations, but each one's items are the other's distractors: only one of them may be in a quiz
    assert {q.difficulty for q in quiz.questions} == {"难"} and len(quiz.questions) == 1
    assert "难度“难”只有1道（要求4道）" in quiz.shortfall


def test_multiple_choice_comes_from_enumerations_with_every_item_keyed(corpus):
    quiz = make_quiz(corpus, select_units(corpus, articles="3"), count=3, types=[MULTIPLE], seed=1)
    [question] = quiz.questions
    keyed = [o for letter, o in zip(LETTERS, question.options, strict=False) if letter in question.answer]
    assert set(keyed) == {"清淤疏浚", "堤防加固", "水质监测", "岸线整治"} and len(question.options) == 6
    assert BLANK in question.stem and "清淤疏浚" not in question.stem
    assert check_question(question, corpus) == ""


def test_no_multiple_choice_at_all_is_an_error_that_says_why(corpus):
    with pytest.raises(QuestionError, match="多选题要有三项以上的并列内容"):
        make_quiz(corpus, select_units(corpus, articles="1"), count=5, types=[MULTIPLE], seed=1)


def test_a_paper_and_its_key(corpus, tmp_path: Path):
    quiz = make_quiz(corpus, select_units(corpus), count=8, seed=2)
    paper = quiz_material(corpus, quiz, "全文", key="none")
    key = answer_key_material(corpus, quiz, "全文")
    paper.docx(tmp_path / "paper.docx")
    key.docx(tmp_path / "key.docx")
    document = Document(str(tmp_path / "paper.docx"))
    texts = [p.text for p in document.paragraphs]
    total = sum(POINTS[q.kind] for q in quiz.questions)
    assert any("姓名" in t and "单位" in t and "得分" in t for t in texts[:6])
    assert f"总分：{total}分" in texts and not any("参考答案" in t for t in texts)
    sections = [t for t in texts if t[:2] in ("一、", "二、", "三、", "四、")]
    assert sections and all("每题" in t and "分，共" in t for t in sections)
    properties = document.core_properties
    assert (properties.author, properties.title, properties.subject) == (AUTHOR, "学习测验", paper.subtitle)
    key_texts = [p.text for p in Document(str(tmp_path / "key.docx")).paragraphs]
    assert "参考答案与解析" in key_texts
    assert sum(t.startswith(f"{n}. ") for t in key_texts for n in range(1, len(quiz.questions) + 1)) == len(
        quiz.questions
    )
    appended = quiz_material(corpus, quiz, "全文")
    markdown = appended.markdown()
    assert markdown.index("总分") < markdown.index("---") < markdown.index("参考答案与解析")
    single = next((q for q in quiz.questions if q.kind == SINGLE), None)
    if single is not None:
        assert "  \n   A. " in markdown  # options on lines of their own


def test_quiz_of_a_hand_made_quiz_reports_each_problem(corpus):
    quiz = make_quiz(corpus, select_units(corpus), count=6, seed=1)
    first = quiz.questions[0]
    doubled = Quiz([first, first], 2)
    assert any("again" in p for p in quiz_problems(doubled, corpus))


def test_lecture_slides_highlight_the_terms_and_end_with_discussion(corpus):
    from pptx import Presentation

    from assistant.training.slides import DISCUSSION_QUESTIONS, slide_deck

    units = select_units(corpus, parts="二")
    deck_bytes, quiz = slide_deck(corpus, units, "第二部分", corpus.documents_of_kind("policy"), seed=1)
    deck = Presentation(io.BytesIO(deck_bytes))
    titles = [slide.shapes.title.text for slide in deck.slides]
    assert titles == ["学习《办法》第二部分（保障措施）", *(u.label for u in units), "思考与讨论"]
    article = deck.slides[2]  # 第4条: “一河一策”, “红黄绿”, “零容忍”
    body = [shape for shape in article.placeholders if shape.placeholder_format.idx == 1]
    runs = [run for shape in body for p in shape.text_frame.paragraphs for run in p.runs]
    highlighted = {run.text for run in runs if run.font.bold}
    assert highlighted == {"“一河一策”", "“红黄绿”", "“零容忍”"}
    assert all(run.font.color.rgb == RGBColor(0xC0, 0, 0) for run in runs if run.font.bold)
    assert quiz is not None and 0 < len(quiz.questions) <= DISCUSSION_QUESTIONS
    notes = deck.slides[-1].notes_slide.notes_text_frame.text
    assert all(q.answer in notes for q in quiz.questions)
    assert (deck.core_properties.author, deck.core_properties.title) == (AUTHOR, "学习讲稿：第二部分")


LIBREOFFICE = shutil.which("soffice")


@pytest.mark.slow
@pytest.mark.skipif(
    LIBREOFFICE is None, reason="needs LibreOffice: apt-get install libreoffice-writer libreoffice-impress"
)
def test_paper_key_and_slides_open_in_libreoffice(corpus, tmp_path: Path):
    from assistant.training.slides import slide_deck

    quiz = make_quiz(corpus, select_units(corpus), count=8, seed=2)
    quiz_material(corpus, quiz, "全文").docx(tmp_path / "whole.docx")
    quiz_material(corpus, quiz, "全文", key="none").docx(tmp_path / "paper.docx")
    answer_key_material(corpus, quiz, "全文").docx(tmp_path / "key.docx")
    units = select_units(corpus)
    (tmp_path / "deck.pptx").write_bytes(slide_deck(corpus, units, "全文", corpus.documents_of_kind("policy"))[0])
    names = ["whole.docx", "paper.docx", "key.docx", "deck.pptx"]
    subprocess.run(
        [LIBREOFFICE, "--headless", f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--convert-to", "pdf",
         "--outdir", str(tmp_path), *names], cwd=tmp_path, capture_output=True, timeout=300, check=True,
    )  # fmt: skip
    pages = {name: _pdf_pages(tmp_path / name.replace(".docx", ".pdf").replace(".pptx", ".pdf")) for name in names}
    key_pages = [n for n, text in enumerate(pages["whole.docx"]) if "参考答案与解析" in text]
    assert len(key_pages) == 1 and pages["whole.docx"][key_pages[0]].split()[0] == "参考答案与解析"
    assert not any("参考答案" in text for text in pages["paper.docx"])
    assert any("总分" in text for text in pages["paper.docx"]) and "参考答案与解析" in pages["key.docx"][1]
    assert len(pages["deck.pptx"]) == len(units) + 2
    assert "《办法》第1条" in pages["deck.pptx"][1].replace(" ", "")


def _pdf_pages(path: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return text.split("\f")[:-1] if text.endswith("\f") else text.split("\f")


def test_the_shortfall_note_is_for_the_trainer_not_on_the_students_paper(corpus):
    quiz = make_quiz(corpus, select_units(corpus), count=50, seed=1)
    assert quiz.shortfall.startswith("只生成了")
    assert "只生成了" not in quiz_material(corpus, quiz, "全文", key="none").markdown()
    assert f"出题说明：{quiz.shortfall}" in answer_key_material(corpus, quiz, "全文").markdown()
    mixed = make_quiz(corpus, select_units(corpus), count=6, seed=1, difficulty="难:1")
    assert "按所选的难度配比可出的题目不足" in mixed.shortfall  # the mix is the reason, not the sentences
