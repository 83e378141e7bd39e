"""Quiz widgets: multiple choice with feedback, self-check with a model answer, and a scored quiz.

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

import hashlib
import html
import string
from typing import Callable, Sequence

import ipywidgets as widgets

from helpers.course.content import (MAX_CHOICES, MultipleChoiceQuestion, PredictionQuestion, Question,
                                    SelfCheckQuestion, load_quiz, load_quiz_bank, to_html)
from helpers.course.progress import (LearnerState, ProgressStore, apply_answer, counts_as_correct, record_answer,
                                     review_ids)
from helpers.course.widget_base import StaticFallback, save_or_report
from helpers.errors import show

LETTERS = string.ascii_uppercase
SHORT_CHOICE = 24  # choices up to this many characters are written on the button itself
REMEMBER = ("show", "hide")


def choice_order(question: Question, seed: int | None) -> tuple[int, ...]:
    """The order a learner sees a question's choices in: positions in the question file, shuffled.

    Each choice's place comes from a hash of the learner's seed, the question id and the choice id,
    so a learner sees the same order on every run, another learner another order, and an author's
    reordering of the file does not move anything on screen. ``seed=None`` (the static view, a widget
    that saves nothing) keeps the authored order. Two kinds keep it always: pick-the-head, whose two
    buttons are named by the heads themselves and stay in one place for all eight tasks, and
    predictions, which have no right answer to hide.
    """
    if isinstance(question, SelfCheckQuestion):
        return ()
    ids = question.choice_ids if isinstance(question, PredictionQuestion) else [c.id for c in question.choices]
    if seed is None or question.kind in ("pick_head", "prediction"):
        return tuple(range(len(ids)))

    def place(i: int) -> bytes:
        return hashlib.sha256(f"{seed}/{question.id}/{ids[i]}".encode()).digest()

    return tuple(sorted(range(len(ids)), key=place))


def _check_remember(remember: str) -> str:
    if remember not in REMEMBER:
        raise ValueError(f"remember={show(remember)} is not allowed: it must be 'show' (say what was answered "
                         "last time) or 'hide' (say only whether it was right, for retrieval practice).")
    return remember


def _state_for(state: LearnerState | None, store: ProgressStore | None, save: bool) -> LearnerState:
    """The learner's saved answers and seed: given by a quiz, read here, or none when nothing is saved."""
    if state is not None:
        return state
    return LearnerState.load(store) if save else LearnerState()


def _question_html(question: Question, number: int | None) -> str:
    label = f"Question {number}" if number is not None else "Question"
    if question.kind == "pick_head":
        label = f"Task {number}" if number is not None else "Task"
    if question.kind == "prediction":
        label = "Predict first"
    return f"<div>{to_html(question.question, lead=f'<strong>{label}.</strong>')}</div>"


# ---------------------------------------------------------------- multiple choice


def _previous_html(text: str) -> str:
    return f'<div class="bert-quiz-previous"><p><em>{text}</em></p></div>'


def _answered_before(entry: dict) -> str:
    """Retrieval practice: whether the last showing went right, without saying what was answered."""
    first = entry.get("latest_first_try_correct", entry["first_try_correct"])
    if first:
        return "Answered before: right. Answer it again from memory."
    if entry["correct"]:
        return "Answered before: wrong at first, then right. Try again from memory."
    return "Answered before: wrong. Try again."


class MultipleChoice(StaticFallback, widgets.VBox):
    """One multiple-choice (or pick-the-head) question with per-choice feedback and retries.

    One correct choice: each choice is a button; pressing it shows that choice's feedback.
    Several correct choices: each choice has a check box, and "Check answer" judges the set.
    ``first_try_correct`` is this showing's first attempt (``None`` until answered); ``entry`` is the
    question's saved entry (``None`` if never answered), which the quiz's score counts.

    Choices are shown in :func:`choice_order` for the learner's seed; ``order[k]`` is the position
    in the question file of the choice shown k-th (letter ``LETTERS[k]``). :meth:`choose` takes a
    choice id, the letter shown, or the position in the file, so code never depends on the shuffle.
    """

    def __init__(self, question: MultipleChoiceQuestion, *, number: int | None = None,
                 on_answer: Callable[["MultipleChoice"], None] | None = None,
                 store: ProgressStore | None = None, save: bool = True,
                 state: LearnerState | None = None, remember: str = "show"):
        if not isinstance(question, MultipleChoiceQuestion):
            raise ValueError(f"question={show(question)} is not allowed: it must be a MultipleChoiceQuestion.")
        if not 2 <= len(question.choices) <= MAX_CHOICES:  # a question built in code skips the file's checks
            raise ValueError(f"question {question.id!r} has {len(question.choices)} choices: it must have 2 to "
                             f"{MAX_CHOICES} (they are labelled A to Z).")
        self.remember = _check_remember(remember)
        state = _state_for(state, store, save)
        self.question, self.number, self.on_answer = question, number, on_answer
        self.store, self.save = store, save
        self.ids = [c.id for c in question.choices]
        self.order = choice_order(question, state.seed)
        self.letters = {i: LETTERS[k] for k, i in enumerate(self.order)}  # file position -> letter shown
        self.entry = state.answers.get(question.id)
        self.attempts, self.first_try_correct, self.solved = 0, None, False
        self.feedback = widgets.HTML(layout=widgets.Layout(margin="4px 0 0 0"))
        self.status, self.previous = widgets.HTML(), widgets.HTML()
        self.show_previous_button = widgets.Button(description="Show my last answer", icon="history",
                                                   tooltip="Show what you answered the last time",
                                                   layout=widgets.Layout(width="auto", display="none"))
        self.show_previous_button.on_click(lambda _b: self.show_previous())
        # Short choices (the two heads) fit on their buttons; long ones get a letter button + text.
        inline = not question.multiple_answers and all(len(c.text) <= SHORT_CHOICE for c in question.choices)
        self.buttons, self.checkboxes, self.rows = [], [], {}
        for i in self.order:
            choice, letter = question.choices[i], self.letters[i]
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
            self.rows[i] = control if inline else widgets.HBox(
                [control, widgets.HTML(html.escape(choice.text))], layout=widgets.Layout(align_items="center"))
        shown_rows = [self.rows[i] for i in self.order]
        children = [widgets.HTML(_question_html(question, number))]
        children += [widgets.HBox(shown_rows, layout=widgets.Layout(flex_flow="row wrap"))] if inline else shown_rows
        if question.multiple_answers:
            self.check_button = widgets.Button(description="Check answer", button_style="primary",
                                               tooltip="Check the choices you ticked",
                                               layout=widgets.Layout(width="auto", align_self="flex-start"))
            self.check_button.on_click(lambda _b: self.check(self.selected()))
            children.append(self.check_button)
        children += [self.previous, self.show_previous_button, self.feedback, self.status]
        super().__init__(children, layout=widgets.Layout(margin="0 0 14px 0"))
        self.add_class("bert-quiz-question")
        if self.entry:
            if self.remember == "show":
                self.show_previous()
            else:
                self.previous.value = _previous_html(_answered_before(self.entry))
                self.show_previous_button.layout.display = None

    # -- answering ----------------------------------------------------------------------
    def _index(self, choice: int | str, name: str = "choice") -> int:
        """The position in the question file of ``choice``: an id, the letter shown, or a position."""
        n = len(self.question.choices)
        allowed = (f"give a choice id ({', '.join(map(repr, self.ids[:3]))}{', ...' if n > 3 else ''}), the "
                   f"letter shown on its button (A to {LETTERS[n - 1]}) or its position in the question file "
                   f"(0 to {n - 1})")
        if isinstance(choice, int) and not isinstance(choice, bool):
            if 0 <= choice < n:
                return choice
        elif isinstance(choice, str):
            if choice in self.ids:
                return self.ids.index(choice)
            if len(choice) == 1 and choice.upper() in LETTERS[:n]:
                return self.order[LETTERS.index(choice.upper())]
        raise ValueError(f"{name}={show(choice)} is not allowed: {allowed}.")

    def selected(self) -> list[int]:
        """The ticked choices (select-all questions), as positions in the question file."""
        return sorted(self.order[k] for k, box in enumerate(self.checkboxes) if box.value)

    def choose(self, choice: int | str) -> bool:
        """Answer with one choice (what pressing its button does). Returns whether it is correct.

        ``choice`` is the choice's id (``"about-15"``), the letter its button shows (``"B"``; letters
        follow this learner's shuffle) or its position in the question file (``1``).
        """
        index = self._index(choice)
        if self.question.multiple_answers:
            return self.check([index])
        choice = self.question.choices[index]
        self.buttons[self.order.index(index)].button_style = "success" if choice.correct else "danger"
        verdict = "Correct" if choice.correct else "Not quite, try again"
        body = f"<p><strong>{'✓' if choice.correct else '✗'} {verdict}.</strong> {html.escape(choice.feedback)}</p>"
        if choice.correct:
            body += to_html(self.question.explanation, lead="<em>Why:</em>")
        self.feedback.value = body
        self._record(choice.correct, [index])
        return choice.correct

    def check(self, choices: Sequence[int | str]) -> bool:
        """Answer a select-all-that-apply question with a set of choices (ids, letters or positions)."""
        if isinstance(choices, (str, int)):
            choices = [choices]
        chosen = sorted({self._index(c, "choices") for c in choices}, key=self.order.index)
        if not chosen:
            self.feedback.value = "<p>Tick at least one choice, then press <em>Check answer</em>.</p>"
            return False
        q = self.question
        correct = sorted(chosen) == list(q.correct_indices)
        lines = "".join(f"<li>{'✓' if q.choices[i].correct else '✗'} {self.letters[i]}: "
                        f"{html.escape(q.choices[i].feedback)}</li>" for i in chosen)
        missed = set(q.correct_indices) - set(chosen)
        head = ("✓ Correct." if correct else
                "✗ Not quite, try again." + (" At least one correct choice is not ticked." if missed else ""))
        body = f"<p><strong>{head}</strong></p><ul>{lines}</ul>"
        if correct:
            body += to_html(q.explanation, lead="<em>Why:</em>")
        self.feedback.value = body
        self._record(correct, chosen)
        return correct

    def _record(self, correct: bool, indices: Sequence[int]) -> None:
        first = self.attempts == 0
        self.attempts += 1
        if self.first_try_correct is None:
            self.first_try_correct = correct
        self.solved = self.solved or correct
        self.previous.value, self.show_previous_button.layout.display = "", "none"
        for row in self.rows.values():
            row.remove_class("bert-choice-chosen-before")
        q, ids = self.question, [self.ids[i] for i in indices]
        # The same rule in memory as on disk, so the score holds when nothing can be saved.
        entry = apply_answer(self.entry, topic=q.topic, kind=q.kind, correct=correct, choice_ids=ids,
                             first_in_showing=first)
        if self.save:
            saved: dict = {}
            if save_or_report(lambda: saved.update(record_answer(q.id, q.topic, q.kind, correct, choice_ids=ids,
                                                                 first_in_showing=first, store=self.store)),
                              self.status):
                entry = saved
        self.entry = entry
        if self.on_answer:
            self.on_answer(self)

    # -- what was answered before ---------------------------------------------------------
    def show_previous(self) -> None:
        """Show the saved last answer: the chosen choices are marked and named, with right or wrong."""
        entry, q = self.entry, self.question
        if not entry:
            return
        chosen = sorted((self.ids.index(c) for c in entry.get("choice_ids", []) if c in self.ids),
                        key=self.order.index)
        if not chosen:  # saved by an older course whose letters could not be placed
            self.previous.value = _previous_html(
                f"Answered before ({'right' if entry['correct'] else 'wrong'}), with choices that have changed since.")
        else:
            named = "; ".join(f"{self.letters[i]}. {html.escape(q.choices[i].text)}" for i in chosen)
            text = f"Your last answer: {named} ({'✓ right' if entry['correct'] else '✗ not right'})."
            if counts_as_correct(entry) != entry["correct"]:
                text += (" The score counts your first answer, which was "
                         f"{'right' if counts_as_correct(entry) else 'wrong'}.")
            self.previous.value = _previous_html(text)
            for i in chosen:
                self.rows[i].add_class("bert-choice-chosen-before")
                if q.multiple_answers:
                    self.checkboxes[self.order.index(i)].value = True
                else:
                    self.buttons[self.order.index(i)].button_style = "success" if q.choices[i].correct else "danger"
        self.show_previous_button.layout.display = "none"

    # -- static versions ----------------------------------------------------------------
    def fallback_html(self) -> str:
        q = self.question  # the authored order and no saved answer: the same for everyone
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
    """An open question: write (or think) an answer, reveal the model answer, then mark yourself.

    Shown again, it says how you marked it last time; with ``remember="show"`` your saved text is
    back in the box, with ``remember="hide"`` it is one click away.
    """

    def __init__(self, question: SelfCheckQuestion, *, number: int | None = None,
                 on_answer: Callable[["SelfCheck"], None] | None = None,
                 store: ProgressStore | None = None, save: bool = True,
                 state: LearnerState | None = None, remember: str = "show"):
        if not isinstance(question, SelfCheckQuestion):
            raise ValueError(f"question={show(question)} is not allowed: it must be a SelfCheckQuestion.")
        self.remember = _check_remember(remember)
        state = _state_for(state, store, save)
        self.question, self.number, self.on_answer = question, number, on_answer
        self.store, self.save = store, save
        self.entry = state.answers.get(question.id)
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
        self.feedback, self.status, self.previous = widgets.HTML(), widgets.HTML(), widgets.HTML()
        self.show_previous_button = widgets.Button(description="Show my last answer", icon="history",
                                                   tooltip="Show what you wrote the last time",
                                                   layout=widgets.Layout(width="auto", display="none"))
        self.show_previous_button.on_click(lambda _b: self.show_previous())
        super().__init__([widgets.HTML(_question_html(question, number)), self.previous, self.show_previous_button,
                          self.answer_box, self.reveal_button, self.model_answer, self.mark_row, self.feedback,
                          self.status], layout=widgets.Layout(margin="0 0 14px 0"))
        self.add_class("bert-quiz-question")
        if self.entry:
            if self.remember == "show":
                self.show_previous()
            else:
                self.previous.value = _previous_html(
                    "Answered before: you marked it “got it”. Answer it again from memory." if self.entry["correct"]
                    else "Answered before: you marked it “not yet”. Try again.")
                self.show_previous_button.layout.display = None if self.entry.get("text") else "none"

    def show_previous(self) -> None:
        """Say how it was marked last time; with ``remember="show"`` put the saved text back in the box."""
        entry = self.entry
        if not entry:
            return
        mark = "“got it”" if entry["correct"] else "“not yet”"
        if self.remember == "show":
            if entry.get("text") and not self.answer_box.value:
                self.answer_box.value = entry["text"]
            self.previous.value = _previous_html(f"Answered before: you marked it {mark}"
                                                 + ("; your saved answer is in the box." if entry.get("text") else "."))
        else:
            self.previous.value = _previous_html(f"Answered before: you marked it {mark}. You wrote:") + (
                f'<div style="border-left: 3px solid #999; padding-left: 8px">{to_html(entry.get("text") or "")}</div>')
        self.show_previous_button.layout.display = "none"

    def reveal(self) -> None:
        self.model_answer.value = (f'<div style="border-left: 3px solid #3182bd; padding-left: 8px">'
                                   f"{to_html(self.question.model_answer, lead='<strong>Model answer.</strong>')}</div>")
        self.model_answer.layout.display = None
        self.mark_row.layout.display = None
        self.reveal_button.disabled = True

    def mark(self, got_it: bool) -> None:
        """Mark your own answer: ``True`` for "got it", ``False`` for "not yet"."""
        if not isinstance(got_it, bool):
            raise ValueError(f"got_it={show(got_it)} is not allowed: it must be True (got it) or False (not yet).")
        first = self.attempts == 0
        self.got_it = got_it
        self.attempts += 1
        if self.first_try_correct is None:
            self.first_try_correct = got_it
        self.solved = got_it
        self.feedback.value = ("<p>✓ Marked as <strong>got it</strong>.</p>" if got_it else
                               "<p>Marked as <strong>not yet</strong>: reread the model answer, "
                               "and try this question again later.</p>")
        q, text = self.question, self.answer_box.value[:2000] or None
        entry = apply_answer(self.entry, topic=q.topic, kind=q.kind, correct=got_it, text=text, first_in_showing=first)
        if self.save:
            saved: dict = {}
            if save_or_report(lambda: saved.update(record_answer(q.id, q.topic, q.kind, got_it, text=text,
                                                                 first_in_showing=first, store=self.store)),
                              self.status):
                entry = saved
        self.entry = entry
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
        q, ids = self.question, [self.ids[index]]
        entry = apply_answer(self.entry, topic=q.topic, kind=q.kind, correct=False, choice_ids=ids)
        if self.save:
            saved: dict = {}
            # Not graded: "correct" is stored as False and progress_summary leaves predictions out.
            if save_or_report(lambda: saved.update(record_answer(q.id, q.topic, q.kind, False, choice_ids=ids,
                                                                 store=self.store)), self.status):
                entry = saved
        self.entry = entry

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
