"""The scorer: exact metric values on hand-made results, eval-set validation, and the CI gate."""

import json
from pathlib import Path

import pytest

from assistant import Assistant
from assistant.evaluate import (
    DEFAULT_FLOORS,
    EvalSetError,
    Evaluator,
    _ndcg,
    _retrieval_metrics,
    check_floors,
    load_items,
    run_ablation,
    write_outputs,
)


def test_retrieval_metrics_exact():
    assert _retrieval_metrics(["a", "b", "c"], {"a"}) == {"hit@1": 1.0, "hit@3": 1.0, "mrr": 1.0, "ndcg@5": 1.0}
    metrics = _retrieval_metrics(["x", "y", "a"], {"a"})
    assert (metrics["hit@1"], metrics["hit@3"], metrics["mrr"]) == (0.0, 1.0, pytest.approx(1 / 3))
    assert metrics["ndcg@5"] == pytest.approx(0.5)
    assert _retrieval_metrics(["x"] * 5, {"a"})["mrr"] == 0.0
    assert _ndcg(["a", "x", "b"], {"a", "b"}) == pytest.approx((1 + 0.5) / (1 + 1 / 1.5849625))


def test_eval_set_meets_the_brief():
    items = load_items()
    assert len(items) >= 150
    counts = {}
    for item in items:
        counts[item.category] = counts.get(item.category, 0) + 1
    assert all(n >= 10 for n in counts.values()) and len(counts) == 10
    assert counts["unanswerable"] >= 25
    assert all(not i.answerable and not i.gold for i in items if i.category == "unanswerable")
    assert all(i.history for i in items if i.category == "followup")


def test_gold_units_and_key_facts_are_in_the_text(assistant: Assistant):
    for item in load_items():
        texts = [assistant.corpus.unit(unit_id).text for unit_id in item.gold]
        for fact in item.key_facts:
            assert any(fact in text for text in texts), (item.id, fact)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json", "not JSON"),
        (
            '{"id": "a", "question": "q", "category": "fact", "gold": [], "key_facts": [], "answerable": true}',
            "needs gold",
        ),
        ('{"id": "a", "question": 3}', "'question' must be a str"),
    ],
)
def test_malformed_eval_set_names_the_line(tmp_path: Path, line: str, message: str):
    path = tmp_path / "items.jsonl"
    path.write_text("\n" + line + "\n", encoding="utf-8")
    with pytest.raises(EvalSetError, match=f"items.jsonl:2: .*{message}"):
        load_items(path)


@pytest.fixture(scope="module")
def default_run(assistant: Assistant):
    return Evaluator(load_items())(assistant)


def test_ci_gate_floors_hold(default_run):
    """The CI gate: every primary metric at or above its floor in eval/floors.json; quotes always valid."""
    assert check_floors(default_run) == []
    assert default_run.metrics["quote_validity"] == 1.0


def test_gate_catches_a_drop(default_run, tmp_path: Path):
    floors = json.loads(DEFAULT_FLOORS.read_text(encoding="utf-8"))
    floors["min"]["hit@1"] = 1.01
    path = tmp_path / "floors.json"
    path.write_text(json.dumps(floors), encoding="utf-8")
    assert check_floors(default_run, path)[0].startswith("hit@1 = ")


def test_outputs_and_ablation(assistant: Assistant, default_run, tmp_path: Path):
    items = load_items()[:12]
    ablation = run_ablation(assistant, items)
    assert [r.name for r in ablation][:2] == ["hybrid e5+use (default)", "hybrid e5"]
    assert "sparse only (BM25)" in [r.name for r in ablation]
    paths = write_outputs(default_run, ablation, tmp_path / "results")
    report = paths["report"].read_text(encoding="utf-8")
    assert "## Per category" in report and "## Ablation" in report and "## Failed items" in report
    data = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert len(data["items"]) == len(default_run.results)
    assert paths["chart"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
