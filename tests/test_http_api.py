"""POST /api/ask (assistant.serve.http_api) through a real ASGI client, the fair gate, and the web server
around both."""

from __future__ import annotations

import base64
import json
import socket
import sys
import threading
import time

import pytest

from assistant import Assistant
from assistant.base.config import PROJECT_ROOT
from assistant.serve.http_api import FAILURE, MAX_BODY_BYTES, FairGate, json_api

testclient = pytest.importorskip("fastapi.testclient")
sys.path.insert(0, str(PROJECT_ROOT))
import app as web  # noqa: E402

QUESTION = "容错纠错 applies when?"
BAD_BODY = 'send a JSON object with a "question" string, e.g. {"question": "第十三条"}'


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@pytest.fixture(scope="module")
def client(assistant: Assistant):
    with testclient.TestClient(json_api(assistant, FairGate(2))) as connection:
        yield connection


def test_the_reply_is_the_ask_json_object(client, assistant: Assistant):
    response = client.post("/api/ask", json={"question": QUESTION})
    assert response.status_code == 200
    assert response.json() == assistant.ask(QUESTION).to_dict()
    assert response.json()["citations"][0]["label"] == "《意见》第13条（坚持严管厚爱）"


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[1, 2]", b'"text"', b"{}", b'{"question": 13}', b'{"question": null}', b"[" * 30000],
)
def test_a_body_that_is_not_a_question_object_is_a_400(client, body: bytes):
    response = client.post("/api/ask", content=body, headers={"Content-Type": "application/json"})
    assert (response.status_code, response.json()) == (400, {"error": BAD_BODY})


def test_an_empty_question_is_a_400_with_the_reason(client):
    response = client.post("/api/ask", json={"question": "  "})
    assert response.status_code == 400
    assert response.json()["error"].startswith("the question is empty")


def test_an_oversize_body_is_a_413_whether_declared_or_streamed(client):
    big = json.dumps({"question": "问" * MAX_BODY_BYTES}).encode()
    assert client.post("/api/ask", content=big).status_code == 413
    streamed = client.post("/api/ask", content=iter([big[:40000], big[40000:]]))  # no Content-Length
    assert streamed.status_code == 413
    assert streamed.json() == {"error": f"the request body is larger than {MAX_BODY_BYTES} bytes"}


def test_an_internal_error_is_a_500_without_a_traceback(client, assistant: Assistant, monkeypatch):
    def broken(question: str, history=()):
        raise KeyError("a bug")

    monkeypatch.setattr(assistant, "ask", broken)
    response = client.post("/api/ask", json={"question": QUESTION})
    assert (response.status_code, response.json()) == (500, {"question": QUESTION, "error": FAILURE})


def test_credentials_are_required_when_configured(assistant: Assistant):
    with testclient.TestClient(json_api(assistant, FairGate(1), ("cadre", "s3cret"))) as guarded:
        for headers in ({}, basic("cadre", "wrong"), basic("other", "s3cret"), {"Authorization": "Basic !!"}):
            response = guarded.post("/api/ask", json={"question": "第十三条"}, headers=headers)
            assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Basic")
        response = guarded.post("/api/ask", json={"question": "第十三条"}, headers=basic("cadre", "s3cret"))
        assert response.json()["citations"][0]["article"] == 13


def test_no_interactive_docs_are_served(client):
    assert [client.get(path).status_code for path in ("/docs", "/redoc", "/openapi.json")] == [404, 404, 404]


def _waiting(gate: FairGate, count: int) -> None:
    deadline = time.monotonic() + 10
    while len(gate._waiting) < count:
        assert time.monotonic() < deadline, "the waiters never queued"
        time.sleep(0.001)


def test_the_gate_lets_waiters_in_in_arrival_order():
    gate, order, lock = FairGate(1), [], threading.Lock()

    def enter(number: int) -> None:
        with gate, lock:
            order.append(number)

    gate.__enter__()
    threads = []
    for number in range(6):
        threads.append(threading.Thread(target=enter, args=(number,)))
        threads[-1].start()
        _waiting(gate, number + 1)
    gate.__exit__(None, None, None)
    for thread in threads:
        thread.join(10)
    assert order == [0, 1, 2, 3, 4, 5]


def test_a_freed_slot_goes_to_the_waiter_not_to_a_newcomer():
    gate = FairGate(1)
    gate.__enter__()
    entered = threading.Event()
    waiter = threading.Thread(target=lambda: (gate.__enter__(), entered.set()))
    waiter.start()
    _waiting(gate, 1)
    gate.__exit__(None, None, None)
    entered.wait(10)
    assert entered.is_set() and gate._free == 0  # the newcomer would have to wait now
    gate.__exit__(None, None, None)
    assert gate._free == 1
    waiter.join(10)


def test_a_gate_needs_a_slot():
    with pytest.raises(ValueError):
        FairGate(0)


@pytest.mark.slow
def test_the_web_server_serves_the_page_and_the_json_api(assistant: Assistant):
    with testclient.TestClient(web.web_server(assistant)) as server:
        assert server.get("/").status_code == 200 and "实干家助手" in server.get("/").text
        assert server.post("/api/ask", json={"question": "第十三条"}).json() == assistant.ask("第十三条").to_dict()


def test_a_taken_port_is_reported_before_serving(assistant: Assistant, monkeypatch, capsys):
    used = []
    monkeypatch.setattr(web.Assistant, "from_settings", lambda settings, **_: used.append(settings) or assistant)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        assert web.main(["--port", str(taken.getsockname()[1])]) == 1
    assert "the port is in use" in capsys.readouterr().err
    assert used[0].model_threads == 1  # one model thread per answer: the server's parallelism is its questions


def test_the_model_thread_setting_is_read_from_the_environment(monkeypatch):
    from assistant import ConfigError, Settings

    monkeypatch.setenv("ASSISTANT_MODEL_THREADS", "3")
    assert Settings().model_threads == 3
    monkeypatch.setenv("ASSISTANT_MODEL_THREADS", "zero")
    with pytest.raises(ConfigError, match="ASSISTANT_MODEL_THREADS must be a whole number"):
        Settings()


@pytest.mark.slow
def test_the_login_guards_the_page_and_the_json_api(assistant: Assistant):
    with testclient.TestClient(web.web_server(assistant, ("cadre", "s3cret"))) as server:
        assert server.get("/config").status_code == 401
        assert server.post("/api/ask", json={"question": "第十三条"}).status_code == 401
        assert server.post("/login", data={"username": "cadre", "password": "s3cret"}).status_code == 200
        assert server.get("/config").status_code == 200
        reply = server.post("/api/ask", json={"question": "第十三条"}, headers=basic("cadre", "s3cret"))
        assert reply.json()["citations"][0]["article"] == 13
