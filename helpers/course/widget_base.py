"""What every course widget shares: a static view for saved notebooks, and saving that never crashes.

* :class:`StaticFallback`: a widget's display data carries, besides the live view, a static HTML
  and a plain-text version, which GitHub, nbviewer and ``nbconvert`` show when a notebook is saved
  without widget state (the quizzes, the flashcards and the exercise checks use it);
* :func:`save_or_report`: save the learner's progress; if the disk refuses, say so in the widget.
"""
from __future__ import annotations

import html
from typing import Callable

import ipywidgets as widgets

FALLBACK_NOTE = "Static view: run the notebook to answer interactively."


class StaticFallback:
    """Mixin: display data = the live widget view + a static HTML and plain-text version."""

    def fallback_html(self) -> str:
        raise NotImplementedError

    def fallback_text(self) -> str:
        raise NotImplementedError

    def _repr_mimebundle_(self, **kwargs):
        bundle = super()._repr_mimebundle_(**kwargs) or {}
        bundle["text/plain"] = self.fallback_text()
        bundle["text/html"] = (f'<div class="bert-course-static">{self.fallback_html()}'
                               f'<p><small><em>{FALLBACK_NOTE}</em></small></p></div>')
        return bundle


def save_or_report(save: Callable[[], object], status: widgets.HTML) -> bool:
    """Save progress; if the disk refuses (read-only home, full disk), say so instead of crashing.

    Returns whether it was saved."""
    try:
        save()
    except OSError as err:
        status.value = f"<small>Progress not saved: {html.escape(str(err))}</small>"
        return False
    return True
