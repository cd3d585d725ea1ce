"""An OpenAI-compatible chat endpoint over the assistant, for chat front-ends that speak that protocol.

``GET /v1/models`` lists one model; ``POST /v1/chat/completions`` answers the last user message with the
assistant's cited answer (extractive, or generated and guarded when an LLM endpoint is configured) as the message
content, streamed as server-sent events when ``"stream": true``. Earlier user messages are the conversation: they are
asked again in turn (``Assistant.conversation``) so that a follow-up is read in context. The citations and the whole
``ask --json`` object come along in an extra ``shiganjia`` field of the response (of the last chunk when streaming).

Errors are OpenAI-style JSON (``{"error": {"message", "type", "code"}}``) with a 4xx status for bad requests: a
body that is not JSON or too large, no user message, a wrong API key.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import secrets
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.requests import ClientDisconnect

from ..answering.answer import Answer
from ..assistant import Assistant
from ..base.errors import AssistantError, ConfigError, QuestionError
from ..question.query import clean_question
from .http_api import FAILURE, LOG, MAX_BODY_BYTES, FairGate, read_body

__all__ = ["BODY_SECONDS", "MAX_CONNECTIONS", "MAX_MESSAGES", "MODEL_ID", "chat_api", "checked_api_key"]

MODEL_ID = "shiganjia"
BODY_SECONDS = 30
MAX_MESSAGES = 200
MAX_CONNECTIONS = 256  # more at once are refused with 503 (half-sent requests cannot tie up the server without end)
_CHUNK_CHARS = 24  # characters per streamed piece of an extractive answer
_NO_USAGE = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}  # the answers are not made of tokens


def checked_api_key(key: str | None) -> str | None:
    """``key`` as the server will require it, or None for no key.

    Raises:
        ConfigError: for an empty key, or one a client could never send (non-ASCII, spaces around it).
    """
    if key is None:
        return None
    if not key or key != key.strip() or not key.isascii() or not key.isprintable():
        raise ConfigError("the API key must be printable ASCII without spaces around it, and not empty")
    return key


def _error(status: int, message: str, kind: str, code: str) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": kind, "code": code, "param": None}}, status_code=status)


def _bad_request(message: str, code: str = "invalid_request") -> JSONResponse:
    return _error(400, message, "invalid_request_error", code)


def _text_of(content: Any) -> str | None:
    """A message's text: a string, or the text parts of a list of content parts; None for anything else."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [p.get("text") for p in content if isinstance(p, dict) and p.get("type") == "text"]
        if parts and all(isinstance(p, str) for p in parts):
            return "".join(parts)
    return None


def _conversation(payload: object) -> tuple[str, list[str]] | JSONResponse:
    """(the question, the earlier user questions) of a chat completion request, or the error response."""
    if not isinstance(payload, dict):
        return _bad_request("the body must be a JSON object with a messages list")
    messages = payload.get("messages")
    if not isinstance(messages, list) or not messages:
        return _bad_request("messages must be a non-empty list of {role, content} objects", "invalid_messages")
    if len(messages) > MAX_MESSAGES:
        return _bad_request(f"at most {MAX_MESSAGES} messages per request", "too_many_messages")
    questions = []
    for number, message in enumerate(messages):
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            return _bad_request(f"messages[{number}] must be an object with a role", "invalid_messages")
        text = _text_of(message.get("content"))
        if message["role"] == "user":
            if text is None:
                return _bad_request(f"messages[{number}] has no text content", "invalid_messages")
            questions.append(text)
    if not questions:
        return _bad_request("there is no user message to answer", "no_user_message")
    if not isinstance(payload.get("stream", False), bool):
        return _bad_request("stream must be true or false")
    if payload.get("n", 1) != 1 or isinstance(payload.get("n"), bool):
        return _bad_request("n must be 1: there is one cited answer per question", "invalid_n")
    options = payload.get("stream_options")
    readable = isinstance(options, dict) and isinstance(options.get("include_usage", False), bool)
    if options is not None and not readable:
        return _bad_request('stream_options must be an object like {"include_usage": true}')
    return questions[-1], questions[:-1]


def _extra(answer: Answer) -> dict:
    return {"citations": [c.to_dict() for c in answer.citations], "answer": answer.to_dict()}


class _Completion:
    """One chat completion: its id, time and model name, and the JSON shapes of its response and chunks."""

    def __init__(self, model: str) -> None:
        self.id = f"chatcmpl-{secrets.token_hex(12)}"
        self.created = int(time.time())
        self.model = model

    def response(self, answer: Answer) -> dict:
        return {
            "id": self.id, "object": "chat.completion", "created": self.created, "model": self.model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": answer.text},
                         "finish_reason": "stop", "logprobs": None}],
            "usage": _NO_USAGE,
            "shiganjia": _extra(answer),
        }  # fmt: skip

    def usage_chunk(self) -> str:
        """The chunk ``stream_options.include_usage`` asks for: no choices, the token counts (not counted: 0)."""
        body = {"id": self.id, "object": "chat.completion.chunk", "created": self.created, "model": self.model,
                "choices": [], "usage": _NO_USAGE}  # fmt: skip
        return f"data: {json.dumps(body)}\n\n"

    def chunk(self, delta: dict, finish: str | None = None, answer: Answer | None = None) -> str:
        body = {
            "id": self.id, "object": "chat.completion.chunk", "created": self.created, "model": self.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
        }  # fmt: skip
        if answer is not None:
            body["shiganjia"] = _extra(answer)
        return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"


def _pieces(text: str) -> Iterator[str]:
    for start in range(0, len(text), _CHUNK_CHARS):
        yield text[start : start + _CHUNK_CHARS]


def chat_api(assistant: Assistant, gate: FairGate, api_key: str | None = None) -> FastAPI:
    """A FastAPI app with ``/v1/models`` and ``/v1/chat/completions``; with ``api_key``, requests need it as
    ``Authorization: Bearer …``. No interactive docs are served (they load scripts from a CDN)."""
    api = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    def allowed(request: Request) -> bool:
        if not api_key:
            return True
        scheme, _, given = (request.headers.get("authorization") or "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), api_key.encode())

    def refused() -> JSONResponse:
        return _error(401, "a valid API key is needed: send Authorization: Bearer <key>", "authentication_error",
                      "invalid_api_key")  # fmt: skip

    @api.get("/v1/models")
    async def models(request: Request) -> JSONResponse:
        if not allowed(request):
            return refused()
        model = {"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "shiganjia-assistant"}
        return JSONResponse({"object": "list", "data": [model]})

    @api.post("/v1/chat/completions")
    async def completions(request: Request) -> Any:
        if not allowed(request):
            return refused()
        try:
            body = await asyncio.wait_for(read_body(request), BODY_SECONDS)
        except asyncio.TimeoutError:  # TimeoutError itself from Python 3.11
            return _error(408, f"the request body did not arrive within {BODY_SECONDS} s", "invalid_request_error",
                          "request_timeout")  # fmt: skip
        except ClientDisconnect:
            return JSONResponse({}, status_code=400)  # nobody is left to read it
        if body is None:
            return _error(413, f"the request body is larger than {MAX_BODY_BYTES} bytes", "invalid_request_error",
                          "request_too_large")  # fmt: skip
        try:
            payload = json.loads(body)
            json.dumps(payload, ensure_ascii=False).encode("utf-8")
        except (ValueError, RecursionError):
            return _bad_request("the body is not valid JSON", "invalid_json")
        except UnicodeEncodeError:
            return _bad_request("the body holds text that is not valid Unicode (a lone surrogate)", "invalid_json")
        conversation = _conversation(payload)
        if isinstance(conversation, JSONResponse):
            return conversation
        question, earlier = conversation
        try:
            clean_question(question)  # an empty or over-long question is the client's mistake, streamed or not
        except QuestionError as problem:
            return _bad_request(str(problem), "invalid_question")
        completion = _Completion(payload.get("model") if isinstance(payload.get("model"), str) else MODEL_ID)
        if payload.get("stream"):
            usage = bool((payload.get("stream_options") or {}).get("include_usage"))
            return StreamingResponse(_stream(assistant, gate, completion, question, earlier, usage),
                                     media_type="text/event-stream")  # fmt: skip
        try:
            answer = await asyncio.to_thread(_answer, assistant, gate, question, earlier)
        except QuestionError as problem:
            return _bad_request(str(problem), "invalid_question")
        except AssistantError as problem:
            return _error(503, str(problem), "server_error", "unavailable")
        except Exception:
            LOG.exception("chat completion failed")
            return _error(500, FAILURE, "server_error", "internal_error")
        return JSONResponse(completion.response(answer))

    @api.exception_handler(404)
    async def not_found(request: Request, exc: Exception) -> JSONResponse:
        return _error(404, f"no such endpoint: {request.method} {request.url.path}", "invalid_request_error",
                      "not_found")  # fmt: skip

    @api.exception_handler(405)
    async def wrong_method(request: Request, exc: Exception) -> JSONResponse:
        return _error(405, f"{request.method} is not allowed on {request.url.path}", "invalid_request_error",
                      "method_not_allowed")  # fmt: skip

    return api


def _answer(assistant: Assistant, gate: FairGate, question: str, earlier: list[str]) -> Answer:
    with gate:
        return assistant.ask(question, assistant.conversation(earlier))


async def _stream(
    assistant: Assistant,
    gate: FairGate,
    completion: _Completion,
    question: str,
    earlier: list[str],
    usage: bool = False,
) -> AsyncIterator[str]:
    """The answer as server-sent events: a role chunk, text chunks, a last chunk with the citations, with ``usage``
    a chunk of (zero) token counts, then [DONE]."""
    yield completion.chunk({"role": "assistant", "content": ""})
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()

    def produce() -> None:
        def put(kind: str, value: Any) -> None:
            loop.call_soon_threadsafe(queue.put_nowait, (kind, value))

        try:
            with gate:
                history = assistant.conversation(earlier)
                for event in assistant.stream(question, history):
                    if event.answer is not None:
                        put("answer", event.answer)
                    elif event.text:
                        put("text", event.text)
        except QuestionError as problem:
            put("error", str(problem))
        except AssistantError as problem:
            put("error", str(problem))
        except Exception:
            LOG.exception("streamed chat completion failed")
            put("error", FAILURE)

    threading.Thread(target=produce, daemon=True).start()
    streamed = ""
    while True:
        kind, value = await queue.get()
        if kind == "text":
            streamed += value
            for piece in _pieces(value):
                yield completion.chunk({"content": piece})
        elif kind == "answer":
            if value.text.startswith(streamed):  # what the finished answer adds to the streamed text (a source block)
                for piece in _pieces(value.text[len(streamed) :]):
                    yield completion.chunk({"content": piece})
            yield completion.chunk({}, "stop", value)
            break
        else:
            error = {"error": {"message": value, "type": "server_error", "code": "answer_failed", "param": None}}
            yield f"data: {json.dumps(error, ensure_ascii=False)}\n\n"
            break
    if usage:
        yield completion.usage_chunk()
    yield "data: [DONE]\n\n"
