"""Benchmark (not a test): build time, cold ``ask``, warm latency p50/p95, peak memory, torch check."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from .assistant import Assistant
from .config import PROJECT_ROOT, Settings

__all__ = ["benchmark_questions", "contention", "run_benchmark"]

_COLD_QUESTION = "容错纠错 applies when?"


def benchmark_questions() -> list[str]:
    """The dev split's questions (``eval/dev.jsonl``)."""
    path = PROJECT_ROOT / "eval" / "dev.jsonl"
    return [json.loads(line)["question"] for line in path.open(encoding="utf-8") if line.strip()]


def _peak_rss_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def _cold_ask(env: dict[str, str]) -> tuple[float, bool]:
    """Seconds from process start to answer for one ``ask --json``, and whether it imported torch."""
    probe = (
        "import runpy, sys\n"
        f"sys.argv = ['assistant', 'ask', '--json', {_COLD_QUESTION!r}]\n"
        "try:\n    runpy.run_module('assistant', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "sys.stderr.write('torch=%s\\n' % ('torch' in sys.modules))\n"
    )
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, cwd=PROJECT_ROOT, check=True
    )
    elapsed = time.perf_counter() - started
    json.loads(result.stdout)
    return elapsed, "torch=True" in result.stderr


def _bare_start() -> float:
    """Seconds for a bare ``python -c "import numpy, faiss"``: the floor any cold ask stands on (median of 3)."""
    runs = []
    for _ in range(3):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import numpy, faiss"], check=True)
        runs.append(time.perf_counter() - started)
    return float(np.median(runs))


def _warm_latencies(assistant: Assistant, questions: list[str], rounds: int) -> list[float]:
    latencies = []
    for _ in range(rounds):
        for question in questions:
            began = time.perf_counter()
            assistant.ask(question)
            latencies.append((time.perf_counter() - began) * 1000)
    return latencies


def _busy_processes(count: int) -> list[subprocess.Popen]:
    """``count`` processes that keep one core each busy (pure-Python loops), as other users of a shared machine do."""
    loop = "import time\nend = time.monotonic() + 3600\nwhile time.monotonic() < end:\n    pass\n"
    return [subprocess.Popen([sys.executable, "-c", loop]) for _ in range(count)]


def contention(assistant: Assistant, questions: list[str], busy: int, rounds: int = 1) -> dict[str, float]:
    """Warm p95 on a quiet machine and with ``busy`` CPU-bound processes running, measured in the same run."""
    quiet = _warm_latencies(assistant, questions, rounds)
    workers = _busy_processes(busy)
    try:
        time.sleep(0.5)
        loaded = _warm_latencies(assistant, questions, rounds)
    finally:
        for worker in workers:
            worker.kill()
            worker.wait()
    quiet_p95, loaded_p95 = float(np.percentile(quiet, 95)), float(np.percentile(loaded, 95))
    return {"quiet_p95_ms": quiet_p95, "loaded_p95_ms": loaded_p95, "loaded_ratio": loaded_p95 / quiet_p95}


def run_benchmark(rounds: int = 3, busy: int = 0) -> dict[str, float]:
    """Print and return the benchmark numbers; uses a temporary index so the user's stays untouched.

    With ``busy`` > 0, also measure the warm p95 while that many CPU-bound processes run (``--contention``).
    """
    with tempfile.TemporaryDirectory(prefix="assistant-bench-") as scratch:
        settings = Settings(index_dir=Path(scratch) / "index")
        started = time.perf_counter()
        assistant = Assistant(settings, rebuild=True)
        build_s = time.perf_counter() - started
        env = dict(os.environ, ASSISTANT_INDEX_DIR=str(settings.index_dir))
        cold_runs = [_cold_ask(env) for _ in range(3)]
        cold_s = float(np.median([seconds for seconds, _ in cold_runs]))
        bare_s = _bare_start()
        torch_loaded = any(flag for _, flag in cold_runs) or "torch" in sys.modules
        questions = benchmark_questions()
        for question in questions:  # warm-up pass
            assistant.ask(question)
        latencies = _warm_latencies(assistant, questions, rounds)
        loaded = contention(assistant, questions, busy) if busy else {}
    numbers = {
        "build_s": build_s,
        "cold_ask_s": cold_s,
        "bare_start_s": bare_s,
        "warm_p50_ms": float(np.percentile(latencies, 50)),
        "warm_p95_ms": float(np.percentile(latencies, 95)),
        "warm_questions": float(len(latencies)),
        "peak_rss_mb": _peak_rss_mb(resource.RUSAGE_SELF),
        "peak_rss_cold_ask_mb": _peak_rss_mb(resource.RUSAGE_CHILDREN),
        **loaded,
    }
    print(f"embedders            {', '.join(settings.embedders) or 'none'}")
    print(f"index build          {build_s:.2f} s   (target <= 20 s)")
    print(
        f"cold ask             {cold_s:.2f} s   (median of 3 processes), {cold_s / bare_s:.1f}x a bare "
        f'`python -c "import numpy, faiss"` ({bare_s:.2f} s)'
    )
    print(
        f"warm latency         p50 {numbers['warm_p50_ms']:.1f} ms, p95 {numbers['warm_p95_ms']:.1f} ms "
        f"over {len(latencies)} questions (target p95 <= 30 ms)"
    )
    print(
        f"peak RSS             {numbers['peak_rss_mb']:.0f} MB (this process), "
        f"{numbers['peak_rss_cold_ask_mb']:.0f} MB (cold ask)"
    )
    if loaded:
        print(
            f"under contention     p95 {loaded['quiet_p95_ms']:.1f} ms quiet, {loaded['loaded_p95_ms']:.1f} ms with "
            f"{busy} busy processes: ratio {loaded['loaded_ratio']:.2f} (target <= 3)"
        )
    print(f"torch imported       {'yes' if torch_loaded else 'no'}")
    return numbers
