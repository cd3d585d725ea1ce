"""The assistant as a Model Context Protocol server (stdio), for desktop assistants and agent frameworks.

Tools: ``ask`` (the cited answer, as ``ask --json`` prints it), ``show_unit`` (an article, part or paragraph by
reference), ``search`` (sentences containing every keyword) and ``quiz`` (an exam paper with its key, in Markdown).
A failure the user can fix (an empty question, an unknown article, a scope with nothing to ask) comes back as a tool
error with the assistant's message; the server keeps running.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

from ..assistant import Assistant
from ..base.errors import AssistantError
from ..training.material import QUIZ, QuizOptions, Scope, study_material

__all__ = ["SERVER_NAME", "mcp_server"]

SERVER_NAME = "shiganjia"
_MAX_QUESTIONS = 200
_INSTRUCTIONS = (
    "实干家助手 answers questions about one Chinese policy text (the city Party committee's Opinion on forging a team "
    "of 实干家 cadres, 15 articles in five parts) and the newspaper commentary on it, with verbatim quotes and "
    "citations such as 《意见》第13条（坚持严管厚爱）. It says so when the text does not cover a question; quote its "
    "answers as they are and keep the citations."
)
_Tool = TypeVar("_Tool", bound=Callable[..., Any])


def _user_errors(tool: _Tool) -> _Tool:
    """Turn the assistant's own errors (bad question, unknown unit, empty scope) into tool errors with its message."""

    @wraps(tool)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return tool(*args, **kwargs)
        except AssistantError as problem:
            raise ToolError(str(problem)) from problem

    return run  # type: ignore[return-value]


def mcp_server(assistant: Assistant) -> MCPServer:
    """An MCP server whose tools answer from ``assistant``; run it with ``.run("stdio")``."""
    server = MCPServer(SERVER_NAME, title="实干家助手", instructions=_INSTRUCTIONS, log_level="WARNING")

    @server.tool()
    @_user_errors
    def ask(question: str) -> dict[str, Any]:
        """Answer a question (Chinese, English or both) from the text, with verbatim quotes and citations; the
        ``support`` field says whether the text answers it fully, partly or not at all."""
        return assistant.ask(question).to_dict()

    @server.tool()
    @_user_errors
    def show_unit(reference: str) -> dict[str, Any]:
        """The full text of an article, part or commentary paragraph: 13, 第十三条, article 13, 第四部分, 第6段."""
        units = assistant.show(reference)
        return {"units": [{"label": u.label, "unit_id": u.id, "text": u.text} for u in units]}

    @server.tool()
    @_user_errors
    def search(keywords: str, limit: int = 20) -> dict[str, Any]:
        """Sentences that contain every keyword (separated by spaces), with where they stand."""
        matches = assistant.search(keywords, limit=max(1, min(limit, 200)))
        return {"matches": [{"label": m.unit.label, "sentence": m.sentence.text} for m in matches]}

    @server.tool()
    @_user_errors
    def quiz(
        articles: str | None = None,
        part: str | None = None,
        topic: str | None = None,
        n: int = 10,
        types: str = "填空,单选,多选,判断",
        seed: int = 1,
        difficulty: str | None = None,
    ) -> str:
        """An exam paper with its answer key, in Markdown: on articles (11-13), a part (四), a topic, or the whole
        text; question types from 填空, 单选, 多选 and 判断; a difficulty mix such as 易:3,中:5,难:2."""
        if not 1 <= n <= _MAX_QUESTIONS:
            raise ToolError(f"n is the number of questions, from 1 to {_MAX_QUESTIONS}")
        scope = Scope(articles=articles, parts=part, topic=topic)
        kinds = tuple(t.strip() for t in types.replace("，", ",").split(",") if t.strip())
        options = QuizOptions(kinds, n, seed, difficulty)
        material, notice = study_material(assistant.corpus, QUIZ, scope, assistant.topic_units, options)
        return (notice + "\n\n" if notice else "") + material.markdown()

    return server
