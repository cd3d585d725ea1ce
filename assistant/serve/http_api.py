"""The assistant as JSON over HTTP: ``POST /api/ask`` with ``{"question": "…"}``.

The reply is the object ``ask --json`` prints (or ``{"question", "error"}`` with a 4xx/5xx status). The web app
serves this next to its Gradio page; it costs about a millisecond per request where Gradio's own API costs more than
the answer. FastAPI comes with Gradio and is imported only here.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import logging
import os
import socket
import threading
from collections import deque
from dataclasses import replace
from functools import partial

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from ..assistant import Assistant
from ..base.config import LLMConfig, Settings
from ..base.errors import AssistantError, QuestionError

__all__ = [
    "CONCURRENT_ANSWERS",
    "FAILURE",
    "LOG",
    "MAX_BODY_BYTES",
    "FairGate",
    "answer_json",
    "json_api",
    "listen",
    "read_body",
    "server_settings",
]

LOG = logging.getLogger("shiganjia.http")
# A server answers one question per core at once (each on one model thread); the rest wait their turn, first come first
# served. eval/load_app.py at N = 50 on two cores: unbounded, p95 1230-1466 ms (40 threads contending for the GIL);
# 2 at once 528-540 ms, 3 or 4 at once 530-630 ms at the same throughput.
CONCURRENT_ANSWERS = max(2, min(8, os.cpu_count() or 2))
MAX_BODY_BYTES = 64 * 1024
_CHALLENGE = {"WWW-Authenticate": 'Basic realm="shiganjia"'}
FAILURE = "⚠️ 出错了：这次请求没有完成，请稍后重试。"


class FairGate:
    """At most ``slots`` holders at once, let in in the order they arrived: a freed slot goes to the longest waiter.

    ``threading.Semaphore`` lets a newcomer take a freed slot before the waiter it woke: at 50 clients that doubled
    the p95 latency of the same throughput (p50 460 ms, p95 830 ms against about 480 ms handing slots over in order).
    """

    def __init__(self, slots: int) -> None:
        if slots < 1:
            raise ValueError("a gate needs at least one slot")
        self.slots = slots
        self._free = slots
        self._waiting: deque[threading.Event] = deque()
        self._lock = threading.Lock()

    def __enter__(self) -> FairGate:
        with self._lock:
            if self._free and not self._waiting:
                self._free -= 1
                return self
            turn = threading.Event()
            self._waiting.append(turn)
        turn.wait()  # set by the holder that hands its slot over
        return self

    def __exit__(self, *exc_info: object) -> None:
        with self._lock:
            if self._waiting:
                self._waiting.popleft().set()
            else:
                self._free += 1


def answer_json(assistant: Assistant, gate: FairGate, question: object) -> tuple[int, dict]:
    """Answer ``question`` through ``gate``: (HTTP status, the ``ask --json`` object or one with ``error``)."""
    text = question if isinstance(question, str) else ""
    try:
        with gate:
            return 200, assistant.ask(text).to_dict()
    except QuestionError as problem:
        return 400, {"question": text[:200], "error": str(problem)}
    except AssistantError as problem:
        return 503, {"question": text[:200], "error": str(problem)}
    except Exception:
        LOG.exception("request failed")
        return 500, {"question": text[:200], "error": FAILURE}


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _authorized(header: str | None, credentials: tuple[str, str]) -> bool:
    """HTTP Basic credentials in ``header`` equal to ``credentials`` (compared in constant time)."""
    scheme, _, encoded = (header or "").partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        user, sep, password = base64.b64decode(encoded.strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    expected_user, expected_password = credentials
    same_user = hmac.compare_digest(user.encode(), expected_user.encode())
    same_password = hmac.compare_digest(password.encode(), expected_password.encode())
    return bool(sep) and same_user and same_password


async def read_body(request: Request) -> bytes | None:
    """The request body, or None once it passes ``MAX_BODY_BYTES`` (read no further)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            return None
    return bytes(body)


def _question(body: bytes) -> str | None:
    """The ``question`` string of a JSON object body; None when the body is not one."""
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        return None
    question = payload.get("question") if isinstance(payload, dict) else None
    return question if isinstance(question, str) else None


def json_api(assistant: Assistant, gate: FairGate, credentials: tuple[str, str] | None = None) -> FastAPI:
    """A FastAPI app with ``POST /api/ask``; with ``credentials``, requests need them as HTTP Basic auth.

    No interactive docs are served (they load scripts from a CDN).
    """
    api = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    answer = partial(answer_json, assistant, gate)

    @api.post("/api/ask")
    async def ask(request: Request) -> JSONResponse:
        if credentials and not _authorized(request.headers.get("authorization"), credentials):
            return _error(401, "log in with HTTP Basic auth (the app's --auth user:password)", _CHALLENGE)
        body = await read_body(request)
        if body is None:
            return _error(413, f"the request body is larger than {MAX_BODY_BYTES} bytes")
        question = _question(body)
        if question is None:
            return _error(400, 'send a JSON object with a "question" string, e.g. {"question": "第十三条"}')
        status, payload = await run_in_threadpool(answer, question)
        return JSONResponse(payload, status_code=status)

    return api


def server_settings(settings: Settings, llm: LLMConfig | None) -> Settings:
    """``settings`` for a server: with the ``llm`` endpoint, and one model thread per answer unless
    ASSISTANT_MODEL_THREADS says otherwise (several questions at once are the parallelism: one thread each costs
    16 ms of CPU per answer against 18.5 ms on two threads)."""
    return replace(settings, llm=llm, model_threads=settings.model_threads or 1)


def listen(host: str, port: int) -> socket.socket:
    """A socket bound to (host, port), so a taken port is reported before anything is served.

    Raises:
        OSError: if the port is taken or the host is not an address of this machine.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # Naming the protocol matters: asyncio turns Nagle's algorithm off only on sockets whose proto is TCP, and with it
    # on, a reply written in pieces (headers, then a streamed body) waits 40 ms for the client's delayed ACK.
    listener = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
    except OSError:
        listener.close()
        raise
    listener.set_inheritable(True)
    return listener
