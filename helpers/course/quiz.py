"""Quiz widgets: multiple choice with feedback, self-check with a model answer, and a scored quiz.

This module holds the scored :class:`Quiz`, the review round and what the notebooks call; the widget
of one question lives in :mod:`helpers.course.question_widgets` and the "predict, then run" widget in
:mod:`helpers.course.predictions` (their names are importable from here too).

Each widget works in three settings:

* **Live, in JupyterLab**: real buttons, check boxes and text areas (all reachable with Tab and
  pressed with Enter or Space). Every choice gives its own feedback at once; a wrong answer can be
  retried; a :class:`Quiz` keeps a running score. Answers are saved by :mod:`helpers.course.progress`,
  by choice id. The choices are shown in an order shuffled for each learner (from the seed in the
  progress file, so the same learner sees the same order on every run), and a quiz shown again
  remembers: each question says what was answered last time (``remember="show"``) or only whether it
  was right, with the answer one click away (``remember="hide"``, for retrieval practice). The score
  line counts the saved answers the way notebook 0's progress plot does
  (:func:`helpers.course.progress.counts_as_correct`).
* **Saved, on the web, no kernel** (GitHub, nbviewer, ``jupyter nbconvert --to html``): when a
  notebook is saved without widget state, the widget view cannot be drawn. So each widget's display
  data also carries a static HTML version: the question, its choices, and the answer inside a
  collapsible ``<details>`` element. Front ends pick the richest format they can draw: JupyterLab
  with a kernel draws the widget and ignores the HTML; nbconvert draws the HTML. This version is
  the same for every learner and every run (a fresh quiz, choices in the authored order), so the
  stored outputs of a notebook never depend on whose progress file was used.
* **Plain text** (a terminal): the question and the answer as text.

All text from the content files is HTML-escaped before display (``helpers.course.content.to_html``).

>>> from helpers.course.quiz import quiz
>>> quiz("mlm")            # doctest: +SKIP  (the questions of notebook 2)
"""
from __future__ import annotations

import html
from typing import Sequence

import ipywidgets as widgets

from helpers.course.content import Question, load_quiz, load_quiz_bank
from helpers.course.progress import LearnerState, counts_as_correct, review_ids
from helpers.course.progress_store import ProgressStore
# One question's widget and the "predict, then run" widget live in their own modules; importing them
# from here keeps working.
from helpers.course.predictions import (PREDICTION_NOTE, Prediction, compare_prediction,  # noqa: F401
                                        predict_first)
from helpers.course.question_widgets import (LETTERS, REMEMBER, SHORT_CHOICE, MultipleChoice,  # noqa: F401
                                             SelfCheck, choice_order, question_widget)
from helpers.course.question_widgets import _check_remember, _state_for
from helpers.course.widget_base import StaticFallback


# ---------------------------------------------------------------- a quiz


class Quiz(StaticFallback, widgets.VBox):
    """Several questions with a running score.

    The score counts the saved answers (earlier runs included) with the rule of notebook 0's progress
    plot, :func:`helpers.course.progress.counts_as_correct`: a question with choices is correct if its
    first answer ever was right, a self-check if you last marked it "got it". ``remember`` says how a
    question answered before is shown: ``"show"`` the last answer, ``"hide"`` only right or wrong.
    """

    def __init__(self, questions: Sequence[Question], *, title: str = "Quiz",
                 store: ProgressStore | None = None, save: bool = True, remember: str = "show",
                 state: LearnerState | None = None):
        if not questions:
            raise ValueError("questions=[] is not allowed: a quiz needs at least one question.")
        _check_remember(remember)
        state = _state_for(state, store, save)  # one read of the progress file for every question
        self.title = title
        self.items = [question_widget(q, number=n, on_answer=lambda _w: self._update_score(),
                                      store=store, save=save, state=state, remember=remember)
                      for n, q in enumerate(questions, start=1)]
        self.score_label = widgets.HTML()
        self.final_score = widgets.HTML()
        self.problem = widgets.HTML(f"<p><small>{html.escape(state.problem)}</small></p>" if state.problem else "")
        self._update_score()
        super().__init__([widgets.HTML(f"<h3>{html.escape(title)}</h3>"), self.problem, self.score_label,
                          *self.items, self.final_score])
        self.add_class("bert-quiz")

    @property
    def score(self) -> tuple[int, int, int]:
        """(correct, answered, total), counting saved answers as notebook 0's progress plot does."""
        answered = [w.entry for w in self.items if w.entry]
        correct = [e for e in answered if counts_as_correct(e)]
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


# ---------------------------------------------------------------- the review round

REVIEW_TITLE = "Review round: the questions you missed before"
REVIEW_STATIC = ("When you run this cell, it gathers the questions of the whole course that you answered wrongly "
                 "the last time you met them (from your saved progress) and asks them again, your earlier answers "
                 "hidden. A new learner has none yet.")


class ReviewRound(StaticFallback, widgets.VBox):
    """The questions this learner needs to review (:func:`helpers.course.progress.needs_review`), asked again.

    Read from saved progress when the cell runs; *Refresh* reads it again (after answering more).
    Answering a question right at the first try here takes it off the list at the next refresh.
    """

    def __init__(self, *, store: ProgressStore | None = None, title: str = REVIEW_TITLE):
        self.store, self.title = store, title
        self.quiz: Quiz | None = None
        self.body = widgets.VBox()
        self.refresh_button = widgets.Button(description="Refresh", icon="refresh",
                                             tooltip="Gather the questions to review again from your saved answers",
                                             layout=widgets.Layout(width="auto"))
        self.refresh_button.on_click(lambda _b: self.refresh())
        super().__init__([widgets.HTML(f"<h3>{html.escape(title)}</h3>"), self.refresh_button, self.body])
        self.add_class("bert-quiz-review")
        self.refresh()

    def refresh(self) -> None:
        state = LearnerState.load(self.store)
        ids = review_ids(state.answers)
        bank = {q.id: q for q in load_quiz()}
        if ids:
            self.quiz = Quiz([bank[i] for i in ids], title=f"{len(ids)} to try again", store=self.store,
                             state=state, remember="hide")
            self.body.children = [self.quiz]
            return
        self.quiz = None
        answered = sum(1 for qid, e in state.answers.items() if qid in bank and bank[qid].kind != "prediction")
        if state.problem:
            message = html.escape(state.problem)
        elif answered:
            message = (f"Nothing to review: the last time you met each of the {answered} questions you have "
                       "answered, your first answer was right (or you marked it “got it”). Answer more, then "
                       "press Refresh.")
        else:
            message = ("Nothing to review yet: you have not answered any quiz question so far. Answer the questions "
                       "above (and in notebooks 1 to 5), then press Refresh: the ones you miss come back here.")
        self.body.children = [widgets.HTML(f"<p>{message}</p>")]

    def fallback_html(self) -> str:
        return f"<h3>{html.escape(self.title)}</h3><p>{html.escape(REVIEW_STATIC)}</p>"

    def fallback_text(self) -> str:
        return f"{self.title}\n{REVIEW_STATIC}"


# ---------------------------------------------------------------- what the notebooks call


def quiz(topic: str | None = None, kind: str | None = None, *, notebook: int | str | None = None,
         title: str | None = None, **kwargs) -> Quiz:
    """A :class:`Quiz` of the questions on one topic / notebook / kind (all scored questions by default).

    Predictions are not quiz questions: they are shown before an experiment with :func:`predict_first`.
    Keyword arguments go to :class:`Quiz` (``remember="hide"`` for retrieval practice).
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


def review_round(**kwargs) -> ReviewRound:
    """Notebook 6's review round: the questions this learner missed the last time they met them."""
    return ReviewRound(**kwargs)
