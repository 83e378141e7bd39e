"""Predict, then run: the :class:`Prediction` widget (:func:`predict_first`) asks what a learner expects
before an experiment, and :func:`compare_prediction` prints it beside what the run showed. Predictions
are saved with the quiz answers but never scored. Importable from :mod:`helpers.course.quiz` too.
"""
from __future__ import annotations

import html

import ipywidgets as widgets

from helpers.course.content import PredictionQuestion, load_quiz
from helpers.course.progress import LearnerState
from helpers.course.progress_store import ProgressStore
from helpers.course.question_widgets import LETTERS, _question_html, _remember_answer, _state_for
from helpers.course.widget_base import StaticFallback
from helpers.errors import show

PREDICTION_NOTE = "Saved. We will compare after the run."


class Prediction(StaticFallback, widgets.VBox):
    """"Predict, then run": pick what you expect before an experiment. No choice is right or wrong.

    The choice is saved with your progress (kind ``"prediction"``, by choice id; predictions are not
    scored), and :func:`compare_prediction` shows it again next to the result. You may change your
    mind before running the experiment: the latest choice is the one compared. Shown again, the widget
    marks the prediction you saved. Choices keep their authored order (there is no answer to hide).
    """

    def __init__(self, question: PredictionQuestion, *, store: ProgressStore | None = None, save: bool = True,
                 state: LearnerState | None = None):
        if not isinstance(question, PredictionQuestion):
            raise ValueError(f"question={show(question)} is not allowed: it must be a PredictionQuestion.")
        state = _state_for(state, store, save)
        self.question, self.store, self.save = question, store, save
        self.ids = list(question.choice_ids)
        self.entry = state.answers.get(question.id)
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
        saved = [c for c in (self.entry or {}).get("choice_ids", []) if c in self.ids]
        if saved:
            index = self.ids.index(saved[0])
            self.chosen = index
            self.buttons[index].button_style = "info"
            self.feedback.value = (f"<p><strong>Your saved prediction: {LETTERS[index]}.</strong> "
                                   f"{html.escape(question.choices[index])}<br>Change it now if you like, before "
                                   "the experiment runs.</p>")

    def choose(self, choice: int | str) -> None:
        """Record a prediction (what pressing its button does): a choice id, its letter, or its position."""
        n = len(self.ids)
        if isinstance(choice, str) and choice in self.ids:
            index = self.ids.index(choice)
        elif isinstance(choice, str) and len(choice) == 1 and choice.upper() in LETTERS[:n]:
            index = LETTERS.index(choice.upper())
        elif isinstance(choice, int) and not isinstance(choice, bool) and 0 <= choice < n:
            index = choice
        else:
            raise ValueError(f"choice={show(choice)} is not allowed: give a choice id "
                             f"({', '.join(map(repr, self.ids[:3]))}{', ...' if n > 3 else ''}), its letter (A to "
                             f"{LETTERS[n - 1]}) or its position (0 to {n - 1}).")
        self.chosen, self.attempts = index, self.attempts + 1
        for i, button in enumerate(self.buttons):
            button.button_style = "info" if i == index else ""
        self.feedback.value = (f"<p><strong>Your prediction: {LETTERS[index]}.</strong> "
                               f"{html.escape(self.question.choices[index])}<br>{PREDICTION_NOTE}</p>")
        # Not graded: "correct" is stored as False and progress_summary leaves predictions out.
        self.entry = _remember_answer(self, False, choice_ids=[self.ids[index]])

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
        raise ValueError(f"question_id={show(question_id)} is not allowed: it must be one of {sorted(predictions)}.")
    return predictions[question_id]


def predict_first(question_id: str, **kwargs) -> Prediction:
    """The prediction widget for one ``prediction`` question of the course (by its id)."""
    return Prediction(_prediction_question(question_id), **kwargs)


def compare_prediction(question_id: str, outcome: str, *, store: ProgressStore | None = None) -> str:
    """Print (and return) the learner's prediction beside what the run showed: two lines.

    ``outcome`` is a sentence the notebook builds from its measured numbers. The question and its
    choices are not repeated: the prediction cell above shows them.
    """
    question = _prediction_question(question_id)
    try:
        entry = (store or ProgressStore()).load()["answers"].get(question_id)
    except OSError as err:  # a refused or newer progress file: say so on the line, do not stop the notebook
        mine = f"unknown (saved progress could not be read: {err})"
    else:
        ids = [c for c in (entry or {}).get("choice_ids", []) if c in question.choice_ids]
        if ids:
            index = question.choice_ids.index(ids[0])
            mine = f"{LETTERS[index]}. {question.choices[index]}"
        elif entry:
            mine = "a choice that has changed since (pick again in the prediction cell above)"
        else:
            mine = "nothing saved (pick one in the prediction cell above, then run this cell again)"
    text = f"You predicted: {mine}\nThe run shows: {outcome}"
    print(text)
    return text
