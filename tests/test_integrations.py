"""The integrations with real clients: the official openai client (plain and streaming) and LangChain's ChatOpenAI
against ``serve``'s endpoint, the LangChain retriever and chain, the MCP server over stdio with the SDK's own client,
and every README example of the "Use it from other tools" section."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator

import httpx
import pytest

from assistant import Assistant
from assistant.base.config import PROJECT_ROOT
from assistant.serve.http_api import MAX_BODY_BYTES, FairGate, listen
from assistant.serve.openai_api import MAX_MESSAGES, MODEL_ID, chat_api
from tests.test_app import free_port

openai = pytest.importorskip("openai")
pytest.importorskip("langchain_openai")
QUESTION = "容错纠错 applies when?"
KEY = "change-me"
README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")


def readme_example(name: str) -> str:
    """The block after ``<!-- example: name -->`` in the README (a fenced block's body, or a table)."""
    after = README.split(f"<!-- example: {name} -->", 1)[1].lstrip()
    fenced = re.match(r"```\w*\n(.*?)\n```", after, re.S)
    return fenced.group(1) if fenced else after.split("\n\n", 1)[0]


@contextlib.contextmanager
def serving(assistant: Assistant, api_key: str | None = KEY) -> Iterator[str]:
    """``chat_api`` under uvicorn in a thread on a free port; yields its /v1 base URL."""
    import uvicorn

    listener = listen("127.0.0.1", free_port())
    port = listener.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(chat_api(assistant, FairGate(2), api_key), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def base_url(assistant: Assistant) -> Iterator[str]:
    with serving(assistant) as url:
        yield url


@pytest.fixture(scope="module")
def expected(assistant: Assistant) -> dict:
    return assistant.ask(QUESTION).to_dict()


def test_the_openai_client_gets_the_cited_answer(base_url: str, expected: dict):
    client = openai.OpenAI(base_url=base_url, api_key=KEY)
    assert [model.id for model in client.models.list()] == [MODEL_ID]
    reply = client.chat.completions.create(model=MODEL_ID, messages=[{"role": "user", "content": QUESTION}])
    assert reply.choices[0].message.content == expected["answer"]
    assert reply.choices[0].finish_reason == "stop"
    assert reply.model_extra["shiganjia"]["answer"] == expected
    assert reply.model_extra["shiganjia"]["citations"][0]["label"] == "《意见》第13条（坚持严管厚爱）"


def test_the_openai_client_streams_the_same_answer(base_url: str, expected: dict):
    client = openai.OpenAI(base_url=base_url, api_key=KEY)
    chunks = list(client.chat.completions.create(model=MODEL_ID, messages=[{"role": "user", "content": QUESTION}],
                                                 stream=True))  # fmt: skip
    assert len(chunks) > 3 and chunks[0].choices[0].delta.role == "assistant"
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == expected["answer"]
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert chunks[-1].model_extra["shiganjia"]["answer"] == expected


def test_chat_openai_gets_the_same_answer(base_url: str, expected: dict):
    from langchain_openai import ChatOpenAI

    chat = ChatOpenAI(base_url=base_url, api_key=KEY, model=MODEL_ID)
    assert chat.invoke(QUESTION).content == expected["answer"]
    assert "".join(piece.content for piece in chat.stream(QUESTION)) == expected["answer"]


def test_earlier_user_messages_are_the_conversation(base_url: str):
    client = openai.OpenAI(base_url=base_url, api_key=KEY)
    messages = [
        {"role": "system", "content": "你是助手"},
        {"role": "user", "content": "第十三条讲什么"},
        {"role": "assistant", "content": "……"},
        {"role": "user", "content": [{"type": "text", "text": "那第十一条呢？"}]},
    ]
    reply = client.chat.completions.create(model=MODEL_ID, messages=messages)
    assert reply.model_extra["shiganjia"]["citations"][0]["label"] == "《意见》第11条（树牢用人导向）"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"{not json", 400, "invalid_json"),
        (b"[1, 2]", 400, "invalid_request"),
        (b'{"messages": []}', 400, "invalid_messages"),
        (b'{"messages": [{"role": "system", "content": "x"}]}', 400, "no_user_message"),
        (b'{"messages": [{"role": "user", "content": 13}]}', 400, "invalid_messages"),
        (b'{"messages": ["text"]}', 400, "invalid_messages"),
        (b'{"messages": [{"role": "user", "content": "  "}]}', 400, "invalid_question"),
        (b'{"messages": [{"role": "user", "content": "x"}], "stream": "yes"}', 400, "invalid_request"),
        (json.dumps({"messages": [{"role": "user", "content": "x"}] * (MAX_MESSAGES + 1)}).encode(), 400,
         "too_many_messages"),
        (json.dumps({"messages": [{"role": "user", "content": "问" * MAX_BODY_BYTES}]}).encode(), 413,
         "request_too_large"),
    ],
)  # fmt: skip
def test_bad_requests_get_4xx_json_errors(base_url: str, body: bytes, status: int, code: str):
    response = httpx.post(f"{base_url}/chat/completions", content=body, headers={"Authorization": f"Bearer {KEY}"})
    assert (response.status_code, response.json()["error"]["code"]) == (status, code)
    assert response.json()["error"]["message"] and "Traceback" not in response.text


@pytest.mark.parametrize("header", [None, "Bearer wrong", f"Basic {KEY}", "Bearer"])
def test_a_wrong_key_is_a_401(base_url: str, header: str | None):
    headers = {"Authorization": header} if header else {}
    for response in (httpx.get(f"{base_url}/models", headers=headers),
                     httpx.post(f"{base_url}/chat/completions", headers=headers, json={"messages": []})):  # fmt: skip
        assert (response.status_code, response.json()["error"]["code"]) == (401, "invalid_api_key")


def test_other_paths_and_methods_are_json_errors(base_url: str):
    headers = {"Authorization": f"Bearer {KEY}"}
    missing = httpx.get(base_url.replace("/v1", "/v1/nothing"), headers=headers)
    wrong = httpx.get(f"{base_url}/chat/completions", headers=headers)
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "not_found")
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (405, "method_not_allowed")


def test_no_key_configured_means_open_on_this_machine(assistant: Assistant):
    with serving(assistant, api_key=None) as url:
        assert httpx.get(f"{url}/models").json()["data"][0]["id"] == MODEL_ID


def test_the_retriever_returns_cited_documents(assistant: Assistant):
    from langchain_core.retrievers import BaseRetriever

    from assistant.langchain_adapters import AssistantRetriever

    retriever = AssistantRetriever(assistant=assistant, k=3, sentences=2)
    assert isinstance(retriever, BaseRetriever)
    documents = retriever.invoke(QUESTION)
    assert len(documents) == 3
    first = documents[0]
    assert first.metadata | {"score": 0} == {
        "doc": "opinion", "document": "《意见》", "article": 13, "paragraph": None,
        "label": "《意见》第13条（坚持严管厚爱）", "unit_id": "opinion/art13", "score": 0, "support": "full",
    }  # fmt: skip
    unit = assistant.corpus.unit("opinion/art13")
    assert first.page_content in unit.text or all(s in unit.text for s in re.split(r"(?<=。)", first.page_content))
    assert "完善容错纠错、澄清正名办法" in first.page_content
    assert [d.metadata["score"] for d in documents] == sorted((d.metadata["score"] for d in documents), reverse=True)


def test_the_chain_gives_the_cited_answer_and_reads_history(assistant: Assistant, expected: dict):
    from langchain_core.messages import AIMessage, HumanMessage

    from assistant.langchain_adapters import answer_chain, user_questions

    chain = answer_chain(assistant)
    assert chain.invoke({"question": QUESTION}).to_dict() == expected
    assert chain.invoke(QUESTION).to_dict() == expected
    histories = [
        ["第十三条讲什么"],
        [("user", "第十三条讲什么"), ("assistant", "…")],
        [{"role": "user", "content": "第十三条讲什么"}],
        [HumanMessage("第十三条讲什么"), AIMessage("…")],
    ]
    for history in histories:
        assert user_questions(history) == ["第十三条讲什么"]
        followed = chain.invoke({"question": "那第十一条呢？", "history": history})
        assert followed.citations[0].label == "《意见》第11条（树牢用人导向）"
    with pytest.raises(TypeError):
        chain.invoke({"q": QUESTION})


def _mcp_call(tool: str, arguments: dict, env: dict[str, str]) -> list:
    """Start the MCP server the README configures (its command and args, this interpreter), call ``tool``."""
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client

    config = json.loads(readme_example("mcp-config"))["mcpServers"]["shiganjia"]
    assert config["command"].endswith("/.venv/bin/python")  # the project's own interpreter, which has the packages
    command = sys.executable
    params = StdioServerParameters(command=command, args=config["args"], cwd=str(PROJECT_ROOT), env=env)

    async def run() -> list:
        with open(os.devnull, "w") as quiet:  # the server's notices on stderr
            async with stdio_client(params, errlog=quiet) as (read, write), ClientSession(read, write) as session:
                await session.initialize()
                names = [t.name for t in (await session.list_tools()).tools]
                result = await session.call_tool(tool, arguments)
                return [names, result, await session.call_tool("show_unit", {"reference": "第99条"})]

    return asyncio.run(run())


def _server_env(assistant: Assistant) -> dict[str, str]:
    settings = assistant.settings
    return {"ASSISTANT_INDEX_DIR": str(settings.index_dir), "ASSISTANT_CACHE_DIR": str(settings.cache_dir)}


@pytest.mark.slow
def test_the_mcp_server_answers_over_stdio(assistant: Assistant, expected: dict):
    names, answer, missing = _mcp_call("ask", {"question": QUESTION}, _server_env(assistant))
    assert names == ["ask", "show_unit", "search", "quiz"]
    assert not answer.is_error and answer.structured_content == expected
    assert missing.is_error and "没有第99条" in missing.content[0].text


@pytest.mark.slow
def test_the_mcp_quiz_and_search_tools(assistant: Assistant):
    _, quiz, _ = _mcp_call("quiz", {"articles": "11-13", "n": 5, "seed": 2}, _server_env(assistant))
    assert not quiz.is_error and quiz.content[0].text.lstrip().startswith("# 学习测验")
    assert "参考答案与解析" in quiz.content[0].text
    _, found, _ = _mcp_call("search", {"keywords": "火线提拔"}, _server_env(assistant))
    assert found.structured_content["matches"][0]["label"] == "《意见》第11条（树牢用人导向）"


@pytest.mark.slow
def test_the_readme_serve_command_and_openai_example(assistant: Assistant, expected: dict):
    """`serve` as the README starts it (on a free port), the chat-settings table, then the README's Python example."""
    port = free_port()
    command = readme_example("serve").replace("python -m", f"{sys.executable} -m").replace("8000", str(port))
    env = dict(os.environ, **_server_env(assistant))
    server = subprocess.Popen(command.split(), cwd=PROJECT_ROOT, env=env, stderr=subprocess.PIPE, text=True)
    try:
        settings = dict(re.findall(r"^\| ([^|]+?) \| `([^`]+)` \|$", readme_example("chat-settings"), re.M))
        base = settings["API base URL"].replace("8000", str(port))
        assert settings["model"] == MODEL_ID and settings["API key"] in command
        deadline = time.monotonic() + 120
        while True:
            try:
                request = urllib.request.Request(f"{base}/models", headers={"Authorization": f"Bearer {KEY}"})
                with urllib.request.urlopen(request, timeout=2):
                    break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, server.stderr.read()
                time.sleep(0.3)
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(readme_example("openai").replace("8000", str(port)), {})  # the README's own example
        answer = expected["answer"]
        assert printed.getvalue() == f"{answer}\n《意见》第13条（坚持严管厚爱）\n{answer}\n{answer}\n"
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_the_readme_langchain_example(assistant: Assistant, expected: dict, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(assistant.settings.index_dir))
    monkeypatch.setenv("ASSISTANT_CACHE_DIR", str(assistant.settings.cache_dir))
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(readme_example("langchain"), {})  # the README's own example
    labels, rest = printed.getvalue().split("\n", 1)
    assert labels.startswith("['《意见》第13条（坚持严管厚爱）'")
    assert rest == f"{expected['answer']}\n《意见》第11条（树牢用人导向）\n"


def test_the_cli_serve_command_reports_a_taken_port(assistant: Assistant, capsys: pytest.CaptureFixture):
    from assistant import cli

    taken = listen("127.0.0.1", free_port())
    taken.listen()  # a server is running there
    try:
        code = cli.main(["serve", "--port", str(taken.getsockname()[1])], assistant=assistant)
    finally:
        taken.close()
    assert code == 1 and "cannot serve on 127.0.0.1" in capsys.readouterr().err  # as app.py


@pytest.mark.parametrize(
    "reply",
    [
        "落实“三个区分开来”要求，完善容错纠错、澄清正名办法[第13条]。干部退休年龄是65岁[第13条]。",  # one claim dropped
        "![x](http://host.invalid/x.png) 奖金50万元。",  # nothing supported: the extractive answer instead
    ],
)
def test_an_llm_answer_is_guarded_and_streamed_whole(assistant: Assistant, reply: str):
    """With a chat model, the endpoint serves the guarded answer: the streamed text is the finished answer's text and
    nothing the guard dropped reaches the client."""
    from tests.test_llm import fake, with_llm

    with serving(with_llm(assistant, fake(reply, reply)), api_key=None) as url:
        client = openai.OpenAI(base_url=url, api_key="unused")
        messages = [{"role": "user", "content": QUESTION}]
        plain = client.chat.completions.create(model=MODEL_ID, messages=messages)
        chunks = list(client.chat.completions.create(model=MODEL_ID, messages=messages, stream=True))
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks)
    final = chunks[-1].model_extra["shiganjia"]["answer"]
    assert streamed == final["answer"] == plain.choices[0].message.content
    assert "65" not in streamed and "50万" not in streamed and "host.invalid" not in streamed


@pytest.mark.parametrize(
    "body",
    [
        b'{"model": "\\ud800", "messages": [{"role": "user", "content": "\\u7b2c13\\u6761"}]}',
        b'{"stream": true, "model": "\\udfff", "messages": [{"role": "user", "content": "x"}]}',
        b'{"stream": true, "messages": [{"role": "user", "content": ""}]}',
        ('{"stream": true, "messages": [{"role": "user", "content": "' + "问" * 10_000 + '"}]}').encode(),
        b'{"messages": [{"role": "user", "content": "' + "问".encode() * 10_000 + b'"}]}',
    ],
)
def test_the_attack_reports_requests_get_a_400_before_any_stream(base_url: str, body: bytes):
    """A lone surrogate in the model name gave a 500 (a dropped stream); an empty or over-long streamed question gave
    200 with an error event."""
    response = httpx.post(f"{base_url}/chat/completions", content=body, headers={"Authorization": f"Bearer {KEY}"})
    assert response.status_code == 400 and response.headers["content-type"].startswith("application/json")
    assert response.json()["error"]["code"] in ("invalid_json", "invalid_question")


def test_a_body_that_stops_arriving_is_a_408(assistant: Assistant, monkeypatch: pytest.MonkeyPatch):
    import socket

    import assistant.serve.openai_api as openai_api

    monkeypatch.setattr(openai_api, "BODY_SECONDS", 0.5)
    with serving(assistant, api_key=None) as url:
        host, port = url.split("//")[1].split("/")[0].split(":")
        with socket.create_connection((host, int(port)), timeout=10) as connection:
            connection.sendall(b'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n{"mes')
            received = b""
            while b"request_timeout" not in received and (chunk := connection.recv(4096)):
                received += chunk  # the headers and the body may arrive in separate reads
    reply = received.decode()
    assert reply.startswith("HTTP/1.1 408") and "request_timeout" in reply


@pytest.mark.parametrize("key", ["", " k ", "密钥", "a\tb"])
def test_an_api_key_no_client_could_send_is_refused_at_start(key: str):
    from assistant.base.errors import ConfigError
    from assistant.serve.openai_api import checked_api_key

    with pytest.raises(ConfigError, match="printable ASCII"):
        checked_api_key(key)
    assert checked_api_key(None) is None and checked_api_key("change-me") == "change-me"


@pytest.mark.parametrize("markup", ["“![x](http://e/x.png)”是什么", "什么是“[松绑减压](http://x)”？"])
def test_the_endpoint_never_returns_markup_from_the_question(base_url: str, markup: str):
    from assistant.answering.guard import has_markup

    client = openai.OpenAI(base_url=base_url, api_key=KEY)
    reply = client.chat.completions.create(model=MODEL_ID, messages=[{"role": "user", "content": markup}])
    assert not has_markup(reply.choices[0].message.content)


@pytest.mark.slow
def test_mcp_quiz_rejects_a_question_count_below_one(assistant: Assistant):
    _, quiz, _ = _mcp_call("quiz", {"articles": "11-13", "n": -5}, _server_env(assistant))
    assert quiz.is_error and "n is the number of questions" in quiz.content[0].text


def test_usage_is_streamed_when_asked_and_n_must_be_one(base_url: str, expected: dict):
    from langchain_openai import ChatOpenAI

    client = openai.OpenAI(base_url=base_url, api_key=KEY)
    messages = [{"role": "user", "content": QUESTION}]
    chunks = list(client.chat.completions.create(model=MODEL_ID, messages=messages, stream=True,
                                                 stream_options={"include_usage": True}))  # fmt: skip
    assert chunks[-1].choices == [] and chunks[-1].usage.total_tokens == 0
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == expected["answer"]
    chat = ChatOpenAI(base_url=base_url, api_key=KEY, model=MODEL_ID, stream_usage=True)
    assert "".join(piece.content for piece in chat.stream(QUESTION)) == expected["answer"]
    with pytest.raises(openai.BadRequestError, match="n must be 1"):
        client.chat.completions.create(model=MODEL_ID, messages=messages, n=3)
