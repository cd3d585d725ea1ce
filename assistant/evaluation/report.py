"""Eval reports: Markdown, JSON and a per-category PNG chart, written together by ``write_outputs``."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING

from ..base.errors import OutputError
from ..base.files import FileProblem, atomic_write

if TYPE_CHECKING:
    from .evaluate import EvalRun

__all__ = ["render_chart", "render_markdown", "run_to_json", "write_outputs"]

_HEADLINE = (
    ("primary", "primary"),
    ("hit@1", "hit@1"),
    ("hit@3", "hit@3"),
    ("mrr", "MRR"),
    ("ndcg@5", "nDCG@5"),
    ("key_fact_recall", "key facts"),
    ("citation_precision", "cite P"),
    ("citation_recall", "cite R"),
    ("quote_validity", "quotes ok"),
    ("support_full", "full"),
    ("false_refusal", "false refuse"),
    ("unanswerable_ok", "open ok"),
    ("correct_refusal", "refuse ok"),
    ("gap_stated", "gap stated"),
    ("latency_p50_ms", "p50 ms"),
    ("latency_p95_ms", "p95 ms"),
)
_ABLATION = ("primary", "hit@1", "hit@3", "mrr", "ndcg@5", "key_fact_recall", "unanswerable_ok", "false_refusal")


def _cell(value: float) -> str:
    if math.isnan(value):
        return "–"
    return f"{value:.1f}" if value > 1.5 else f"{value:.3f}"


def _table(rows: list[tuple[str, dict[str, float]]], columns: tuple[str, ...], labels: dict[str, str]) -> list[str]:
    lines = ["| | " + " | ".join(labels.get(c, c) for c in columns) + " |", "|---" * (len(columns) + 1) + "|"]
    lines += [f"| {name} | " + " | ".join(_cell(metrics[c]) for c in columns) + " |" for name, metrics in rows]
    return lines


def render_markdown(run: EvalRun, ablation: list[EvalRun]) -> str:
    """The human-readable report: overall, per category, ablation, failures."""
    labels = dict(_HEADLINE)
    columns = tuple(key for key, _ in _HEADLINE)
    lines = [
        f"# Eval report: {run.name}",
        "",
        f"{len(run.results)} items; follow-ups are asked after their earlier turns.",
        "",
    ]
    lines += ["## Overall", "", *_table([("overall", run.metrics)], columns, labels), ""]
    lines += ["## Per kind", "", *_table(sorted(run.kinds.items()), columns, labels), ""]
    lines += ["## Per category", "", *_table(sorted(run.categories.items()), columns, labels), ""]
    if ablation:
        lines += ["## Ablation (same index, same questions)", ""]
        lines += [*_table([(r.name, r.metrics) for r in ablation], _ABLATION, labels), ""]
    lines += [f"## Failed items ({len(run.failures)})", ""]
    for result in run.failures:
        item = result.item
        expected = ", ".join(item.gold) if item.answerable else f"support none, or partial naming {'/'.join(item.gap)}"
        got = f"support {result.answer.support}: " + ", ".join(result.ranked[:3])
        lines.append(f"- **{item.id}** {item.question} — expected {expected}; got {got}. {'; '.join(result.problems)}")
        if item.key_facts:
            lines.append(f"  - key facts: {' / '.join(item.key_facts)}")
        lines.append(f"  - answer: {result.answer.text[:160].replace(chr(10), ' ')}")
    return "\n".join(lines) + "\n"


def run_to_json(run: EvalRun, ablation: list[EvalRun]) -> dict:
    """Everything in the report as plain data."""
    return {
        "name": run.name,
        "metrics": run.metrics,
        "categories": run.categories,
        "kinds": run.kinds,
        "ablation": {r.name: r.metrics for r in ablation},
        "items": [
            {
                "id": r.item.id,
                "category": r.item.category,
                "question": r.item.question,
                "gold": list(r.item.gold),
                "ranked": r.ranked[:5],
                "kind": r.item.kind,
                "support": r.answer.support,
                "expected_support": r.item.support,
                "gap": r.answer.gap,
                "refused": r.answer.refused,
                "answer": r.answer.text,
                "metrics": r.metrics,
                "problems": r.problems,
            }
            for r in run.results
        ],
    }


def render_chart(run: EvalRun, path: Path) -> None:
    """A grouped bar chart of hit@1, key-fact recall and refusal correctness per category."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    names = sorted(run.categories)
    series = {
        "hit@1": [run.categories[n]["hit@1"] for n in names],
        "key-fact recall": [run.categories[n]["key_fact_recall"] for n in names],
        "open questions handled / no false refusal": [
            run.categories[n]["unanswerable_ok"]
            if not math.isnan(run.categories[n]["unanswerable_ok"])
            else 1 - run.categories[n]["false_refusal"]
            for n in names
        ],
    }
    figure, axes = plt.subplots(figsize=(11, 4.5), dpi=120)
    positions = np.arange(len(names))
    width = 0.27
    for offset, (label, values) in enumerate(series.items()):
        heights = [0.0 if math.isnan(v) else v for v in values]
        axes.bar(positions + (offset - 1) * width, heights, width, label=label)
    axes.set_xticks(positions, names, rotation=20)
    axes.set_ylim(0, 1.05)
    axes.set_ylabel("score")
    axes.set_title(f"Eval by category ({run.name}); primary {run.metrics['primary']:.3f}")
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=3, fontsize=8, frameon=False)
    axes.grid(axis="y", alpha=0.3)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def write_outputs(run: EvalRun, ablation: list[EvalRun], folder: Path) -> dict[str, Path]:
    """Write ``report.md``, ``results.json`` and ``categories.png`` into ``folder``; returns their paths.

    Raises:
        OutputError: if ``folder`` cannot be created or written.
    """
    paths = {"report": folder / "report.md", "json": folder / "results.json", "chart": folder / "categories.png"}
    try:
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write(paths["report"], render_markdown(run, ablation).encode("utf-8"))
        atomic_write(paths["json"], json.dumps(run_to_json(run, ablation), ensure_ascii=False, indent=2).encode())
        render_chart(run, paths["chart"])
    except OSError as exc:
        reason = exc if isinstance(exc, FileProblem) else f"cannot write to {folder}: {exc.strerror or exc}"
        raise OutputError(f"{reason}; choose another --out folder") from exc
    return paths
