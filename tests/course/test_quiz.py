"""Quiz widgets: feedback, retries, scoring, saved answers, shuffling, memory, escaping, the static view."""
import json
import re
from collections import Counter

import ipywidgets as widgets
import nbformat
import pytest
from nbconvert import HTMLExporter

from helpers.course.content import (Choice, MultipleChoiceQuestion, PredictionQuestion, SelfCheckQuestion,
                                    load_quiz, load_quiz_bank)
from helpers.course.progress import LearnerState, ProgressStore, progress_summary, record_answer
from helpers.course import predictions, question_widgets
from helpers.course import quiz as quiz_module
from helpers.course.predictions import Prediction, compare_prediction, predict_first
from helpers.course.question_widgets import MultipleChoice, SelfCheck, choice_order, question_widget
from helpers.course.quiz import Quiz, ReviewRound, pick_the_head, quiz, review_round, self_check

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
AUTHORED = LearnerState()  # no seed: the authored order, nothing saved before


@pytest.fixture(autouse=True)
def progress_file(tmp_path, monkeypatch):
    path = tmp_path / "progress.json"
    monkeypatch.setenv("BERT_COURSE_PROGRESS", str(path))
    return path


def scored(topic):
    """The questions of a topic that a quiz shows: all but the predictions."""
    return [q for q in load_quiz(topic) if q.kind != "prediction"]


def question(qid):
    return next(q for q in load_quiz() if q.id == qid)


def make_mc(*correct, text="What is 2 + 2?"):
    choices = tuple(Choice(t, i in correct, f"feedback for {t}", id=f"c{i}")
                    for i, t in enumerate(["3", "4", "5", "four"]))
    return MultipleChoiceQuestion(id="sum", topic="mlm", question=text, choices=choices, explanation="Arithmetic.")


def set_seed(path, seed):
    data = json.loads(path.read_text())
    data["shuffle_seed"] = seed
    path.write_text(json.dumps(data))


# ---------------------------------------------------------------- answering


def test_wrong_then_right_gives_feedback_and_allows_retry():
    w = MultipleChoice(make_mc(1), state=AUTHORED)
    assert w.choose(0) is False
    assert "Not quite, try again" in w.feedback.value and "feedback for 3" in w.feedback.value
    assert "Arithmetic" not in w.feedback.value  # the explanation waits for the right answer
    assert w.buttons[0].button_style == "danger"
    assert w.choose(1) is True
    assert "Correct" in w.feedback.value and "feedback for 4" in w.feedback.value and "Arithmetic" in w.feedback.value
    assert (w.attempts, w.first_try_correct, w.solved) == (2, False, True)


def test_choose_takes_an_id_a_letter_or_a_position_and_refuses_anything_else_in_one_line():
    w = MultipleChoice(make_mc(1), state=LearnerState(seed=7), save=False)
    shown = [w.question.choices[i].text for i in w.order]
    assert w.choose("c1") is True  # the id
    letter = "ABCD"[w.order.index(1)]
    assert w.choose(letter) is True and w.choose(letter.lower()) is True  # the letter shown, either case
    assert w.choose(1) is True  # the position in the question file
    assert w.choose("A") is (shown[0] == "4")
    for bad in ("e", "Z", "ab", None, 1.0, True, 7, -1):
        with pytest.raises(ValueError) as err:
            w.choose(bad)
        message = str(err.value)
        assert "\n" not in message and message.startswith(f"choice={bad!r} is not allowed")
        assert "letter shown on its button (A to D)" in message and "'c0'" in message and "(0 to 3)" in message
    with pytest.raises(ValueError, match=r"choices='x' is not allowed"):
        MultipleChoice(make_mc(1, 3), save=False).check(["c1", "x"])


def test_buttons_are_real_focusable_buttons_with_tooltips():
    w = MultipleChoice(make_mc(1), state=AUTHORED)
    assert [b.description for b in w.buttons] == ["3", "4", "5", "four"]  # short choices: text on button
    assert all(b.tooltip.startswith("Answer ") for b in w.buttons)
    long = MultipleChoice(question("mlm-mix"), state=AUTHORED)
    assert [b.description for b in long.buttons][:2] == ["A", "B"]  # long choices: letter + label


def test_select_all_that_apply():
    w = MultipleChoice(make_mc(1, 3), state=AUTHORED)
    assert w.question.multiple_answers and not w.buttons and len(w.checkboxes) == 4
    assert w.check([1]) is False and "At least one correct choice is not ticked" in w.feedback.value
    w.checkboxes[1].value = w.checkboxes[3].value = True
    w.check_button.click()
    assert w.solved and w.first_try_correct is False and "Correct" in w.feedback.value
    assert ProgressStore().load()["answers"]["sum"]["choice_ids"] == ["c1", "c3"]


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
    assert entry["text"] == "mask some tokens" and entry["correct"] is True and entry["attempts"] == 2
    with pytest.raises(ValueError, match="got_it='yes' is not allowed"):
        w.mark("yes")


def test_quiz_keeps_a_running_score_and_saves_answers():
    qs = [make_mc(1), SelfCheckQuestion(id="sc", topic="mlm", question="?", model_answer="!")]
    qz = Quiz(qs, title="Test quiz")
    assert qz.score == (0, 0, 2) and "Score: 0 of 2 correct (0 answered)" in qz.score_label.value
    qz.items[0].choose("c1")
    assert qz.score == (1, 1, 2)
    qz.items[1].mark(False)
    assert qz.score == (1, 2, 2) and "every question answered" in qz.final_score.value
    qz.items[1].mark(True)
    assert qz.score == (2, 2, 2)
    saved = ProgressStore().load()["answers"]
    assert saved["sum"]["first_try_correct"] is True and saved["sum"]["choice_ids"] == ["c1"]
    assert saved["sc"]["correct"] is True


def test_first_try_is_what_counts():
    qz = Quiz([make_mc(1)])
    qz.items[0].choose("c0")
    qz.items[0].choose("c1")
    assert qz.score == (0, 1, 1)


def test_course_quizzes_build():
    assert len(quiz("mlm").items) == len(scored("mlm"))
    assert len(pick_the_head().items) == 8
    assert len(self_check().items) == 6
    assert len(quiz().items) == len([q for q in load_quiz() if q.kind != "prediction"])
    assert len(quiz(notebook="5b").items) == len([q for q in load_quiz("scale") if q.kind != "prediction"])
    assert len(quiz("practice").items) == 10
    head = pick_the_head().items[1]  # extractive QA
    assert [b.description for b in head.buttons] == ["[CLS] output", "per-token outputs"]  # never shuffled
    assert head.choose("per-token-outputs") and "two linear heads" in head.feedback.value
    with pytest.raises(ValueError, match="remember='always' is not allowed"):
        quiz("mlm", remember="always")


def test_save_failure_is_reported_not_raised_and_the_score_still_counts(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("BERT_COURSE_PROGRESS", str(blocker / "progress.json"))  # parent is a file
    qz = Quiz([make_mc(1)])
    assert "Saved progress not used" in qz.problem.value
    assert qz.items[0].choose("c1") is True
    assert "Progress not saved" in qz.items[0].status.value
    assert qz.score == (1, 1, 1)  # kept in memory by the same rule


# ---------------------------------------------------------------- shuffling


def test_choice_order_is_a_stable_per_learner_shuffle_that_ignores_the_authored_order():
    q = question("mlm-why-mix")
    n = len(q.choices)
    orders = {seed: choice_order(q, seed) for seed in range(40)}
    assert all(sorted(o) == list(range(n)) for o in orders.values())
    assert orders[3] == choice_order(q, 3)  # the same learner sees the same order every time
    assert len(set(orders.values())) > 10  # learners see different orders
    assert choice_order(q, None) == tuple(range(n))  # no seed: the authored order
    # An author reorders the file: what each learner sees does not move.
    reordered = MultipleChoiceQuestion(id=q.id, topic=q.topic, question=q.question, choices=q.choices[::-1],
                                       explanation=q.explanation)
    for seed in (0, 1, 2):
        assert [q.choices[i].id for i in choice_order(q, seed)] == \
            [reordered.choices[i].id for i in choice_order(reordered, seed)]
    # The right answer lands in each position about equally often across learners.
    right = q.correct_indices[0]
    places = Counter(choice_order(q, seed).index(right) for seed in range(400))
    assert set(places) == set(range(n)) and max(places.values()) < 0.4 * 400
    # pick-the-head and predictions keep their order
    assert choice_order(question("pick-head-qa"), 5) == (0, 1)
    assert choice_order(question("predict-copy-collapse"), 5) == (0, 1, 2)


def test_a_fresh_progress_file_gets_a_seed_and_the_live_quiz_shows_that_learners_order(progress_file):
    qz = quiz("mlm", kind="multiple_choice")
    seed = json.loads(progress_file.read_text())["shuffle_seed"]
    assert isinstance(seed, int)
    assert [w.order for w in qz.items] == [choice_order(w.question, seed) for w in qz.items]
    assert [w.order for w in quiz("mlm", kind="multiple_choice").items] == [w.order for w in qz.items]
    assert any(w.order != tuple(range(len(w.order))) for w in qz.items)


# ---------------------------------------------------------------- memory


def test_a_quiz_shown_again_says_what_was_answered_even_in_another_order(progress_file):
    q = question("attention-no-causal-mask")
    right, wrong = q.choices[q.correct_indices[0]], next(c for c in q.choices if not c.correct)
    first = quiz("next_token", kind="multiple_choice")
    w = first.items[0]
    assert w.question.id == q.id and w.entry is None and w.previous.value == ""
    w.choose(wrong.id)
    w.choose(right.id)
    assert first.score == (0, 1, 2)
    # A new run (kernel restarted), with another shuffle (a new seed, as if the order had changed)
    old_order = w.order
    seed = next(s for s in range(100) if choice_order(q, s).index(q.correct_indices[0])
                != old_order.index(q.correct_indices[0]))
    set_seed(progress_file, seed)
    again = quiz("next_token", kind="multiple_choice")
    w2 = again.items[0]
    assert w2.order != old_order
    letter = "ABCD"[w2.order.index(q.correct_indices[0])]
    assert f"Your last answer: {letter}. {right.text} (✓ right)" in w2.previous.value
    assert "The score counts your first answer, which was wrong" in w2.previous.value
    marked = w2.buttons[w2.order.index(q.correct_indices[0])]
    assert marked.button_style == "success"
    assert [i for i, row in w2.rows.items() if "bert-choice-chosen-before" in row._dom_classes] == [
        q.correct_indices[0]]
    # The score counts the saved answers, as notebook 0's progress plot does.
    summary = progress_summary()["topics"]["next_token"]
    assert again.score == (summary["correct"], summary["answered"], 2) == (0, 1, 2)
    assert "Score: 0 of 2 correct (1 answered)" in again.score_label.value
    # Answering again in this run counts once more, but the first answer ever stays the score.
    w2.choose(right.id)
    assert again.score == (0, 1, 2) and w2.previous.value == ""
    assert ProgressStore().load()["answers"][q.id]["latest_first_try_correct"] is True


def test_retrieval_practice_hides_the_last_answer_until_asked(progress_file):
    q = question("nsp-pairs-and-labels")
    wrong = next(c for c in q.choices if not c.correct)
    quiz("nsp", kind="multiple_choice").items[0].choose(wrong.id)
    w = quiz("nsp", kind="multiple_choice", remember="hide").items[0]
    assert "Answered before: wrong. Try again." in w.previous.value
    assert wrong.text not in w.previous.value and all(b.button_style == "" for b in w.buttons)
    assert w.show_previous_button.layout.display is None
    w.show_previous_button.click()
    assert wrong.text in w.previous.value and "✗ not right" in w.previous.value
    assert w.buttons[w.order.index(q.choices.index(wrong))].button_style == "danger"
    assert w.show_previous_button.layout.display == "none"
    right = q.choices[q.correct_indices[0]]
    w.choose(right.id)  # wrong at first in the first showing, right now at the first try
    assert "Answered before: right" in quiz("nsp", remember="hide").items[0].previous.value


def test_self_check_and_prediction_widgets_restore_their_saved_answers(progress_file, capsys):
    first = self_check()
    first.items[1].answer_box.value = "select 15%, 80/10/10"
    first.items[1].mark(False)
    shown = self_check().items[1]
    assert shown.answer_box.value == "select 15%, 80/10/10" and "“not yet”" in shown.previous.value
    hidden = self_check(remember="hide").items[1]
    assert hidden.answer_box.value == "" and "Try again" in hidden.previous.value
    hidden.show_previous_button.click()
    assert "select 15%, 80/10/10" in hidden.previous.value
    assert self_check().score == (0, 1, 6)

    p = predict_first("predict-copy-collapse")
    p.choose("the-two-models-score-about")
    again = predict_first("predict-copy-collapse")
    assert again.chosen == 2 and again.buttons[2].button_style == "info"
    assert "Your saved prediction: C." in again.feedback.value


def test_prediction_saves_the_choice_and_compare_shows_it_beside_the_result(progress_file, capsys):
    w = predict_first("predict-copy-collapse")
    assert isinstance(w, Prediction) and [b.description for b in w.buttons] == ["A", "B", "C"]
    w.buttons[1].click()
    assert "Your prediction: B." in w.feedback.value and "compare after the run" in w.feedback.value
    assert w.buttons[1].button_style == "info" and w.buttons[0].button_style == ""
    w.choose(0)  # changing one's mind before the run: the latest choice counts
    saved = ProgressStore(progress_file).load()["answers"]["predict-copy-collapse"]
    assert saved["kind"] == "prediction" and saved["choice_ids"] == ["the-bidirectional-model-is-near"]
    assert saved["attempts"] == 2
    text = compare_prediction("predict-copy-collapse", "bidirectional 97% / 6%, causal 47% / 47%")
    assert text.splitlines() == [
        "You predicted: A. The bidirectional model is near perfect with the future visible and collapses when "
        "it is hidden; the causal model scores the same in both",
        "The run shows: bidirectional 97% / 6%, causal 47% / 47%"]
    assert text in capsys.readouterr().out
    # predictions are not scored: the progress summary counts only quiz questions
    summary = progress_summary()
    assert summary["topics"]["next_token"]["answered"] == 0
    assert summary["topics"]["next_token"]["questions"] == len(scored("next_token"))


def test_compare_without_a_saved_prediction_is_two_lines_without_the_question():
    text = compare_prediction("predict-live-pretraining", "MLM 66%, NSP 73%")
    assert len(text.splitlines()) == 2 and "nothing saved" in text
    assert "Will it reach" not in text and "Both targets" not in text
    with pytest.raises(ValueError, match="question_id='mlm-mix' is not allowed"):
        compare_prediction("mlm-mix", "x")
    with pytest.raises(ValueError, match="choice=9 is not allowed"):
        predict_first("predict-live-pretraining").choose(9)


def test_compare_with_an_unreadable_progress_file_says_so_on_its_line(progress_file):
    progress_file.write_bytes(b"PK\x03\x04 not progress")
    text = compare_prediction("predict-live-pretraining", "MLM 66%")
    assert text.splitlines()[0].startswith("You predicted: unknown (saved progress could not be read:")
    assert progress_file.read_bytes() == b"PK\x03\x04 not progress"


# ---------------------------------------------------------------- the review round


def test_review_round_asks_again_what_was_missed_and_has_an_empty_state(progress_file):
    empty = review_round()
    assert isinstance(empty, ReviewRound) and empty.quiz is None
    assert "Nothing to review yet" in empty.body.children[0].value
    q = question("mlm-mix")
    quiz("mlm", kind="multiple_choice").items[2].choose(next(c.id for c in q.choices if not c.correct))
    record_answer("mlm-selection-rate", "mlm", "multiple_choice", True, choice_ids=["about-15"])
    record_answer("self-check-nsp", "nsp", "self_check", False, text="no idea")
    record_answer("predict-copy-collapse", "next_token", "prediction", False, choice_ids=["the-two-models-score-about"])
    rr = review_round()
    assert [w.question.id for w in rr.quiz.items] == ["mlm-mix", "self-check-nsp"]  # notebook order
    assert all(w.remember == "hide" for w in rr.quiz.items)
    assert "Answered before: wrong. Try again." in rr.quiz.items[0].previous.value
    rr.quiz.items[0].choose(q.choices[q.correct_indices[0]].id)  # right at the first try this time
    rr.refresh_button.click()
    assert [w.question.id for w in rr.quiz.items] == ["self-check-nsp"]
    rr.quiz.items[0].mark(True)
    rr.refresh()
    assert rr.quiz is None and "Nothing to review: the last time you met each of the 3" in rr.body.children[0].value
    # the static view is the same for every learner and every state
    assert rr._repr_mimebundle_()["text/html"] == empty._repr_mimebundle_()["text/html"]
    assert "Run the notebook" in rr._repr_mimebundle_()["text/html"] or "run this cell" in rr.fallback_html()


# ---------------------------------------------------------------- the static view


EVIL = '<script>alert("owned")</script><img src=x onerror=alert(1)>'


def _all_html(widget):
    """Every HTML string the live widget shows, plus its static fallback."""
    values = [widget._repr_mimebundle_()["text/html"]]
    stack = [widget]
    while stack:
        w = stack.pop()
        if isinstance(w, widgets.HTML):  # what is drawn as HTML (a text box's value is drawn as text)
            values.append(w.value)
        stack.extend(getattr(w, "children", ()))
    return "\n".join(values)


def test_text_is_escaped_everywhere(progress_file):
    choices = (Choice(EVIL, True, "fb " + EVIL, id="evil"), Choice("plain", False, EVIL, id="plain"))
    q = MultipleChoiceQuestion(id="x", topic="mlm", question="Q " + EVIL, choices=choices, explanation=EVIL)
    mc = MultipleChoice(q)
    mc.choose(1)
    mc.choose(0)
    sc = SelfCheck(SelfCheckQuestion(id="y", topic="mlm", question=EVIL, model_answer=EVIL))
    sc.answer_box.value = EVIL
    sc.reveal()
    sc.mark(True)
    again = Quiz([q, sc.question], remember="hide")
    again.items[0].show_previous()
    again.items[1].show_previous()
    for widget in (mc, sc, Quiz([q]), again):
        text = _all_html(widget)
        assert "<script" not in text and "<img" not in text
        assert "&lt;script&gt;alert(&quot;owned&quot;)&lt;/script&gt;" in text


def test_display_data_has_widget_view_and_static_fallback():
    qz = quiz("nsp")
    bundle = qz._repr_mimebundle_()
    assert bundle[WIDGET_VIEW]["model_id"] == qz.model_id
    html_text = bundle["text/html"]
    assert html_text.count("<details>") == len(scored("nsp"))
    assert "Run the notebook" in html_text or "run the notebook" in html_text
    assert "Walk through next sentence prediction" in bundle["text/plain"]
    # deterministic, so nbval can compare the stored output of a quiz cell
    assert quiz("nsp")._repr_mimebundle_()["text/html"] == html_text


def test_the_static_view_is_a_fresh_quiz_in_the_authored_order_whatever_the_learner(progress_file):
    fresh = quiz("mlm", kind="multiple_choice")._repr_mimebundle_()
    first = quiz("mlm", kind="multiple_choice")
    for w in first.items:
        (w.check if w.question.multiple_answers else w.choose)(w.question.choices[0].id)
    set_seed(progress_file, 12345)
    for remember in ("show", "hide"):
        later = quiz("mlm", kind="multiple_choice", remember=remember)._repr_mimebundle_()
        assert later["text/html"] == fresh["text/html"] and later["text/plain"] == fresh["text/plain"]
    authored = Quiz(load_quiz("mlm", kind="multiple_choice"), title="Quiz: Masked language modelling", save=False)
    assert authored._repr_mimebundle_()["text/html"] == fresh["text/html"]
    q = question("mlm-mix")
    assert f"A. {q.choices[0].text}" in fresh["text/html"]
    assert "Your last answer" not in fresh["text/html"] and "Answered before" not in fresh["text/html"]


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


def test_prediction_static_fallback_and_escaping():
    q = PredictionQuestion(id="p", topic="mlm", question="Guess " + EVIL, choices=(EVIL, "plain"),
                           choice_ids=("evil", "plain"))
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


# ---------------------------------------------------------------- the right answer's position


def right_positions(questions):
    """Where the right answer sits in the authored order (the static view), single-answer questions only."""
    return Counter("ABCD"[q.correct_indices[0]] for q in questions
                   if isinstance(q, MultipleChoiceQuestion) and not q.multiple_answers)


def test_no_position_holds_more_than_40_percent_of_the_right_answers():
    bank = load_quiz_bank().questions
    choice_questions = right_positions([q for q in bank if q.kind == "multiple_choice"])
    with_heads = right_positions([q for q in bank if q.kind in ("multiple_choice", "pick_head")])
    heads = right_positions([q for q in bank if q.kind == "pick_head"])
    for counts in (choice_questions, with_heads):
        assert max(counts.values()) <= 0.4 * sum(counts.values()), counts
    assert heads["A"] == heads["B"]  # always pressing "[CLS] output" scores half, no more
    # Each topic's quiz, as a notebook shows it, spreads them too (no position holds more than half).
    for topic in load_quiz_bank().topics:
        counts = right_positions([q for q in load_quiz(topic) if q.kind == "multiple_choice"])
        if sum(counts.values()) >= 3:
            assert max(counts.values()) <= 0.5 * sum(counts.values()), (topic, counts)


def test_the_question_and_prediction_widgets_still_import_from_the_quiz_module():
    for module in (question_widgets, predictions):
        names = [n for n, v in vars(module).items() if not n.startswith("_")
                 and getattr(v, "__module__", None) == module.__name__]
        assert names and all(getattr(quiz_module, n) is getattr(module, n) for n in names), module.__name__
    for constant in ("LETTERS", "REMEMBER", "SHORT_CHOICE"):
        assert getattr(quiz_module, constant) is getattr(question_widgets, constant)
    assert quiz_module.PREDICTION_NOTE is predictions.PREDICTION_NOTE
