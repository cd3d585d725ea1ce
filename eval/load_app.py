"""Load benchmark for the web app (not a test): N concurrent gradio_client clients against a local server.

    python eval/load_app.py                 # starts `python app.py` on a free port, N = 1, 10, 50
    python eval/load_app.py --url http://127.0.0.1:7860/ --clients 10 --requests 20

Prints p50/p95 latency and the error count per N. Traffic goes only to the local server; loops are bounded.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def _questions() -> list[str]:
    lines = (ROOT / "eval" / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["question"] for line in lines if line.strip()]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start_server() -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = dict(os.environ, ASSISTANT_APP_PORT=str(port), ASSISTANT_APP_HOST="127.0.0.1")
    process = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    for _ in range(600):
        try:
            with urllib.request.urlopen(url, timeout=2):
                return process, url
        except OSError:
            if process.poll() is not None:
                raise SystemExit("the app exited during start-up") from None
            time.sleep(0.5)
    process.kill()
    raise SystemExit("the app did not start within 5 minutes")


def _drive(url: str, clients: int, per_client: int, questions: list[str]) -> tuple[list[float], int]:
    from gradio_client import Client

    connections = [Client(url, verbose=False) for _ in range(clients)]
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()

    def work(number: int, client: Client) -> None:
        for step in range(per_client):
            question = questions[(number * per_client + step) % len(questions)]
            started = time.perf_counter()
            try:
                result = client.predict(question, api_name="/ask")
                failed = "answer" not in result
            except Exception:
                failed = True
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)
                errors[0] += failed

    threads = [threading.Thread(target=work, args=(n, c)) for n, c in enumerate(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running app; default: start `python app.py` on a free port")
    parser.add_argument("--clients", default="1,10,50", help="comma-separated client counts (default 1,10,50)")
    parser.add_argument("--requests", type=int, default=200, help="requests per round, split across clients")
    args = parser.parse_args()
    process, url = (None, args.url) if args.url else _start_server()
    questions = _questions()
    try:
        print(f"server {url}; {args.requests} requests per round through /ask")
        print(f"{'clients':>8} {'requests':>9} {'p50 ms':>8} {'p95 ms':>8} {'errors':>7} {'req/s':>7}")
        for clients in (int(c) for c in args.clients.split(",")):
            per_client = max(1, args.requests // clients)
            started = time.perf_counter()
            latencies, errors = _drive(url, clients, per_client, questions)
            wall = time.perf_counter() - started
            p50, p95 = np.percentile(latencies, [50, 95])
            print(f"{clients:>8} {len(latencies):>9} {p50:>8.1f} {p95:>8.1f} {errors:>7} {len(latencies) / wall:>7.1f}")
    finally:
        if process:
            process.terminate()
            process.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
