"""Load benchmark for the web app (not a test): N concurrent clients against a local server.

    python eval/load_app.py                 # starts `python app.py` on a free port, N = 1, 10, 50, JSON API
    python eval/load_app.py --via gradio    # the same through Gradio's /ask with gradio_client
    python eval/load_app.py --via serve     # `python -m assistant serve`: streaming /v1/chat/completions
    python eval/load_app.py --url http://127.0.0.1:7860/ --clients 10 --requests 20

Prints p50/p95 latency, the error count and throughput per N, and the CPU time per request spent by the server
(when this script started it; Linux only) and by the clients, so one can see which side the two cores went to.
Traffic goes only to the local server; loops are bounded.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def _questions() -> list[str]:
    lines = (ROOT / "eval" / "dev.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["question"] for line in lines if line.strip()]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start_server(via: str) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = dict(os.environ, ASSISTANT_APP_PORT=str(port), ASSISTANT_APP_HOST="127.0.0.1")
    command = ["app.py"] if via != "serve" else ["-m", "assistant", "serve", "--port", str(port)]
    process = subprocess.Popen([sys.executable, *command], cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/" + ("v1/models" if via == "serve" else "")
    for _ in range(600):
        try:
            with urllib.request.urlopen(url, timeout=2):
                return process, url.removesuffix("v1/models")
        except OSError:
            if process.poll() is not None:
                raise SystemExit("the app exited during start-up") from None
            time.sleep(0.5)
    process.kill()
    raise SystemExit("the app did not start within 5 minutes")


def _server_cpu_seconds(process: subprocess.Popen | None) -> float | None:
    """User + system CPU time of the server process so far, from /proc; None when unknown."""
    try:
        fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (AttributeError, OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _gradio_askers(url: str, clients: int, share_tls: bool) -> list[Callable[[str], dict]]:
    import ssl

    from gradio_client import Client

    # gradio_client builds a fresh httpx client, and with it a TLS context (~18 ms of CPU), twice per request.
    # One shared, fully verifying context keeps the load generator from competing with the server for the CPU.
    tls = ssl.create_default_context() if share_tls else True
    connections = [Client(url, verbose=False, ssl_verify=tls) for _ in range(clients)]
    return [partial(client.predict, api_name="/ask") for client in connections]


def _json_ask(url: str, question: str) -> dict:
    body = json.dumps({"question": question}).encode()
    request = urllib.request.Request(url + "api/ask", data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.load(response)


def _stream_ask(client: object, url: str, question: str) -> dict:
    """One streamed chat completion through ``client`` (an httpx.Client): the text and the last chunk's extra."""
    body = {"model": "shiganjia", "stream": True, "messages": [{"role": "user", "content": question}]}
    text, extra = [], None
    with client.stream("POST", url + "v1/chat/completions", json=body, timeout=120) as response:
        response.raise_for_status()
        for line in response.iter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            chunk = json.loads(line[len("data: ") :])
            if "error" in chunk:
                return {}
            text += [choice["delta"].get("content") or "" for choice in chunk["choices"]]
            extra = chunk.get("shiganjia", extra)
    return {"answer": "".join(text)} if extra is not None and "".join(text) == extra["answer"]["answer"] else {}


def _drive(askers: list[Callable[[str], dict]], per_client: int, questions: list[str]) -> tuple[list[float], int]:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()

    def work(number: int, ask: Callable[[str], dict]) -> None:
        for step in range(per_client):
            question = questions[(number * per_client + step) % len(questions)]
            started = time.perf_counter()
            try:
                failed = "answer" not in ask(question)
            except Exception:
                failed = True
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)
                errors[0] += failed

    threads = [threading.Thread(target=work, args=(n, ask)) for n, ask in enumerate(askers)]
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
    parser.add_argument(
        "--via",
        choices=("api", "gradio", "serve"),
        default="api",
        help="api: POST /api/ask with plain HTTP (default); gradio: Gradio's /ask with gradio_client; serve: the"
        " OpenAI-compatible endpoint, each client streaming with its own keep-alive connection",
    )
    parser.add_argument(
        "--tls-per-request",
        action="store_true",
        help="let gradio_client build a TLS context per request, as it does by default (costs the clients CPU)",
    )
    args = parser.parse_args()
    try:
        rounds = [int(count) for count in args.clients.split(",")]
    except ValueError:
        parser.error(f"--clients takes comma-separated whole numbers, not {args.clients!r}")
    if min(rounds) < 1 or args.requests < 1:
        parser.error("--clients and --requests must be at least 1")
    process, url = (None, args.url) if args.url else _start_server(args.via)
    questions = _questions()
    try:
        route = {"api": "POST /api/ask", "gradio": "Gradio's /ask (gradio_client)",
                 "serve": "streaming POST /v1/chat/completions"}[args.via]  # fmt: skip
        print(f"server {url}; {args.requests} requests per round through {route}")
        print(
            f"{'clients':>8} {'requests':>9} {'p50 ms':>8} {'p95 ms':>8} {'errors':>7} {'req/s':>7}"
            f" {'server CPU ms/req':>18} {'client CPU ms/req':>18}"
        )
        for clients in rounds:
            per_client = max(1, args.requests // clients)
            server_before, client_before = _server_cpu_seconds(process), _own_cpu_seconds()
            started = time.perf_counter()
            if args.via == "api":
                askers = [partial(_json_ask, url)] * clients
            elif args.via == "serve":
                import httpx

                askers = [partial(_stream_ask, httpx.Client(), url) for _ in range(clients)]
            else:
                askers = _gradio_askers(url, clients, not args.tls_per_request)
            latencies, errors = _drive(askers, per_client, questions)
            wall = time.perf_counter() - started
            server_after, client_after = _server_cpu_seconds(process), _own_cpu_seconds()
            p50, p95 = np.percentile(latencies, [50, 95])
            count = len(latencies)
            server_cpu = "-" if server_before is None else f"{(server_after - server_before) / count * 1000:.1f}"
            client_cpu = f"{(client_after - client_before) / count * 1000:.1f}"
            print(
                f"{clients:>8} {count:>9} {p50:>8.1f} {p95:>8.1f} {errors:>7} {count / wall:>7.1f}"
                f" {server_cpu:>18} {client_cpu:>18}"
            )
    finally:
        if process:
            process.terminate()
            process.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
