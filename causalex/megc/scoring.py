"""Scores of ME-VQA / ME-LVQA answers as the challenge computes them.

* **UF1 / UAR** on the class answers (coarse and fine, each separately): over the classes seen among the
  true and the given answers (as scikit-learn's report with ``labels=sorted(set(y_true + y_pred))``, which
  MEGC participants' scoring scripts use), UF1 is the mean one-vs-rest F1 and UAR the mean recall (0 for a
  class no true answer has). Answers are compared lower-cased and stripped of end punctuation.
* **BLEU**: sentence BLEU-4 (uniform weights, brevity penalty against the single reference) with
  smoothing method 1 (epsilon 0.1 added to a zero n-gram count), on lower-cased whitespace tokens,
  averaged over all questions: NLTK's ``sentence_bleu(..., smoothing_function=method1)``, which the
  challenge's scripts call, written out here (no NLTK dependency). A one-word answer that is right scores
  ``0.1 ** 0.75 = 0.178`` (no 2-, 3- or 4-grams), a wrong one 0.
* **ROUGE-1**: unigram overlap on rouge-score's tokens (lower case, runs of characters other than ``a-z0-9``
  split), F-measure and recall, averaged over all questions. Deviation: no Porter stemming (rouge-score's
  ``use_stemmer=True``), so ``unit`` and ``units`` differ here.
A question without an answer scores 0 on BLEU and ROUGE and counts as a wrong class answer.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Sequence

from causalex.megc.questions import AU_SHOWN, AU_SIDE, AUS, CLASS_KINDS, DISTINCT_AUS, KINDS, UNKNOWN, Question

BLEU_EPSILON = 0.1  # NLTK SmoothingFunction.epsilon (method1)
LIST_KINDS = (AUS, DISTINCT_AUS)  # exact match compares the listed AUs as sets


def _ngrams(tokens: Sequence[str], n: int) -> Counter:
    return Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))


def bleu(reference: str, hypothesis: str, max_n: int = 4) -> float:
    """Sentence BLEU of ``hypothesis`` against one ``reference`` (lower-cased, whitespace tokens), uniform
    weights up to ``max_n``-grams, smoothing method 1; 0 when no unigram matches."""
    ref, hyp = reference.lower().split(), hypothesis.lower().split()
    if not hyp or not ref:
        return 0.0
    logs = []
    for n in range(1, max_n + 1):
        hyp_counts, ref_counts = _ngrams(hyp, n), _ngrams(ref, n)
        hits = sum(min(c, ref_counts[g]) for g, c in hyp_counts.items())
        total = max(1, sum(hyp_counts.values()))
        if n == 1 and hits == 0:
            return 0.0
        logs.append(math.log((hits if hits else BLEU_EPSILON) / total))
    brevity = 1.0 if len(hyp) > len(ref) else math.exp(1 - len(ref) / len(hyp))
    return brevity * math.exp(math.fsum(logs) / max_n)


def rouge_tokens(text: str) -> list[str]:
    """rouge-score's tokens without stemming: lower case, split on every run of characters outside ``a-z0-9``."""
    return [t for t in re.split(r"[^a-z0-9]+", text.lower()) if t]


def rouge1(reference: str, hypothesis: str) -> tuple[float, float, float]:
    """ROUGE-1 ``(precision, recall, f)`` of ``hypothesis`` against ``reference`` (0s when either has no token)."""
    ref, hyp = Counter(rouge_tokens(reference)), Counter(rouge_tokens(hypothesis))
    if not ref or not hyp:
        return 0.0, 0.0, 0.0
    overlap = sum((ref & hyp).values())
    p, r = overlap / sum(hyp.values()), overlap / sum(ref.values())
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def class_answer(text: str) -> str:
    """A class answer as compared: lower case, outer spaces and end punctuation removed."""
    return text.strip().lower().strip(" .!\"'")


def uf1_uar(pairs: Sequence[tuple[str, str]]) -> tuple[float, float, tuple[str, ...]]:
    """``(UF1, UAR, classes)`` of ``(true, given)`` class answers; classes are all labels seen (see module)."""
    classes = tuple(sorted({c for pair in pairs for c in pair}))
    if not classes:
        return 0.0, 0.0, classes
    f1s, recalls = [], []
    for c in classes:
        tp = sum(t == c and g == c for t, g in pairs)
        fp = sum(t != c and g == c for t, g in pairs)
        fn = sum(t == c and g != c for t, g in pairs)
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
        recalls.append(tp / (tp + fn) if tp + fn else 0.0)
    return sum(f1s) / len(classes), sum(recalls) / len(classes), classes


def _items(text: str) -> frozenset[str]:
    return frozenset(i.strip(" .").lower() for i in re.split(r",|\band\b", text) if i.strip(" ."))


def exact(kind: str, truth: str, given: str) -> bool:
    """Whether an answer is right: the same AU set for list kinds, else the same normalised text."""
    if kind in LIST_KINDS:
        return _items(truth) == _items(given)
    if kind in (AU_SHOWN, AU_SIDE) or kind in CLASS_KINDS:
        return class_answer(truth) == class_answer(given)
    return " ".join(truth.lower().split()).strip(" .") == " ".join(given.lower().split()).strip(" .")


def score_answers(truth: list[Question], answers: dict[str, dict[str, str]]) -> dict:
    """Score answers against a truth file.

    Args:
        truth: questions with their ``answer`` (questions without one are left out and counted).
        answers: ``{video_id: row}`` from `causalex.megc.submission.read_answers`.

    Returns:
        ``{"questions", "answered", "missing", "no_truth", "extra", "bleu", "rouge1_f", "rouge1_recall",
        "classes": {kind: {"uf1", "uar", "n", "classes"}}, "kinds": {kind: {"n", "exact"}}}``; the averages are
        None when no question has a true answer.
    """
    scored = [q for q in truth if q.answer is not None and q.answer.strip()]
    given = {q.qid: answers.get(q.qid, {}).get("answer") for q in scored}
    missing = [q.qid for q in scored if given[q.qid] is None]
    bleus, rouge_f, rouge_r = [], [], []
    per_kind: dict[str, list[bool]] = {}
    pairs: dict[str, list[tuple[str, str]]] = {k: [] for k in CLASS_KINDS}
    for q in scored:
        text = given[q.qid] or ""
        bleus.append(bleu(q.answer, text))
        _, r, f = rouge1(q.answer, text)
        rouge_f.append(f)
        rouge_r.append(r)
        per_kind.setdefault(q.kind, []).append(exact(q.kind, q.answer, text))
        if q.kind in pairs:
            pairs[q.kind].append((class_answer(q.answer), class_answer(text)))
    classes = {}
    for kind, kind_pairs in pairs.items():
        if kind_pairs:
            uf1, uar, names = uf1_uar(kind_pairs)
            classes[kind] = {"uf1": uf1, "uar": uar, "n": len(kind_pairs), "classes": list(names)}

    def mean(xs: list[float]) -> float | None:
        return sum(xs) / len(xs) if xs else None

    order = [k for k in (*KINDS, UNKNOWN) if k in per_kind]
    return {"questions": len(truth), "answered": len(scored) - len(missing), "missing": missing,
            "no_truth": len(truth) - len(scored), "extra": len(set(answers) - {q.qid for q in truth}),
            "bleu": mean(bleus), "rouge1_f": mean(rouge_f), "rouge1_recall": mean(rouge_r), "classes": classes,
            "kinds": {k: {"n": len(per_kind[k]), "exact": sum(per_kind[k]) / len(per_kind[k])} for k in order}}
