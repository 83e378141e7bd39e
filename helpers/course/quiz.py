"""Quiz widgets: multiple choice with feedback, self-check with a model answer, and a scored quiz.

Each widget works in three settings:

* **Live, in JupyterLab**: real buttons, check boxes and text areas (all reachable with Tab and
  pressed with Enter or Space). Every choice gives its own feedback at once; a wrong answer can be
  retried; a :class:`Quiz` keeps a running score. Answers are saved by :mod:`helpers.course.progress`.
* **Saved, on the web, no kernel** (GitHub, nbviewer, ``jupyter nbconvert --to html``): when a
  notebook is saved without widget state, the widget view cannot be drawn. So each widget's display
  data also carries a static HTML version: the question, its choices, and the answer inside a
  collapsible ``<details>`` element. Front ends pick the richest format they can draw: JupyterLab
  with a kernel draws the widget and ignores the HTML; nbconvert draws the HTML.
* **Plain text** (a terminal): the question and the answer as text.

All text from the content files is HTML-escaped before display (``helpers.course.content.to_html``).

>>> from helpers.course.quiz import quiz
>>> quiz("mlm")            # doctest: +SKIP  (the questions of notebook 2)
"""
from __future__ import annotations

import html
import string
from typing import Callable, Sequence

import ipywidgets as widgets

from helpers.course.content import (MAX_CHOICES, MultipleChoiceQuestion, PredictionQuestion, Question,
                                    SelfCheckQuestion, load_quiz, load_quiz_bank, to_html)
from helpers.course.progress import ProgressStore, record_answer
from helpers.course.widget_base import StaticFallback, save_or_report

LETTERS = string.ascii_uppercase
SHORT_CHOICE = 24  # choices up to this many characters are written on the button itself


def _question_html(question: Question, number: int | None) -> str:
    label = f"Question {number}" if number is not None else "Question"
    if question.kind == "pick_head":
        label = f"Task {number}" if number is not None else "Task"
    if question.kind == "prediction":
        label = "Predict first"
    return f"<div>{to_html(question.question, lead=f'<strong>{label}.</strong>')}</div>"


# ---------------------------------------------------------------- multiple choice


class MultipleChoice(StaticFallback, widgets.VBox):
    """One multiple-choice (or pick-the-head) question with per-choice feedback and retries.

    One correct choice: each choice is a button; pressing it shows that choice's feedback.
    Several correct choices: each choice has a check box, and "Check answer" judges the set.
    The score is the first attempt: ``first_try_correct`` is ``None`` until answered.
    """

    def __init__(self, question: MultipleChoiceQuestion, *, number: int | None = None,
                 on_answer: Callable[["MultipleChoice"], None] | None = None,
                 store: ProgressStore | None = None, save: bool = True):
        if not isinstance(question, MultipleChoiceQuestion):
            raise ValueError(f"question={question!r} is not allowed: it must be a MultipleChoiceQuestion.")
        if not 2 <= len(question.choices) <= MAX_CHOICES:  # a question built in code skips the file's checks
            raise ValueError(f"question {question.id!r} has {len(question.choices)} choices: it must have 2 to "
                             f"{MAX_CHOICES} (they are labelled A to Z).")
        self.question, self.number, self.on_answer = question, number, on_answer
        self.store, self.save = store, save
        self.attempts, self.first_try_correct, self.solved = 0, None, False
        self.feedback = widgets.HTML(layout=widgets.Layout(margin="4px 0 0 0"))
        self.status = widgets.HTML()
        # Short choices (the two heads) fit on their buttons; long ones get a letter button + text.
        inline = not question.multiple_answers and all(len(c.text) <= SHORT_CHOICE for c in question.choices)
        self.buttons, self.checkboxes, rows = [], [], []
        for i, choice in enumerate(question.choices):
            letter = LETTERS[i]
            if question.multiple_answers:
                control = widgets.Checkbox(value=False, description=letter, indent=False,
                                           tooltip=f"Choice {letter}: {choice.text}",
                                           layout=widgets.Layout(width="52px"))
                self.checkboxes.append(control)
            else:
                control = widgets.Button(description=choice.text if inline else letter,
                                         tooltip=f"Answer {letter}: {choice.text}",
                                         layout=widgets.Layout(width="auto", min_width="44px"))
                control.on_click(lambda _b, i=i: self.choose(i))
                self.buttons.append(control)
            rows.append(control if inline else
                        widgets.HBox([control, widgets.HTML(html.escape(choice.text))],
                                     layout=widgets.Layout(align_items="center")))
        children = [widgets.HTML(_question_html(question, number))]
        children += [widgets.HBox(rows, layout=widgets.Layout(flex_flow="row wrap"))] if inline else rows
        if question.multiple_answers:
            self.check_button = widgets.Button(description="Check answer", button_style="primary",
                                               tooltip="Check the choices you ticked",
                                               layout=widgets.Layout(width="auto", align_self="flex-start"))
            self.check_button.on_click(lambda _b: self.check(self.selected()))
            children.append(self.check_button)
        children += [self.feedback, self.status]
        super().__init__(children, layout=widgets.Layout(margin="0 0 14px 0"))
        self.add_class("bert-quiz-question")

    def selected(self) -> list[int]:
        return [i for i, box in enumerate(self.checkboxes) if box.value]

    def choose(self, index: int) -> bool:
        """Answer with one choice (what pressing its button does). Returns whether it is correct."""
        if not 0 <= index < len(self.question.choices):
            raise ValueError(f"index={index!r} is not allowed: it must be in 0..{len(self.question.choices) - 1}.")
        if self.question.multiple_answers:
            return self.check([index])
        choice = self.question.choices[index]
        for i, button in enumerate(self.buttons):
            if i == index:
                button.button_style = "success" if choice.correct else "danger"
        verdict = "Correct" if choice.correct else "Not quite, try again"
        body = f"<p><strong>{'✓' if choice.correct else '✗'} {verdict}.</strong> {html.escape(choice.feedback)}</p>"
        if choice.correct:
            body += to_html(self.question.explanation, lead="<em>Why:</em>")
        self.feedback.value = body
        self._record(choice.correct, LETTERS[index])
        return choice.correct

    def check(self, indices: Sequence[int]) -> bool:
        """Answer a select-all-that-apply question with the chosen set of choices."""
        chosen = sorted(set(indices))
        if not chosen:
            self.feedback.value = "<p>Tick at least one choice, then press <em>Check answer</em>.</p>"
            return False
        for i in chosen:
            if not 0 <= i < len(self.question.choices):
                raise ValueError(f"indices={list(indices)!r} is not allowed: each must be in 0..{len(self.question.choices) - 1}.")
        correct = chosen == list(self.question.correct_indices)
        lines = "".join(f"<li>{'✓' if self.question.choices[i].correct else '✗'} {LETTERS[i]}: "
                        f"{html.escape(self.question.choices[i].feedback)}</li>" for i in chosen)
        missed = set(self.question.correct_indices) - set(chosen)
        head = ("✓ Correct." if correct else
                "✗ Not quite, try again." + (" At least one correct choice is not ticked." if missed else ""))
        body = f"<p><strong>{head}</strong></p><ul>{lines}</ul>"
        if correct:
            body += to_html(self.question.explanation, lead="<em>Why:</em>")
        self.feedback.value = body
        self._record(correct, "".join(LETTERS[i] for i in chosen))
        return correct

    def _record(self, correct: bool, answer: str) -> None:
        self.attempts += 1
        if self.first_try_correct is None:
            self.first_try_correct = correct
        self.solved = self.solved or correct
        if self.save:
            q = self.question
            save_or_report(lambda: record_answer(q.id, q.topic, q.kind, correct, answer, store=self.store), self.status)
        if self.on_answer:
            self.on_answer(self)

    # -- static versions ----------------------------------------------------------------
    def fallback_html(self) -> str:
        q = self.question
        # Letters written out: list-style letters are lost by some renderers' style sheets.
        choices = "".join(f"<li>{LETTERS[i]}. {html.escape(c.text)}</li>" for i, c in enumerate(q.choices))
        right = ", ".join(f"{LETTERS[i]}: {html.escape(q.choices[i].text)}" for i in q.correct_indices)
        feedback = "".join(f"<li>{LETTERS[i]}: {html.escape(c.feedback)}</li>" for i, c in enumerate(q.choices))
        return (f"{_question_html(q, self.number)}<ul>{choices}</ul>"
                f"<details><summary>Show the answer</summary><p><strong>Answer:</strong> {right}</p>"
                f"{to_html(q.explanation, lead='<em>Why:</em>')}<ul>{feedback}</ul></details>")

    def fallback_text(self) -> str:
        q = self.question
        choices = "\n".join(f"  {LETTERS[i]}. {c.text}" for i, c in enumerate(q.choices))
        right = ", ".join(LETTERS[i] for i in q.correct_indices)
        return f"{q.question}\n{choices}\n(answer: {right})"


# ---------------------------------------------------------------- self-check


class SelfCheck(StaticFallback, widgets.VBox):
    """An open question: write (or think) an answer, reveal the model answer, then mark yourself."""

    def __init__(self, question: SelfCheckQuestion, *, number: int | None = None,
                 on_answer: Callable[["SelfCheck"], None] | None = None,
                 store: ProgressStore | None = None, save: bool = True):
        if not isinstance(question, SelfCheckQuestion):
            raise ValueError(f"question={question!r} is not allowed: it must be a SelfCheckQuestion.")
        self.question, self.number, self.on_answer = question, number, on_answer
        self.store, self.save = store, save
        self.attempts, self.first_try_correct, self.solved, self.got_it = 0, None, False, None
        self.answer_box = widgets.Textarea(placeholder="Write your answer here first (optional), then reveal.",
                                           tooltip="Your answer (saved only in your progress file)",
                                           layout=widgets.Layout(width="100%", height="80px"))
        self.reveal_button = widgets.Button(description="Reveal model answer", icon="eye",
                                            tooltip="Show the model answer to compare with yours",
                                            layout=widgets.Layout(width="auto", align_self="flex-start"))
        self.reveal_button.on_click(lambda _b: self.reveal())
        self.model_answer = widgets.HTML(layout=widgets.Layout(display="none"))
        self.got_button = widgets.Button(description="Got it", button_style="success", icon="check",
                                         tooltip="My answer matched the model answer")
        self.not_yet_button = widgets.Button(description="Not yet", button_style="warning", icon="refresh",
                                             tooltip="I missed something; ask me again later")
        self.got_button.on_click(lambda _b: self.mark(True))
        self.not_yet_button.on_click(lambda _b: self.mark(False))
        self.mark_row = widgets.HBox([self.got_button, self.not_yet_button], layout=widgets.Layout(display="none"))
        self.feedback, self.status = widgets.HTML(), widgets.HTML()
        super().__init__([widgets.HTML(_question_html(question, number)), self.answer_box, self.reveal_button,
                          self.model_answer, self.mark_row, self.feedback, self.status],
                         layout=widgets.Layout(margin="0 0 14px 0"))
        self.add_class("bert-quiz-question")

    def reveal(self) -> None:
        self.model_answer.value = (f'<div style="border-left: 3px solid #3182bd; padding-left: 8px">'
                                   f"{to_html(self.question.model_answer, lead='<strong>Model answer.</strong>')}</div>")
        self.model_answer.layout.display = None
        self.mark_row.layout.display = None
        self.reveal_button.disabled = True

    def mark(self, got_it: bool) -> None:
        """Mark your own answer: ``True`` for "got it", ``False`` for "not yet"."""
        self.got_it = got_it
        self.attempts += 1
        if self.first_try_correct is None:
            self.first_try_correct = got_it
        self.solved = got_it
        self.feedback.value = ("<p>✓ Marked as <strong>got it</strong>.</p>" if got_it else
                               "<p>Marked as <strong>not yet</strong>: reread the model answer, "
                               "and try this question again later.</p>")
        if self.save:
            q = self.question
            text = self.answer_box.value[:2000] or None
            save_or_report(lambda: record_answer(q.id, q.topic, q.kind, got_it, text, store=self.store), self.status)
        if self.on_answer:
            self.on_answer(self)

    def fallback_html(self) -> str:
        return (f"{_question_html(self.question, self.number)}<details><summary>Show the model answer</summary>"
                f"{to_html(self.question.model_answer)}</details>")

    def fallback_text(self) -> str:
        return f"{self.question.question}\n(model answer: {self.question.model_answer})"


# ---------------------------------------------------------------- predict, then run

PREDICTION_NOTE = "Saved. We will compare after the run."


class Prediction(StaticFallback, widgets.VBox):
    """"Predict, then run": pick what you expect before an experiment. No choice is right or wrong.

    The choice is saved with your progress (kind ``"prediction"``; predictions are not scored), and
    :func:`compare_prediction` shows it again next to the result. You may change your mind before
    running the experiment: the latest choice is the one compared.
    """

    def __init__(self, question: PredictionQuestion, *, store: ProgressStore | None = None, save: bool = True):
        if not isinstance(question, PredictionQuestion):
            raise ValueError(f"question={question!r} is not allowed: it must be a PredictionQuestion.")
        self.question, self.store, self.save = question, store, save
        self.chosen: int | None = None
        self.attempts = 0
        self.feedback, self.status = widgets.HTML(), widgets.HTML()
        self.buttons, rows = [], []
        for i, text in enumerate(question.choices):
            button = widgets.Button(description=LETTERS[i], tooltip=f"Predict {LETTERS[i]}: {text}",
                                    layout=widgets.Layout(width="auto", min_width="44px"))
            button.on_click(lambda _b, i=i: self.choose(i))
            self.buttons.append(button)
            rows.append(widgets.HBox([button, widgets.HTML(html.escape(text))],
                                     layout=widgets.Layout(align_items="center")))
        super().__init__([widgets.HTML(_question_html(question, None)), *rows, self.feedback, self.status],
                         layout=widgets.Layout(margin="0 0 14px 0"))
        self.add_class("bert-quiz-question")

    def choose(self, index: int) -> None:
        """Record a prediction (what pressing its button does)."""
        if not 0 <= index < len(self.question.choices):
            raise ValueError(f"index={index!r} is not allowed: it must be in 0..{len(self.question.choices) - 1}.")
        self.chosen, self.attempts = index, self.attempts + 1
        for i, button in enumerate(self.buttons):
            button.button_style = "info" if i == index else ""
        self.feedback.value = (f"<p><strong>Your prediction: {LETTERS[index]}.</strong> "
                               f"{html.escape(self.question.choices[index])}<br>{PREDICTION_NOTE}</p>")
        if self.save:
            q = self.question
            # Not graded: "correct" is stored as False and progress_summary leaves predictions out.
            save_or_report(lambda: record_answer(q.id, q.topic, q.kind, False, LETTERS[index], store=self.store),
                           self.status)

    def fallback_html(self) -> str:
        choices = "".join(f"<li>{LETTERS[i]}. {html.escape(t)}</li>" for i, t in enumerate(self.question.choices))
        return (f"{_question_html(self.question, None)}<ul>{choices}</ul>"
                "<p><em>Choose before you run the experiment; the notebook compares after the run.</em></p>")

    def fallback_text(self) -> str:
        choices = "\n".join(f"  {LETTERS[i]}. {t}" for i, t in enumerate(self.question.choices))
        return f"Predict first: {self.question.question}\n{choices}\n(choose, then run; we compare after the run)"


def _prediction_question(question_id: str) -> PredictionQuestion:
    predictions = {q.id: q for q in load_quiz(kind="prediction")}
    if question_id not in predictions:
        raise ValueError(f"question_id={question_id!r} is not allowed: it must be one of {sorted(predictions)}.")
    return predictions[question_id]


def predict_first(question_id: str, **kwargs) -> Prediction:
    """The prediction widget for one ``prediction`` question of the course (by its id)."""
    return Prediction(_prediction_question(question_id), **kwargs)


def compare_prediction(question_id: str, outcome: str, *, store: ProgressStore | None = None) -> str:
    """Print (and return) what the learner predicted next to what the run showed.

    ``outcome`` is a sentence the notebook builds from its measured numbers. If no prediction was
    saved (the widget was not used, or the notebook runs without a learner), the choices are listed.
    """
    question = _prediction_question(question_id)
    entry = (store or ProgressStore()).load()["answers"].get(question_id)
    letter = entry.get("answer") if entry else None
    if isinstance(letter, str) and len(letter) == 1 and letter in LETTERS[:len(question.choices)]:
        mine = f"{letter}. {question.choices[LETTERS.index(letter)]}"
    else:
        mine = "(none saved: run the prediction cell above and pick one)"
    lines = [f"Prediction: {question.question}", f"  you predicted: {mine}", f"  the run shows:  {outcome}"]
    if not entry:
        lines.insert(2, "  the choices were: " + "  ".join(f"{LETTERS[i]}. {t}" for i, t in enumerate(question.choices)))
    text = "\n".join(lines)
    print(text)
    return text


# ---------------------------------------------------------------- a quiz


def question_widget(question: Question, **kwargs) -> MultipleChoice | SelfCheck:
    """The right widget for a question: :class:`SelfCheck` or :class:`MultipleChoice`."""
    if isinstance(question, PredictionQuestion):
        raise ValueError(f"question {question.id!r} is a prediction, not a quiz question: show it with "
                         "predict_first(question_id) before the experiment it is about.")
    cls = SelfCheck if isinstance(question, SelfCheckQuestion) else MultipleChoice
    return cls(question, **kwargs)


class Quiz(StaticFallback, widgets.VBox):
    """Several questions with a running score.

    The score counts a question as correct if its first answer was right (multiple choice) or if
    you marked it "got it" (self-check).
    """

    def __init__(self, questions: Sequence[Question], *, title: str = "Quiz",
                 store: ProgressStore | None = None, save: bool = True):
        if not questions:
            raise ValueError("questions=[] is not allowed: a quiz needs at least one question.")
        self.title = title
        self.items = [question_widget(q, number=n, on_answer=lambda _w: self._update_score(),
                                      store=store, save=save) for n, q in enumerate(questions, start=1)]
        self.score_label = widgets.HTML()
        self.final_score = widgets.HTML()
        self._update_score()
        super().__init__([widgets.HTML(f"<h3>{html.escape(title)}</h3>"), self.score_label, *self.items,
                          self.final_score])
        self.add_class("bert-quiz")

    @property
    def score(self) -> tuple[int, int, int]:
        """(correct, answered, total)."""
        answered = [w for w in self.items if w.attempts > 0]
        correct = [w for w in answered
                   if (w.got_it if isinstance(w, SelfCheck) else w.first_try_correct)]
        return len(correct), len(answered), len(self.items)

    def _update_score(self) -> None:
        correct, answered, total = self.score
        text = f"Score: {correct} of {total} correct ({answered} answered)"
        self.score_label.value = f"<p><strong>{text}</strong></p>"
        done = " Well done: every question answered." if answered == total else ""
        self.final_score.value = f"<p><strong>{text}.</strong>{done}</p>"

    def fallback_html(self) -> str:
        return f"<h3>{html.escape(self.title)}</h3>" + "".join(
            f'<div style="margin-bottom: 1em">{w.fallback_html()}</div>' for w in self.items)

    def fallback_text(self) -> str:
        return self.title + "\n\n" + "\n\n".join(f"{n}. {w.fallback_text()}" for n, w in enumerate(self.items, 1))


# ---------------------------------------------------------------- what the notebooks call


def quiz(topic: str | None = None, kind: str | None = None, *, notebook: int | str | None = None,
         title: str | None = None, **kwargs) -> Quiz:
    """A :class:`Quiz` of the questions on one topic / notebook / kind (all scored questions by default).

    Predictions are not quiz questions: they are shown before an experiment with :func:`predict_first`.
    """
    if kind == "prediction":
        raise ValueError("kind='prediction' is not allowed in a quiz: show a prediction with predict_first(id).")
    questions = [q for q in load_quiz(topic, kind, notebook=notebook) if q.kind != "prediction"]
    if title is None:
        bank = load_quiz_bank()
        title = f"Quiz: {bank.topics[topic].title}" if topic else "Quiz"
    return Quiz(questions, title=title, **kwargs)


def pick_the_head(**kwargs) -> Quiz:
    """The pick-the-head exercise: for each task, choose "[CLS] output" or "per-token outputs"."""
    return Quiz(load_quiz(kind="pick_head"), title="Exercise: pick the right fine-tuning head", **kwargs)


def self_check(**kwargs) -> Quiz:
    """The six self-check questions: answer first, then reveal the model answer."""
    return Quiz(load_quiz(kind="self_check"), title="Self-check: answer first, then reveal", **kwargs)
