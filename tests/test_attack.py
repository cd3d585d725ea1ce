"""The attack battery of eval/attack.py, run in CI: at least 500 bad inputs through the CLI batch and the web API,
and the CLI commands, with zero tracebacks, hangs, wrong exit codes or results and non-verbatim quotes."""

import os
import sys
from pathlib import Path

import pytest

from assistant import Assistant
from assistant.base.config import PROJECT_ROOT

sys.path.insert(0, str(PROJECT_ROOT / "eval"))
import attack

pytestmark = pytest.mark.slow


def test_the_battery_finds_nothing(assistant: Assistant, cache_dir: Path):
    pytest.importorskip("gradio")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_LLM_")}
    env.update(ASSISTANT_INDEX_DIR=str(assistant.settings.index_dir), ASSISTANT_CACHE_DIR=str(cache_dir))
    results = attack.run(assistant, env)
    print(attack.report(results))
    tried = {r.channel: r.tried for r in results}
    assert min(tried["cli batch"], tried["web /ask"], tried["web /api/ask"]) >= 500 and tried["cli commands"] >= 100
    assert [r.channel for r in results if not r.clean] == [], attack.report(results)


def test_the_battery_is_the_same_every_time():
    lines = attack.battery()
    assert lines == attack.battery() and len(lines) == len(set(lines)) >= 500
    assert b"caf" not in lines and any(b"\xff" in line for line in lines)
