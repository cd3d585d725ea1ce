"""The web app's handlers (no browser) and its API through gradio_client against a real local server."""

import itertools
import socket
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest

from assistant import Assistant
from assistant.base.config import PROJECT_ROOT

gradio = pytest.importorskip("gradio")
sys.path.insert(0, str(PROJECT_ROOT))
import app as web  # noqa: E402


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def handlers(assistant: Assistant) -> web.Handlers:
    return web.Handlers(assistant)


def _run(handlers: web.Handlers, message: str, chat=None, answers=None):
    return list(handlers.respond(message, chat or [], answers or []))


def test_chat_streams_then_shows_cards(handlers: web.Handlers):
    steps = _run(handlers, "容错纠错 applies when?")
    assert len(steps) > 2  # several partial updates before the final one
    chats = [step[0][-1]["content"] for step in steps]
    assert all(len(a) <= len(b) for a, b in itertools.pairwise(chats))
    chat, answers, cards, textbox = steps[-1]
    assert chat[0] == {"role": "user", "content": "容错纠错 applies when?"}
    assert chat[-1]["content"].startswith("《意见》第13条（坚持严管厚爱）")
    assert "《意见》第13条（坚持严管厚爱）" in cards and "<mark>" in cards
    assert len(answers) == 1 and textbox == ""


def test_follow_up_uses_the_previous_turn(handlers: web.Handlers):
    chat, answers, _, _ = _run(handlers, "第十三条讲了什么？")[-1]
    chat, answers, cards, _ = _run(handlers, "那第十一条呢？", chat, answers)[-1]
    assert "（理解为：第十一条讲了什么？）" in chat[-1]["content"]
    assert "《意见》第11条（树牢用人导向）" in cards
    assert len(answers) == 2 and len(chat) == 4


def test_empty_input_is_ignored(handlers: web.Handlers):
    ((chat, answers, _, textbox),) = _run(handlers, "   ")
    assert chat == [] and answers == [] and textbox == ""


def test_too_long_input_gets_a_message(handlers: web.Handlers):
    chat, answers, cards, _ = _run(handlers, "干部" * 600)[-1]
    assert "1200 characters; the limit is 1000" in chat[-1]["content"] and answers == [] and cards == ""


def test_html_in_a_question_is_shown_as_text(handlers: web.Handlers):
    chat, _, _, _ = _run(handlers, "<script>alert(1)</script>")[-1]
    assert chat[0]["content"] == r"\<script\>alert\(1\)\</script\>"


def test_markdown_in_a_question_is_shown_as_text(handlers: web.Handlers):
    chat, _, _, _ = _run(handlers, "![](http://host.invalid/x.png) 火线提拔 **粗体** $x$")[-1]
    assert chat[0]["content"] == r"\!\[\]\(http\://host\.invalid/x\.png\) 火线提拔 \*\*粗体\*\* \$x\$"


def test_markdown_in_a_topic_is_shown_as_text_in_the_error(handlers: web.Handlers):
    preview, path = handlers.material("学习提纲", "按主题", "![](http://host.invalid/x.png)", [], 5, 1)
    assert path is None and "![](" not in preview and r"\!\[\]\(http\://host\.invalid/x\.png\)" in preview


def test_entities_in_a_topic_are_shown_as_typed(handlers: web.Handlers):
    preview, _ = handlers.material("术语表", "按主题", "年轻干部 &lt;b&gt;x&lt;/b&gt; &amp;", [], 5, 1)
    assert r"年轻干部 \&lt;b\&gt;x\&lt;/b\&gt; \&amp;" in preview


def test_markdown_in_a_scope_is_shown_as_text_in_the_preview(handlers: web.Handlers):
    preview, _ = handlers.material("学习提纲", "按条", "13", [], 5, 1)
    assert preview.splitlines()[2] == "**范围：第13条**"
    assert r"**范围：第11\-13条**" in handlers.material("学习提纲", "按条", "11-13", [], 5, 1)[0]


def test_a_failing_request_reports_and_the_next_one_works(assistant: Assistant, monkeypatch):
    handlers = web.Handlers(assistant)
    original = assistant.stream

    def failing_once(question, history=()):
        if question == "触发故障":
            raise RuntimeError("injected failure")
        return original(question, history)

    monkeypatch.setattr(assistant, "stream", failing_once)
    chat, answers, _, _ = _run(handlers, "触发故障")[-1]
    assert chat[-1]["content"] == web.FAILURE and answers == []
    chat, answers, _, _ = _run(handlers, "火线提拔", chat, answers)[-1]
    assert "《意见》第11条" in chat[-1]["content"]


def test_browser_tab_handlers(handlers: web.Handlers):
    assert "<h3>《意见》第13条（坚持严管厚爱）</h3>" in handlers.jump("第13条")
    assert handlers.jump("第四部分").count("<h3>") == 4
    assert "《意见》共有15条" in handlers.jump("第99条")
    assert "<mark>火线提拔</mark>" in handlers.search("火线提拔")
    assert handlers.show_unit("commentary/para6").startswith('<div class="unit" data-unit="commentary/para6">')
    assert "三个区分开来" in handlers.terms_table("三个") and "火线提拔" not in handlers.terms_table("三个")


@pytest.mark.slow
@contextmanager
def running_app(assistant: Assistant, **launch_options) -> Iterator[str]:
    """The app served on a free local port for the duration of the block; yields its URL."""
    port = free_port()
    server = web.build_app(assistant)
    server.queue().launch(
        server_port=port, prevent_thread_lock=True, quiet=True, theme=web.theme(), css=web.CSS, **launch_options
    )
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.close()


def test_api_through_gradio_client(assistant: Assistant):
    from gradio_client import Client

    with running_app(assistant) as url:
        client = Client(url, verbose=False)
        result = client.predict("容错纠错 applies when?", api_name="/ask")
        assert result["citations"][0]["label"] == "《意见》第13条（坚持严管厚爱）"
        assert list(result) == ["question", "answer", "support", "refused", "gap", "kind", "corrections", "citations"]
        assert "error" in client.predict("", api_name="/ask")


def test_concurrent_api_clients_get_the_same_answers_as_direct_calls(assistant: Assistant):
    from gradio_client import Client

    questions = [
        "容错纠错 applies when?",
        "第十一条讲了什么？",
        "干部考核怎么做？",
        "今天天气怎么样？",
        "担当作为",
        "第四部分",
    ]
    expected = {question: assistant.ask(question).to_dict() for question in questions}
    with running_app(assistant) as url, ThreadPoolExecutor(len(questions)) as pool:
        clients = [Client(url, verbose=False) for _ in questions]
        rotations = [questions[shift:] + questions[:shift] for shift in range(len(questions))]

        def ask_all(client: Client, order: list[str]) -> list[tuple[str, dict]]:
            return [(question, client.predict(question, api_name="/ask")) for question in order]

        for replies in pool.map(ask_all, clients, rotations):
            for question, reply in replies:
                assert reply == expected[question]


@pytest.mark.slow
def test_login_is_required_when_configured(assistant: Assistant):
    from gradio_client import Client

    with running_app(assistant, auth=("cadre", "s3cret")) as url:
        with pytest.raises(Exception):  # noqa: B017 - any refusal to connect without the login will do
            Client(url, verbose=False)
        client = Client(url, auth=("cadre", "s3cret"), verbose=False)
        assert client.predict("第十三条", api_name="/ask")["citations"][0]["article"] == 13


def test_malformed_auth_flag_exits_2(capsys):
    assert web.main(["--auth", "no-colon"]) == 2
    assert "user:password" in capsys.readouterr().err


def test_training_tab_builds_previews_and_word_files(handlers: web.Handlers):
    preview, paths = handlers.material("学习测验", "按条", "11-13", ["填空", "单选", "多选", "判断"], 20, 1)
    assert preview.startswith("# 学习测验") and "## 参考答案与解析" in preview
    assert [Path(p).name for p in paths] == ["学习测验（学员卷）.docx", "学习测验（参考答案）.docx"]
    assert all(Path(p).stat().st_size > 0 for p in paths)
    assert (
        "  \n   A. " in preview and "（\u3000\u3000\u3000\u3000）" in preview
    )  # options on lines of their own, a real blank
    again, _ = handlers.material("学习测验", "按条", "11-13", ["填空", "单选", "多选", "判断"], 20, 1)
    assert again == preview
    mixed, _ = handlers.material("学习测验", "全文", "", ["填空", "单选", "多选", "判断"], 10, 1, "", "易:1,难:1")
    assert "难度：易" in mixed and "难度：难" in mixed and "难度：中" not in mixed
    outline_preview, _ = handlers.material("学习提纲", "按部分", "四", [], 0, 0)
    assert "### 《意见》第13条（坚持严管厚爱）" in outline_preview
    topic_preview, _ = handlers.material("术语表", "按主题", "年轻干部", [], 0, 0)
    assert "苗圃计划" in topic_preview
    slides_preview, [deck] = handlers.material("讲课幻灯片", "按部分", "四", [], 0, 1)
    assert deck.endswith(".pptx") and slides_preview.startswith("### 1. 学习《意见》第四部分")
    assert "**“火线提拔”**" in slides_preview and "### 5. 思考与讨论" in slides_preview
    message, nothing = handlers.material("学习测验", "按条", "99", ["填空"], 5, 1)
    assert message.startswith("⚠️") and nothing is None
    message, nothing = handlers.material("学习测验", "按条", "14", ["多选"], 5, 1)
    assert "出不了多选题" in message and nothing is None
    message, nothing = handlers.material("学习测验", "全文", "", ["填空"], 5, 1, "", "很难:1")
    assert "unknown difficulty" in message and nothing is None


def test_chat_streams_guarded_llm_sentences(assistant: Assistant):
    from tests.test_llm import fake, with_llm

    reply = "完善容错纠错、澄清正名办法[第13条]。干部退休年龄是65岁[第13条]。鼓励干部大胆改、大胆试、大胆闯[第13条]。"
    steps = _run(web.Handlers(with_llm(assistant, fake(reply))), "容错纠错、澄清正名办法有什么要求？")
    shown = [step[0][-1]["content"] for step in steps]
    assert all("65" not in text for text in shown)
    chat, answers, cards, _ = steps[-1]
    generated = r"完善容错纠错、澄清正名办法\[第13条\]。鼓励干部大胆改、大胆试、大胆闯\[第13条\]。"
    assert chat[-1]["content"].startswith(generated + "  \n原文：  \n《意见》第13条")
    assert "《意见》第13条（坚持严管厚爱）" in cards and answers[-1].citations[0].unit_id == "opinion/art13"


@pytest.mark.parametrize("question", [None, 123, ""])
def test_api_rejects_non_text_cleanly(handlers: web.Handlers, question):
    result = handlers.api_ask(question)
    assert result == {"question": "", "error": "the question is empty: type a question, e.g. 容错纠错 applies when?"}


def test_the_api_answers_at_most_a_few_questions_at_once(assistant: Assistant, monkeypatch: pytest.MonkeyPatch):
    import threading
    import time

    handlers = web.Handlers(assistant)
    real_ask, running, most = assistant.ask, [0], [0]
    lock = threading.Lock()

    def counted_ask(question: str, history=()):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.02)  # long enough for every thread to be waiting
        try:
            return real_ask(question, history)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(assistant, "ask", counted_ask)
    questions = ["第十三条", "火线提拔", "容错纠错 applies when?", "苗圃计划"] * 4
    with ThreadPoolExecutor(len(questions)) as pool:
        replies = list(pool.map(handlers.api_ask, questions))
    assert most[0] == web.CONCURRENT_ANSWERS
    assert [r["question"] for r in replies] == questions and not any("error" in r for r in replies)
