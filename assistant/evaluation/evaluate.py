"""Score the assistant on the eval set: retrieval, key facts, citations, quotes, refusal and latency.

``Evaluator`` is a callable: ``Evaluator(items)(assistant)`` returns an ``EvalRun`` whose ``metrics`` dict
holds every named metric, ``metrics["primary"]`` being the one number to watch.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from ..answering.answer import Answer
from ..answering.support import FULL, NONE, PARTIAL, SupportRule, fit_rule
from ..assistant import Assistant
from ..base.config import PROJECT_ROOT
from ..base.errors import EvalSetError
from ..search.retrieve import Fusion

__all__ = [
    "ABLATIONS",
    "DEFAULT_DEV",
    "DEFAULT_FLOORS",
    "DEFAULT_ITEMS",
    "DEFAULT_TEST",
    "EvalItem",
    "EvalRun",
    "Evaluator",
    "ItemResult",
    "calibrate",
    "check_floors",
    "load_items",
    "run_ablation",
]

DEFAULT_DEV = PROJECT_ROOT / "eval" / "dev.jsonl"
DEFAULT_TEST = PROJECT_ROOT / "eval" / "test.jsonl"
DEFAULT_ITEMS = DEFAULT_DEV
DEFAULT_FLOORS = PROJECT_ROOT / "eval" / "floors.json"
_REQUIRED = {
    "id": str,
    "question": str,
    "category": str,
    "kind": str,
    "support": str,
    "gold": list,
    "key_facts": list,
    "answerable": bool,
}
_KINDS = (
    "content",
    "locate",
    "structure",
    "sentence",
    "occurrence",
    "compare",
    "list",
    "definition",
    "lookup",
    "followup",
)
_RETRIEVAL = ("hit@1", "hit@3", "mrr", "ndcg@5")
_ANSWERABLE_METRICS = (
    *_RETRIEVAL,
    "key_fact_recall",
    "citation_precision",
    "citation_recall",
    "false_refusal",
    "support_full",
)
_UNANSWERABLE_METRICS = ("unanswerable_ok", "correct_refusal", "gap_stated")
_CV_FOLDS = 5


@dataclass(frozen=True)
class EvalItem:
    """One eval question: kind, expected support, gold unit ids, key facts (verbatim strings), answer patterns, the
    words a stated gap must use, and for follow-ups the earlier turns."""

    id: str
    question: str
    category: str
    gold: tuple[str, ...]
    key_facts: tuple[str, ...]
    answerable: bool
    history: tuple[str, ...] = ()
    kind: str = "content"
    support: str = FULL
    gap: tuple[str, ...] = ()
    answer_patterns: tuple[str, ...] = ()


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
    kinds: dict[str, dict[str, float]] = field(default_factory=dict)

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
        except (json.JSONDecodeError, RecursionError) as exc:
            raise EvalSetError(f"{path}:{number}: not JSON ({getattr(exc, 'msg', 'nested too deeply')})") from exc
        if not isinstance(raw, dict):
            raise EvalSetError(f"{path}:{number}: an item must be a JSON object, not {type(raw).__name__}")
        for key, kind in _REQUIRED.items():
            if not isinstance(raw.get(key), kind):
                raise EvalSetError(f"{path}:{number}: field {key!r} must be a {kind.__name__}")
        problem = _item_problem(raw, seen)
        if problem:
            raise EvalSetError(f"{path}:{number}: {problem}")
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
                raw["kind"],
                raw["support"],
                tuple(raw.get("gap", ())),
                tuple(raw.get("answer_patterns", ())),
            )
        )
    return items


def _item_problem(raw: dict, seen: set[str]) -> str:
    """Why an eval item is malformed (empty when it is fine)."""
    if raw["id"] in seen:
        return f"duplicate id {raw['id']!r}"
    if raw["support"] not in (FULL, PARTIAL, NONE):
        return f"support must be full, partial or none, not {raw['support']!r}"
    if raw["kind"] not in _KINDS:
        return f"kind must be one of {', '.join(_KINDS)}, not {raw['kind']!r}"
    if raw["answerable"] != (raw["support"] == FULL):
        return "answerable must be true exactly when support is full"
    if raw["answerable"] and not raw["gold"]:
        return "an answerable item needs gold units"
    if not raw["answerable"] and not raw.get("gap"):
        return "a partial or none item needs gap words"
    for pattern in raw.get("answer_patterns", ()):
        try:
            re.compile(pattern)
        except re.error as exc:
            return f"answer pattern {pattern!r} is not a regular expression ({exc})"
    return ""


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
        categories = {c: _aggregate(rs) for c, rs in _group(results, "category").items()}
        kinds = {k: _aggregate(rs) for k, rs in _group(results, "kind").items()}
        return EvalRun(self.name, _aggregate(results), categories, results, kinds)

    def _score_item(self, assistant: Assistant, item: EvalItem) -> ItemResult:
        history: list[Answer] = []
        for earlier in item.history:
            history.append(assistant.ask(earlier, history))
        started = time.perf_counter()
        answer, evidence = assistant.answer_with_evidence(item.question, history)
        latency = (time.perf_counter() - started) * 1000
        ranked = list(dict.fromkeys([c.unit_id for c in answer.citations] + [hit.unit.id for hit in evidence.hits]))
        metrics: dict[str, float] = {"latency_ms": latency}
        valid = [c.quote in assistant.corpus.unit(c.unit_id).text for c in answer.citations]
        metrics["quotes"], metrics["valid_quotes"] = float(len(valid)), float(sum(valid))
        problems: list[str] = []
        if item.answerable:
            metrics.update(self._answerable_metrics(assistant, item, answer, ranked, problems))
        else:
            metrics.update(_unanswerable_metrics(item, answer.support, answer.gap))
            if not metrics["unanswerable_ok"]:
                problems.append(f"support {answer.support} without the gap stated on a question the text leaves open")
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
        found += [pattern for pattern in item.answer_patterns if re.search(pattern, answer.text)]
        expected = len(item.key_facts) + len(item.answer_patterns)
        metrics["key_fact_recall"] = len(found) / expected if expected else 1.0
        cited = list(dict.fromkeys(c.unit_id for c in answer.citations))
        if cited:
            supported = [
                u for u in cited if u in gold or any(f in assistant.corpus.unit(u).text for f in item.key_facts)
            ]
            metrics["citation_precision"] = len(supported) / len(cited)
        metrics["citation_recall"] = len(gold & set(cited)) / len(gold)
        metrics["false_refusal"] = float(answer.refused)
        metrics["support_full"] = float(answer.support == FULL)
        if answer.refused:
            problems.append("refused an answerable question")
        if metrics["hit@1"] < 1:
            problems.append("top unit is not gold")
        missing = [fact for fact in (*item.key_facts, *item.answer_patterns) if fact not in found]
        if missing and not answer.refused:
            problems.append("missing key facts: " + "；".join(missing))
        return metrics


def _unanswerable_metrics(item: EvalItem, support: str, gap: str) -> dict[str, float]:
    """How a question the text leaves open was handled: none, or partial with the gap stated in the item's words."""
    stated = support == PARTIAL and any(word.lower() in gap.lower() for word in item.gap)
    metrics = {"unanswerable_ok": float(support == NONE or stated)}
    if item.support == NONE:
        metrics["correct_refusal"] = float(support == NONE)
    else:
        metrics["gap_stated"] = float(stated)
    return metrics


def _group(results: Iterable[ItemResult], attribute: str) -> dict[str, list[ItemResult]]:
    groups: dict[str, list[ItemResult]] = defaultdict(list)
    for result in results:
        groups[getattr(result.item, attribute)].append(result)
    return dict(groups)


def _mean(values: list[float]) -> float:
    return float(np.mean(values)) if values else float("nan")


def _aggregate(results: list[ItemResult]) -> dict[str, float]:
    """Average each metric over the items that have it; quote validity pools all quotes."""
    metrics: dict[str, float] = {"items": float(len(results))}
    for name in (*_ANSWERABLE_METRICS, *_UNANSWERABLE_METRICS):
        metrics[name] = _mean([r.metrics[name] for r in results if name in r.metrics])
    quotes = sum(r.metrics["quotes"] for r in results)
    metrics["quote_validity"] = sum(r.metrics["valid_quotes"] for r in results) / quotes if quotes else 1.0
    latencies = [r.latency_ms for r in results]
    metrics["latency_p50_ms"] = float(np.percentile(latencies, 50)) if latencies else float("nan")
    metrics["latency_p95_ms"] = float(np.percentile(latencies, 95)) if latencies else float("nan")
    metrics["primary"] = _primary(metrics)
    return metrics


def _primary(metrics: dict[str, float]) -> float:
    """Mean of hit@1, key-fact recall, unanswerable handled and (1 − false refusal), over the parts present."""
    parts = [
        metrics["hit@1"],
        metrics["key_fact_recall"],
        metrics["unanswerable_ok"],
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


def _fold_metrics(outcomes: Sequence[tuple[EvalItem, str, str]]) -> dict[str, float]:
    """Support metrics of graded outcomes (item, support, gap)."""
    answerable = [support for item, support, _ in outcomes if item.answerable]
    open_items = [(item, support, gap) for item, support, gap in outcomes if not item.answerable]
    return {
        "false_refusal": _mean([float(s == NONE) for s in answerable]),
        "support_full": _mean([float(s == FULL) for s in answerable]),
        "unanswerable_ok": _mean([_unanswerable_metrics(i, s, g)["unanswerable_ok"] for i, s, g in open_items]),
    }


def _utility(item: EvalItem, support: str, gap: str) -> float:
    """What one graded answer is worth when fitting: a full answer beats a partial one beats a false refusal."""
    if item.answerable:
        return {FULL: 1.0, PARTIAL: 0.7, NONE: 0.0}[support]
    return _unanswerable_metrics(item, support, gap)["unanswerable_ok"]


def calibrate(assistant: Assistant, items: Sequence[EvalItem], progress: bool = False) -> tuple[SupportRule, dict]:
    """Fit the support thresholds on ``items`` (the dev split) and cross-validate the fit.

    Each item's draft and support features are computed once; candidate rules only re-grade them. Returns the fitted
    rule and a report (the objective, dev metrics, and the mean of 5-fold cross-validated metrics).
    """
    answerer = assistant.answerer
    cases = []
    for item in tqdm(items, desc="features", unit="q", disable=not progress, leave=False):
        history: list[Answer] = []
        for earlier in item.history:
            history.append(assistant.ask(earlier, history))
        evidence = assistant.answer_with_evidence(item.question, history)[1]
        draft, features = answerer.ungraded(evidence)
        cases.append((item, draft, features, evidence))

    def outcomes(rule: SupportRule, chosen: Sequence[int]) -> list[tuple[EvalItem, str, str]]:
        graded = []
        for position in chosen:
            item, draft, features, evidence = cases[position]
            final = draft if features is None else answerer.apply(draft, features, rule, evidence)
            graded.append((item, final.support, final.gap))
        return graded

    def objective(chosen: Sequence[int]):
        return lambda rule: float(np.mean([_utility(*o) for o in outcomes(rule, chosen)]))

    everything = list(range(len(cases)))
    rule, best = fit_rule(objective(everything))
    folds = []
    for fold in range(_CV_FOLDS):
        held_out = everything[fold::_CV_FOLDS]
        training = [i for i in everything if i % _CV_FOLDS != fold]
        fitted, _ = fit_rule(objective(training))
        folds.append(_fold_metrics(outcomes(fitted, held_out)))
    report = {
        "fitted_on": f"{len(cases)} dev items",
        "objective": round(best, 4),
        "dev": {k: round(v, 4) for k, v in _fold_metrics(outcomes(rule, everything)).items()},
        "cross_validated": {k: round(float(np.mean([f[k] for f in folds])), 4) for k in folds[0]},
    }
    return rule, report


def check_floors(run: EvalRun, floors_path: Path = DEFAULT_FLOORS) -> list[str]:
    """Metrics that fall below their floor (or above their ceiling); an empty list means the gate passes.

    Raises:
        EvalSetError: if the floors file is unreadable or names metrics the run does not have.
    """
    floors = _read_floors(floors_path, run.metrics)
    problems = []
    for name, floor in floors.get("min", {}).items():
        if not run.metrics[name] >= floor:
            problems.append(f"{name} = {run.metrics[name]:.3f} is below the floor {floor}")
    for name, ceiling in floors.get("max", {}).items():
        if not run.metrics[name] <= ceiling:
            problems.append(f"{name} = {run.metrics[name]:.3f} is above the ceiling {ceiling}")
    return problems


def _read_floors(path: Path, metrics: dict[str, float]) -> dict[str, dict[str, float]]:
    try:
        floors = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise EvalSetError(f"cannot read the floors file {path}: {exc}") from exc
    shape = '{"min": {metric: number}, "max": {metric: number}}'
    if not isinstance(floors, dict) or not set(floors) <= {"min", "max", "split"}:
        raise EvalSetError(f"{path}: the floors file must be a JSON object {shape}")
    for bound in (floors.get("min", {}), floors.get("max", {})):
        if not isinstance(bound, dict):
            raise EvalSetError(f"{path}: the floors file must be a JSON object {shape}")
        for name, value in bound.items():
            if name not in metrics:
                raise EvalSetError(f"{path}: unknown metric {name!r}; known: {', '.join(sorted(metrics))}")
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise EvalSetError(f"{path}: the bound of {name!r} must be a number, not {value!r}")
    return floors
