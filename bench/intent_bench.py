"""Intent classifier benchmark (a script, not a test): prints figures and the machine.

Trains ccengine/intents on the train split of data/intents/messages.csv (the labelled set
written for this project; data/intents/make_messages.py) and measures it on the test split:
macro-F1, each intent's precision, recall and F1, how many messages clear the confidence
threshold and how often those are right, the training time, and the classification time
per message (mean and p99 of every call, each test message classified many times). Then a
learning curve (macro-F1 from part of the train split) and the "not enough examples" answer.
Target (issue 18): macro-F1 >= 0.85 and under 5 ms per message.

    .venv/bin/python bench/intent_bench.py [--repeat 50] [--threshold 0.6]
"""

from __future__ import annotations

import argparse
import csv
import random
import statistics
import time
from datetime import date
from pathlib import Path

from machine_info import ElsewhereMeter, machine  # bench/ is on sys.path when run as a script

from ccengine.intents.model import MAX_CHARS, NotEnoughExamples, normalise, train

DATA = Path(__file__).resolve().parents[1] / "data" / "intents" / "messages.csv"


def load() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    with DATA.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return ([(r["text"], r["intent"]) for r in rows if r["split"] == "train"],
            [(r["text"], r["intent"]) for r in rows if r["split"] == "test"])


def per_intent(truth: list[str], predicted: list[str]) -> dict[str, tuple[float, float, float,
                                                                           int]]:
    """intent -> (precision, recall, F1, support)."""
    out = {}
    for intent in sorted(set(truth)):
        tp = sum(t == p == intent for t, p in zip(truth, predicted, strict=True))
        said = sum(p == intent for p in predicted)
        real = sum(t == intent for t in truth)
        precision = tp / said if said else 0.0
        recall = tp / real if real else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out[intent] = (precision, recall, f1, real)
    return out


def macro_f1(truth: list[str], predicted: list[str]) -> float:
    return statistics.fmean(f for _, _, f, _ in per_intent(truth, predicted).values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=50,
                        help="times each test message is classified for the timing")
    parser.add_argument("--threshold", type=float, default=0.6)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    print(f"date: {date.today().isoformat()}")
    elsewhere = ElsewhereMeter()
    train_rows, test_rows = load()
    intents = sorted({i for _, i in train_rows})
    print(f"data: {DATA.relative_to(DATA.parents[2])}: {len(train_rows)} train, "
          f"{len(test_rows)} test messages, {len(intents)} intents")

    fits = []
    for _ in range(5):
        started = time.perf_counter()
        model = train(train_rows, threshold=args.threshold)
        fits.append(time.perf_counter() - started)
    print(f"training: {statistics.median(fits) * 1e3:.0f} ms (median of 5), "
          f"{len(train_rows)} examples")

    truth = [i for _, i in test_rows]
    predicted = model.predict(t for t, _ in test_rows)
    print(f"\nmacro-F1 {macro_f1(truth, predicted):.3f}   accuracy "
          f"{sum(t == p for t, p in zip(truth, predicted, strict=True)) / len(truth):.3f}"
          "   (best intent, whatever its confidence)")
    print(f"  {'intent':<18} {'precision':>9} {'recall':>7} {'F1':>6} {'support':>8}")
    for intent, (p, r, f, n) in per_intent(truth, predicted).items():
        print(f"  {intent:<18} {p:>9.3f} {r:>7.3f} {f:>6.3f} {n:>8}")

    results = [model.classify(t) for t, _ in test_rows]
    confident = [(c.intent, i) for c, (_, i) in zip(results, test_rows, strict=True)
                 if c.intent is not None]
    right = sum(a == b for a, b in confident)
    print(f"threshold {args.threshold}: {len(confident)}/{len(results)} messages "
          f"({len(confident) / len(results):.0%}) get an intent, {right}/{len(confident)} "
          f"of those right ({right / max(1, len(confident)):.1%}); the rest get none")

    times = []
    for _ in range(args.repeat):
        for text, _ in test_rows:
            started = time.perf_counter()
            model.classify(text)
            times.append(time.perf_counter() - started)
    times.sort()
    longest = max((normalise(t) for t, _ in test_rows), key=len) + " "
    huge = longest * (MAX_CHARS * 2 // len(longest) + 1)
    huge_times = []
    for _ in range(200):
        started = time.perf_counter()
        model.classify(huge)
        huge_times.append(time.perf_counter() - started)
    huge_times.sort()
    print(f"\nclassify: {len(times)} calls: mean {statistics.fmean(times) * 1e3:.3f} ms, "
          f"p50 {times[len(times) // 2] * 1e3:.3f} ms, p99 "
          f"{times[int(len(times) * 0.99)] * 1e3:.3f} ms, max {times[-1] * 1e3:.3f} ms")
    print(f"classify a {len(huge)}-character message (read up to {MAX_CHARS}): mean "
          f"{statistics.fmean(huge_times) * 1e3:.3f} ms, p99 "
          f"{huge_times[int(len(huge_times) * 0.99)] * 1e3:.3f} ms")

    print("\nlearning curve (macro-F1 on the test split, trained on part of the train "
          "split, 3 random draws each):")
    rnd = random.Random(18)
    for share in (0.25, 0.5, 0.75, 1.0):
        scores = []
        for _ in range(3 if share < 1 else 1):
            part = [r for intent in intents
                    for r in rnd.sample([r for r in train_rows if r[1] == intent],
                                        round(share * sum(r[1] == intent
                                                          for r in train_rows)))]
            m = train(part)
            scores.append(macro_f1(truth, m.predict(t for t, _ in test_rows)))
        per = len(part) // len(intents)
        print(f"  {share:>4.0%} ({per:>3} per intent): macro-F1 {statistics.fmean(scores):.3f}")

    few = [(t, i) for t, i in train_rows if i in ("billing", "cancel")][:60] + \
          [(t, i) for t, i in train_rows if i == "refund"][:3]
    few = [r for r in few if r[1] != "cancel"] + [r for r in few if r[1] == "cancel"][:2]
    try:
        train(few)
        print("\nnot enough examples: (trained, unexpectedly)")
    except NotEnoughExamples as e:
        print(f"\nnot enough examples: {e}")
    print(f"elsewhere on the machine meanwhile: {elsewhere.report()}")


if __name__ == "__main__":
    main()
