"""`causalex megc ...` and `simulate --questions` end to end on a tiny simulated corpus."""

import json

import pytest
from typer.testing import CliRunner

from causalex_cli.main import app

runner = CliRunner()
LABEL_KINDS = ("coarse", "count", "count_micro", "count_macro", "kth_type")  # what labels alone decide


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    out = tmp_path_factory.mktemp("megc") / "corpus"
    result = runner.invoke(app, ["simulate", "-o", str(out), "--preset", "tiny", "--seed", "4", "--questions"])
    assert result.exit_code == 0, result.output
    return out


def test_simulated_questions_parse_with_true_answers(corpus):
    from causalex.labels import read_labels_csv
    from causalex.megc import read_questions

    questions = read_questions(corpus / "questions.jsonl")
    labels = read_labels_csv(corpus / "labels.csv")
    coarse = [q for q in questions if q.kind == "coarse"]
    assert len(coarse) == len(labels) and all(q.window and q.answer for q in coarse)
    assert {q.kind for q in questions} >= {"fine", "aus", "au_shown", "chained", "distinct_aus", *LABEL_KINDS}


def test_answers_from_true_labels_score_perfectly_on_label_kinds(corpus, tmp_path):
    answers, scores = tmp_path / "answers.jsonl", tmp_path / "scores.json"
    result = runner.invoke(app, ["megc", "answer", str(corpus / "questions.jsonl"), "--predictions",
                                 str(corpus / "labels.csv"), "--series", str(corpus), "-o", str(answers)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in answers.read_text().splitlines()]
    assert rows and set(rows[0]) == {"video_id", "video", "question", "answer"}
    result = runner.invoke(app, ["megc", "score", str(answers), "--truth", str(corpus / "questions.jsonl"),
                                 "--json", str(scores)])
    assert result.exit_code == 0, result.output
    doc = json.loads(scores.read_text())
    assert all(doc["kinds"][k]["exact"] == 1.0 for k in LABEL_KINDS), doc["kinds"]
    assert doc["classes"]["coarse"]["uf1"] == 1.0 and doc["classes"]["coarse"]["uar"] == 1.0
    assert doc["kinds"]["au_shown"]["exact"] > 0.7  # AUs from the series: measured, not given


def test_str_submission_and_strs(corpus, tmp_path):
    out, scores = tmp_path / "str.csv", tmp_path / "strs.json"
    result = runner.invoke(app, ["megc", "str", str(corpus / "labels.csv"), "--labels", str(corpus / "labels.csv"),
                                 "-o", str(out), "--json", str(scores)])
    assert result.exit_code == 0, result.output
    lines = out.read_text().splitlines()
    assert lines[0] == "subject,video,onset,offset,emotion" and len(lines) > 1
    assert all(line.split(",")[0].startswith("s") for line in lines[1:])  # subjects from the labels
    assert json.loads(scores.read_text())["strs"] == 1.0 and "STRS (micro) 1.0000" in result.output


def test_bad_input_is_one_line_with_file_and_line(corpus, tmp_path):
    bad = tmp_path / "q.jsonl"
    bad.write_text('{"id": "a", "video": "s01_v01", "question": "How many expressions?"}\n{oops\n')
    result = runner.invoke(app, ["megc", "answer", str(bad), "--predictions", str(corpus / "labels.csv"),
                                 "-o", str(tmp_path / "a.jsonl")])
    assert result.exit_code == 2 and f"{bad}, line 2: not JSON" in result.output.replace("\n", "")
    assert not (tmp_path / "a.jsonl").exists()
    bad.write_text('{"id": "a", "video": "nobody", "question": "How many expressions?"}\n')
    result = runner.invoke(app, ["megc", "answer", str(bad), "--predictions", str(corpus / "labels.csv"),
                                 "-o", str(tmp_path / "a.jsonl")])
    assert result.exit_code == 2 and "line 1: video 'nobody' has no predictions" in result.output.replace("\n", "")
    result = runner.invoke(app, ["megc", "answer", str(bad), "--predictions", str(corpus / "labels.csv"),
                                 "-o", str(tmp_path / "a.jsonl"), "--ignore-aus", "AU99"])
    assert result.exit_code == 2 and "unknown action unit 'AU99'" in result.output


def test_simulate_without_questions_removes_stale_file(tmp_path):
    out = tmp_path / "c"
    assert runner.invoke(app, ["simulate", "-o", str(out), "--preset", "tiny", "--questions"]).exit_code == 0
    assert (out / "questions.jsonl").is_file()
    assert runner.invoke(app, ["simulate", "-o", str(out), "--preset", "tiny", "--seed", "1"]).exit_code == 0
    assert not (out / "questions.jsonl").exists()


def test_question_writer_checks_the_corpus_plan():
    from causalex.errors import InputError
    from causalex.simulate import generate_corpus
    from causalex.simulate.questions import expression_aus, shown_aus

    corpus = generate_corpus("tiny", seed=5)
    aus = expression_aus(corpus.preset, 5, corpus.labels)
    assert len(aus) == len(corpus.labels) and all(aus)
    assert shown_aus({"AU12": 1.0}, corpus.preset) == {"AU12", "AU06", "AU25"}  # 0.7 and 0.6 reach 0.5; AU26 0.42 not
    with pytest.raises(InputError, match="does not give these labels"):
        expression_aus(corpus.preset, 6, corpus.labels)


def test_str_types_and_emotion_words(tmp_path):
    preds = tmp_path / "p.csv"
    preds.write_text("video,onset,apex,offset,type,score,emotion\nv1,10,12,14,micro,0.9,happiness\n"
                     "v1,30,40,60,macro,0.8,disgust\nv0,5,6,7,micro,0.5,\n")
    out = tmp_path / "str.csv"
    assert runner.invoke(app, ["megc", "str", str(preds), "-o", str(out)]).exit_code == 0
    assert out.read_text().splitlines()[1:] == [",v0,5,7,", ",v1,10,14,positive"]
    assert runner.invoke(app, ["megc", "str", str(preds), "-o", str(out), "--types", "all"]).exit_code == 0
    assert out.read_text().splitlines()[-1] == ",v1,30,60,negative"
