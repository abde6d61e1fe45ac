"""The intent classifier: TF-IDF features and a linear model (scikit-learn), trained from
labelled examples (text, intent). Pure: no I/O, no clock, deterministic for a given set of
examples (docs/intents.md).

    model = train(examples)                    # raises NotEnoughExamples if it cannot learn
    model.classify("where is my parcel?")      # Classification(intent='delivery', ...)

A classification below the model's threshold has no intent (``intent is None``): the engine
then acts as if there were no classifier at all.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

MAX_CHARS = 2000          # only the start of a message is read: bounds the time per message
DEFAULT_THRESHOLD = 0.6
MIN_PER_INTENT = 5
MIN_INTENTS = 2

Example = tuple[str, str]  # (text, intent)

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\ufeff]")
_SIGNATURE = re.compile(r"^--\s*$")  # the signature delimiter, "-- " (RFC 3676)
_QUOTE_HEADER = re.compile(r"^(on .{0,200} wrote:|-+ ?original message ?-+)\s*$")


def normalise(text: str) -> str:
    """What the classifier reads of a message: its first MAX_CHARS characters, lower case,
    without control characters, quoted lines ('>'), an earlier message's header ("On ...
    wrote:") and anything after a signature delimiter ("-- ")."""
    if not isinstance(text, str):
        return ""
    text = _CONTROL.sub(" ", text[:MAX_CHARS].replace("\r\n", "\n").replace("\r", "\n"))
    kept = []
    for line in text.split("\n"):
        if _SIGNATURE.match(line):
            break
        lowered = line.strip().lower()
        if lowered.startswith(">") or _QUOTE_HEADER.match(lowered):
            continue
        kept.append(lowered)
    return " ".join(" ".join(kept).split())


@dataclass(frozen=True)
class Classification:
    """The best intent (None: below the threshold, or no text), its probability and every
    intent's probability."""

    intent: str | None
    confidence: float
    scores: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))


class NotEnoughExamples(ValueError):
    """The examples cannot train a useful model: names the intents that lack examples."""

    def __init__(self, lacking: Mapping[str, int], *, min_per_intent: int, intents: int,
                 min_intents: int) -> None:
        self.lacking = dict(lacking)
        self.min_per_intent, self.min_intents = min_per_intent, min_intents
        parts = []
        if self.lacking:
            named = ", ".join(f"{name} ({n})" for name, n in sorted(self.lacking.items()))
            parts.append(f"intents with fewer than {min_per_intent} examples: {named}")
        if intents < min_intents:
            parts.append(f"{intents} intent(s) with enough examples, at least {min_intents} "
                         "needed")
        super().__init__("not enough examples to classify intents: " + "; ".join(parts))


def _pipeline() -> Pipeline:
    """Word uni- and bigrams plus character 2-5-grams within words (typos, inflections),
    both with sublinear tf; a multinomial logistic regression over them."""
    words = TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True,
                            token_pattern=r"(?u)\b\w+\b", min_df=1, dtype=numpy.float32)
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True,
                            min_df=1, dtype=numpy.float32)
    return Pipeline([
        ("features", FeatureUnion([("words", words), ("chars", chars)])),
        ("classifier", LogisticRegression(C=20.0, max_iter=5000, random_state=0)),
    ])


class _Scorer:
    """The fitted pipeline's predict_proba for one text, computed directly: the same
    analyzers, vocabularies, idf weights and coefficients, without scikit-learn's per-call
    validation and sparse-matrix assembly (about a tenth of the time per message)."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.parts = []
        offset = 0
        for _, vectorizer in pipeline.named_steps["features"].transformer_list:
            vocabulary = vectorizer.vocabulary_
            self.parts.append((vectorizer.build_analyzer(), vocabulary,
                               numpy.asarray(vectorizer.idf_, dtype=numpy.float64), offset))
            offset += len(vocabulary)
        classifier = pipeline.named_steps["classifier"]
        self.coef = numpy.ascontiguousarray(classifier.coef_.T, dtype=numpy.float64)
        self.intercept = numpy.asarray(classifier.intercept_, dtype=numpy.float64)

    def probabilities(self, text: str) -> numpy.ndarray:
        logits = self.intercept.copy()
        for analyzer, vocabulary, idf, offset in self.parts:
            counts = Counter(i for term in analyzer(text)
                             if (i := vocabulary.get(term)) is not None)
            if not counts:
                continue
            index = numpy.fromiter(counts.keys(), dtype=numpy.intp, count=len(counts))
            tf = numpy.fromiter(counts.values(), dtype=numpy.float64, count=len(counts))
            weights = (1.0 + numpy.log(tf)) * idf[index]       # sublinear tf times idf
            weights /= numpy.sqrt(weights @ weights)             # l2, per vectorizer
            logits += weights @ self.coef[index + offset]
        if logits.shape[0] == 1:                                 # two intents: a logistic
            p = 1.0 / (1.0 + numpy.exp(-logits[0]))
            return numpy.array([1.0 - p, p])
        logits -= logits.max()
        e = numpy.exp(logits)
        return e / e.sum()


class IntentModel:
    """A trained classifier (immutable once built; safe to share between threads)."""

    def __init__(self, pipeline: Pipeline, examples: Mapping[str, int], *,
                 threshold: float = DEFAULT_THRESHOLD,
                 left_out: Mapping[str, int] | None = None) -> None:
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"threshold must be from 0 to 1, got {threshold!r}")
        self._pipeline = pipeline
        self._scorer = _Scorer(pipeline)
        self.threshold = threshold
        self.intents: tuple[str, ...] = tuple(str(c) for c in pipeline.classes_)
        self.examples: Mapping[str, int] = MappingProxyType(dict(examples))
        self.left_out: Mapping[str, int] = MappingProxyType(dict(left_out or {}))

    def with_threshold(self, threshold: float) -> IntentModel:
        """The same trained model with another threshold (nothing is retrained)."""
        return IntentModel(self._pipeline, self.examples, threshold=threshold,
                           left_out=self.left_out)

    def scores(self, text: str) -> dict[str, float]:
        """Every intent's probability for ``text`` ({} when nothing of it is left to read)."""
        clean = normalise(text)
        if not clean:
            return {}
        probabilities = self._scorer.probabilities(clean)
        return {intent: float(p) for intent, p in zip(self.intents, probabilities, strict=True)}

    def pipeline_scores(self, text: str) -> dict[str, float]:
        """``scores`` through scikit-learn's own predict_proba (slower per message; the
        tests check that both agree)."""
        clean = normalise(text)
        if not clean:
            return {}
        probabilities = self._pipeline.predict_proba([clean])[0]
        return {intent: float(p) for intent, p in zip(self.intents, probabilities, strict=True)}

    def classify(self, text: str) -> Classification:
        scores = self.scores(text)
        if not scores:
            return Classification(None, 0.0)
        best = max(scores, key=scores.__getitem__)
        confidence = scores[best]
        return Classification(best if confidence >= self.threshold else None, confidence,
                              MappingProxyType(scores))

    def predict(self, texts: Iterable[str]) -> list[str]:
        """The best intent of each text, whatever its confidence (for measuring)."""
        return [str(c) for c in self._pipeline.predict([normalise(t) for t in texts])]


def count(examples: Iterable[Example]) -> Counter[str]:
    """Examples per intent, of those with text left after normalisation."""
    return Counter(intent for text, intent in examples if normalise(text))


def train(examples: Iterable[Example], *, threshold: float = DEFAULT_THRESHOLD,
          min_per_intent: int = MIN_PER_INTENT, min_intents: int = MIN_INTENTS,
          intents: Iterable[str] = (), require_all: bool = True) -> IntentModel:
    """A model from (text, intent) examples.

    ``intents`` names intents that must be learnt even if no example has them yet (those an
    admin defined). An intent with fewer than ``min_per_intent`` examples is lacking: with
    ``require_all`` any lacking intent raises NotEnoughExamples; without it the lacking
    intents are left out (``model.left_out``) as long as ``min_intents`` remain. Fewer than
    ``min_intents`` intents with enough examples always raises.
    """
    if min_intents < 2:
        raise ValueError("min_intents must be at least 2 (one intent is no classification)")
    pairs = [(clean, str(intent)) for text, intent in examples
             if (clean := normalise(text))]
    per_intent = Counter(intent for _, intent in pairs)
    for name in intents:
        per_intent.setdefault(name, 0)
    lacking = {name: n for name, n in per_intent.items() if n < min_per_intent}
    enough = len(per_intent) - len(lacking)
    if (lacking and require_all) or enough < min_intents:
        raise NotEnoughExamples(lacking, min_per_intent=min_per_intent, intents=enough,
                                min_intents=min_intents)
    pairs = [(text, intent) for text, intent in pairs if intent not in lacking]
    pipeline = _pipeline()
    pipeline.fit([t for t, _ in pairs], [i for _, i in pairs])
    return IntentModel(pipeline, {k: n for k, n in sorted(per_intent.items())
                                  if k not in lacking},
                       threshold=threshold, left_out=lacking)
