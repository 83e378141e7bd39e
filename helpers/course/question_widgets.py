"""The widget of one quiz question: :class:`MultipleChoice` (and pick-the-head) and :class:`SelfCheck`,
with what every question widget shares: the letters, the learner's order of the choices
(:func:`choice_order`), the learner's saved state and the question's heading.

Each works live, saved without a kernel, and as plain text (see :mod:`helpers.course.quiz`, which
gathers them into a scored :class:`~helpers.course.quiz.Quiz`; every name here is importable from there too).
"""
from __future__ import annotations

import hashlib
import html
import string
from typing import Callable, Sequence

import ipywidgets as widgets

from helpers.course.content import (MAX_CHOICES, MultipleChoiceQuestion, PredictionQuestion, Question,
                                    SelfCheckQuestion, to_html)
from helpers.course.progress import LearnerState, apply_answer, counts_as_correct, record_answer
from helpers.course.progress_store import ProgressStore
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


def _remember_answer(widget, correct: bool, **answer) -> dict:
    """A question widget's entry after one more attempt: applied in memory, then saved if the widget
    saves; the saved entry when saving worked (the same rule in memory as on disk, so the score holds
    when nothing can be saved). ``answer``: ``choice_ids``, ``text``, ``first_in_showing``."""
    q = widget.question
    entry = apply_answer(widget.entry, topic=q.topic, kind=q.kind, correct=correct, **answer)
    if widget.save:
        saved: dict = {}
        if save_or_report(lambda: saved.update(record_answer(q.id, q.topic, q.kind, correct, store=widget.store,
                                                             **answer)), widget.status):
            entry = saved
    return entry


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
        self.entry = _remember_answer(self, correct, choice_ids=[self.ids[i] for i in indices],
                                      first_in_showing=first)
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
        self.entry = _remember_answer(self, got_it, text=self.answer_box.value[:2000] or None,
                                      first_in_showing=first)
        if self.on_answer:
            self.on_answer(self)

    def fallback_html(self) -> str:
        return (f"{_question_html(self.question, self.number)}<details><summary>Show the model answer</summary>"
                f"{to_html(self.question.model_answer)}</details>")

    def fallback_text(self) -> str:
        return f"{self.question.question}\n(model answer: {self.question.model_answer})"


def question_widget(question: Question, **kwargs) -> MultipleChoice | SelfCheck:
    """The right widget for a question: :class:`SelfCheck` or :class:`MultipleChoice`."""
    if isinstance(question, PredictionQuestion):
        raise ValueError(f"question {question.id!r} is a prediction, not a quiz question: show it with "
                         "predict_first(question_id) before the experiment it is about.")
    cls = SelfCheck if isinstance(question, SelfCheckQuestion) else MultipleChoice
    return cls(question, **kwargs)
