"""The scorer: exact metric values on hand-made results, eval-set validation, and the CI gate."""

import hashlib
import json
from pathlib import Path

import pytest

from assistant import Assistant
from assistant.evaluation.evaluate import (
    DEFAULT_DEV,
    DEFAULT_FLOORS,
    DEFAULT_TEST,
    EvalItem,
    EvalSetError,
    Evaluator,
    _ndcg,
    _retrieval_metrics,
    _unanswerable_metrics,
    check_floors,
    load_items,
    run_ablation,
)
from assistant.evaluation.report import write_outputs


def test_retrieval_metrics_exact():
    assert _retrieval_metrics(["a", "b", "c"], {"a"}) == {"hit@1": 1.0, "hit@3": 1.0, "mrr": 1.0, "ndcg@5": 1.0}
    metrics = _retrieval_metrics(["x", "y", "a"], {"a"})
    assert (metrics["hit@1"], metrics["hit@3"], metrics["mrr"]) == (0.0, 1.0, pytest.approx(1 / 3))
    assert metrics["ndcg@5"] == pytest.approx(0.5)
    assert _retrieval_metrics(["x"] * 5, {"a"})["mrr"] == 0.0
    assert _ndcg(["a", "x", "b"], {"a", "b"}) == pytest.approx((1 + 0.5) / (1 + 1 / 1.5849625))


def test_splits_meet_the_brief():
    dev, test = load_items(DEFAULT_DEV), load_items(DEFAULT_TEST)
    assert len(dev) >= 250 and len(test) >= 150
    assert not {i.id for i in dev} & {i.id for i in test}
    assert not {i.question for i in dev} & {i.question for i in test}
    for items in (dev, test):
        kinds = {i.kind for i in items}
        assert kinds == {
            "content", "locate", "structure", "sentence", "occurrence", "compare", "list", "definition", "lookup",
            "followup",
        }  # fmt: skip
        assert {i.support for i in items} == {"full", "partial", "none"}
        assert all(i.history for i in items if i.kind == "followup")
        assert all(i.gap for i in items if not i.answerable)


def test_test_split_is_frozen():
    """The test split is scored, never edited: its content hash is pinned (a new batch gets a new file)."""
    digest = hashlib.sha256(DEFAULT_TEST.read_bytes()).hexdigest()
    assert digest == "b838cb94fd7c4fed82ec9451654c846f3f82a34263df320233c4eabcbc0a243b"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json", "not JSON"),
        (
            '{"id": "a", "question": "q", "category": "fact", "kind": "content", "support": "full", "gold": [],'
            ' "key_facts": [], "answerable": true}',
            "needs gold",
        ),
        (
            '{"id": "a", "question": "q", "category": "fact", "kind": "content", "support": "none", "gold": [],'
            ' "key_facts": [], "answerable": false}',
            "needs gap words",
        ),
        (
            '{"id": "a", "question": "q", "category": "fact", "kind": "content", "support": "some", "gold": [],'
            ' "key_facts": [], "answerable": false}',
            "support must be",
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
    return Evaluator(load_items(DEFAULT_TEST), "test split")(assistant)


def test_ci_gate_floors_hold(default_run):
    """The CI gate on the frozen test split: every metric at or above its floor in eval/floors.json; quotes valid."""
    assert check_floors(default_run) == []
    assert default_run.metrics["quote_validity"] == 1.0
    assert set(default_run.kinds) >= {"structure", "sentence", "occurrence", "compare", "locate", "followup"}


def test_unanswerable_metrics_need_the_gap_in_the_items_words():
    item = EvalItem("x", "q", "nearmiss", ("opinion/art12",), (), False, support="partial", gap=("金额", "奖金"))
    assert _unanswerable_metrics(item, "partial", "原文没有规定具体金额。")["unanswerable_ok"] == 1.0
    assert _unanswerable_metrics(item, "partial", "原文没有提到“路子”。")["unanswerable_ok"] == 0.0
    assert _unanswerable_metrics(item, "none", "")["unanswerable_ok"] == 1.0
    assert _unanswerable_metrics(item, "full", "")["unanswerable_ok"] == 0.0


def test_gate_catches_a_drop(default_run, tmp_path: Path):
    floors = json.loads(DEFAULT_FLOORS.read_text(encoding="utf-8"))
    floors["min"]["hit@1"] = 1.01
    path = tmp_path / "floors.json"
    path.write_text(json.dumps(floors), encoding="utf-8")
    assert check_floors(default_run, path)[0].startswith("hit@1 = ")


def test_outputs_and_ablation(assistant: Assistant, default_run, tmp_path: Path):
    items = load_items(DEFAULT_DEV)[:12]
    ablation = run_ablation(assistant, items)
    assert [r.name for r in ablation][:2] == ["hybrid e5+use (default)", "hybrid e5"]
    assert "sparse only (BM25)" in [r.name for r in ablation]
    paths = write_outputs(default_run, ablation, tmp_path / "results")
    report = paths["report"].read_text(encoding="utf-8")
    assert (
        "## Per kind" in report
        and "## Per category" in report
        and "## Ablation" in report
        and "## Failed items" in report
    )
    data = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert len(data["items"]) == len(default_run.results)
    assert paths["chart"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
