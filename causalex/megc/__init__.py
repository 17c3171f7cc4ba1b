"""MEGC 2025/2026 challenge tasks: spot-then-recognise submissions and ME-VQA / ME-LVQA answers.

Modules: `facs` (AU names and emotion classes), `questions` (question files and kinds), `evidence`
(spotted events and the AUs that rise in them), `answer` (answers from the evidence), `submission`
(answer JSONL and STR CSV files), `scoring` (UF1, UAR, BLEU, ROUGE-1).
"""

from causalex.megc.answer import Answer, answer_questions, chained_text
from causalex.megc.evidence import Event, RiseRule, VideoEvidence, build_evidence, rising_aus
from causalex.megc.questions import KINDS, Question, classify, read_questions
from causalex.megc.scoring import bleu, rouge1, score_answers, uf1_uar
from causalex.megc.submission import read_answers, str_rows, write_answers, write_str_csv

__all__ = ["KINDS", "Answer", "Event", "Question", "RiseRule", "VideoEvidence", "answer_questions", "bleu",
           "build_evidence", "chained_text", "classify", "read_answers", "read_questions", "rising_aus", "rouge1",
           "score_answers", "str_rows", "uf1_uar", "write_answers", "write_str_csv"]
