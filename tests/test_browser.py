"""The web app in headless Chromium: the mission question, source cards, the article browser, and an XSS attempt.

Needs Debian's chromium (``.ci/run`` installs it) and the playwright package; the screenshot is saved to
tests/artifacts/chat.png.
"""

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from assistant import Assistant
from assistant.base.config import PROJECT_ROOT
from tests.test_app import free_port

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = PROJECT_ROOT / "tests" / "artifacts"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="needs Debian chromium: apt-get install chromium fonts-noto-cjk"),
]
playwright_api = pytest.importorskip("playwright.sync_api")


@contextmanager
def running_app(assistant: Assistant, cache_dir: Path, **env: str) -> Iterator[str]:
    """``python app.py`` on a free port (the session's index, so start-up is quick, and ``env``); yields its URL."""
    port = free_port()
    env = dict(
        os.environ,
        ASSISTANT_INDEX_DIR=str(assistant.settings.index_dir),
        ASSISTANT_CACHE_DIR=str(cache_dir),
        ASSISTANT_APP_PORT=str(port),
        **env,
    )
    process = subprocess.Popen(
        [sys.executable, "app.py"], cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            if process.poll() is not None:
                pytest.fail(process.stdout.read().decode(errors="replace"))
            time.sleep(0.5)
    else:
        process.kill()
        pytest.fail("the app did not start within 180 s")
    try:
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


@contextmanager
def browser_page(server: str):
    """A Chromium tab on ``server`` that records every request to another host in ``tab.external_requests``."""
    external: list[str] = []
    with playwright_api.sync_playwright() as driver:
        browser = driver.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-quic"],
        )  # fmt: skip
        tab = browser.new_page(viewport={"width": 1400, "height": 1000})
        tab.on("request", lambda r: None if r.url.startswith((server, "data:", "blob:")) else external.append(r.url))
        tab.goto(server)
        tab.external_requests = external
        try:
            yield tab
        finally:
            browser.close()


@pytest.fixture(scope="module")
def server(assistant: Assistant, cache_dir: Path):
    with running_app(assistant, cache_dir) as url:
        yield url


@pytest.fixture(scope="module")
def page(server: str):
    with browser_page(server) as tab:
        yield tab


def _ask(page, question: str) -> None:
    page.get_by_role("tab", name="问答").click()
    page.locator("#question textarea").fill(question)
    page.locator("#send").click()


def test_mission_question_cites_article_13_with_its_quote(page):
    _ask(page, "容错纠错 applies when?")
    card = page.locator("#sources .card").first
    card.wait_for(timeout=30_000)
    assert card.locator(".card-title").inner_text() == "《意见》第13条（坚持严管厚爱）"
    quote = card.locator("blockquote.quote").first.inner_text()
    assert "完善容错纠错、澄清正名办法" in quote
    card.locator("summary").click()
    assert card.locator("mark").first.inner_text() == quote
    assert "坚持严管厚爱" in card.locator(".unit-text").inner_text()
    page.get_by_text("《评论员文章》第6段").first.wait_for()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "chat.png"), full_page=True)
    assert page.locator("#chat").get_by_text("《意见》第13条（坚持严管厚爱）：“强化组织").count() >= 1


def test_article_browser_jump_and_search(page):
    page.get_by_role("tab", name="条文浏览").click()
    page.locator("#jump textarea").fill("第13条")
    page.locator("#go").click()
    heading = page.locator("#unit-view h3").first
    heading.wait_for(timeout=15_000)
    assert heading.inner_text() == "《意见》第13条（坚持严管厚爱）"
    page.locator("#keywords textarea").fill("火线提拔")
    page.locator("#find").click()
    page.locator("#unit-view mark").first.wait_for(timeout=15_000)
    assert page.locator("#unit-view mark").first.inner_text() == "火线提拔"


def test_script_in_a_question_is_shown_not_run(page):
    attack = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'
    _ask(page, attack)
    page.locator("#sources .card.refusal").wait_for(timeout=30_000)
    assert page.evaluate("window.__xss") is None
    assert page.locator("#chat").get_by_text('<img src=x onerror="window.__xss=1">', exact=False).count() >= 1


def test_markdown_image_in_a_question_is_shown_not_fetched(page):
    attack = "![x](http://host.invalid/x.png) 火线提拔"
    _ask(page, attack)
    page.locator("#chat").get_by_text(attack, exact=False).first.wait_for(timeout=30_000)
    assert page.locator("#chat img").count() == 0 and page.locator("#chat a[href*='host']").count() == 0


def test_entities_in_a_question_are_shown_as_typed(page):
    typed = "年轻干部 &lt;b&gt;x&lt;/b&gt; &amp; 火线提拔"
    _ask(page, typed)
    page.locator("#chat").get_by_text(typed, exact=False).first.wait_for(timeout=30_000)
    assert page.locator("#chat b").count() == 0


def test_training_tab_previews_a_paper_with_real_blanks_and_options_on_their_own_lines(page):
    page.get_by_role("tab", name="培训备课").click()
    page.locator("#scope-value textarea").fill("11-13")
    page.locator("#make").click()
    page.locator("#preview h2").first.wait_for(timeout=60_000)
    choice = page.locator("#preview li").filter(has_text="A. ").first
    lines = choice.inner_text().splitlines()
    assert [line.strip()[:2] for line in lines[1:5]] == ["A.", "B.", "C.", "D."]  # each option on a line of its own
    blank = page.locator("#preview li").filter(has_text="（\u3000\u3000\u3000\u3000）").first
    assert blank.count() == 1
    box = blank.bounding_box()
    assert box is not None and box["width"] > 0
    links = page.locator("#download a[download]")
    links.first.wait_for(timeout=30_000)
    names = {links.nth(i).get_attribute("download") for i in range(links.count())}
    assert names == {"学习测验（学员卷）.docx", "学习测验（参考答案）.docx"}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "quiz-page.png"), full_page=True)


def test_no_request_leaves_the_machine(page):
    assert page.external_requests == []
