"""Flashcards in the notebook: flip, browse, shuffle and practise the deck, and print it.

* :class:`FlashcardDeck` shows one card at a time. In practice mode "Knew it" / "Not yet" move the
  card between Leitner boxes (the rule: :mod:`helpers.course.leitner`; saved by
  :mod:`helpers.course.progress`).
* :class:`PrintButton` writes the PDF and the HTML print view (:mod:`helpers.course.flashcard_print`,
  also ``python -m helpers.course.flashcards print``).
"""
from __future__ import annotations

import html
import os
import random
import sys
from pathlib import Path
from typing import Sequence

import ipywidgets as widgets
from IPython.display import HTML, display

from helpers.course.content import Flashcard, load_deck, to_html
from helpers.course.flashcard_print import DEFAULT_PDF, PAPERS, main, print_flashcards
from helpers.course.leitner import LEITNER_BOXES, due_boxes, leitner_update, practice_queue, requeue
from helpers.course.progress import ProgressStore, card_boxes, record_card, start_practice_round
from helpers.course.widget_base import StaticFallback, save_or_report
from helpers.errors import check_choice

# Re-exported for the notebooks and the command line (each lives in the module named above).
__all__ = ["FlashcardDeck", "PrintButton", "due_boxes", "practice_queue", "requeue", "print_flashcards", "main"]


class PrintButton(StaticFallback, widgets.VBox):
    """A "Print flashcards" button: writes the PDF and HTML, then shows a link to them."""

    def __init__(self, out: str | Path | None = None, paper: str = "a4", fronts_only: bool = False,
                 cards: Sequence[Flashcard] | None = None):
        check_choice("paper", paper, tuple(PAPERS))
        self.out, self.paper, self.fronts_only = Path(out) if out else DEFAULT_PDF, paper, fronts_only
        self.cards = list(cards) if cards is not None else None
        self.button = widgets.Button(description="Print flashcards", icon="print", button_style="info",
                                     tooltip=f"Write the cards as a PDF ({paper}, one side per page) and an HTML page",
                                     layout=widgets.Layout(width="auto", align_self="flex-start"))
        self.button.on_click(lambda _b: self.print())
        self.result = widgets.Output()
        super().__init__([self.button, self.result])

    def print(self) -> tuple[Path, Path]:
        self.button.disabled = True
        self.result.clear_output()
        try:
            pdf, page = print_flashcards(self.out, self.paper, self.fronts_only, self.cards)
        except (OSError, ValueError) as err:
            with self.result:
                display(HTML(f"<p>Could not write the flashcards: {html.escape(str(err))}</p>"))
            raise
        finally:
            self.button.disabled = False
        # Relative links resolve against the notebook's folder, which is the kernel's working directory.
        rel_pdf, rel_html = (html.escape(os.path.relpath(p, Path.cwd())) for p in (pdf, page))
        with self.result:
            display(HTML(f'<p>Wrote <a href="{rel_pdf}" target="_blank">{html.escape(pdf.name)}</a> '
                         f'and the print view <a href="{rel_html}" target="_blank">{html.escape(page.name)}</a>'
                         f"<br><small>{html.escape(str(pdf))}</small></p>"))
        return pdf, page

    def fallback_html(self) -> str:
        return ("<p><strong>Print flashcards</strong>: run <code>python -m helpers.course.flashcards print "
                "--paper a4</code> to write <code>flashcards/flashcards.pdf</code>.</p>")

    def fallback_text(self) -> str:
        return "Print flashcards: python -m helpers.course.flashcards print --paper a4"


class FlashcardDeck(StaticFallback, widgets.VBox):
    """Flip, browse, shuffle and practise the deck; "Knew it" / "Not yet" move cards between Leitner boxes."""

    def __init__(self, cards: Sequence[Flashcard] | None = None, *, seed: int = 0,
                 store: ProgressStore | None = None, save: bool = True, print_out: str | Path | None = None,
                 paper: str = "a4"):
        self.cards = list(cards) if cards is not None else load_deck()
        if not self.cards:
            raise ValueError("cards=[] is not allowed: the deck needs at least one card.")
        self.by_id = {c.id: c for c in self.cards}
        self.seed, self.store, self.save = seed, store, save
        self.rng = random.Random(seed)
        self.order = list(range(len(self.cards)))  # browse order (indices into self.cards)
        self.position, self.showing_back, self.mode = 0, False, "browse"
        self.queue: list[str] = []
        self.boxes: dict[str, int] = {}
        self.round = 0

        self.header, self.card, self.info, self.status = (widgets.HTML() for _ in range(4))
        self.card.layout = widgets.Layout(border="1px solid #999", padding="12px", min_height="150px",
                                          width="100%", max_width="640px")
        button = lambda d, icon, tip, style="": widgets.Button(description=d, icon=icon, tooltip=tip,
                                                               button_style=style, layout=widgets.Layout(width="auto"))
        self.prev_button = button("Previous", "arrow-left", "Show the previous card")
        self.flip_button = button("Flip", "retweet", "Turn the card over", "primary")
        self.next_button = button("Next", "arrow-right", "Show the next card")
        self.shuffle_button = button("Shuffle", "random", "Shuffle the deck (seeded, so reproducible)")
        self.mode_toggle = widgets.ToggleButtons(options=[("Browse", "browse"), ("Practice", "practice")],
                                                 tooltips=["Flip through every card", "Leitner practice: missed cards come back sooner"],
                                                 style={"button_width": "auto"})
        self.knew_button = button("Knew it", "check", "I knew the answer: move the card up a box", "success")
        self.not_yet_button = button("Not yet", "refresh", "I missed it: back to box 1, it comes back soon", "warning")
        self.prev_button.on_click(lambda _b: self.previous())
        self.flip_button.on_click(lambda _b: self.flip())
        self.next_button.on_click(lambda _b: self.next())
        self.shuffle_button.on_click(lambda _b: self.shuffle())
        self.knew_button.on_click(lambda _b: self.answer(True))
        self.not_yet_button.on_click(lambda _b: self.answer(False))
        self.mode_toggle.observe(lambda change: self.set_mode(change["new"]), names="value")
        self.round_button = button("New round", "repeat", "Start the next practice round now")
        self.round_button.on_click(lambda _b: self.start_round())
        self.controls = widgets.HBox(layout=widgets.Layout(flex_flow="row wrap"))  # filled by _render, per mode
        self.print_button = PrintButton(print_out, paper, cards=self.cards)
        super().__init__([self.mode_toggle, self.header, self.card, self.controls,
                          self.info, self.status, self.print_button])
        self.add_class("bert-flashcards")
        self._render()

    # -- state changes (the buttons call these; tests call them directly) ---------------
    @property
    def current(self) -> Flashcard | None:
        if self.mode == "practice":
            return self.by_id[self.queue[0]] if self.queue else None
        return self.cards[self.order[self.position]]

    def flip(self) -> None:
        self.showing_back = not self.showing_back
        self._render()

    def next(self) -> None:
        self.position = (self.position + 1) % len(self.cards)
        self.showing_back = False
        self._render()

    def previous(self) -> None:
        self.position = (self.position - 1) % len(self.cards)
        self.showing_back = False
        self._render()

    def shuffle(self) -> None:
        self.rng.shuffle(self.order)
        self.position, self.showing_back = 0, False
        self._render()

    def set_mode(self, mode: str) -> None:
        check_choice("mode", mode, ("browse", "practice"))
        if self.mode_toggle.value != mode:
            self.mode_toggle.value = mode  # its observer calls set_mode again, with the toggle in step
            return
        self.mode, self.showing_back = mode, False
        if mode == "practice":
            self.start_round()
        self._render()

    def start_round(self) -> None:
        """Begin a new practice round with the cards whose boxes are due."""
        boxes = {}
        if self.save:
            try:
                self.round = start_practice_round(store=self.store)
                boxes = card_boxes(store=self.store)
            except OSError as err:
                self.status.value = f"<small>Progress not saved: {html.escape(str(err))}</small>"
                self.round += 1
        else:
            self.round += 1
        self.boxes = {c.id: boxes.get(c.id, 1) for c in self.cards}
        self.queue = practice_queue([c.id for c in self.cards], self.boxes, self.round, self.seed)
        self.showing_back = False
        self._render()

    def answer(self, knew: bool) -> None:
        """Practice mode: "Knew it" (``True``) or "Not yet" (``False``) for the current card."""
        if self.mode != "practice" or not self.queue:
            raise ValueError(f"answer is only allowed in practice mode with cards left (mode={self.mode!r}).")
        card_id = self.queue[0]
        new_box = leitner_update(self.boxes[card_id], knew)
        if self.save:
            save_or_report(lambda: record_card(card_id, knew, store=self.store), self.status)
        self.boxes[card_id] = new_box
        self.queue = requeue(self.queue, knew)
        self.showing_back = False
        self._render()

    # -- drawing ------------------------------------------------------------------------
    def _render(self) -> None:
        practice = self.mode == "practice"
        self.controls.children = ((self.flip_button, self.knew_button, self.not_yet_button, self.round_button)
                                  if practice else
                                  (self.prev_button, self.flip_button, self.next_button, self.shuffle_button))
        card = self.current
        if card is None:  # practice round finished
            self.header.value = f"<strong>Round {self.round} done.</strong>"
            self.card.value = ("<p>Every due card is answered. Press <em>New round</em> for the next "
                               "round: cards in low boxes come first, well-known cards rest.</p>")
            self.knew_button.disabled = self.not_yet_button.disabled = self.flip_button.disabled = True
            self.info.value = self._boxes_text()
            return
        self.flip_button.disabled = False
        side = "Answer" if self.showing_back else "Question"
        where = (f"Practice round {self.round} · {len(self.queue)} card(s) left · box {self.boxes[card.id]}"
                 if practice else f"Card {self.position + 1} of {len(self.cards)}")
        self.header.value = f"<strong>{where}</strong> · {html.escape(card.topic)} · <em>{side}</em>"
        text = card.back if self.showing_back else card.front
        self.card.value = f'<div style="font-size: 1.25em">{to_html(text)}</div>'
        self.flip_button.description = "Show question" if self.showing_back else "Flip"
        # In practice you judge yourself only after seeing the answer.
        self.knew_button.disabled = self.not_yet_button.disabled = not self.showing_back
        self.info.value = self._boxes_text() if practice else ""

    def _boxes_text(self) -> str:
        counts = [sum(1 for b in self.boxes.values() if b == k) for k in range(1, LEITNER_BOXES + 1)]
        return "<small>Leitner boxes: " + " · ".join(f"box {k}: {n}" for k, n in enumerate(counts, 1)) + "</small>"

    def fallback_html(self) -> str:
        items = "".join(f'<div style="margin-bottom: 0.8em"><strong>Card {n} · {html.escape(c.topic)}</strong>'
                        f"{to_html(c.front)}<details><summary>Show the answer</summary>{to_html(c.back)}"
                        f"</details></div>" for n, c in enumerate(self.cards, 1))
        return f"<h3>Flashcards ({len(self.cards)})</h3>{items}{self.print_button.fallback_html()}"

    def fallback_text(self) -> str:
        return "\n\n".join(f"{n}. [{c.topic}] {c.front}\n   -> {c.back}" for n, c in enumerate(self.cards, 1))


if __name__ == "__main__":
    sys.exit(main())
