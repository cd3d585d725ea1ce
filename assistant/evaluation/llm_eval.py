"""``eval --llm``: eval items through the configured chat model, scored against the extractive answers.

Only items the model is asked about count (answerable, fully supported, of a kind the model writes: see
``GenerativeAnswerer.stream``); the first ``limit`` of them in the split's order are run. Per item: kept (a
supported generated answer was shown) or the fallback's reason, claims kept and dropped, unsupported claims shown,
key facts of the LLM and of the extractive answer, time to first token and in all.

"Unsupported claims shown" is counted by ``recheck``, which does not use the guard: it splits the shown text at
its own citation tags and requires each claim to name one cited unit whose text holds the claim's digits, numerals,
quoted terms and Latin number words and at least half of its Chinese characters.
"""

from __future__ import annotations

import json
import re
import statistics
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from itertools import islice
from pathlib import Path

from tqdm import tqdm

from ..answering.answer import Answer
from ..answering.kinds import GENERATIVE_KINDS
from ..answering.support import FULL
from ..assistant import Assistant
from ..base.files import atomic_write
from ..text.corpus import Unit
from .evaluate import EvalItem

__all__ = ["LLMItem", "evaluate_llm", "llm_report", "recheck"]

_CLAIM = re.compile(r"([^\[\]\n]*?)\[([^\[\]]{1,30})\]([。！？!?；;.：:]?)")
_DIGITS = re.compile(r"\d+(?:\.\d+)?")
_NUMERAL_RUN = re.compile(r"[零〇一二两三四五六七八九十百千万亿壹贰叁肆伍陆柒捌玖拾佰仟]{2,}")
_ROMAN = re.compile(r"[\u2160-\u2188]")
_NUMBER_WORD = re.compile(
    r"\b(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|sixty|seventy|"
    r"eighty|ninety|hundred|thousand|million|billion|twice|double|triple|dozen)\b",
    re.I,
)
_QUOTED = re.compile(r"[“「『‘\"']([^“”「」『』‘’\"']{1,200})[”」』’\"']")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_REFERENCE = re.compile(r"第[\d零一二两三四五六七八九十百]+[条段]|第[\d零一二三四五六七八九十]+部分|《[^》]*》")


@dataclass
class LLMItem:
    """One item through the chat model."""

    id: str
    question: str
    kept: bool
    reason: str
    claims_kept: int
    claims_dropped: int
    unsupported_shown: int
    key_facts_llm: float
    key_facts_extractive: float
    first_token_seconds: float | None
    total_seconds: float
    reply: str = ""
    dropped: tuple[tuple[str, str], ...] = ()


def recheck(answer: Answer, units: dict[str, Unit]) -> list[str]:
    """The claims of a shown LLM answer that its citations do not bear out (independently of the guard)."""
    if answer.generation is None or not answer.generation.kept:
        return []
    cited = list({c.unit_id: units[c.unit_id] for c in answer.citations}.values())
    text = answer.generation.generated
    problems = []
    for claim, tag, _ in _CLAIM.findall(text):
        named = [u for u in cited if tag.endswith(u.reference) and (tag == u.reference or u.short.strip("《》") in tag)]
        if len(named) != 1:
            problems.append(f"{claim}[{tag}]: the tag names no cited unit")
            continue
        source = named[0].text
        said = _REFERENCE.sub("", claim)
        tokens = _DIGITS.findall(said) + _NUMERAL_RUN.findall(said) + _ROMAN.findall(said)
        tokens += _QUOTED.findall(said)
        missing = [token for token in tokens if token not in source] + _NUMBER_WORD.findall(said)
        characters = _CJK.findall(said)
        if missing or (characters and sum(ch in source for ch in characters) < len(characters) / 2):
            problems.append(f"{claim}[{tag}]: {'、'.join(missing) or 'its wording'} not in {named[0].label}")
    return problems


def _key_facts(item: EvalItem, text: str) -> float:
    found = [fact for fact in item.key_facts if fact in text]
    found += [pattern for pattern in item.answer_patterns if re.search(pattern, text)]
    expected = len(item.key_facts) + len(item.answer_patterns)
    return len(found) / expected if expected else 1.0


def _asked_items(extractive: Assistant, items: Sequence[EvalItem]) -> Iterator[tuple[EvalItem, Answer]]:
    """The items the model is asked about, each with its extractive answer."""
    for item in items:
        if not item.answerable or item.history:
            continue
        answer, evidence = extractive.answer_with_evidence(item.question)
        if answer.support == FULL and evidence.question.kind in GENERATIVE_KINDS and not evidence.direct:
            yield item, answer


def evaluate_llm(
    assistant: Assistant, items: Sequence[EvalItem], limit: int | None = None, progress: bool = False
) -> list[LLMItem]:
    """Run the first ``limit`` items the model is asked about through ``assistant`` (which has a chat model)."""
    if assistant.generator is None:
        raise ValueError("evaluate_llm needs an assistant with a chat model")
    chosen = list(islice(_asked_items(assistant.with_chat_model(None), items), limit))
    units = {u.id: u for u in assistant.corpus.units}
    results = []
    for item, baseline in tqdm(chosen, desc="eval --llm", unit="q", disable=not progress, leave=False):
        answer = assistant.ask(item.question)
        generation = answer.generation
        assert generation is not None
        results.append(
            LLMItem(
                item.id,
                item.question,
                generation.kept,
                generation.reason,
                generation.claims_kept,
                len(generation.dropped),
                len(recheck(answer, units)),
                _key_facts(item, answer.text),
                _key_facts(item, baseline.text),
                generation.first_token_seconds,
                generation.total_seconds,
                generation.reply,
                generation.dropped,
            )
        )
    return results


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def llm_report(results: Sequence[LLMItem], model: str) -> tuple[str, dict]:
    """The Markdown table (one row per item, then the totals) and the summary as a dict."""
    kept = [r for r in results if r.kept]
    firsts = [r.first_token_seconds for r in results if r.first_token_seconds is not None]
    summary = {
        "model": model,
        "items": len(results),
        "kept": len(kept),
        "fallbacks": len(results) - len(kept),
        "claims_kept": sum(r.claims_kept for r in results),
        "claims_dropped": sum(r.claims_dropped for r in results),
        "unsupported_shown": sum(r.unsupported_shown for r in results),
        "key_facts_llm": statistics.fmean([r.key_facts_llm for r in results]) if results else 0.0,
        "key_facts_extractive": statistics.fmean([r.key_facts_extractive for r in results]) if results else 0.0,
        "first_token_median_s": statistics.median(firsts) if firsts else None,
        "total_median_s": statistics.median([r.total_seconds for r in results]) if results else None,
    }
    lines = [
        f"# LLM answers: {model}",
        "",
        "| item | question | kept | fallback reason | claims kept / dropped | unsupported shown | key facts LLM / "
        "extractive | first token s | total s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r.id} | {r.question} | {'yes' if r.kept else 'no'} | {r.reason or '-'} | {r.claims_kept} / "
            f"{r.claims_dropped} | {r.unsupported_shown} | {r.key_facts_llm:.2f} / {r.key_facts_extractive:.2f} | "
            f"{_seconds(r.first_token_seconds)} | {r.total_seconds:.1f} |"
        )
    lines += [
        "",
        f"kept {summary['kept']} of {summary['items']}; claims kept {summary['claims_kept']}, dropped "
        f"{summary['claims_dropped']}; unsupported claims shown {summary['unsupported_shown']}; key facts LLM "
        f"{summary['key_facts_llm']:.3f}, extractive {summary['key_facts_extractive']:.3f}; median first token "
        f"{_seconds(summary['first_token_median_s'])} s, median total {_seconds(summary['total_median_s'])} s",
    ]
    return "\n".join(lines) + "\n", summary


def write_llm_outputs(results: Sequence[LLMItem], model: str, folder: Path) -> tuple[dict, Path]:
    """Write ``llm.md`` and ``llm.json`` into ``folder``; returns the summary and the report's path."""
    report, summary = llm_report(results, model)
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write(folder / "llm.md", report.encode("utf-8"))
    payload = {"summary": summary, "items": [asdict(r) for r in results]}
    atomic_write(folder / "llm.json", json.dumps(payload, ensure_ascii=False, indent=1).encode("utf-8"))
    return summary, folder / "llm.md"
