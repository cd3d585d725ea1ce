"""The web app with an LLM endpoint that answers with links, images and HTML, in headless Chromium: only supported
claims reach the page, as text, and the browser requests nothing from any host but the app's."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from assistant import Assistant
from tests.test_browser import CHROMIUM, _ask, browser_page, running_app

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="needs Debian chromium: apt-get install chromium fonts-noto-cjk"),
]
pytest.importorskip("playwright.sync_api")
pytest.importorskip("langchain_openai")

OUTSIDE = "198.51.100.7"  # TEST-NET-2: never routed; any request to it fails the test
SUPPORTED = "完善容错纠错、澄清正名办法[第13条]。"
REPLY = (
    f"{SUPPORTED}![x](http://{OUTSIDE}/pixel.png)\n详见 http://{OUTSIDE}/more 。\n"
    f'<img src="http://{OUTSIDE}/y.png">\n[点此查看](http://{OUTSIDE}/z)\n<a href="http://{OUTSIDE}/w">链接</a>'
)


class HostileModel(BaseHTTPRequestHandler):
    """An OpenAI-compatible endpoint that streams one supported sentence among links, images and HTML."""

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        for start in range(0, len(REPLY), 9):
            delta = {"index": 0, "delta": {"content": REPLY[start : start + 9]}, "finish_reason": None}
            chunk = {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": body["model"]}
            chunk["choices"] = [delta]
            self.wfile.write(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode())
        self.wfile.write(b"data: [DONE]\n\n")

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def page(assistant: Assistant, cache_dir: Path):
    model = ThreadingHTTPServer(("127.0.0.1", 0), HostileModel)
    threading.Thread(target=model.serve_forever, daemon=True).start()
    endpoint = f"http://127.0.0.1:{model.server_address[1]}/v1"
    env = {"ASSISTANT_LLM_BASE_URL": endpoint, "ASSISTANT_LLM_MODEL": "hostile", "ASSISTANT_LLM_API_KEY": "k"}
    try:
        with running_app(assistant, cache_dir, **env) as url, browser_page(url) as tab:
            yield tab
    finally:
        model.shutdown()


def test_only_the_supported_claim_reaches_the_page_as_text(page):
    _ask(page, "容错纠错、澄清正名办法有什么要求？")
    page.locator("#sources .card").first.wait_for(timeout=60_000)
    chat = page.locator("#chat")
    chat.get_by_text("完善容错纠错、澄清正名办法[第13条]。").first.wait_for(timeout=30_000)
    assert OUTSIDE not in chat.inner_text()
    assert chat.locator("img").count() == 0 and chat.locator(f"a[href*='{OUTSIDE}']").count() == 0
    assert page.external_requests == []
