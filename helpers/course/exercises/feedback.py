"""What the learner sees after a check: the verdict, then a hint, then (only after that) a solution.

The order is the point. Before any attempt both buttons are off ("try first"). After a failed
attempt "Show a hint" names the idea behind the failed properties, without code. "Show a solution"
unlocks once a hint was read (or the check passed: then it is there to compare with). Attempts,
hints and revealed solutions are saved with the learner's progress, so a restarted kernel keeps
what was unlocked. A saved copy of the notebook (no kernel) shows the verdict, and the hint and the
solution folded away, each labelled as what it is.
"""
from __future__ import annotations

import html
import inspect
from typing import Callable

import ipywidgets as widgets

from helpers.course import solutions
from helpers.course.demos import source_of
from helpers.course.exercises.catalog import Exercise
from helpers.course.exercises.catalog import exercise as find_exercise
from helpers.course.exercises.results import CheckResult
from helpers.course.exercises.runner import run_check
from helpers.course.progress import ProgressStore, record_exercise, record_exercise_help
from helpers.course.widget_base import StaticFallback, save_or_report


def solution_source(exercise: Exercise) -> str:
    """The reference solution of an exercise, as Python source."""
    return "\n\n".join(inspect.getsource(getattr(solutions, name)) for name in exercise.solutions)


def _saved_entry(exercise_id: str, store: ProgressStore | None) -> dict:
    try:
        entry = (store or ProgressStore()).load().get("exercises", {}).get(exercise_id, {})
    except OSError:
        return {}
    return entry if isinstance(entry, dict) else {}


class ExerciseFeedback(StaticFallback, widgets.VBox):
    """The check's verdict as a widget: one line per property, a hint button and a solution button."""

    def __init__(self, result: CheckResult, *, entry: dict | None = None, store: ProgressStore | None = None,
                 save: bool = True, status: str = ""):
        self.result, self.store, self.save = result, store, save
        entry = entry or {}
        self.attempts = int(entry.get("attempts", 0))
        self.hints_read = int(entry.get("hints", 0))
        self.passed_before = bool(entry.get("passed", False)) or result.passed
        self.verdict = widgets.HTML(self._verdict_html())
        self.hint = widgets.HTML(layout=widgets.Layout(display="none"))
        self.solution = widgets.HTML(layout=widgets.Layout(display="none"))
        button = dict(layout=widgets.Layout(width="auto"))
        self.hint_button = widgets.Button(description="Show a hint", icon="lightbulb-o", **button)
        self.reveal_button = widgets.Button(description="Show a solution", icon="eye", **button)
        self.hint_button.on_click(lambda _b: self.show_hint())
        self.reveal_button.on_click(lambda _b: self.reveal())
        self.status = widgets.HTML(status)
        self._update_buttons()
        super().__init__([self.verdict, widgets.HBox([self.hint_button, self.reveal_button]), self.hint,
                          self.solution, self.status], layout=widgets.Layout(margin="0 0 14px 0"))
        self.add_class("bert-exercise")

    # ------------------------------------------------------------ the rules

    @property
    def can_hint(self) -> bool:
        return self.attempts > 0

    @property
    def can_reveal(self) -> bool:
        return self.attempts > 0 and (self.hints_read > 0 or self.passed_before)

    def _update_buttons(self) -> None:
        self.hint_button.disabled = not self.can_hint
        self.hint_button.tooltip = ("The idea behind what failed, without code" if self.can_hint else
                                    "Try first: a hint comes after your first attempt")
        self.reveal_button.disabled = not self.can_reveal
        self.reveal_button.tooltip = (
            "A reference solution to compare with yours" if self.can_reveal else
            "Try first: a solution can be shown after your first attempt" if self.attempts == 0 else
            "Read a hint first, then try again: the solution unlocks after the hint")

    def _record(self, kind: str) -> None:
        if self.save:
            exercise = self.result.exercise
            save_or_report(lambda: record_exercise_help(exercise.id, kind, notebook=exercise.notebook,
                                                        store=self.store), self.status)

    def show_hint(self) -> None:
        """Show the hint (only after an attempt); the solution button unlocks."""
        if not self.can_hint:
            return
        self.hint.value = self._hint_html()
        self.hint.layout.display = None
        self.hints_read += 1
        self._record("hint")
        self._update_buttons()

    def reveal(self) -> None:
        """Show the reference solution (only after an attempt, and after a hint unless it passed)."""
        if not self.can_reveal:
            return
        self.solution.value = self._solution_html()
        self.solution.layout.display = None
        self.reveal_button.disabled = True
        self._record("solution")

    # ------------------------------------------------------------ HTML

    def _verdict_html(self) -> str:
        r = self.result
        colour = "#31a354" if r.passed else ("#999999" if r.not_yet else "#de2d26")
        rows = []
        for mark, text, observed in r.lines():
            detail = f'<br><span style="margin-left:1.4em">observed: {html.escape(observed)}</span>' if observed else ""
            rows.append(f'<li style="list-style:none">{mark} {html.escape(text)}{detail}</li>')
        return (f'<div style="border-left: 3px solid {colour}; padding-left: 8px">'
                f"<p><strong>{html.escape(r.headline())}</strong></p>"
                f'<ul style="padding-left:0.5em;margin:0">{"".join(rows)}</ul></div>')

    def _hint_html(self) -> str:
        items = "".join(f"<li>{html.escape(h)}</li>" for h in self.result.hints())
        return f'<div class="bert-exercise-hint"><p><strong>Hint</strong></p><ul>{items}</ul></div>'

    def _solution_html(self) -> str:
        return ('<div class="bert-exercise-solution"><p><strong>A solution</strong> (yours may differ and still '
                f"pass):</p><pre>{html.escape(solution_source(self.result.exercise))}</pre></div>")

    def fallback_html(self) -> str:
        return (self._verdict_html()
                + f"<details><summary>Hint (open it after a first attempt)</summary>{self._hint_html()}</details>"
                + "<details><summary>A solution, folded away (open it only after your own attempt and the hint)"
                  f"</summary>{self._solution_html()}</details>")

    def fallback_text(self) -> str:
        return self.result.text()


class CourseVersion:
    """The course's own code for an exercise, folded away until the learner has passed it or revealed a
    solution (then shown open). A saved notebook built from a fresh run shows it folded and labelled."""

    def __init__(self, exercise: Exercise, source: str, *, unlocked: bool):
        self.exercise, self.source, self.unlocked = exercise, source, unlocked

    def _repr_html_(self) -> str:
        e = self.exercise
        summary = (f"The course's version, to compare with yours ({e.label})" if self.unlocked else
                   f"The course's version: a solution to {e.label}, folded until you have tried it (it opens "
                   f"here once your check passes or you reveal a solution, when you run this cell again)")
        return (f'<details class="bert-course-version"{" open" if self.unlocked else ""}><summary>'
                f"{html.escape(summary)}</summary><pre><code>{html.escape(self.source)}</code></pre></details>")

    def __repr__(self) -> str:
        return f"<{self.exercise.label}: the course's version, {'shown' if self.unlocked else 'folded'}>"


def course_version(exercise_id: str, obj, *, start: str | None = None, end: str | None = None,
                   store: ProgressStore | None = None) -> CourseVersion:
    """A listing of ``obj`` (``helpers.course.demos.source_of``) that stays folded until the exercise was
    passed or its solution revealed, as the saved progress says."""
    exercise = find_exercise(exercise_id)
    entry = _saved_entry(exercise_id, store)
    unlocked = bool(entry.get("passed")) or int(entry.get("reveals", 0) or 0) > 0
    return CourseVersion(exercise, source_of(obj, start=start, end=end), unlocked=unlocked)


def check(exercise_id: str, *functions: Callable, store: ProgressStore | None = None,
          save: bool = True) -> ExerciseFeedback:
    """Check the learner's function(s) for one exercise, save the attempt, and return the feedback."""
    result = run_check(exercise_id, *functions)
    status = widgets.HTML()
    entry: dict = {}
    if save:
        entry = _saved_entry(exercise_id, store)  # an earlier session's attempts and hints still count
        if not result.not_yet:
            notebook = result.exercise.notebook
            save_or_report(lambda: entry.update(record_exercise(exercise_id, result.passed, notebook=notebook,
                                                                store=store)), status)
            entry.setdefault("attempts", 1)
            entry["attempts"] = max(1, entry["attempts"])
    elif not result.not_yet:
        entry = {"attempts": 1}
    return ExerciseFeedback(result, entry=entry, store=store, save=save, status=status.value)


def saved_attempts(exercise_id: str, *, store: ProgressStore | None = None) -> int:
    """How many checked attempts at an exercise the progress file holds."""
    return int(_saved_entry(exercise_id, store).get("attempts", 0))


def check_choose_positions(choose_positions: Callable, **kwargs) -> ExerciseFeedback:
    """Exercise 1 (notebook 2): test ``choose_positions(special_tokens_mask, *, mlm_probability, generator)``."""
    return check("mlm-choose-positions", choose_positions, **kwargs)


def check_corrupt(corrupt: Callable, **kwargs) -> ExerciseFeedback:
    """Exercise 2 (notebook 2): test ``corrupt(input_ids, selected, *, vocab_size, mask_token_id, generator)``."""
    return check("mlm-corrupt", corrupt, **kwargs)


def check_mlm_loss(mlm_loss: Callable, **kwargs) -> ExerciseFeedback:
    """Exercise 3 (notebook 2): test ``mlm_loss(logits, labels)``."""
    return check("mlm-loss", mlm_loss, **kwargs)


def check_nsp_example(nsp_example: Callable, **kwargs) -> ExerciseFeedback:
    """Exercise 4 (notebook 3): test ``nsp_example(tokens_a, tokens_b, is_next)``."""
    return check("nsp-example", nsp_example, **kwargs)


def check_heads(sequence_head: Callable, token_head: Callable, **kwargs) -> ExerciseFeedback:
    """Exercise 5 (notebook 5): test ``sequence_head`` and ``token_head(last_hidden_state, classifier, labels)``."""
    return check("heads", sequence_head, token_head, **kwargs)


def check_fixed_count(choose_fixed_count: Callable, **kwargs) -> ExerciseFeedback:
    """Stretch A (notebook 2): test ``choose_fixed_count(special_tokens_mask, attention_mask, *, mlm_probability,
    max_predictions, generator)``."""
    return check("mlm-fixed-count", choose_fixed_count, **kwargs)


def check_pretraining_loss(pretraining_loss: Callable, **kwargs) -> ExerciseFeedback:
    """Stretch B (notebook 3): test ``pretraining_loss(prediction_logits, seq_relationship_logits, labels,
    next_sentence_label)``."""
    return check("pretraining-loss", pretraining_loss, **kwargs)


def check_align_labels(align_labels: Callable, **kwargs) -> ExerciseFeedback:
    """Stretch C (notebook 5a): test ``align_labels(word_labels, word_ids)``."""
    return check("align-labels", align_labels, **kwargs)
