"""实干家助手 web app: cited chat, article browser and 提法速查 around one ``Assistant``.

Run ``python app.py`` (127.0.0.1:7860); ``--host``/``--port``/``--auth user:password`` or the environment variables
ASSISTANT_APP_HOST, ASSISTANT_APP_PORT and ASSISTANT_APP_AUTH. Everything is served locally: no CDN, fonts or analytics.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import shutil
import sys
import tempfile
from html import escape
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr
import uvicorn
from fastapi import FastAPI

from assistant import (
    Answer,
    Assistant,
    AssistantError,
    ConfigError,
    QuestionError,
    Settings,
)
from assistant.options import add_llm_flags, llm_config
from assistant.serve.http_api import (
    CONCURRENT_ANSWERS,
    FAILURE,
    FairGate,
    answer_json,
    json_api,
    listen,
    server_settings,
)
from assistant.text.terms import term_index
from assistant.training.study import QUESTION_TYPES
from assistant.web import render
from assistant.web.browse import table_of_contents

__all__ = ["Handlers", "build_app", "main", "web_server"]

LOG = logging.getLogger("shiganjia.app")
EXAMPLES = [
    "容错纠错 applies when?",
    "第十三条",
    "意见要锻造哪四个方面的“实干家”队伍？",
    "火线提拔适用于什么样的干部？",
    "三个区分开来是什么？",
]
_STREAM_STEP = 24
_MAX_QUIZ = 200
_SLIDES = "讲课幻灯片"
_MATERIALS = ("学习测验", "学习提纲", "术语表", _SLIDES)
FONTS = ["Noto Sans CJK SC", "Noto Sans SC", "PingFang SC", "Microsoft YaHei", "Source Han Sans SC", "sans-serif"]
CSS = """
.card {border: 1px solid #d0d7de; border-left: 4px solid #b91c1c; border-radius: 6px; padding: 8px 12px; margin: 8px 0;}
.card.refusal {border-left-color: #d97706; background: #fffbeb;}
.card.partial {border-left-color: #2563eb; background: #eff6ff;}
.card-title {font-weight: 600; margin: 0 0 4px 0;}
.quote {margin: 4px 0; padding-left: 8px; border-left: 3px solid #e5e7eb; color: #374151;}
.unit-text {white-space: pre-wrap; line-height: 1.7;}
mark {background: #fde68a; padding: 0 1px;}
table.terms td, table.terms th {border-bottom: 1px solid #e5e7eb; padding: 4px 8px; vertical-align: top;}
td.term {white-space: nowrap; font-weight: 600;}
"""


class Handlers:
    """What the UI's events call: plain methods over one ``Assistant``, testable without a browser."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self.gate = FairGate(CONCURRENT_ANSWERS)
        self.units = {u.id: u for u in assistant.corpus.citable_units}
        self.terms = term_index(assistant.corpus)

    def respond(self, message: str, chat: list[dict], answers: list[Answer]):
        """Chat event: streams the answer, then shows its source cards. Yields (chat, answers, cards, textbox)."""
        question = message.strip() if isinstance(message, str) else ""
        if not question:
            gr.Warning("请输入问题。")
            yield chat, answers, gr.skip(), ""
            return
        chat = [*chat, {"role": "user", "content": render.plain_markdown(question)}]
        shown, answer = "", None
        try:
            for event in self.assistant.stream(question, answers):
                if event.answer is not None:
                    answer = event.answer
                    break
                for end in range(_STREAM_STEP, len(event.text) + _STREAM_STEP, _STREAM_STEP):
                    partial = render.text_markdown(shown + event.text[:end])
                    yield [*chat, {"role": "assistant", "content": partial}], answers, gr.skip(), ""
                shown += event.text
        except QuestionError as problem:
            yield [*chat, {"role": "assistant", "content": f"⚠️ {render.plain_markdown(str(problem))}"}], answers, "", ""
            return
        except Exception:
            LOG.exception("request failed")
            yield [*chat, {"role": "assistant", "content": FAILURE}], answers, "", ""
            return
        final = [*chat, {"role": "assistant", "content": render.answer_markdown(answer)}]
        yield final, [*answers, answer], render.source_cards(answer, self.units), ""

    def api_ask(self, question: str = "") -> dict:
        """Answer one question; returns the same JSON object as ``ask --json`` (or one with ``error``)."""
        return answer_json(self.assistant, self.gate, question)[1]

    def show_unit(self, unit_id: str | None) -> str:
        """The unit chosen in the table of contents."""
        return render.unit_html(self.units[unit_id]) if isinstance(unit_id, str) and unit_id in self.units else ""

    def jump(self, reference: str) -> str:
        """Units named by 第13条 / 13 / 第四部分 / 序言 / 第6段, or why there are none."""
        try:
            return render.units_html(self.assistant.show(reference))
        except AssistantError as problem:
            return f'<p class="empty">{escape(str(problem))}</p>'

    def search(self, keywords: str) -> str:
        """Sentences with every keyword, highlighted."""
        try:
            return render.search_results(self.assistant.search(keywords), keywords)
        except QuestionError:
            return '<p class="empty">请输入关键词。</p>'

    def material(
        self,
        kind: str,
        scope: str,
        value: str,
        types: list[str],
        count: float,
        seed: float,
        document: str = "",
        difficulty: str = "",
    ):
        """培训备课: build a quiz (student paper and answer key), outline, glossary or lecture slides (of one policy
        ``document``, or all when it is empty); returns (Markdown preview, the files to download, or None)."""
        from assistant.training.material import (
            GLOSSARY,
            OUTLINE,
            QUIZ,
            QuizOptions,
            Scope,
            exam_papers,
            lecture_slides,
            study_material,
        )

        corpus = self.assistant.corpus
        kind = kind if kind in _MATERIALS else _MATERIALS[0]
        scope, value = (scope if isinstance(scope, str) else ""), (value if isinstance(value, str) else "")
        types = [t for t in types if isinstance(t, str)] if isinstance(types, list) else []
        difficulty = difficulty.strip() if isinstance(difficulty, str) else ""
        several = len(corpus.documents_of_kind("policy")) > 1
        document = document if isinstance(document, str) and document and several else None
        folder = Path(tempfile.mkdtemp(prefix="shiganjia-"))
        try:
            field = {"按条": "articles", "按部分": "parts", "按主题": "topic"}.get(scope)
            chosen = Scope(**({field: value or ""} if field else {}), document=document)
            seed_value = _whole(seed, "随机种子", 0, 0, 2**31 - 1)
            if kind == _SLIDES:
                deck = folder / f"{kind}.pptx"
                deck.write_bytes(lecture_slides(corpus, chosen, self.assistant.topic_units, seed_value))
                return render.deck_preview(deck), [str(deck)]
            material_kind = {"学习提纲": OUTLINE, "术语表": GLOSSARY}.get(kind, QUIZ)
            if material_kind == QUIZ:
                count_value = _whole(count, "题量", 20, 1, _MAX_QUIZ)
                options = QuizOptions(tuple(types), count_value, seed_value, difficulty or None)
                paper, key, _ = exam_papers(corpus, chosen, self.assistant.topic_units, options)
                files = [folder / "学习测验（学员卷）.docx", folder / "学习测验（参考答案）.docx"]
                paper.docx(files[0])
                key.docx(files[1])
                return f"{paper.markdown()}\n---\n\n{key.markdown()}", [str(f) for f in files]
            material, _ = study_material(corpus, material_kind, chosen, self.assistant.topic_units)
            material.docx(folder / f"{kind}.docx")
        except AssistantError as problem:
            shutil.rmtree(folder, ignore_errors=True)
            return f"⚠️ {render.plain_markdown(str(problem))}", None
        return material.markdown(), [str(folder / f"{kind}.docx")]

    def terms_table(self, query: str) -> str:
        """The 提法 index, filtered by ``query``."""
        return render.term_table(self.terms, query if isinstance(query, str) else "")


def _whole(number: object, name: str, default: int, low: int, high: int) -> int:
    """A form's number as a whole number in [low, high]; empty means ``default``.

    Raises:
        QuestionError: for anything else (text, NaN, infinity, fractions, out of range).
    """
    if number is None or number == "":
        return default
    if isinstance(number, bool) or not isinstance(number, (int, float)) or not math.isfinite(number):
        raise QuestionError(f"{name}必须是 {low} 到 {high} 之间的整数")
    if number != int(number) or not low <= number <= high:
        raise QuestionError(f"{name}必须是 {low} 到 {high} 之间的整数，不是 {number:g}")
    return int(number)


def build_app(assistant: Assistant, handlers: Handlers | None = None) -> gr.Blocks:
    """The Gradio UI around one ready ``Assistant`` (no retrieval logic here)."""
    handlers = handlers or Handlers(assistant)
    toc = [("　" * entry.depth + entry.title, entry.unit.id) for entry in table_of_contents(assistant.corpus)]
    private = {"api_visibility": "private"}
    with gr.Blocks(title="实干家助手", analytics_enabled=False) as app:
        names = "、".join(d.short for d in assistant.corpus.documents)
        gr.Markdown(f"## 实干家助手\n依据{names}原文作答：逐字引用，注明出处；原文没有的，不作回答。")
        with gr.Tab("问答", id="chat"):
            answers = gr.State([])
            with gr.Row():
                with gr.Column(scale=3):
                    chatbot = gr.Chatbot(label="对话", height=460, elem_id="chat")
                    question = gr.Textbox(label="问题", placeholder="例如：容错纠错 applies when?", elem_id="question")
                    with gr.Row():
                        send = gr.Button("提问", variant="primary", elem_id="send")
                        clear = gr.Button("清空对话", elem_id="clear")
                    gr.Examples(EXAMPLES, inputs=question, label="示例问题")
                with gr.Column(scale=2):
                    cards = gr.HTML(elem_id="sources")
            chat_io = ([question, chatbot, answers], [chatbot, answers, cards, question])
            send.click(handlers.respond, *chat_io, **private)
            question.submit(handlers.respond, *chat_io, **private)
            clear.click(lambda: ([], [], "", ""), None, chat_io[1], **private)
        with gr.Tab("条文浏览", id="browse"):
            with gr.Row():
                with gr.Column(scale=2):
                    contents = gr.Radio(toc, label="目录", elem_id="toc")
                with gr.Column(scale=3):
                    with gr.Row():
                        reference = gr.Textbox(label="按编号跳转", placeholder="第13条、第四部分、序言", elem_id="jump")
                        go = gr.Button("跳转", elem_id="go")
                    with gr.Row():
                        keywords = gr.Textbox(label="关键词检索", placeholder="例如：火线提拔", elem_id="keywords")
                        find = gr.Button("检索", elem_id="find")
                    shown = gr.HTML(elem_id="unit-view")
            contents.change(handlers.show_unit, contents, shown, **private)
            go.click(handlers.jump, reference, shown, **private)
            reference.submit(handlers.jump, reference, shown, **private)
            find.click(handlers.search, keywords, shown, **private)
            keywords.submit(handlers.search, keywords, shown, **private)
        with gr.Tab("提法速查", id="terms"):
            term_query = gr.Textbox(label="筛选提法", placeholder="例如：三个", elem_id="term-filter")
            term_view = gr.HTML(handlers.terms_table(""), elem_id="term-table")
            term_query.change(handlers.terms_table, term_query, term_view, **private)
        with gr.Tab("培训备课", id="training"):
            with gr.Row():
                kind = gr.Radio(list(_MATERIALS), value=_MATERIALS[0], label="材料", elem_id="kind")
                shorts = [d.short for d in assistant.corpus.documents_of_kind("policy")]
                document = gr.Dropdown(
                    shorts, value=shorts[0] if shorts else None, label="文件", visible=len(shorts) > 1, elem_id="doc"
                )
                scope = gr.Radio(["全文", "按条", "按部分", "按主题"], value="按条", label="范围", elem_id="scope")
                value = gr.Textbox(
                    value="11-13", label="条/部分/主题", placeholder="11-13、四、年轻干部", elem_id="scope-value"
                )
            with gr.Row():
                types = gr.CheckboxGroup(
                    list(QUESTION_TYPES), value=list(QUESTION_TYPES), label="题型", elem_id="types"
                )
                count = gr.Number(value=20, minimum=1, maximum=_MAX_QUIZ, precision=0, label="题量", elem_id="count")
                difficulty = gr.Textbox(
                    label="难度配比（可空）", placeholder="易:3,中:5,难:2", elem_id="difficulty", max_length=60
                )
                seed = gr.Number(value=1, precision=0, label="随机种子（相同种子，相同试卷）", elem_id="seed")
            make = gr.Button("生成", variant="primary", elem_id="make")
            download = gr.File(label="下载（试卷与答案分开；提纲、术语表为 Word，幻灯片为 PowerPoint）",
                               file_count="multiple", elem_id="download")  # fmt: skip
            preview = gr.Markdown(elem_id="preview")
            inputs = [kind, scope, value, types, count, seed, document, difficulty]
            make.click(handlers.material, inputs, [preview, download], **private)
        gr.api(handlers.api_ask, api_name="ask", queue=False, concurrency_limit=None)
    return app


def _port(text: str) -> int:
    if not text.strip().isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"must be a port number from 1 to 65535, not {text[:20]!r}")
    return int(text)


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="实干家助手 web app")
    parser.add_argument("--host", default=os.environ.get("ASSISTANT_APP_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=_port, default=os.environ.get("ASSISTANT_APP_PORT", "7860"))
    parser.add_argument(
        "--auth", default=os.environ.get("ASSISTANT_APP_AUTH"), help="require a login, given as user:password"
    )
    add_llm_flags(parser)
    return parser.parse_args(argv)


def theme() -> gr.themes.Theme:
    """The default theme with local CJK-capable system fonts (no web fonts are fetched)."""
    return gr.themes.Default(font=FONTS, font_mono=["Noto Sans Mono CJK SC", "monospace"])


def main(argv: list[str] | None = None) -> int:
    """Build the assistant once (index loaded or built with progress), then serve the app."""
    args = _arguments(argv)
    auth = None
    if args.auth:
        user, sep, password = args.auth.partition(":")
        if not sep or not user or not password:
            print("error: --auth must be user:password", file=sys.stderr)
            return 2
        auth = (user, password)
    try:
        settings = server_settings(Settings(), llm_config(args))
        assistant = Assistant.from_settings(
            settings, notify=lambda message: print(message, file=sys.stderr), progress=True
        )
    except AssistantError as problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2 if isinstance(problem, ConfigError) else 1
    try:
        listener = listen(args.host, args.port)
    except OSError:
        print(
            f"error: cannot serve on {args.host}:{args.port}: the port is in use or the host is not an address of"
            " this machine; choose another --port or --host",
            file=sys.stderr,
        )
        return 1
    print(f"实干家助手: http://{args.host}:{args.port}/ (JSON API: POST /api/ask)", file=sys.stderr)
    uvicorn.Server(uvicorn.Config(web_server(assistant, auth), log_level="warning")).run(sockets=[listener])
    return 0


def web_server(assistant: Assistant, auth: tuple[str, str] | None = None) -> FastAPI:
    """The page and both APIs in one ASGI app: Gradio at ``/`` (``/ask`` for gradio_client) and ``POST /api/ask``.

    ``auth`` guards all of it: a login form for the page, HTTP Basic auth for ``/api/ask``.
    """
    handlers = Handlers(assistant)
    blocks = build_app(assistant, handlers).queue(default_concurrency_limit=CONCURRENT_ANSWERS)
    server = json_api(assistant, handlers.gate, auth)
    return gr.mount_gradio_app(
        server, blocks, path="/", auth=auth, theme=theme(), css=CSS, footer_links=[], show_error=False, ssr_mode=False
    )


if __name__ == "__main__":
    sys.exit(main())
