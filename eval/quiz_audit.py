"""Audit the quiz generator: over several scopes and seeds, count what `training.quiz_problems` reports.

    python eval/quiz_audit.py [--seeds 40] [--n 20]

Prints, per scope, the questions made (mean, min), the leakage pairs, the reused sentences, the distractors the
substitution rule rejects and the invalid questions, then a total; exits 1 when any count is not zero.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter

from assistant.base.config import Settings
from assistant.base.errors import QuestionError
from assistant.text.corpus import load_corpus
from assistant.training.study import make_quiz, quiz_problems, select_units

SCOPES = {"全文": {}, "第11-13条": {"articles": "11-13"}, "第二部分": {"parts": "二"}, "第5、7条": {"articles": "5,7"}}
_KINDS = {
    "leakage pairs": re.compile(r"shows .*the answer of"),
    "reused sentences": re.compile(r"the sentence of Q\d+ again"),
    "rejected distractors": re.compile(r"^Q\d+: '.*' for '"),
}


def audit(seeds: int, count: int) -> dict[str, Counter]:
    settings = Settings()
    corpus = load_corpus(settings.corpus_dir, settings.max_file_bytes)
    results: dict[str, Counter] = {}
    for name, scope in SCOPES.items():
        units = select_units(corpus, **scope)
        tally: Counter = Counter()
        sizes = []
        for seed in range(seeds):
            try:
                quiz = make_quiz(corpus, units, count=count, seed=seed)
            except QuestionError:
                tally["empty quizzes"] += 1
                continue
            sizes.append(len(quiz.questions))
            tally.update(q.kind for q in quiz.questions)
            for problem in quiz_problems(quiz, corpus):
                kind = next((k for k, pattern in _KINDS.items() if pattern.search(problem)), "invalid questions")
                tally[kind] += 1
        tally["questions (min)"] = min(sizes, default=0)
        tally["questions (mean x10)"] = round(10 * sum(sizes) / max(len(sizes), 1))
        results[name] = tally
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=40)
    parser.add_argument("--n", type=int, default=20)
    args = parser.parse_args()
    results = audit(args.seeds, args.n)
    failures = 0
    header = ["scope", "mean", "min", "填空", "单选", "多选", "判断", *_KINDS, "invalid questions", "empty quizzes"]
    print(" | ".join(header))
    for name, tally in results.items():
        bad = [tally[k] for k in (*_KINDS, "invalid questions", "empty quizzes")]
        failures += sum(bad)
        kinds = [tally[k] for k in ("填空", "单选", "多选", "判断")]
        print(" | ".join(map(str, [name, tally["questions (mean x10)"] / 10, tally["questions (min)"], *kinds, *bad])))
    print(f"{args.seeds} seeds x {len(results)} scopes, {args.n} questions asked for each: "
          f"{'no problems' if not failures else f'{failures} problems'}")  # fmt: skip
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
