"""jieba segmentation with a domain dictionary built from the corpus itself.

Every quoted term “…” and every article or part short title becomes a dictionary word, so the
official wording (提法) such as 三个区分开来 or 火线提拔 stays one token and exact search works.
jieba's cache goes to the assistant's cache folder and its log messages are silenced.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import itertools
import logging
import os
import re
import sys
import threading
from collections.abc import Callable, Iterable, MutableMapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import jieba

from ..base.errors import ConfigError
from ..base.files import FileProblem, atomic_write
from ..base.shards import ShardedDict, sharded_bytes
from .cedict import cedict_identity, common_words
from .corpus import Corpus, quoted_terms

__all__ = ["STOPWORDS", "Segmenter", "corpus_abbreviations", "corpus_vocabulary", "domain_terms"]

# Words that carry no topic: question words, particles, and generic words about "the text".
_STOPWORD_TEXT = """
    的 了 是 在 和 与 及 或 对 把 被 将 等 也 都 就 又 还 而 并 之 其 此 这 那 该 各 些 个 吗
    呢 吧 啊 呀 么 嘛 什么 哪些 哪个 哪几 哪 哪里 哪儿 怎么 怎么样 怎样 如何 为什么 为何 何时 多少 几
    几个 几种 几项 多久 多长 多大 多远 多高 哪样 是否 有没有 是不是 请问 请 一下 关于 有关 中 里 有 要 会 能 可以
    应 应该 应当 需要
    进行 一个 一些 这个 那个 这些 那些 我 我们 你 你们 他们 它 谁 啥 意见 文件 文章 本文 提到 提出 讲
    讲了 说 说了 写 规定 指 指的是 内容 主要 具体 方面 部分 条 第 段 哪方面 分别 包括 包含 涉及 相关
    对于 怎么办 多 少 一条 哪一条 哪条 一段 哪一段 哪段 出自 出处 原文 文中 评论 评论员 怎么说 提及 讲什么
    情况 什么样 适用 适用于 时候 什么时候 场合 你好 您好 谢谢 多谢 感谢 在吗 在不在 嗨 哈喽 嗯 哦 好的 再见
    来着 那块 这块 这一块 那一块 这事 那事 这事儿 回事 呗 啦 咯 嘞 哈 诶 对应 东西 事情 事儿 地方
    hello hi ok okay test thanks thank yes
    a an the of to in on at for by with from as and or but not no is are was were be been being do does
    did doing done what which who whom whose when where why how whats it its this that these those there
    here can could should would will shall may might must about into than then so such i me my we our
    you your he she they them their his her please tell say says said mean means apply applies applied
    according under opinion text document article articles part paragraph commentary
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())

_TOKEN_RE = re.compile(r"[\u4e00-\u9fff]|[a-z0-9]")
_JIEBA_WORD_RE = re.compile(r"^[\u4E00-\u9FD5a-zA-Z0-9+#&._%\-]+$")
_DOMAIN_WORD_FREQ = 200_000
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
_MIN_TERM_CHARS, _MAX_TERM_CHARS, _COMPOUND_CHARS = 3, 12, 4
_ABBREVIATION_CHARS = (3, 4)
_PLACE_TAG, _NOUN_TAG = "ns", "n"
_A_NOT_A = re.compile(r"([\u4e00-\u9fff])[不没]\1")


def domain_terms(corpus: Corpus) -> list[str]:
    """Quoted terms “…” and unit short titles that jieba can keep whole, longest first."""
    candidates: list[str] = []
    for unit in corpus.units:
        candidates += quoted_terms(unit.text)
        if unit.title:
            candidates.append(unit.title)
    whole = {t for t in candidates if _JIEBA_WORD_RE.match(t) and len(t) >= 2}
    return sorted(whole, key=lambda t: (-len(t), t))


class Segmenter:
    """Tokenizes text for keyword scoring.

    Args:
        terms: domain words that must stay whole tokens.
        cache_dir: writable folder for jieba's dictionary cache.

    Raises:
        ConfigError: if ``cache_dir`` cannot be created.
    """

    def __init__(self, terms: Iterable[str], cache_dir: Path) -> None:
        jieba.setLogLevel(logging.WARNING)
        try:
            cache_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(
                f"cannot use {cache_dir} as the cache folder: {exc.strerror or exc}; "
                "set ASSISTANT_CACHE_DIR to a writable folder"
            ) from exc
        self._jieba = jieba.Tokenizer()
        self._jieba.tmp_dir = str(cache_dir)
        self._cache_dir = cache_dir
        _load_prefix_dictionary(self._jieba, cache_dir)
        self.terms = tuple(terms)
        self._tagger = None
        for term in self.terms:
            self._jieba.add_word(term, freq=_DOMAIN_WORD_FREQ)

    @property
    def fingerprint(self) -> str:
        """Identifies what tokens this segmenter produces (jieba version, domain terms, stopwords)."""
        digest = hashlib.sha256("\n".join([jieba.__version__, *self.terms, "", *sorted(STOPWORDS)]).encode())
        return digest.hexdigest()[:16]

    @property
    def dictionary(self) -> MutableMapping[str, int]:
        """jieba's word frequencies (its dictionary plus the domain words)."""
        return self._jieba.FREQ

    def words(self, text: str) -> list[str]:
        """jieba's precise segmentation, whitespace dropped (for display and tests)."""
        return [w for w in self._jieba.lcut(text) if w.strip()]

    def tagged(self, text: str) -> list[tuple[str, str]]:
        """(word, part-of-speech tag) pairs from jieba's tagger (``ns`` place names, ``n`` nouns …)."""
        if self._tagger is None:
            self._tagger = _tagger_for(self._jieba, self._cache_dir)
        return [(pair.word, pair.flag) for pair in self._tagger.lcut(text)]

    def dictionary_words(self, text: str) -> set[str]:
        """Every substring of ``text`` that is a word of jieba's dictionary (the domain words included)."""
        dag = self._jieba.get_DAG(text)
        return {
            text[start : end + 1]
            for start, ends in dag.items()
            for end in ends
            if self._jieba.FREQ.get(text[start : end + 1])
        }

    def tokens(self, text: str) -> list[str]:
        """Search tokens: jieba search-mode words, lower-cased, without stopwords or punctuation.

        A yes-no question's A-not-A verb (能不能, 可不可以, 有没有) is read as the plain verb first: otherwise jieba
        splits 能不能自己 into 能 / 不能自己, words no text uses.
        """
        tokens = []
        for word in self._jieba.lcut_for_search(_A_NOT_A.sub(r"\1", text.lower())):
            word = word.strip()
            if word and word not in STOPWORDS and _TOKEN_RE.search(word):
                tokens.append(word)
        return tokens


def _load_prefix_dictionary(tokenizer: jieba.Tokenizer, cache_dir: Path) -> None:
    """Give ``tokenizer`` its prefix dictionary from a cache file in ``cache_dir``, building and storing it if needed.

    The cache is sharded by first character (``ShardedDict``): a start reads the file and the shard table only, and a
    question unmarshals the shards of the characters it holds (jieba's own cache, one ``marshal.load`` of the whole
    dictionary, took 0.36 s here; one ``marshal.loads`` of it 0.11 s).
    """

    def build() -> tuple[dict[str, int], int]:
        with tokenizer.get_dict_file() as stream:
            return tokenizer.gen_pfdict(stream)

    def counted(table: ShardedDict) -> bool:
        return isinstance(table.extra, int) and table.extra > 0

    frequencies = _cached_table(tokenizer, cache_dir, "prefix-dict", build, counted, also_stale=("jieba.cache",))
    tokenizer.FREQ, tokenizer.total = frequencies, frequencies.extra
    tokenizer.initialized = True


def _word_tags(tokenizer: jieba.Tokenizer, cache_dir: Path) -> ShardedDict:
    """Each word's part-of-speech tag in ``tokenizer``'s dictionary file (its third column), cached like the prefix
    dictionary (reading the file took 0.2 s here).

    A word tagged as a place name (``ns``) that CC-CEDICT lists only as a common word (上门, 东西, 福利) is tagged
    as a noun instead, so a question using it is not taken for one about another place.
    """

    def build() -> tuple[dict[str, str], None]:
        tags = {}
        with tokenizer.get_dict_file() as stream:
            for line in stream:
                fields = line.decode("utf-8").split()
                if len(fields) == 3:
                    tags[fields[0]] = fields[2]
        for word in common_words(w for w, tag in tags.items() if tag == _PLACE_TAG):
            tags[word] = _NOUN_TAG
        return tags, None

    return _cached_table(tokenizer, cache_dir, "word-tags", build, sources=(cedict_identity(),))


def _cached_table(
    tokenizer: jieba.Tokenizer,
    cache_dir: Path,
    stem: str,
    build: Callable[[], tuple[dict[str, Any], Any]],
    valid: Callable[[ShardedDict], bool] = lambda table: True,
    also_stale: Sequence[str] = (),
    sources: Sequence[str] = (),
) -> ShardedDict:
    """A table derived from ``tokenizer``'s dictionary file (``build`` gives it and its ``extra``), read from
    ``cache_dir`` or built and stored there.

    The cache name carries jieba's version, the dictionary file's path, size and time, and the identities of any other
    ``sources`` the table is built from, so a changed dictionary is rebuilt and the caches of other versions (and the
    files named ``also_stale``) are removed. A cache that cannot be read or is not ``valid`` is rebuilt; one that
    cannot be written is skipped (that costs the build at each start, nothing else).
    """
    with tokenizer.get_dict_file() as stream:
        source = Path(stream.name)
        facts = os.fstat(stream.fileno())
    identity = "|".join([jieba.__version__, str(source), str(facts.st_size), str(facts.st_mtime_ns), *sources])
    key = hashlib.sha256(identity.encode()).hexdigest()
    cache = cache_dir / f"{stem}-{key[:16]}.shards"
    with contextlib.suppress(OSError, ValueError):
        stored = ShardedDict.from_bytes(cache.read_bytes())
        if valid(stored):
            return stored
    table, extra = build()
    blob = sharded_bytes(table, extra)
    with contextlib.suppress(FileProblem):
        atomic_write(cache, blob)
    for stale in [path for pattern in (f"{stem}-*", *also_stale) for path in cache_dir.glob(pattern)]:
        if stale != cache:  # caches of another jieba or dictionary, and jieba's own from earlier versions
            stale.unlink(missing_ok=True)
    return ShardedDict.from_bytes(blob)


_POSSEG_IMPORT = threading.Lock()


def _posseg() -> ModuleType:
    """``jieba.posseg``, imported without the read of the default dictionary's tags it does at import time.

    Its module-level default tagger (``posseg.dt``) gets those tags afterwards, read the way jieba reads them, only
    if some code uses it; the tagger here brings its own (``_word_tags``).
    """
    with _POSSEG_IMPORT:
        if "jieba.posseg" in sys.modules:
            return sys.modules["jieba.posseg"]
        default = jieba.dt
        default.get_dict_file = lambda: io.BytesIO()  # the instance attribute hides the method during the import
        try:
            from jieba import posseg
        finally:
            del default.get_dict_file
        posseg.dt.word_tag_tab = _TagsOnFirstUse(posseg.dt)
        return posseg


class _TagsOnFirstUse(dict):
    """The tag table of jieba's default tagger, read from its dictionary file on the first look-up."""

    def __init__(self, tagger: Any) -> None:
        super().__init__()
        self._tagger = tagger

    def get(self, word: str, default: Any = None) -> Any:
        added = dict(self)  # user words' tags jieba merged in before the first look-up
        self._tagger.load_word_tag(self._tagger.tokenizer.get_dict_file())  # replaces this table on the tagger
        self._tagger.word_tag_tab.update(added)
        return self._tagger.word_tag_tab.get(word, default)


def _tagger_for(tokenizer: jieba.Tokenizer, cache_dir: Path) -> Any:
    """jieba's part-of-speech tagger over ``tokenizer``, with the word tags of its dictionary from ``cache_dir``."""
    posseg = _posseg()
    tagger = posseg.POSTokenizer.__new__(posseg.POSTokenizer)
    tagger.tokenizer = tokenizer
    tagger.word_tag_tab = _word_tags(tokenizer, cache_dir)
    return tagger


def corpus_vocabulary(texts: Iterable[str], segmenter: Segmenter) -> list[str]:
    """Corpus terms a typo could aim at: domain terms, words and two-word compounds of 3 to 12 Chinese characters.

    It segments the whole corpus, so the index stores it (built once, not at every start-up).
    """
    vocabulary = {t for t in segmenter.terms if _MIN_TERM_CHARS <= len(t) <= _MAX_TERM_CHARS}
    for text in texts:
        for run in _CJK_RUN.findall(text):
            words = segmenter.words(run)
            vocabulary.update(w for w in words if len(w) >= _MIN_TERM_CHARS)
            vocabulary.update(a + b for a, b in itertools.pairwise(words) if len(a + b) == _COMPOUND_CHARS)
    return sorted(t for t in vocabulary if _MIN_TERM_CHARS <= len(t) <= _MAX_TERM_CHARS and _CJK_RUN.fullmatch(t))


def corpus_abbreviations(text: str, segmenter: Segmenter) -> list[str]:
    """Words of three or four Chinese characters in ``text``, in order of first use: the words the text may have
    abbreviated (党代会 for 党的代表大会). Stored with the index like ``corpus_vocabulary``."""
    low, high = _ABBREVIATION_CHARS
    words = (w for w in segmenter.words(text) if low <= len(w) <= high and _CJK_RUN.fullmatch(w))
    return list(dict.fromkeys(words))
