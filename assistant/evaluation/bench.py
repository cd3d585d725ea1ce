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

from ..assistant import Assistant
from ..base.config import PROJECT_ROOT, Settings
from ..search.index import DenseIndex, dense_index, one_blas_thread

__all__ = [
    "benchmark_questions",
    "busy_processes",
    "contention",
    "hnsw_against_flat",
    "run_benchmark",
    "run_scale",
    "synthetic_corpus",
]

_COLD_QUESTION = "容错纠错 applies when?"


def benchmark_questions() -> list[str]:
    """The dev split's questions (``eval/dev.jsonl``)."""
    path = PROJECT_ROOT / "eval" / "dev.jsonl"
    return [json.loads(line)["question"] for line in path.open(encoding="utf-8") if line.strip()]


def _peak_rss_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def _cold_ask(env: dict[str, str]) -> tuple[float, bool]:
    """Seconds from process start to answer for one ``ask --json``, and whether it imported torch."""
    probe = (  # ``ask`` leaves through os._exit, so the probe reports on its way out there
        "import os, runpy, sys\n"
        "leave = os._exit\n"
        "def report(code):\n"
        "    sys.stderr.write('torch=%s\\n' % ('torch' in sys.modules))\n"
        "    sys.stderr.flush()\n"
        "    leave(code)\n"
        "os._exit = report\n"
        f"sys.argv = ['assistant', 'ask', '--json', {_COLD_QUESTION!r}]\n"
        "runpy.run_module('assistant', run_name='__main__')\n"
        "report(0)\n"
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


def _normalization_ms(assistant: Assistant, questions: list[str]) -> float:
    """Mean milliseconds of question normalization (script, width, separators, term repair) per question."""
    began = time.perf_counter()
    for question in questions:
        assistant.normalizer.normalize(question)
    return (time.perf_counter() - began) * 1000 / max(1, len(questions))


def busy_processes(count: int) -> list[subprocess.Popen]:
    """``count`` processes that keep one core each busy (pure-Python loops), as other users of a shared machine do."""
    loop = "import time\nend = time.monotonic() + 3600\nwhile time.monotonic() < end:\n    pass\n"
    return [subprocess.Popen([sys.executable, "-c", loop]) for _ in range(count)]


def contention(assistant: Assistant, questions: list[str], busy: int, rounds: int = 1) -> dict[str, float]:
    """Warm p95 on a quiet machine and with ``busy`` CPU-bound processes running, measured in the same run."""
    quiet = _warm_latencies(assistant, questions, rounds)
    workers = busy_processes(busy)
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
        assistant = Assistant.from_settings(settings, rebuild=True)
        build_s = time.perf_counter() - started
        env = dict(os.environ, ASSISTANT_INDEX_DIR=str(settings.index_dir))
        cold_runs = [_cold_ask(env) for _ in range(3)]
        cold_s = float(np.median([seconds for seconds, _ in cold_runs]))
        bare_s = _bare_start()
        # read before the busy processes start: a child forked from this process counts its pages until it execs
        cold_rss_mb = _peak_rss_mb(resource.RUSAGE_CHILDREN)
        torch_loaded = any(flag for _, flag in cold_runs) or "torch" in sys.modules
        questions = benchmark_questions()
        for question in questions:  # warm-up pass
            assistant.ask(question)
        latencies = _warm_latencies(assistant, questions, rounds)
        normalize_ms = _normalization_ms(assistant, questions)
        loaded = contention(assistant, questions, busy) if busy else {}
    numbers = {
        "build_s": build_s,
        "cold_ask_s": cold_s,
        "bare_start_s": bare_s,
        "warm_p50_ms": float(np.percentile(latencies, 50)),
        "warm_p95_ms": float(np.percentile(latencies, 95)),
        "warm_questions": float(len(latencies)),
        "normalize_mean_ms": normalize_ms,
        "peak_rss_mb": _peak_rss_mb(resource.RUSAGE_SELF),
        "peak_rss_cold_ask_mb": cold_rss_mb,
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
        f"over {len(latencies)} questions (target p95 <= 15 ms)"
    )
    print(f"normalization        mean {normalize_ms:.3f} ms per question (target <= 2 ms)")
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


_SCALE_QUESTIONS = 100
_LOAD_PROBE = (  # a fresh process, as a server would be: load the built index, then answer the questions warm
    "import json, resource, sys, time\n"
    "started = time.perf_counter()\n"
    "from assistant import Assistant\n"
    "from assistant.evaluation.bench import benchmark_questions, hnsw_against_flat\n"
    "assistant = Assistant.from_settings()\n"
    "startup = time.perf_counter() - started\n"
    "questions = benchmark_questions()[:int(sys.argv[1])]\n"
    "for question in questions[:10]:\n"
    "    assistant.ask(question)\n"
    "latencies = []\n"
    "for question in questions:\n"
    "    began = time.perf_counter()\n"
    "    assistant.ask(question)\n"
    "    latencies.append((time.perf_counter() - began) * 1000)\n"
    "rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
    "units = len(assistant.index.units)\n"
    "graph = hnsw_against_flat(assistant, questions)\n"
    "print(json.dumps([startup, rss, latencies, units, graph]))\n"
)


def synthetic_corpus(source: Path, copies: int, folder: Path) -> Path:
    """``copies`` copies of every document in ``source`` written to ``folder``, each clearly labelled synthetic: a
    distinct title and short name (《意见·合成3》), and the commentary's paragraphs shuffled (a fixed seed per copy).
    Never written into the project's ``corpus/``."""
    import random

    if folder.resolve() == (PROJECT_ROOT / "corpus").resolve():
        raise ValueError("synthetic corpora never go into corpus/")
    folder.mkdir(parents=True, exist_ok=True)
    for text_path in sorted(source.glob("*.txt")):
        meta = json.loads(text_path.with_suffix(".json").read_text(encoding="utf-8"))
        lines = text_path.read_text(encoding="utf-8").splitlines()
        for copy in range(1, copies + 1):
            label = f"（合成副本{copy}）"
            body = lines[1:]
            if meta.get("kind") == "commentary":
                head, paragraphs = body[:1], body[1:]
                random.Random(copy).shuffle(paragraphs)
                body = head + paragraphs
            stem = f"{text_path.stem}-synthetic-{copy:04d}"
            (folder / f"{stem}.txt").write_text("\n".join([lines[0] + label, *body]) + "\n", encoding="utf-8")
            short = meta.get("short", f"《{text_path.stem}》").rstrip("》") + f"·合成{copy}》"
            copied = dict(meta, title=meta.get("title", lines[0]) + label, short=short)
            (folder / f"{stem}.json").write_text(json.dumps(copied, ensure_ascii=False), encoding="utf-8")
    return folder


def _folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.iterdir() if p.is_file())


def hnsw_against_flat(assistant: Assistant, questions: list[str], k: int = 10) -> tuple[float, float, float]:
    """Recall@k of an HNSW graph over the first embedder's vectors against the exact (flat) top k, and the mean
    search time of each in ms; NaNs when the index has no exact dense part.

    A row found counts when its score reaches the exact k-th score: synthetic copies hold identical vectors, so
    which of several tied rows comes back is arbitrary.
    """
    dense = next((d for d in assistant.index.dense.values() if d.exact), None)
    if dense is None or dense.index.ntotal < k:
        return float("nan"), float("nan"), float("nan")
    graph = DenseIndex(dense.embedder, dense_index(dense.matrix, flat_max_rows=0))
    found, flat_s, graph_s = 0, 0.0, 0.0
    for question in questions:
        query = dense.embedder.embed_question(question)[None, :].astype(np.float32)
        with one_blas_thread():  # as DenseIndex.scores runs it
            started = time.perf_counter()
            scores = dense.matrix @ query[0]
            kth = float(scores[np.argsort(-scores, kind="stable")[k - 1]])
            flat_s += time.perf_counter() - started
            started = time.perf_counter()
            found_scores, _ = graph.index.search(query, k)
            graph_s += time.perf_counter() - started
        found += int((found_scores[0] >= kth - 1e-6).sum())
    return found / (k * len(questions)), 1000 * flat_s / len(questions), 1000 * graph_s / len(questions)


def run_scale(sizes: list[int]) -> list[dict[str, float]]:
    """Build, load and query synthetic corpora of ``sizes`` times the real one; print a table and the fitted growth.

    The build runs as ``python -m assistant build`` (its time includes that process's start); start-up, peak RSS, the
    warm latencies (the first 100 dev questions) and the HNSW check come from a fresh process that loads the built
    index, as a server would.

    Uses the configured embedders (``ASSISTANT_EMBEDDERS``; ``none`` measures BM25 alone, which is quick).
    """
    rows = []
    print(f"{'size':>5} {'units':>7} {'build s':>8} {'index MB':>9} {'start-up s':>10} {'RSS MB':>7} "
          f"{'p50 ms':>7} {'p95 ms':>7}   HNSW recall@10, search ms flat / HNSW")  # fmt: skip
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix="assistant-scale-") as scratch:
            corpus_dir = synthetic_corpus(PROJECT_ROOT / "corpus", size, Path(scratch) / "corpus")
            index_dir = Path(scratch) / "index"
            env = dict(os.environ, ASSISTANT_CORPUS_DIR=str(corpus_dir), ASSISTANT_INDEX_DIR=str(index_dir))
            env.pop("ASSISTANT_LLM_BASE_URL", None)
            # the build and the measurements each run in a process of their own, so nothing one leaves running
            # (model threads, worker processes) shares the cores with the other
            started = time.perf_counter()
            subprocess.run([sys.executable, "-m", "assistant", "build"], env=env, cwd=PROJECT_ROOT, check=True,
                           stdout=subprocess.DEVNULL)  # fmt: skip
            build_s = time.perf_counter() - started
            probe = subprocess.run([sys.executable, "-c", _LOAD_PROBE, str(_SCALE_QUESTIONS)], capture_output=True,
                                   text=True, env=env, cwd=PROJECT_ROOT, check=True)  # fmt: skip
            startup_s, rss_mb, latencies, units, (recall, flat_ms, hnsw_ms) = json.loads(probe.stdout.splitlines()[-1])
            row = {
                "size": size, "units": units, "build_s": build_s,
                "index_mb": _folder_bytes(index_dir) / 2**20, "startup_s": startup_s, "rss_mb": rss_mb,
                "p50_ms": float(np.percentile(latencies, 50)), "p95_ms": float(np.percentile(latencies, 95)),
                "hnsw_recall": recall, "flat_ms": flat_ms, "hnsw_ms": hnsw_ms,
            }  # fmt: skip
        rows.append(row)
        graph = f"{recall:.3f}, {flat_ms:.2f} / {hnsw_ms:.2f}" if recall == recall else "no dense index"
        print(f"{size:>5} {row['units']:>7} {build_s:>8.1f} {row['index_mb']:>9.1f} {startup_s:>10.2f} "
              f"{rss_mb:>7.0f} {row['p50_ms']:>7.1f} {row['p95_ms']:>7.1f}   {graph}")  # fmt: skip
    if len(rows) >= 2:
        sizes_log = np.log([r["size"] for r in rows])
        for key in ("build_s", "startup_s", "p95_ms"):
            slope = np.polyfit(sizes_log, np.log([max(r[key], 1e-6) for r in rows]), 1)[0]
            print(f"growth of {key:<10} ~ size^{slope:.2f}")
    return rows
