"""Command line: ``python -m assistant ask|build|rows|show|search|bench`` and the trainer tools.

Exit codes: 0 success, 1 an error of the assistant or nothing found, 2 bad input.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .answering.answer import Answer
from .assistant import Assistant, SearchMatch
from .base.config import PROJECT_ROOT, Settings
from .base.errors import AssistantError, ConfigError, EvalSetError, OutputError, QuestionError, UnitNotFoundError
from .base.files import FileProblem, atomic_write
from .options import add_llm_flags, llm_config
from .question.query import clean_question
from .search.index import row_texts
from .text.corpus import Corpus, Unit, load_corpus

if TYPE_CHECKING:
    from .training.material import Scope

__all__ = ["main"]

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_BAD_INPUT = 2
_ERROR = 1
_BAD_INPUT_ERRORS = (QuestionError, UnitNotFoundError, OutputError, ConfigError, EvalSetError)
_HIGHLIGHT = {True: ("\033[1;31m", "\033[0m"), False: ("【", "】")}


def _notify(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _assistant(
    args: argparse.Namespace, rebuild: bool = False, vectors: dict[str, np.ndarray] | None = None
) -> Assistant:
    """The assistant ``main`` was given, else one built from the settings and flags (a build always builds)."""
    given = getattr(args, "assistant", None)
    if given is not None and not rebuild:
        return given
    settings = replace(Settings(), llm=llm_config(args))
    if getattr(args, "workers", None) is not None:
        settings = replace(settings, build_workers=args.workers)
    progress = sys.stderr.isatty() or rebuild
    return Assistant.from_settings(settings, notify=_notify, progress=progress, rebuild=rebuild, vectors=vectors)


def _read_vectors(spec: str) -> tuple[str, np.ndarray]:
    """``NAME=FILE.npy`` → (embedder name, the matrix), with a clear error for a bad spec or file."""
    name, _, path = spec.partition("=")
    if not name or not path:
        raise ConfigError(f"--vectors takes NAME=FILE.npy (e.g. e5=vectors.npy), not {spec!r}")
    try:
        with open(path, "rb") as stream:
            if stream.read(6) != b"\x93NUMPY":
                raise ConfigError(f"{path} is not a .npy file; save the vectors with numpy.save")
        return name, np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise ConfigError(f"cannot read the vectors in {path}: {reason}; save them with numpy.save") from exc


def _rows(args: argparse.Namespace) -> int:
    """Print (or write) one JSON line per index row: its number, unit, sentence and the text that is embedded."""
    settings = Settings()
    rows, texts = row_texts(load_corpus(settings.corpus_dir, settings.max_file_bytes))
    lines = [
        json.dumps({"row": i, "unit": row.unit_id, "sentence": row.sentence, "text": text}, ensure_ascii=False)
        for i, (row, text) in enumerate(zip(rows, texts, strict=True))
    ]
    blob = ("\n".join(lines) + "\n").encode("utf-8")
    if args.output is None:
        sys.stdout.write(blob.decode("utf-8"))
        return 0
    try:
        atomic_write(Path(args.output), blob)
    except FileProblem as exc:
        raise OutputError(str(exc)) from exc
    print(f"Wrote {len(lines)} rows to {args.output}.", file=sys.stderr)
    return 0


def _stream_answer(assistant: Assistant, question: str) -> None:
    """Print the answer as it arrives (sentence by sentence when an LLM writes it)."""
    for event in assistant.stream(question):
        if event.text:
            print(event.text, end="", flush=True)
    print(flush=True)


def _print_json(answer: Answer) -> None:
    print(json.dumps(answer.to_dict(), ensure_ascii=False), flush=True)


def _questions_from_stdin() -> Iterable[str]:
    """Non-empty lines of stdin (ended by \n, \r\n or \r); bytes that are not UTF-8 become U+FFFD instead of ending
    the batch."""
    binary = getattr(sys.stdin, "buffer", None)
    for raw in binary if binary is not None else sys.stdin:
        text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
        for line in _LINE_BREAK.split(text):  # \r alone ends a line too (old Mac files)
            if line.strip():
                yield line


def _exit_code(problem: Exception) -> int:
    return _BAD_INPUT if isinstance(problem, _BAD_INPUT_ERRORS) else _ERROR


def _ask_one(assistant: Assistant, question: str, as_json: bool, in_batch: bool = False) -> None:
    if as_json:
        _print_json(assistant.ask(question))
        return
    _stream_answer(assistant, question)
    if in_batch:
        print(flush=True)  # a blank line between answers


def _ask(args: argparse.Namespace) -> int:
    if args.question != "-":
        clean_question(args.question)
        _ask_one(_assistant(args), args.question, args.json)
        return 0
    assistant = _assistant(args)
    status = 0
    for question in _questions_from_stdin():
        try:
            _ask_one(assistant, question, args.json, in_batch=True)
        except (BrokenPipeError, KeyboardInterrupt):
            raise
        except Exception as problem:  # one bad line reports itself and the batch goes on
            message = str(problem) if isinstance(problem, AssistantError) else f"internal error ({problem!r})"
            status = max(status, _exit_code(problem))
            if args.json:
                print(json.dumps({"question": question[:200], "error": message}, ensure_ascii=False), flush=True)
            else:
                print(f"error: {message}", file=sys.stderr, flush=True)
    return status


def _build(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    vectors = dict(_read_vectors(spec) for spec in args.vectors or [])
    assistant = _assistant(args, rebuild=True, vectors=vectors)
    index = assistant.index
    embedders = ", ".join(f"{d.embedder.name} ({d.index.d} dims)" for d in index.dense.values()) or "none"
    print(
        f"Built {assistant.settings.index_dir}: {len(index.units)} units, {len(index.sentence_rows)} sentences, "
        f"{len(assistant.segmenter.terms)} domain terms, embedders: {embedders}, "
        f"{time.perf_counter() - started:.1f} s."
    )
    return 0


def _show(args: argparse.Namespace) -> int:
    assistant = _assistant(args)
    for unit in assistant.show(" ".join(args.reference)):
        print(f"{unit.label}\n{unit.text}\n")
    return 0


def _highlight(match: SearchMatch, color: bool) -> str:
    from .web.render import mark_spans

    return mark_spans(match.sentence.text, match.spans, *_HIGHLIGHT[color])


def _search(args: argparse.Namespace) -> int:
    assistant = _assistant(args)
    matches = assistant.search(" ".join(args.keywords), limit=args.limit)
    if not matches:
        print(f"没有找到包含“{' '.join(args.keywords)}”的句子。", file=sys.stderr)
        return _ERROR
    color = args.color == "always" or (args.color == "auto" and sys.stdout.isatty())
    for match in matches:
        print(f"{match.unit.label}：{_highlight(match, color)}")
    return 0


def _eval(args: argparse.Namespace) -> int:
    from .answering.support import save_rule
    from .evaluation.evaluate import Evaluator, calibrate, check_floors, load_items, run_ablation
    from .evaluation.report import write_outputs

    if args.gate and args.split == "dev":
        raise ConfigError("--gate checks the test split against eval/floors.json: use --split test or both")
    if args.llm:
        return _eval_llm(args)
    args.no_llm = True  # the extractive answers; --llm scores the model's
    assistant = _assistant(args)
    progress = sys.stderr.isatty()
    if args.calibrate:
        rule, report = calibrate(assistant, load_items(args.dev), progress=progress)
        save_rule(rule, assistant.settings.embedders, report)
        print(f"calibrated on {report['fitted_on']}: {rule.thresholds()}")
        print(f"dev {report['dev']}; 5-fold cross-validated {report['cross_validated']}")
        assistant = assistant.with_rule(rule)
    runs = {}
    for split, path in (("dev", args.dev), ("test", args.test)):
        if args.split in (split, "both"):
            items = load_items(path)
            run = Evaluator(items, f"{split} split")(assistant, progress=progress)
            ablation = [] if args.no_ablation or split != "test" else run_ablation(assistant, items, progress=progress)
            runs[split] = (run, ablation, write_outputs(run, ablation, args.out / split))
    gated = runs.get("test")
    problems = check_floors(gated[0], args.floors) if args.gate and gated else []
    if args.json:
        summary = {
            split: {
                "metrics": run.metrics,
                "kinds": run.kinds,
                "categories": run.categories,
                "failed": [r.item.id for r in run.failures],
                "ablation": {r.name: r.metrics for r in ablation},
            }
            for split, (run, ablation, _) in runs.items()
        }
        summary["gate"] = problems
        print(json.dumps(summary, ensure_ascii=False))
    else:
        for split, (run, _, paths) in runs.items():
            metrics = run.metrics
            print(
                f"{split:4} primary {metrics['primary']:.3f} | hit@1 {metrics['hit@1']:.3f}"
                f" | key facts {metrics['key_fact_recall']:.3f} | support full {metrics['support_full']:.3f}"
                f" | false refusal {metrics['false_refusal']:.3f} | open handled {metrics['unanswerable_ok']:.3f}"
                f" | quotes {metrics['quote_validity']:.3f} | p95 {metrics['latency_p95_ms']:.1f} ms"
                f" | {len(run.failures)} failed; {paths['report']}"
            )
    for problem in problems:
        print(f"gate: {problem}", file=sys.stderr)
    return _ERROR if problems else 0


def _eval_llm(args: argparse.Namespace) -> int:
    from .evaluation.evaluate import load_items
    from .evaluation.llm_eval import evaluate_llm, write_llm_outputs

    assistant = _assistant(args)
    if assistant.generator is None:
        print("error: eval --llm needs an endpoint: set ASSISTANT_LLM_BASE_URL or give --llm-base-url", file=sys.stderr)
        return 2
    model = assistant.settings.llm.model if assistant.settings.llm else type(assistant.chat_model).__name__
    for split, path in (("dev", args.dev), ("test", args.test)):
        if args.split in (split, "both"):
            results = evaluate_llm(assistant, load_items(path), args.limit, progress=sys.stderr.isatty())
            summary, report = write_llm_outputs(results, model, args.out / split)
            print(
                f"{split:4} LLM {model}: kept {summary['kept']}/{summary['items']} | unsupported shown"
                f" {summary['unsupported_shown']} | key facts {summary['key_facts_llm']:.3f} (extractive"
                f" {summary['key_facts_extractive']:.3f}) | median first token {summary['first_token_median_s']} s,"
                f" total {summary['total_median_s']} s; {report}"
            )
    return 0


def _material_scope(args: argparse.Namespace) -> tuple[Scope, Corpus, Callable[[str], list[Unit]] | None]:
    """The scope of --articles/--part/--topic/--doc, the corpus, and (for a topic, which needs the index) how to find
    a topic's articles; without a topic only the corpus is read."""
    from .training.material import Scope

    scope = Scope(articles=args.articles, parts=args.part, topic=args.topic, document=args.doc)
    if args.topic is not None:
        assistant = _assistant(args)
        return scope, assistant.corpus, assistant.topic_units
    settings = Settings()
    return scope, load_corpus(settings.corpus_dir, settings.max_file_bytes), None


def _material(args: argparse.Namespace) -> int:
    """quiz / outline / glossary: the material of --articles/--part/--topic (and --doc), to stdout or -o."""
    from .training.export import write_material
    from .training.material import QuizOptions, exam_papers, study_material

    scope, corpus, topic_units = _material_scope(args)
    options = QuizOptions()
    if args.command == "quiz":
        types = tuple(t.strip() for t in re.split(r"[,，、]", args.types) if t.strip())
        options = QuizOptions(types, args.n, args.seed, args.difficulty)
    if args.command == "quiz" and args.key is not None:
        if args.output is None:
            raise OutputError("--key writes the answer key next to a paper: give the paper's file with -o")
        if args.key.resolve() == args.output.resolve():
            raise OutputError("-o and --key name the same file; the key would replace the paper")
        if args.key.is_dir():
            raise OutputError(f"{args.key} is a folder; give the key a file name ending in .docx or .md")
        paper, key, quiz = exam_papers(corpus, scope, topic_units, options)
        notice = quiz.shortfall
        written = [write_material(paper, args.output), write_material(key, args.key)]
    else:
        material, notice = study_material(corpus, args.command, scope, topic_units, options)
        written = [write_material(material, args.output)]
    if notice:
        print(notice, file=sys.stderr)
    if args.output is None:
        print(written[0], end="")
    else:
        print("\n".join(f"wrote {path}" for path in written))
    return 0


def _slides(args: argparse.Namespace) -> int:
    """slides: a lecture deck of --articles/--part/--topic (and --doc) written to -o (.pptx)."""
    from .training.material import lecture_slides

    scope, corpus, topic_units = _material_scope(args)
    deck = lecture_slides(corpus, scope, topic_units, args.seed)
    try:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(args.output, deck)
    except OSError as exc:
        reason = str(exc) if isinstance(exc, FileProblem) else f"cannot write {args.output}: {exc.strerror or exc}"
        raise OutputError(f"{reason}; choose a writable file path ending in .pptx") from exc
    print(f"wrote {args.output}")
    return 0


def _serve(args: argparse.Namespace) -> int:
    """serve: the OpenAI-compatible chat endpoint (``openai_api``) on --host/--port until interrupted."""
    import uvicorn

    from .serve.http_api import CONCURRENT_ANSWERS, FairGate, listen, server_settings
    from .serve.openai_api import MAX_CONNECTIONS, MODEL_ID, chat_api, checked_api_key

    api_key = checked_api_key(args.api_key if args.api_key is not None else os.environ.get("ASSISTANT_API_KEY") or None)
    assistant = args.assistant or Assistant.from_settings(
        server_settings(Settings(), llm_config(args)), notify=_notify, progress=sys.stderr.isatty()
    )
    try:
        listener = listen(args.host, args.port)
    except OSError as exc:  # exit 1 like app.py: not a bad option, the machine cannot serve there now
        raise AssistantError(
            f"cannot serve on {args.host}:{args.port}: the port is in use or the host is not an address of this "
            "machine; choose another --port or --host"
        ) from exc
    guarded = "with an API key" if api_key else "without an API key (set --api-key or ASSISTANT_API_KEY to require one)"
    print(f"实干家助手: OpenAI-compatible API at http://{args.host}:{args.port}/v1 (model {MODEL_ID}), {guarded}",
          file=sys.stderr)  # fmt: skip
    app = chat_api(assistant, FairGate(CONCURRENT_ANSWERS), api_key)
    config = uvicorn.Config(app, log_level="warning", timeout_keep_alive=30, limit_concurrency=MAX_CONNECTIONS)
    uvicorn.Server(config).run(sockets=[listener])
    return 0


def _mcp(args: argparse.Namespace) -> int:
    """mcp: the MCP server on stdin/stdout (``mcp_server``); notices and progress go to stderr."""
    from .serve.mcp_server import mcp_server

    assistant = _assistant(args)
    print("实干家助手: MCP server on stdio (tools: ask, show_unit, search, quiz)", file=sys.stderr, flush=True)
    mcp_server(assistant).run("stdio")
    return 0


def _port(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"must be a port number from 1 to 65535, not {text!r}")
    return int(text)


def _deck_path(text: str) -> Path:
    path = Path(text)
    if path.suffix.lower() != ".pptx":
        raise argparse.ArgumentTypeError(f"{text!r}: slides are written as .pptx (PowerPoint)")
    return path


def _bench(args: argparse.Namespace) -> int:
    from .evaluation.bench import run_benchmark

    if args.scale:
        from .evaluation.bench import run_scale

        run_scale(args.scale)
        return 0
    run_benchmark(rounds=args.rounds, busy=args.contention)
    return 0


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def _worker_count(text: str) -> int:
    if not text.strip().isdigit() or not 1 <= int(text) <= 64:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to 64, not {text!r}")
    return int(text)


def _sizes(text: str) -> list[int]:
    pieces = [p.strip() for p in text.split(",") if p.strip()]
    if not pieces or not all(p.isdigit() and 1 <= int(p) <= 10000 for p in pieces):
        raise argparse.ArgumentTypeError(f"must be comma-separated multiples from 1 to 10000, not {text!r}")
    return [int(p) for p in pieces]


def _material_path(text: str) -> Path:
    path = Path(text)
    if path.suffix.lower() not in (".docx", ".md", ".markdown"):
        raise argparse.ArgumentTypeError(f"{text!r}: write .docx (Word) or .md (Markdown)")
    return path


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m assistant",
        description="实干家助手: cited answers from the 「实干家」 Opinion and its commentary, offline.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    ask = commands.add_parser("ask", help="answer a question with verbatim, cited quotes")
    ask.add_argument("question", help='the question, or "-" to read one question per line from stdin')
    ask.add_argument("--json", action="store_true", help="print one JSON object per question")
    add_llm_flags(ask)
    ask.set_defaults(handler=_ask)
    build = commands.add_parser("build", help="(re)build the index with a progress bar")
    build.add_argument(
        "--workers", type=_worker_count, help="processes that embed at once (default 1, or ASSISTANT_BUILD_WORKERS)"
    )
    build.add_argument(
        "--vectors", action="append", metavar="NAME=FILE.npy",
        help="passage vectors computed elsewhere for an embedder, one row per line of `rows` (repeatable)",
    )  # fmt: skip
    build.set_defaults(handler=_build)
    rows = commands.add_parser("rows", help="the texts the index embeds, one JSON line per row (for batch jobs)")
    rows.add_argument("-o", "--output", help="write to this file instead of stdout")
    rows.set_defaults(handler=_rows)
    show = commands.add_parser("show", help="print a unit: 13, 第十三条, article 13, 第四部分, 序言, 第6段")
    show.add_argument("reference", nargs="+")
    show.set_defaults(handler=_show)
    search = commands.add_parser("search", help="list sentences containing every keyword, highlighted")
    search.add_argument("keywords", nargs="+")
    search.add_argument("--limit", type=_positive, default=50, help="at most this many sentences (default 50)")
    search.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="highlight matches in colour (auto: when printing to a terminal); otherwise they are marked 【】",
    )
    search.set_defaults(handler=_search)
    evaluate = commands.add_parser("eval", help="score the assistant on the dev and test splits (report, JSON, chart)")
    evaluate.add_argument("--dev", type=Path, default=PROJECT_ROOT / "eval" / "dev.jsonl", help="the dev split")
    evaluate.add_argument("--test", type=Path, default=PROJECT_ROOT / "eval" / "test.jsonl", help="the test split")
    evaluate.add_argument("--split", choices=("dev", "test", "both"), default="both", help="which split to score")
    evaluate.add_argument(
        "--calibrate", action="store_true", help="fit the support thresholds on the dev split first and store them"
    )
    evaluate.add_argument("--out", type=Path, default=PROJECT_ROOT / "eval" / "results", help="results folder")
    evaluate.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    evaluate.add_argument("--no-ablation", action="store_true", help="skip the ablation table")
    evaluate.add_argument("--gate", action="store_true", help="exit 1 when a test-split metric is below its floor")
    evaluate.add_argument(
        "--floors",
        type=Path,
        default=PROJECT_ROOT / "eval" / "floors.json",
        help="with --gate: the test-split floors (default eval/floors.json)",
    )
    evaluate.add_argument(
        "--llm", action="store_true", help="score the LLM answers of the configured endpoint (slow on a local model)"
    )
    evaluate.add_argument("--limit", type=_positive, help="with --llm: the first N items the model is asked about")
    add_llm_flags(evaluate)
    evaluate.set_defaults(handler=_eval)
    for name, summary in (
        ("quiz", "a quiz with answer key (填空, 单选, 多选, 判断) as .docx or Markdown"),
        ("outline", "a study outline (学习提纲) as .docx or Markdown"),
        ("glossary", "a glossary of official wording (术语表) as .docx or Markdown"),
    ):
        tool = commands.add_parser(name, help=summary)
        tool.add_argument("--articles", help="article numbers, e.g. 11-13 or 5,7")
        tool.add_argument("--part", help="part numbers, e.g. 四 or 2-3")
        tool.add_argument("--topic", help="a topic; the articles that retrieval finds for it")
        tool.add_argument("--doc", help="the policy document (short name such as 《意见》, or file name); default: all")
        tool.add_argument("-o", "--output", type=_material_path, help="output file (.docx or .md); default: stdout")
        if name == "quiz":
            tool.add_argument("--n", type=_positive, default=20, help="number of questions (default 20)")
            tool.add_argument(
                "--types",
                default="填空,单选,多选,判断",
                help="comma-separated, from 填空,单选,多选,判断 (default: all)",
            )
            tool.add_argument("--seed", type=int, default=1, help="the same seed gives the same quiz (default 1)")
            tool.add_argument(
                "--difficulty", help="the mix of difficulties, e.g. 易:3,中:5,难:2 (weights; default: any)"
            )
            tool.add_argument(
                "--key", type=_material_path,
                help="write the answer key to this file and leave it out of the paper (-o is then the student copy)",
            )  # fmt: skip
        tool.set_defaults(handler=_material)
    slides = commands.add_parser("slides", help="lecture slides (.pptx): key sentences, 提法, discussion questions")
    slides.add_argument("--articles", help="article numbers, e.g. 11-13 or 5,7")
    slides.add_argument("--part", help="part numbers, e.g. 四 or 2-3")
    slides.add_argument("--topic", help="a topic; the articles that retrieval finds for it")
    slides.add_argument("--doc", help="the policy document (short name such as 《意见》, or file name); default: all")
    slides.add_argument("-o", "--output", type=_deck_path, required=True, help="the .pptx file to write")
    slides.add_argument("--seed", type=int, default=1, help="seed of the discussion questions (default 1)")
    slides.set_defaults(handler=_slides)
    serve = commands.add_parser("serve", help="an OpenAI-compatible chat API (/v1/chat/completions) for chat tools")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine)")
    serve.add_argument("--port", type=_port, default=8000, help="port (default 8000)")
    serve.add_argument("--api-key", help="require this key as 'Authorization: Bearer …' (default $ASSISTANT_API_KEY)")
    add_llm_flags(serve)
    serve.set_defaults(handler=_serve)
    mcp = commands.add_parser("mcp", help="a Model Context Protocol server on stdio (tools: ask, show_unit, …)")
    add_llm_flags(mcp)
    mcp.set_defaults(handler=_mcp)
    bench = commands.add_parser("bench", help="print build time, cold and warm latency, peak memory")
    bench.add_argument("--rounds", type=_positive, default=3, help="warm passes over the question set (default 3)")
    bench.add_argument(
        "--contention", type=_positive, default=0, metavar="N",
        help="also measure warm p95 while N CPU-bound processes run, and the loaded/quiet ratio",
    )  # fmt: skip
    bench.add_argument(
        "--scale", type=_sizes, metavar="10,50,200",
        help="instead: synthetic corpora of these multiples of the text; build, index size, start-up, RSS, latency",
    )  # fmt: skip
    bench.set_defaults(handler=_bench)
    return parser


def main(argv: Sequence[str] | None = None, assistant: Assistant | None = None) -> int:
    """Run the command line; returns the exit code. ``assistant`` answers instead of one built from the settings
    (a program or a test that already holds one)."""
    args = _parser().parse_args(argv)
    args.assistant = assistant
    try:
        code = args.handler(args)
        sys.stdout.flush()  # a full disk or a closed pipe is reported here, not at interpreter exit
        return code
    except AssistantError as problem:
        print(f"error: {problem}", file=sys.stderr)
        return _exit_code(problem)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        _detach_stdout()
        return 0
    except OSError as problem:  # writing the output failed (e.g. No space left on device)
        _detach_stdout()
        print(f"error: cannot write the output: {problem.strerror or problem}", file=sys.stderr)
        return _ERROR


def _detach_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush does not fail a second time."""
    with contextlib.suppress(OSError, ValueError, io.UnsupportedOperation):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


if __name__ == "__main__":
    sys.exit(main())
