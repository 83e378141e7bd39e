"""Quiz widgets: feedback, retries, scoring, saved answers, escaping, and the no-kernel fallback."""
import re

import nbformat
import pytest
from nbconvert import HTMLExporter

from helpers.course.content import Choice, MultipleChoiceQuestion, PredictionQuestion, SelfCheckQuestion, load_quiz
from helpers.course.progress import ProgressStore, progress_summary
from helpers.course.quiz import (MultipleChoice, Prediction, Quiz, SelfCheck, compare_prediction, pick_the_head,
                                 predict_first, question_widget, quiz, self_check)

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


@pytest.fixture(autouse=True)
def progress_file(tmp_path, monkeypatch):
    path = tmp_path / "progress.json"
    monkeypatch.setenv("BERT_COURSE_PROGRESS", str(path))
    return path


def scored(topic):
    """The questions of a topic that a quiz shows: all but the predictions."""
    return [q for q in load_quiz(topic) if q.kind != "prediction"]


def make_mc(*correct, text="What is 2 + 2?"):
    choices = tuple(Choice(t, i in correct, f"feedback for {t}") for i, t in enumerate(["3", "4", "5", "four"]))
    return MultipleChoiceQuestion(id="sum", topic="mlm", question=text, choices=choices, explanation="Arithmetic.")


def test_wrong_then_right_gives_feedback_and_allows_retry():
    w = MultipleChoice(make_mc(1))
    assert w.choose(0) is False
    assert "Not quite, try again" in w.feedback.value and "feedback for 3" in w.feedback.value
    assert "Arithmetic" not in w.feedback.value  # the explanation waits for the right answer
    assert w.buttons[0].button_style == "danger"
    assert w.choose(1) is True
    assert "Correct" in w.feedback.value and "feedback for 4" in w.feedback.value and "Arithmetic" in w.feedback.value
    assert (w.attempts, w.first_try_correct, w.solved) == (2, False, True)
    with pytest.raises(ValueError, match="index=7 is not allowed"):
        w.choose(7)


def test_buttons_are_real_focusable_buttons_with_tooltips():
    w = MultipleChoice(make_mc(1))
    assert [b.description for b in w.buttons] == ["3", "4", "5", "four"]  # short choices: text on button
    assert all(b.tooltip.startswith("Answer ") for b in w.buttons)
    long = MultipleChoice(next(q for q in load_quiz("mlm") if q.id == "mlm-mix"))
    assert [b.description for b in long.buttons][:2] == ["A", "B"]  # long choices: letter + label


def test_select_all_that_apply():
    w = MultipleChoice(make_mc(1, 3))
    assert w.question.multiple_answers and not w.buttons and len(w.checkboxes) == 4
    assert w.check([1]) is False and "At least one correct choice is not ticked" in w.feedback.value
    w.checkboxes[1].value = w.checkboxes[3].value = True
    w.check_button.click()
    assert w.solved and w.first_try_correct is False and "Correct" in w.feedback.value


def test_self_check_reveal_and_mark():
    q = SelfCheckQuestion(id="sc", topic="mlm", question="Explain MLM.", model_answer="Predict the original token.")
    w = SelfCheck(q)
    assert w.model_answer.layout.display == "none"
    w.answer_box.value = "mask some tokens"
    w.reveal_button.click()
    assert "Predict the original token." in w.model_answer.value and w.model_answer.layout.display is None
    w.not_yet_button.click()
    assert w.got_it is False and "not yet" in w.feedback.value
    w.got_button.click()
    assert w.got_it is True
    entry = ProgressStore().load()["answers"]["sc"]
    assert entry["answer"] == "mask some tokens" and entry["correct"] is True and entry["attempts"] == 2


def test_quiz_keeps_a_running_score_and_saves_answers():
    qs = [make_mc(1), SelfCheckQuestion(id="sc", topic="mlm", question="?", model_answer="!")]
    qz = Quiz(qs, title="Test quiz")
    assert qz.score == (0, 0, 2) and "Score: 0 of 2 correct (0 answered)" in qz.score_label.value
    qz.items[0].choose(1)
    assert qz.score == (1, 1, 2)
    qz.items[1].mark(False)
    assert qz.score == (1, 2, 2) and "every question answered" in qz.final_score.value
    qz.items[1].mark(True)
    assert qz.score == (2, 2, 2)
    saved = ProgressStore().load()["answers"]
    assert saved["sum"]["first_try_correct"] is True and saved["sc"]["correct"] is True


def test_first_try_is_what_counts():
    qz = Quiz([make_mc(1)])
    qz.items[0].choose(0)
    qz.items[0].choose(1)
    assert qz.score == (0, 1, 1)


def test_course_quizzes_build():
    assert len(quiz("mlm").items) == len(scored("mlm"))
    assert len(pick_the_head().items) == 8
    assert len(self_check().items) == 6
    assert len(quiz().items) == len([q for q in load_quiz() if q.kind != "prediction"])
    assert len(quiz(notebook="4e").items) == len(scored("scale"))
    head = pick_the_head().items[1]  # extractive QA
    assert [b.description for b in head.buttons] == ["[CLS] output", "per-token outputs"]
    assert head.choose(1) and "two linear heads" in head.feedback.value


def test_save_failure_is_reported_not_raised(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("BERT_COURSE_PROGRESS", str(blocker / "progress.json"))  # parent is a file
    w = MultipleChoice(make_mc(1))
    assert w.choose(1) is True
    assert "Progress not saved" in w.status.value


EVIL = '<script>alert("owned")</script><img src=x onerror=alert(1)>'


def _all_html(widget):
    """Every HTML string the live widget shows, plus its static fallback."""
    values = [widget._repr_mimebundle_()["text/html"]]
    stack = [widget]
    while stack:
        w = stack.pop()
        if hasattr(w, "value") and isinstance(w.value, str):
            values.append(w.value)
        stack.extend(getattr(w, "children", ()))
    return "\n".join(values)


def test_text_is_escaped_everywhere():
    choices = (Choice(EVIL, True, "fb " + EVIL), Choice("plain", False, EVIL))
    q = MultipleChoiceQuestion(id="x", topic="mlm", question="Q " + EVIL, choices=choices, explanation=EVIL)
    mc = MultipleChoice(q)
    mc.choose(1)
    mc.choose(0)
    sc = SelfCheck(SelfCheckQuestion(id="y", topic="mlm", question=EVIL, model_answer=EVIL))
    sc.reveal()
    for widget in (mc, sc, Quiz([q])):
        text = _all_html(widget)
        assert "<script" not in text and "<img" not in text
        assert "&lt;script&gt;alert(&quot;owned&quot;)&lt;/script&gt;" in text


def test_display_data_has_widget_view_and_static_fallback():
    qz = quiz("nsp")
    bundle = qz._repr_mimebundle_()
    assert bundle[WIDGET_VIEW]["model_id"] == qz.model_id
    html_text = bundle["text/html"]
    assert html_text.count("<details>") == len(load_quiz("nsp"))
    assert "Run the notebook" in html_text or "run the notebook" in html_text
    assert "Walk through next sentence prediction" in bundle["text/plain"]
    # deterministic, so nbval can compare the stored output of a quiz cell
    assert quiz("nsp")._repr_mimebundle_()["text/html"] == html_text


def test_saved_notebook_without_widget_state_shows_questions_and_details():
    """What nbconvert (and nbviewer, which uses it) shows for a saved notebook with no widget state."""
    qz = quiz("mlm")
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("from helpers.course.quiz import quiz\nquiz('mlm')", execution_count=1)
    cell.outputs = [nbformat.v4.new_output("display_data", data=qz._repr_mimebundle_())]
    nb.cells.append(cell)
    body, _ = HTMLExporter().from_notebook_node(nb)
    for q in scored("mlm"):
        assert re.sub(r"\s+", " ", q.question.split("\n")[0])[:40] in body.replace("&quot;", '"')
    assert body.count("<details>") == len(scored("mlm"))
    assert "Show the answer" in body and "Show the model answer" in body
    assert WIDGET_VIEW not in body  # the widget view is dropped, not rendered as an empty box


def test_prediction_saves_the_choice_and_says_we_compare_later(progress_file, capsys):
    w = predict_first("predict-copy-collapse")
    assert isinstance(w, Prediction) and [b.description for b in w.buttons] == ["A", "B", "C"]
    w.buttons[1].click()
    assert "Your prediction: B." in w.feedback.value and "compare after the run" in w.feedback.value
    assert w.buttons[1].button_style == "info" and w.buttons[0].button_style == ""
    w.choose(0)  # changing one's mind before the run: the latest choice counts
    saved = ProgressStore(progress_file).load()["answers"]["predict-copy-collapse"]
    assert saved["kind"] == "prediction" and saved["answer"] == "A" and saved["attempts"] == 2
    text = compare_prediction("predict-copy-collapse", "bidirectional 97% / 6%, causal 47% / 47%")
    assert "you predicted: A. The bidirectional model is near perfect" in text
    assert "the run shows:  bidirectional 97% / 6%" in text
    assert text in capsys.readouterr().out
    # predictions are not scored: the progress summary counts only quiz questions
    summary = progress_summary()
    assert summary["topics"]["next_token"]["answered"] == 0
    assert summary["topics"]["next_token"]["questions"] == len(
        [q for q in load_quiz("next_token") if q.kind != "prediction"])


def test_compare_without_a_saved_prediction_lists_the_choices():
    text = compare_prediction("predict-live-pretraining", "MLM 66%, NSP 73%")
    assert "none saved" in text and "the choices were: A. Both targets" in text
    with pytest.raises(ValueError, match="question_id='mlm-mix' is not allowed"):
        compare_prediction("mlm-mix", "x")
    with pytest.raises(ValueError, match="index=9 is not allowed"):
        predict_first("predict-live-pretraining").choose(9)


def test_prediction_static_fallback_and_escaping():
    q = PredictionQuestion(id="p", topic="mlm", question="Guess " + EVIL, choices=(EVIL, "plain"))
    w = Prediction(q, save=False)
    w.choose(0)
    text = _all_html(w)
    assert "<script" not in text and "<img" not in text
    bundle = w._repr_mimebundle_()
    assert bundle[WIDGET_VIEW]["model_id"] == w.model_id
    assert "Predict first" in bundle["text/html"] and "compares after the run" in bundle["text/html"]
    assert "<details>" not in bundle["text/html"]  # there is no answer to fold away
    assert bundle["text/plain"].startswith("Predict first: Guess")
    with pytest.raises(ValueError, match="is a prediction, not a quiz question"):
        question_widget(q)
    with pytest.raises(ValueError, match="kind='prediction' is not allowed in a quiz"):
        quiz(kind="prediction")


def test_question_built_in_code_with_too_many_choices_is_a_clear_error():
    choices = tuple(Choice(f"c{i}", i == 0, "f") for i in range(30))
    q = MultipleChoiceQuestion(id="many", topic="mlm", question="?", choices=choices, explanation="e")
    with pytest.raises(ValueError, match="'many' has 30 choices: it must have 2 to 26"):
        MultipleChoice(q, save=False)
