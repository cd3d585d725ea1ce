from pathlib import Path

import pytest

from assistant import CorpusError, load_corpus
from assistant.text.corpus import parse_document, quoted_terms
from assistant.text.numerals import cn_to_int, int_to_cn
from tests.conftest import CORPUS_DIR, write_document


@pytest.fixture(scope="module")
def corpus():
    return load_corpus(CORPUS_DIR)


def test_real_corpus_structure(corpus):
    opinion, commentary = corpus.documents
    assert (opinion.id, opinion.kind, opinion.short) == ("opinion", "policy", "《意见》")
    assert (commentary.id, commentary.kind, commentary.short) == ("commentary", "commentary", "《评论员文章》")
    assert opinion.count("article") == 15
    assert opinion.count("part") == 5
    assert opinion.count("preamble") == 1
    assert commentary.count("paragraph") == 8
    assert [u.number for u in opinion.units if u.kind == "article"] == list(range(1, 16))
    assert opinion.title == "中共**市委关于实字当头干字为先 大力锻造“实干家”干部队伍的意见"


@pytest.mark.parametrize(
    ("unit_id", "label"),
    [
        ("opinion/art13", "《意见》第13条（坚持严管厚爱）"),
        ("opinion/art1", "《意见》第1条（锻造激情状态更加昂扬的“实干家”队伍）"),
        ("opinion/part1", "《意见》第一部分（明确目标任务）"),
        ("opinion/part4", "《意见》第四部分（以“实干家”要求用好干部管好干部）"),
        ("opinion/preamble", "《意见》序言"),
        ("commentary/para6", "《评论员文章》第6段"),
    ],
)
def test_labels(corpus, unit_id, label):
    assert corpus.unit(unit_id).label == label


def test_articles_sit_in_their_parts(corpus):
    parts = {u.number: u.part for u in corpus.units if u.kind == "article"}
    assert parts == {1: 1, 2: 1, 3: 1, 4: 1, 5: 2, 6: 2, 7: 2, 8: 3, 9: 3, 10: 3, 11: 4, 12: 4, 13: 4, 14: 5, 15: 5}


def test_part_one_goal_paragraph_is_part_of_the_part_unit(corpus):
    part = corpus.unit("opinion/part1")
    assert part.text.startswith("一、明确目标任务\n以习近平新时代中国特色社会主义思想为指导")
    assert part.sentences[0].text == "明确目标任务"


def test_sentences_are_verbatim_slices(corpus):
    for unit in corpus.units:
        for sentence in unit.sentences:
            assert unit.text[sentence.start : sentence.start + len(sentence.text)] == sentence.text
    assert corpus.unit("opinion/art13").sentences[0].text == "坚持严管厚爱。"
    assert len(corpus.unit("opinion/art13").sentences) == 5


def test_redactions_are_kept(corpus):
    assert "严格落实**“严、真、细、实、快”工作要求" in corpus.unit("opinion/art2").text


def test_corpus_files_reproduce_the_source_exactly():
    source = CORPUS_DIR.parent.parent / "shared" / "source" / "opinion-and-commentary.txt"
    if not source.exists():
        pytest.skip("shared/source is not beside this checkout")
    joined = (CORPUS_DIR / "opinion.txt").read_text(encoding="utf-8") + (CORPUS_DIR / "commentary.txt").read_text(
        encoding="utf-8"
    )
    assert joined == source.read_text(encoding="utf-8")


def test_quoted_terms():
    assert quoted_terms("落实“三个区分开来”要求，实行“火线提拔”，再提“三个区分开来”") == ["三个区分开来", "火线提拔"]


def test_tiny_corpus_in_both_article_styles(tmp_path: Path):
    text = "某某条例\n第一条 为了规范管理，制定本条例。\n第二条 本条例自公布之日起施行。\n"
    document = parse_document(write_document(tmp_path, "regulation", text))
    assert document.kind == "policy"
    assert [u.label for u in document.units] == ["《某某条例》第1条", "《某某条例》第2条"]
    assert document.units[0].sentences[0].text == "为了规范管理，制定本条例。"


def test_tiny_corpus_parts_articles_and_commentary(tiny_corpus: Path):
    corpus = load_corpus(tiny_corpus)
    rules, remarks = corpus.documents
    assert [u.id for u in rules.units] == [
        "rules/preamble", "rules/part1", "rules/art1", "rules/art2", "rules/part2", "rules/art3",
    ]  # fmt: skip
    assert rules.find("article", 1).label == "《办法》第1条（推行河长制）"
    assert rules.find("part", 2).label == "《办法》第二部分（保障措施）"
    assert [u.label for u in remarks.units] == ["《评论》第1段", "《评论》第2段"]


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        ("标题\n1.甲。正文。\n3.丙。正文。\n", 3, "article 3 follows article 1"),
        ("标题\n一、总则\n1.甲。正文。\n三、附则\n2.乙。正文。\n", 4, "part 3 follows part 1"),
        ("标题\n2.乙。正文。\n", 2, "article 2 follows article 0"),
    ],
)
def test_malformed_policy_names_file_and_line(tmp_path: Path, text: str, line: int, problem: str):
    path = write_document(tmp_path, "bad", text, {"kind": "policy"})
    with pytest.raises(CorpusError) as caught:
        parse_document(path)
    assert caught.value.line == line
    assert str(caught.value).startswith(f"{path}:{line}: {problem}")


def test_policy_without_articles_is_an_error(tmp_path: Path):
    path = write_document(tmp_path, "empty", "标题\n只有一段话。\n", {"kind": "policy"})
    with pytest.raises(CorpusError, match="no numbered articles"):
        parse_document(path)


def test_non_utf8_file_names_the_line(tmp_path: Path):
    path = tmp_path / "gbk.txt"
    path.write_bytes("标题\n第一行\n".encode() + "乱码".encode("gbk"))
    with pytest.raises(CorpusError) as caught:
        parse_document(path)
    assert caught.value.line == 3
    assert "UTF-8" in str(caught.value)


def test_empty_file_and_empty_folder(tmp_path: Path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(CorpusError, match="empty"):
        parse_document(write_document(tmp_path, "blank", " \n\n"))
    with pytest.raises(CorpusError, match=r"no \*\.txt documents"):
        load_corpus(empty)
    with pytest.raises(CorpusError, match="no such folder; set ASSISTANT_CORPUS_DIR"):
        load_corpus(tmp_path / "nothing-here")


def test_bad_metadata_is_reported(tmp_path: Path):
    path = write_document(tmp_path, "doc", "标题\n1.甲。正文。\n")
    path.with_suffix(".json").write_text("{not json", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"doc\.json"):
        parse_document(path)


@pytest.mark.parametrize(("text", "number"), [("十三", 13), ("二十", 20), ("一百零五", 105), ("15", 15), ("四", 4)])
def test_chinese_numerals(text: str, number: int):
    assert cn_to_int(text) == number
    assert cn_to_int(int_to_cn(number)) == number


def test_title_line_and_byline_are_citable_front_matter_outside_the_body(tiny_corpus: Path):
    corpus = load_corpus(tiny_corpus)
    rules, remarks = corpus.documents
    assert [(u.id, u.label, u.text) for u in rules.front] == [("rules/title", "《办法》标题", "关于加强河湖管理的办法")]
    assert [(u.id, u.label, u.text) for u in remarks.front] == [
        ("remarks/title", "《评论》标题", "守护碧水清流"),
        ("remarks/byline", "《评论》署名", "本报评论员"),
    ]
    assert "remarks/byline" not in {u.id for u in corpus.units}
    assert corpus.unit("remarks/byline").sentences[0].text == "本报评论员"
    assert remarks.units[0].text == "河湖是城市的血脉。守护河湖，人人有责。"


def test_synthetic_copies_are_labelled_and_never_written_into_the_corpus(tmp_path):
    from assistant.evaluation.bench import synthetic_corpus

    folder = synthetic_corpus(CORPUS_DIR, 2, tmp_path / "synthetic")
    corpus = load_corpus(folder)
    assert len(corpus.documents) == 4 and all("合成副本" in d.title for d in corpus.documents)
    assert sorted(d.short for d in corpus.documents) == sorted(
        ["《意见·合成1》", "《意见·合成2》", "《评论员文章·合成1》", "《评论员文章·合成2》"]
    )
    assert len(corpus.units) == 2 * len(load_corpus(CORPUS_DIR).units)
    with pytest.raises(ValueError, match="never go into corpus/"):
        synthetic_corpus(CORPUS_DIR, 1, CORPUS_DIR)
