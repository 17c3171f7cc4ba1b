"""Spot-then-recognise score (STRS) = spotting F1 x recognition F1.

Recognition is scored on the spotted true positives only: every found ground truth that carries an
emotion is paired with the prediction that matches it best (highest IoU, then higher score, then
earlier); the pair is ``(ground-truth emotion, predicted emotion)``. Ground truths without an emotion
are left out. Emotions are compared case-insensitively. When every predicted emotion is a MEGC class
(negative / positive / surprise / others, what a default model predicts), the ground truth's dataset words
are mapped to those classes first with the same alias table training uses (``happiness`` -> positive,
``disgust`` -> negative, an unknown word -> others), so evaluation and training read the labels alike.

Recognition precision and recall are class-averaged (macro) over the emotion classes present among the
paired ground truths: for class ``c``, ``P_c = #(true c, predicted c) / #(predicted c)`` and
``R_c = #(true c, predicted c) / #(true c)`` (0 for a zero denominator); ``P`` and ``R`` are their means
and ``F1 = 2PR / (P + R)``. A predicted emotion outside those classes (or an empty one) is a wrong
answer: it lowers the recall of the true class. Spotting F1 is the ``overall`` F1 of
`causalex.metrics.spotting.evaluate_spotting` with the same variant.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

from causalex.labels import MEGC_EMOTIONS, Interval, to_megc_emotion
from causalex.metrics.spotting import SpottingResult, best_matches, evaluate_spotting, f1_score


@dataclass(frozen=True)
class STRSResult:
    """STRS and its parts.

    Attributes:
        spotting_f1: spotting F1 of ``row`` (micro by default).
        recognition_precision, recognition_recall, recognition_f1: class-averaged scores on the pairs.
        strs: ``spotting_f1 * recognition_f1``.
        n_pairs: spotted true positives whose ground truth has an emotion.
        classes: emotion classes averaged over, sorted.
    """

    spotting_f1: float
    recognition_precision: float
    recognition_recall: float
    recognition_f1: float
    strs: float
    n_pairs: int
    classes: tuple[str, ...]
    row: str = "micro"  # expressions scored: micro (the STRS definition) or overall (both types)

    def to_json(self) -> dict:
        """All fields as a JSON-ready dict (``classes`` as a list)."""
        return {"strs": self.strs, "row": self.row, "spotting_f1": self.spotting_f1,
                "recognition_precision": self.recognition_precision,
                "recognition_recall": self.recognition_recall, "recognition_f1": self.recognition_f1,
                "n_pairs": self.n_pairs, "classes": list(self.classes)}


def _emotion(iv: Interval) -> str:
    return iv.emotion.strip().lower()


def truth_emotion_mapper(predictions: Sequence[Interval]) -> Callable[[str], str]:
    """How ground-truth emotion words are read: mapped to the MEGC classes (training's alias table) when
    every non-empty predicted emotion is a MEGC class (`causalex.labels.to_megc_emotion`), else only lower-cased."""
    predicted = {_emotion(p) for p in predictions} - {""}
    if predicted and predicted <= set(MEGC_EMOTIONS):
        return to_megc_emotion
    return lambda word: word.strip().lower()


def recognition_pairs(predictions: Sequence[Interval], ground_truth: Sequence[Interval],
                      variant: str = "megc") -> list[tuple[str, str]]:
    """``(true emotion, predicted emotion)`` for every spotted ground truth that has an emotion (the true word
    read by `truth_emotion_mapper`)."""
    matches = best_matches(predictions, ground_truth, variant)
    read_truth = truth_emotion_mapper(predictions)
    return [(read_truth(ground_truth[g].emotion), _emotion(predictions[p])) for g, p in sorted(matches.items())
            if _emotion(ground_truth[g])]


def class_averaged_scores(pairs: Sequence[tuple[str, str]]) -> tuple[float, float, float, tuple[str, ...]]:
    """Macro precision, recall, F1 and the classes of label pairs (one-vs-rest per class, then averaged).

    The classes are every label seen among the pairs, true or predicted (as the STRS reference code,
    Liong et al. 2023): a predicted class no true label has counts with recall 0.

    Args:
        pairs: ``(true, predicted)`` labels.

    Returns:
        ``(precision, recall, f1, classes)``; all 0 and no classes when ``pairs`` is empty.
    """
    classes = tuple(sorted({label for pair in pairs for label in pair}))
    if not classes:
        return 0.0, 0.0, 0.0, classes
    precisions, recalls = [], []
    for c in classes:
        hits = sum(1 for true, pred in pairs if true == c and pred == c)
        n_pred = sum(1 for _, pred in pairs if pred == c)
        n_true = sum(1 for true, _ in pairs if true == c)
        precisions.append(hits / n_pred if n_pred else 0.0)
        recalls.append(hits / n_true if n_true else 0.0)
    precision, recall = sum(precisions) / len(classes), sum(recalls) / len(classes)
    return precision, recall, f1_score(precision, recall), classes


STRS_ROWS = ("micro", "overall")  # micro: micro-expressions only, as the STRS reference; overall: both types


def strs(predictions: list[Interval], ground_truth: list[Interval], variant: str = "megc",
         spotting: SpottingResult | None = None, row: str = "micro") -> STRSResult | None:
    """Spot-then-recognise score of predictions that carry an ``emotion``.

    STRS is defined for micro-expressions (Liong et al. 2023; MEGC's spot-then-recognise task): by default
    the spotting F1 is the micro F1 and only micro-expressions are recognised. ``row="overall"`` takes both
    types (overall spotting F1, every spotted expression recognised).

    Args:
        predictions: predicted intervals with ``emotion``.
        ground_truth: labelled intervals with ``emotion`` (empty ones are left out of recognition).
        variant: IoU convention used to find the spotted true positives (``megc`` or ``auwgcn``).
        spotting: spotting result already computed with the same variant (computed when None).
        row: ``micro`` (default) or ``overall``, see above.

    Returns:
        `STRSResult`, or None when no ground truth of those types has an emotion.
    """
    if row not in STRS_ROWS:
        raise ValueError(f"unknown STRS row {row!r}; valid: {', '.join(STRS_ROWS)}")
    if row == "micro":
        predictions = [p for p in predictions if p.type == "micro"]
        ground_truth = [g for g in ground_truth if g.type == "micro"]
    if not any(_emotion(g) for g in ground_truth):
        return None
    if spotting is None:
        spotting = evaluate_spotting(predictions, ground_truth, variant)
    pairs = recognition_pairs(predictions, ground_truth, variant)
    precision, recall, f1, classes = class_averaged_scores(pairs)
    spot_f1 = spotting[row].f1
    return STRSResult(spotting_f1=spot_f1, recognition_precision=precision, recognition_recall=recall,
                      recognition_f1=f1, strs=spot_f1 * f1, n_pairs=len(pairs), classes=classes, row=row)
