"""Property-based tests: arbitrary text and bytes never raise anything but the project's own error type, in
numeral parsing, question cleaning and parsing, normalization, answering, the CLI batch and the web handler."""

from __future__ import annotations

import contextlib
import io
import json
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant import Assistant
from assistant import cli as cli_module
from assistant.base.config import PROJECT_ROOT
from assistant.base.errors import AssistantError, QuestionError
from assistant.question.query import clean_question, parse_question, parse_reference
from assistant.text.numerals import int_to_cn, parse_numeral

# Characters that steer the parsers (numerals, reference words, quotes, separators) mixed with anything at all,
# surrogates and control characters included.
_STEERING = list('第条款部分段句第一二两三四五六七八九十百千〇零0123456789.、，。？?“”"《》()（）-至到 \n\t')
_STEERING += ["article", "part", "sentence", "xiii", "iv", "那", "呢", "哪几条", "容错纠错", "火线提拔", "意见"]
_ANY_CHARACTER = st.characters(codec=None, categories=None, exclude_categories=())
TEXT = st.lists(st.one_of(st.sampled_from(_STEERING), _ANY_CHARACTER), max_size=40).map("".join)
ANY_VALUE = st.one_of(
    TEXT, st.none(), st.integers(), st.floats(), st.lists(TEXT, max_size=2), st.dictionaries(TEXT, TEXT)
)
FAST = settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
ASKS = settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def _verbatim(assistant: Assistant, payload: dict) -> bool:
    units = {u.label: u.text for u in assistant.corpus.citable_units}
    return all(c["quote"] in units[c["label"]] for c in payload.get("citations", []))


@FAST
@given(st.text(alphabet=st.sampled_from(list("第一二两三四五六七八九十百千〇零0123456789")), max_size=12))
def test_parse_numeral_returns_a_number_or_none(text):
    number = parse_numeral(text)
    assert number is None or (isinstance(number, int) and number >= 0)


@FAST
@given(st.integers(min_value=1, max_value=9999))
def test_every_number_round_trips_through_chinese(number):
    assert parse_numeral(int_to_cn(number)) == number


@FAST
@given(TEXT)
def test_cleaning_and_parsing_raise_only_question_errors(text):
    try:
        cleaned = clean_question(text)
    except QuestionError:
        return
    assert cleaned == cleaned.strip() and not any(0xD800 <= ord(ch) <= 0xDFFF for ch in cleaned)
    parse_question(text)
    for reference in parse_reference(text):
        assert reference.number is None or isinstance(reference.number, int)


@FAST
@given(TEXT)
def test_normalization_raises_only_question_errors(assistant: Assistant, text):
    try:
        normalized = assistant.normalizer.normalize(text)
    except QuestionError:
        return
    assert isinstance(normalized.text, str) and normalized.text


@ASKS
@given(TEXT)
def test_any_question_gets_an_answer_with_verbatim_quotes_or_a_question_error(assistant: Assistant, text):
    try:
        answer = assistant.ask(text)
    except QuestionError:
        return
    assert answer.support in ("full", "partial", "none")
    assert _verbatim(assistant, answer.to_dict())


@ASKS
@given(TEXT, TEXT)
def test_any_follow_up_gets_an_answer_or_a_question_error(assistant: Assistant, first, second):
    try:
        history = [assistant.ask(first)]
        assistant.ask(second, history)
    except QuestionError:
        pass


@ASKS
@given(st.lists(st.binary(max_size=60), min_size=1, max_size=4))
def test_cli_batch_answers_every_line_of_any_bytes(assistant: Assistant, monkeypatch, capsys, lines):
    blob = b"\n".join(line.replace(b"\n", b" ").replace(b"\r", b" ") for line in lines) + b"\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(blob), encoding="utf-8"))
    code = cli_module.main(["ask", "--json", "-"], assistant=assistant)
    out = capsys.readouterr().out
    asked = [line for line in blob.decode("utf-8", errors="replace").split("\n") if line.strip()]
    payloads = [json.loads(line) for line in out.splitlines()]
    assert len(payloads) == len(asked)
    errors = [p for p in payloads if "error" in p]
    assert all(isinstance(p["error"], str) and not p["error"].startswith("internal error") for p in errors)
    assert code == (2 if errors else 0)
    assert all(_verbatim(assistant, p) for p in payloads)


@ASKS
@given(ANY_VALUE)
def test_web_api_returns_an_answer_or_an_error_message(assistant: Assistant, value):
    pytest.importorskip("gradio")
    sys.path.insert(0, str(PROJECT_ROOT))
    import app as web

    result = web.Handlers(assistant).api_ask(value)
    if "error" in result:
        assert isinstance(result["error"], str) and result["error"] and result["error"] != web.FAILURE
    else:
        assert isinstance(result["answer"], str) and _verbatim(assistant, result)


@ASKS
@given(ANY_VALUE)
def test_web_handlers_take_any_value(assistant: Assistant, value):
    pytest.importorskip("gradio")
    sys.path.insert(0, str(PROJECT_ROOT))
    import app as web

    handlers = web.Handlers(assistant)
    for handler in (handlers.jump, handlers.search, handlers.terms_table, handlers.show_unit):
        assert isinstance(handler(value), str)
    steps = list(handlers.respond(value, [], []))
    assert steps and all(step[0] == [] or step[0][-1]["content"] != web.FAILURE for step in steps)
    with contextlib.suppress(AssistantError):
        assistant.show(value)


_FORM_NUMBER = st.one_of(st.none(), st.integers(-(2**40), 2**40), st.floats(), st.text(max_size=4), st.booleans())
_FORM_CHOICE = st.one_of(
    st.sampled_from(["学习测验", "学习提纲", "术语表", "讲课幻灯片", "全文", "按条", "按部分", "按主题"]), TEXT
)


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(
    _FORM_CHOICE,
    _FORM_CHOICE,
    st.one_of(TEXT, st.sampled_from(["11-13", "四", "1-99", "13,5", "容错纠错"]), st.none()),
    st.one_of(st.none(), st.lists(st.one_of(st.sampled_from(["填空", "单选", "多选", "判断"]), TEXT), max_size=3)),
    _FORM_NUMBER,
    _FORM_NUMBER,
    st.one_of(st.none(), TEXT, st.sampled_from(["易:3,中:5,难:2", "hard", "难:0", "易:-1"])),
)
def test_the_training_form_returns_material_or_a_message(
    assistant: Assistant, kind, scope, value, types, count, seed, difficulty
):
    pytest.importorskip("gradio")
    sys.path.insert(0, str(PROJECT_ROOT))
    import app as web

    preview, path = web.Handlers(assistant).material(kind, scope, value, types, count, seed, "", difficulty)
    assert isinstance(preview, str) and preview
    assert (path is None) == preview.startswith("⚠️")
