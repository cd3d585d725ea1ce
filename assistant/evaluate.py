"""Score the assistant on the eval set: retrieval, key facts, citations, quotes, refusal and latency.

``Evaluator`` is a callable: ``Evaluator(items)(assistant)`` returns an ``EvalRun`` whose ``metrics`` dict
holds every named metric, ``metrics["primary"]`` being the one number to watch.
"""

from __future__ import annotations

import json
import math
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from .answer import Answer
from .assistant import Assistant
from .config import PROJECT_ROOT
from .errors import AssistantError
from .retrieve import Fusion

__all__ = [
    "ABLATIONS",
    "DEFAULT_FLOORS",
    "DEFAULT_ITEMS",
    "EvalItem",
    "EvalRun",
    "Evaluator",
    "ItemResult",
    "check_floors",
    "load_items",
    "run_ablation",
    "write_outputs",
]

DEFAULT_ITEMS = PROJECT_ROOT / "eval" / "questions.jsonl"
DEFAULT_FLOORS = PROJECT_ROOT / "eval" / "floors.json"
_REQUIRED = {"id": str, "question": str, "category": str, "gold": list, "key_facts": list, "answerable": bool}
_RETRIEVAL = ("hit@1", "hit@3", "mrr", "ndcg@5")
_ANSWERABLE_METRICS = (*_RETRIEVAL, "key_fact_recall", "citation_precision", "citation_recall", "false_refusal")


class EvalSetError(AssistantError):
    """The eval set file is malformed."""


@dataclass(frozen=True)
class EvalItem:
    """One eval question: gold unit ids, key facts (verbatim strings), and for follow-ups the earlier turns."""

    id: str
    question: str
    category: str
    gold: tuple[str, ...]
    key_facts: tuple[str, ...]
    answerable: bool
    history: tuple[str, ...] = ()


@dataclass
class ItemResult:
    """What came back for one item, its metrics and why it failed (empty when it passed)."""

    item: EvalItem
    answer: Answer
    ranked: list[str]
    latency_ms: float
    metrics: dict[str, float]
    problems: list[str] = field(default_factory=list)


@dataclass
class EvalRun:
    """The outcome of one evaluation: overall metrics, per-category metrics and per-item results."""

    name: str
    metrics: dict[str, float]
    categories: dict[str, dict[str, float]]
    results: list[ItemResult]

    @property
    def failures(self) -> list[ItemResult]:
        """Items that failed, in eval-set order."""
        return [r for r in self.results if r.problems]


def load_items(path: Path = DEFAULT_ITEMS) -> list[EvalItem]:
    """Read the JSONL eval set.

    Raises:
        EvalSetError: naming the line of a malformed item.
    """
    items: list[EvalItem] = []
    seen: set[str] = set()
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise EvalSetError(f"cannot read the eval set {path}: {exc}") from exc
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EvalSetError(f"{path}:{number}: not JSON ({exc.msg})") from exc
        for key, kind in _REQUIRED.items():
            if not isinstance(raw.get(key), kind):
                raise EvalSetError(f"{path}:{number}: field {key!r} must be a {kind.__name__}")
        if raw["id"] in seen:
            raise EvalSetError(f"{path}:{number}: duplicate id {raw['id']!r}")
        if raw["answerable"] and not raw["gold"]:
            raise EvalSetError(f"{path}:{number}: an answerable item needs gold units")
        seen.add(raw["id"])
        items.append(
            EvalItem(
                raw["id"],
                raw["question"],
                raw["category"],
                tuple(raw["gold"]),
                tuple(raw["key_facts"]),
                raw["answerable"],
                tuple(raw.get("history", ())),
            )
        )
    return items


def _ndcg(ranked: Sequence[str], gold: set[str], k: int = 5) -> float:
    gains = sum(1 / math.log2(i + 2) for i, unit in enumerate(ranked[:k]) if unit in gold)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(len(gold), k)))
    return gains / ideal if ideal else 0.0


def _retrieval_metrics(ranked: Sequence[str], gold: set[str]) -> dict[str, float]:
    rank = next((i for i, unit in enumerate(ranked, start=1) if unit in gold), None)
    return {
        "hit@1": float(rank == 1),
        "hit@3": float(rank is not None and rank <= 3),
        "mrr": 1 / rank if rank else 0.0,
        "ndcg@5": _ndcg(ranked, gold),
    }


class Evaluator:
    """Scores an ``Assistant`` on eval items.

    Args:
        items: the eval set.
        name: shown in reports (e.g. the configuration being measured).
    """

    def __init__(self, items: Sequence[EvalItem], name: str = "default") -> None:
        self.items = list(items)
        self.name = name

    def __call__(self, assistant: Assistant, progress: bool = False) -> EvalRun:
        """Ask every item and return the metrics."""
        results = []
        bar = tqdm(self.items, desc=f"eval ({self.name})", unit="q", disable=not progress, leave=False)
        for item in bar:
            results.append(self._score_item(assistant, item))
        bar.close()
        categories = {c: _aggregate(rs) for c, rs in _by_category(results).items()}
        return EvalRun(self.name, _aggregate(results), categories, results)

    def _score_item(self, assistant: Assistant, item: EvalItem) -> ItemResult:
        history: list[Answer] = []
        for earlier in item.history:
            history.append(assistant.ask(earlier, history))
        started = time.perf_counter()
        answer, evidence = assistant.answer_with_evidence(item.question, history)
        latency = (time.perf_counter() - started) * 1000
        ranked = [hit.unit.id for hit in evidence.hits]
        metrics: dict[str, float] = {"latency_ms": latency}
        valid = [c.quote in assistant.corpus.unit(c.unit_id).text for c in answer.citations]
        metrics["quotes"], metrics["valid_quotes"] = float(len(valid)), float(sum(valid))
        problems: list[str] = []
        if item.answerable:
            metrics.update(self._answerable_metrics(assistant, item, answer, ranked, problems))
        else:
            metrics["correct_refusal"] = float(answer.refused)
            if not answer.refused:
                problems.append("answered a question the text does not cover")
        if not all(valid):
            problems.append("a quote is not verbatim in the unit it cites")
        return ItemResult(item, answer, ranked, latency, metrics, problems)

    @staticmethod
    def _answerable_metrics(
        assistant: Assistant, item: EvalItem, answer: Answer, ranked: list[str], problems: list[str]
    ) -> dict[str, float]:
        gold = set(item.gold)
        metrics = _retrieval_metrics(ranked, gold)
        found = [fact for fact in item.key_facts if fact in answer.text]
        metrics["key_fact_recall"] = len(found) / len(item.key_facts) if item.key_facts else 1.0
        cited = list(dict.fromkeys(c.unit_id for c in answer.citations))
        if cited:
            supported = [
                u for u in cited if u in gold or any(f in assistant.corpus.unit(u).text for f in item.key_facts)
            ]
            metrics["citation_precision"] = len(supported) / len(cited)
        metrics["citation_recall"] = len(gold & set(cited)) / len(gold)
        metrics["false_refusal"] = float(answer.refused)
        if answer.refused:
            problems.append("refused an answerable question")
        if metrics["hit@1"] < 1:
            problems.append("top unit is not gold")
        missing = [fact for fact in item.key_facts if fact not in found]
        if missing and not answer.refused:
            problems.append("missing key facts: " + "；".join(missing))
        return metrics


def _by_category(results: Iterable[ItemResult]) -> dict[str, list[ItemResult]]:
    groups: dict[str, list[ItemResult]] = defaultdict(list)
    for result in results:
        groups[result.item.category].append(result)
    return dict(groups)


def _mean(values: list[float]) -> float:
    return float(np.mean(values)) if values else float("nan")


def _aggregate(results: list[ItemResult]) -> dict[str, float]:
    """Average each metric over the items that have it; quote validity pools all quotes."""
    metrics: dict[str, float] = {"items": float(len(results))}
    for name in (*_ANSWERABLE_METRICS, "correct_refusal"):
        metrics[name] = _mean([r.metrics[name] for r in results if name in r.metrics])
    quotes = sum(r.metrics["quotes"] for r in results)
    metrics["quote_validity"] = sum(r.metrics["valid_quotes"] for r in results) / quotes if quotes else 1.0
    latencies = [r.latency_ms for r in results]
    metrics["latency_p50_ms"] = float(np.percentile(latencies, 50)) if latencies else float("nan")
    metrics["latency_p95_ms"] = float(np.percentile(latencies, 95)) if latencies else float("nan")
    metrics["primary"] = _primary(metrics)
    return metrics


def _primary(metrics: dict[str, float]) -> float:
    """Mean of hit@1, key-fact recall, correct refusal and (1 − false refusal), over the parts present."""
    parts = [
        metrics["hit@1"],
        metrics["key_fact_recall"],
        metrics["correct_refusal"],
        1 - metrics["false_refusal"] if not math.isnan(metrics["false_refusal"]) else float("nan"),
    ]
    present = [p for p in parts if not math.isnan(p)]
    return float(np.mean(present)) if present else float("nan")


# (name, fusion, embedders used) — each row of the ablation table.
ABLATIONS: list[tuple[str, Fusion]] = [
    ("hybrid e5+use (default)", Fusion()),
    ("hybrid e5", Fusion(embedders=("e5",))),
    ("hybrid use", Fusion(embedders=("use",))),
    ("hybrid e5+use, rrf", Fusion(method="rrf")),
    ("sparse only (BM25)", Fusion(use_dense=False)),
    ("dense only e5+use", Fusion(use_sparse=False)),
    ("dense only e5", Fusion(use_sparse=False, embedders=("e5",))),
    ("dense only use", Fusion(use_sparse=False, embedders=("use",))),
]


def run_ablation(assistant: Assistant, items: Sequence[EvalItem], progress: bool = False) -> list[EvalRun]:
    """Evaluate every ablation whose embedders the index holds, on the same index and questions."""
    available = set(assistant.index.dense)
    runs = []
    for name, fusion in ABLATIONS:
        if fusion.use_dense and fusion.embedders and not set(fusion.embedders) <= available:
            continue
        if fusion.use_dense and not fusion.embedders and not available:
            continue
        runs.append(Evaluator(items, name)(assistant.variant(fusion), progress=progress))
    return runs


def check_floors(run: EvalRun, floors_path: Path = DEFAULT_FLOORS) -> list[str]:
    """Metrics that fall below their floor (or above their ceiling); an empty list means the gate passes."""
    floors = json.loads(floors_path.read_text(encoding="utf-8"))
    problems = []
    for name, floor in floors.get("min", {}).items():
        if not run.metrics[name] >= floor:
            problems.append(f"{name} = {run.metrics[name]:.3f} is below the floor {floor}")
    for name, ceiling in floors.get("max", {}).items():
        if not run.metrics[name] <= ceiling:
            problems.append(f"{name} = {run.metrics[name]:.3f} is above the ceiling {ceiling}")
    return problems


def write_outputs(run: EvalRun, ablation: list[EvalRun], folder: Path) -> dict[str, Path]:
    """Write ``report.md``, ``results.json`` and ``categories.png`` into ``folder``; returns their paths."""
    from .report import render_chart, render_markdown, run_to_json

    folder.mkdir(parents=True, exist_ok=True)
    paths = {"report": folder / "report.md", "json": folder / "results.json", "chart": folder / "categories.png"}
    paths["report"].write_text(render_markdown(run, ablation), encoding="utf-8")
    paths["json"].write_text(json.dumps(run_to_json(run, ablation), ensure_ascii=False, indent=2), encoding="utf-8")
    render_chart(run, paths["chart"])
    return paths
