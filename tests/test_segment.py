import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant import load_corpus
from assistant.text.bridge import build_bridge, english_forms, english_lemma, lookup
from assistant.text.cedict import common_words
from assistant.text.segment import Segmenter, domain_terms
from tests.conftest import CORPUS_DIR


@pytest.fixture(scope="module")
def segmenter(tmp_path_factory: pytest.TempPathFactory) -> Segmenter:
    return Segmenter(domain_terms(load_corpus(CORPUS_DIR)), tmp_path_factory.mktemp("jieba"))


def test_domain_terms_come_from_quotes_and_titles():
    terms = domain_terms(load_corpus(CORPUS_DIR))
    for term in ("实干家", "火线提拔", "三个区分开来", "书记擂台", "五个一线", "坚持严管厚爱", "苗圃计划"):
        assert term in terms
    assert "严、真、细、实、快" not in terms  # jieba cannot hold punctuation inside a word


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("落实“三个区分开来”要求", "三个区分开来"),
        ("实行“火线提拔”", "火线提拔"),
        ("常态化开展“书记擂台”“局长述讲”活动", "书记擂台"),
        ("镇街村居“五个一线”本领提升工程", "五个一线"),
        ("13.坚持严管厚爱。", "坚持严管厚爱"),
        ("五个回头看是什么", "五个回头看"),
    ],
)
def test_domain_terms_stay_whole(segmenter: Segmenter, text: str, term: str):
    assert term in segmenter.words(text)
    assert term in segmenter.tokens(text)


def test_question_stopwords_are_dropped(segmenter: Segmenter):
    assert segmenter.tokens("火线提拔是什么？") == ["火线", "提拔", "火线提拔"]
    assert segmenter.tokens("What is the 一岗双责?") == ["一岗双责"]


def test_jieba_writes_its_cache_only_in_the_given_folder_and_prints_nothing(tmp_path: Path, capfd):
    default_cache = Path("/tmp/jieba.cache")
    before = default_cache.stat().st_mtime if default_cache.exists() else None
    Segmenter(["火线提拔"], tmp_path / "jieba").tokens("火线提拔")
    out, err = capfd.readouterr()
    assert out == "" and err == ""
    assert len(list((tmp_path / "jieba").glob("prefix-dict-*.shards"))) == 1
    after = default_cache.stat().st_mtime if default_cache.exists() else None
    assert before == after
    assert os.access(tmp_path / "jieba", os.W_OK)


def test_prefix_dictionary_cache_matches_jieba_and_a_damaged_one_is_rebuilt(tmp_path: Path):
    import jieba

    reference = jieba.Tokenizer()
    reference.tmp_dir = str(tmp_path / "jieba-own")
    reference.initialize()
    (tmp_path / "cache").mkdir()
    stale = [tmp_path / "cache" / "jieba.cache", tmp_path / "cache" / "prefix-dict-0123456789abcdef.shards"]
    for path in stale:
        path.write_bytes(b"left by an earlier version")
    first = Segmenter([], tmp_path / "cache")
    assert not any(path.exists() for path in stale)
    [cache] = (tmp_path / "cache").glob("prefix-dict-*.shards")
    second = Segmenter([], tmp_path / "cache")
    assert first.dictionary == second.dictionary == reference.FREQ
    assert second._jieba.total == reference.total
    cache.write_bytes(cache.read_bytes()[:1000])
    assert Segmenter([], tmp_path / "cache").dictionary == reference.FREQ
    assert len(cache.read_bytes()) > 1_000_000  # written again in full
    assert Segmenter(["火线提拔"], tmp_path / "cache").words("实行火线提拔") == ["实行", "火线提拔"]


def test_english_bridge_maps_words_to_corpus_words():
    bridge = build_bridge({"提拔", "基层", "培养", "退休外"})
    assert "提拔" in lookup(bridge, "promoted")
    assert lookup(bridge, "grassroots") == ["基层"]
    assert "培养" in lookup(bridge, "cultivating")
    assert lookup(bridge, "weather") is None
    assert english_lemma("cadres") == "cadre" and english_forms("trained")[:3] == ["trained", "train", "traine"]


def test_potential_complements_take_the_glosses_of_their_dictionary_form():
    bridge = build_bridge({"打不开", "看得准", "局面"})
    assert lookup(bridge, "open") == ["打不开"]
    assert "看得准" in lookup(bridge, "observe")
    assert lookup(bridge, "situation") == ["局面"]


def test_a_vague_literal_form_gives_way_to_a_specific_lemma():
    bridge = {"selected": [], "select": ["选拔"], "years": []}
    assert lookup(bridge, "selected") == ["选拔"]
    assert lookup(bridge, "years") == []
    assert lookup(bridge, "weather") is None


@pytest.mark.parametrize(
    ("question", "tokens"),
    [
        ("能不能自己推荐自己", ["自己", "推荐", "自己"]),
        ("有没有奖励", ["奖励"]),
        ("可不可以毛遂自荐", ["毛遂", "自荐", "毛遂自荐"]),
    ],
)
def test_an_a_not_a_question_is_tokenized_as_its_plain_verb(segmenter: Segmenter, question: str, tokens: list[str]):
    assert segmenter.tokens(question) == tokens


def test_common_words_are_those_cedict_never_reads_as_a_name(tmp_path: Path):
    cedict = tmp_path / "cedict.txt"
    cedict.write_text(
        "# comment\n上門 上门 [shang4 men2] /to drop in/\n深圳 深圳 [Shen1 zhen4] /Shenzhen/\n"
        "東西 东西 [dong1 xi1] /east and west/\n東西 东西 [dong1 xi5] /thing/\n"
        "長安 长安 [chang2 an1] /lasting peace/\n長安 长安 [Chang2 an1] /Chang'an/\n",
        encoding="utf-8",
    )
    words = ["上门", "深圳", "东西", "长安", "雄安"]
    assert common_words(words, str(cedict)) == {"上门", "东西"}
    assert common_words([], str(cedict)) == set()


def test_common_words_jieba_tags_as_places_are_tagged_as_nouns(tmp_path: Path):
    tagged = Segmenter([], tmp_path / "cache").tagged("北京的干部会不会上门了解干部福利")
    asked = [(w, t) for w, t in tagged if w in {"北京", "上门", "福利"}]
    assert asked == [("北京", "ns"), ("上门", "n"), ("福利", "n")]
    assert len(list((tmp_path / "cache").glob("word-tags-*.shards"))) == 1


def test_the_tagger_reuses_the_default_tag_table_and_keeps_domain_words(tmp_path):
    from jieba import posseg

    segmenter = Segmenter(["火线提拔"], tmp_path / "jieba")
    tagged = dict(segmenter.tagged("深圳市实行火线提拔"))
    assert tagged["深圳市"] == "ns" and "火线提拔" in tagged
    assert segmenter._tagger.word_tag_tab is not posseg.dt.word_tag_tab  # a copy: the global tagger stays untouched
    assert "火线提拔" not in posseg.dt.word_tag_tab


TAGGED_TEXT = "深圳市的干部火线提拔，上级为下级担当，容错纠错适用于什么情况"


def test_the_tagger_gives_jiebas_own_tags_from_its_cached_table(tmp_path: Path):
    import jieba
    from jieba import posseg

    reference = posseg.POSTokenizer(jieba.Tokenizer())
    expected = [(pair.word, pair.flag) for pair in reference.lcut(TAGGED_TEXT)]
    assert ("深圳市", "ns") in expected
    for _ in range(2):  # the table is built, then read from the cache
        assert Segmenter([], tmp_path / "cache").tagged(TAGGED_TEXT) == expected
    assert len(list((tmp_path / "cache").glob("word-tags-*.shards"))) == 1


@pytest.mark.slow
def test_jiebas_default_tagger_still_tags_after_the_segmenter_imported_it(tmp_path: Path):
    """The segmenter imports ``jieba.posseg`` without its import-time table read; jieba's own ``posseg.lcut`` must
    tag as before in the same process."""
    script = (
        "import sys\nfrom pathlib import Path\nfrom assistant.text.segment import Segmenter\n"
        f"mine = Segmenter([], Path({str(tmp_path / 'cache')!r})).tagged({TAGGED_TEXT!r})\n"
        "from jieba import posseg\n"
        f"print(mine == [(p.word, p.flag) for p in posseg.lcut({TAGGED_TEXT!r})], ('深圳市', 'ns') in mine)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True"]
