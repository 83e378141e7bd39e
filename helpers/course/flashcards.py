"""Flashcards: a widget to flip and practise them, Leitner scheduling, and printing.

**Practice with Leitner boxes.** Every card sits in one of five boxes (all start in box 1).
"Knew it" moves a card up one box; "Not yet" sends it back to box 1. Practice goes in rounds:
box *b* is due every 2**(b-1) rounds (box 1 every round, box 2 every second round, box 3 every
fourth...), so cards you miss come back often and cards you know come back rarely. Within a
round, a missed card is put back into the queue a couple of cards later, so you see it again
before the round ends. Boxes are saved by :mod:`helpers.course.progress`.

**Printing.** ``python -m helpers.course.flashcards print [--out FILE] [--paper a4|letter|a6]
[--fronts-only]`` (or the "Print flashcards" button) writes a PDF with one card side per page: the
question page of each card followed by its answer page, so double-sided printing puts the answer
on the back. The text is wrapped and its font sized to fill the page; each page shows the card
number and topic. An HTML print view (CSS ``@page`` and ``break-after: page``) is written next to
the PDF (or where ``--html`` says).

Printing never loses a file: ``--out`` must name a ``.pdf``; an existing file is replaced only if an
earlier print wrote it (anything else is refused and left alone); both files are written to a
temporary file first and renamed into place, so a print that fails half-way leaves the previous
deck as it was. Card text is printed literally (a ``$`` is a dollar sign, not maths), and a card the
PDF's font cannot draw (emoji, Chinese...) is refused with its number, id and the characters.
"""
from __future__ import annotations

import argparse
import html
import os
import random
import sys
import tempfile
import textwrap
import traceback
from functools import lru_cache
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import ipywidgets as widgets
import matplotlib
from IPython.display import HTML, display
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.ft2font import FT2Font
from matplotlib.lines import Line2D

from helpers.course.content import Flashcard, load_deck, to_html
from helpers.paths import FLASHCARDS_DIR
from helpers.errors import check_choice, check_positive_int
from helpers.course.progress import (LEITNER_BOXES, ProgressStore, card_boxes, leitner_update, record_card,
                              start_practice_round)
from helpers.course.quiz import StaticFallback, save_or_report

RETRY_GAP = 2  # a missed card comes back after this many other cards in the same round

# ---------------------------------------------------------------- Leitner scheduling


def due_boxes(round_number: int) -> list[int]:
    """The boxes practised in round ``round_number`` (1, 2, ...): box b every 2**(b-1) rounds.

    >>> due_boxes(1), due_boxes(2), due_boxes(4)
    ([1], [1, 2], [1, 2, 3])
    """
    check_positive_int("round_number", round_number)
    return [b for b in range(1, LEITNER_BOXES + 1) if round_number % 2 ** (b - 1) == 0]


def practice_queue(card_ids: Sequence[str], boxes: dict[str, int], round_number: int, seed: int = 0) -> list[str]:
    """The cards to practise this round: those in due boxes, lowest box first, shuffled within a box.

    Cards missing from ``boxes`` have never been reviewed and sit in box 1. If no card is due (all
    of them are in boxes that rest this round), the lowest-box cards are practised instead.
    """
    rng = random.Random(seed * 1_000_003 + round_number)  # a different order each round, reproducibly
    box_of = {cid: boxes.get(cid, 1) for cid in card_ids}
    for cid, box in box_of.items():  # a box outside 1..5 would never be due again
        if isinstance(box, bool) or not isinstance(box, int) or not 1 <= box <= LEITNER_BOXES:
            raise ValueError(f"boxes[{cid!r}]={box!r} is not allowed: a Leitner box is 1..{LEITNER_BOXES}.")
    due = set(due_boxes(round_number))
    chosen = [cid for cid in card_ids if box_of[cid] in due]
    if not chosen and card_ids:
        lowest = min(box_of.values())
        chosen = [cid for cid in card_ids if box_of[cid] == lowest]
    rng.shuffle(chosen)
    return sorted(chosen, key=lambda cid: box_of[cid])  # stable: keeps the shuffle within a box


def requeue(queue: list[str], knew: bool, gap: int = RETRY_GAP) -> list[str]:
    """The queue after answering its first card: a known card leaves; a missed one returns after ``gap`` cards."""
    if not queue:
        raise ValueError("queue=[] is not allowed: there is no card to answer.")
    card, rest = queue[0], list(queue[1:])
    if not knew:
        rest.insert(min(gap, len(rest)), card)
    return rest


# ---------------------------------------------------------------- printing

PAPERS = {"a4": (8.27, 11.69), "letter": (8.5, 11.0), "a6": (4.13, 5.83)}  # inches, portrait
MIN_FONT_PT = 9.0  # never smaller than this: the card must stay readable
DEFAULT_PDF = FLASHCARDS_DIR / "flashcards.pdf"
TITLE = "BERT, part two: flashcards"
# How an earlier print is recognised: only such a file may be replaced.
_OURS = {"pdf": f"/Title ({TITLE})".encode(), "html": f"<title>{TITLE}</title>".encode()}
_SUFFIXES = {"pdf": (".pdf",), "html": (".html", ".htm")}


def check_target(path: str | os.PathLike, kind: str, name: str = "out") -> Path:
    """``path`` as a Path if the print may write its ``kind`` ("pdf" or "html") file there, else raise.

    Allowed: the right suffix, and either no file yet or a file an earlier print wrote (recognised
    by its title). A folder, a path under a file, or any other existing file is refused, so a typo
    in ``--out`` cannot replace a corpus, a notebook or someone's notes.
    """
    check_choice("kind", kind, tuple(_SUFFIXES))
    path = Path(path)
    if path.suffix.lower() not in _SUFFIXES[kind]:
        raise ValueError(f"{name}={str(path)!r} is not allowed: it names the {kind.upper()} file, so it must end in "
                         f"{' or '.join(_SUFFIXES[kind])}.")
    if path.is_dir():
        raise ValueError(f"{name}={str(path)!r} is not allowed: it is a folder; name a {kind.upper()} file.")
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise ValueError(f"{name}={str(path)!r} is not allowed: {str(parent)!r} is a file, not a folder.")
            break
    if path.exists() and _OURS[kind] not in path.read_bytes():
        raise ValueError(f"{name}={str(path)!r} is not allowed: that file exists and was not written by a "
                         "flashcard print, so it was left untouched. Choose another name or move the file away.")
    return path


def _write_atomically(path: Path, write) -> Path:
    """Call ``write(temporary_path)``, then rename the result over ``path``: all or nothing.

    A symlink is written through (the link stays); an existing file keeps its permissions.
    """
    target = path.resolve() if path.is_symlink() else path
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(Path(tmp))
        if target.exists():
            mode = target.stat().st_mode & 0o777
        else:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask  # mkstemp makes it private; a print is an ordinary file
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


@lru_cache(maxsize=None)
def _font_coverage() -> tuple[str, frozenset[int]]:
    """The PDF's font (matplotlib's default sans-serif) and the code points both its regular and bold faces draw."""
    faces = [font_manager.findfont(font_manager.FontProperties(weight=w), fallback_to_default=True)
             for w in ("normal", "bold")]
    covered = frozenset.intersection(*(frozenset(FT2Font(f).get_charmap()) for f in faces))
    return Path(faces[0]).stem, covered


def check_printable(cards: Sequence[Flashcard]) -> list[Flashcard]:
    """The cards as a list if every one can be printed, else a ``ValueError`` naming the card.

    Checks what would otherwise fail (or print empty boxes) half-way through: no cards at all, and
    characters the PDF's font has no glyph for (emoji, CJK: no font that has them ships offline).
    """
    cards = list(cards)
    if not cards:
        raise ValueError("cards=[] is not allowed: there is nothing to print (give at least one card).")
    font, covered = _font_coverage()
    for n, card in enumerate(cards, start=1):
        if not isinstance(card, Flashcard):
            raise ValueError(f"card {n} is {type(card).__name__}, not a Flashcard: it cannot be printed.")
        for part in ("topic", "front", "back"):
            missing = sorted({ch for ch in getattr(card, part) if not ch.isspace() and ord(ch) not in covered})
            if missing:
                shown = ", ".join(f"{ch!r} (U+{ord(ch):04X})" for ch in missing[:5])
                raise ValueError(f"card {n} ({card.id!r}) cannot be printed: its {part} has characters the PDF's "
                                 f"font ({font}) has no glyph for: {shown}. Replace them with words or plain text "
                                 "(Latin, Greek, Cyrillic and common symbols print).")
    return cards


@dataclass(frozen=True)
class PageLayout:
    """Where things go on a page, in inches from the bottom-left corner (matplotlib's convention)."""

    width: float
    height: float
    margin: float
    header_pt: float
    max_body_pt: float

    @classmethod
    def for_paper(cls, paper: str) -> "PageLayout":
        check_choice("paper", paper, tuple(PAPERS))
        w, h = PAPERS[paper]
        small = paper == "a6"
        return cls(w, h, margin=0.35 if small else 0.75, header_pt=7 if small else 10, max_body_pt=20 if small else 32)

    @property
    def body_box(self) -> tuple[float, float, float, float]:
        """(left, bottom, width, height) of the area the card's text must stay inside."""
        header = 3.2 * self.header_pt / 72  # header line + rule + gap
        footer = 2.2 * self.header_pt / 72
        return (self.margin, self.margin + footer, self.width - 2 * self.margin,
                self.height - 2 * self.margin - header - footer)


def wrap_paragraphs(text: str, width: int) -> str:
    """Wrap each paragraph to ``width`` characters; never split words or break at hyphens."""
    return "\n\n".join(textwrap.fill(p, width, break_long_words=False, break_on_hyphens=False)
                       for p in text.split("\n") if p.strip())


def fit_text(text: str, layout: PageLayout, renderer, fig) -> tuple[str, float]:
    """The largest font size (and the wrapping) at which ``text`` fits the page's body box.

    Measures the real rendered size with matplotlib's renderer (not a guess): for a font size,
    wrap at the widest line length that fits the box's width, then check the height. Smaller
    text always fits at least as well, so a binary search over sizes (half-point steps) finds
    the largest that fits. Raises if even ``MIN_FONT_PT`` does not fit.
    """
    _, _, box_w, box_h = layout.body_box
    box_w_px, box_h_px = box_w * fig.dpi, box_h * fig.dpi
    probe = fig.text(0, 0, " ".join(text.split()), fontsize=10, linespacing=1.3, parse_math=False)
    px_per_char_at_10 = probe.get_window_extent(renderer).width / max(1, len(probe.get_text()))

    def wrap_to_fit(size: float) -> tuple[str, bool]:
        chars = max(8, int(box_w_px / (px_per_char_at_10 * size / 10)))
        while True:
            wrapped = wrap_paragraphs(text, chars)
            probe.set_text(wrapped)
            probe.set_fontsize(size)
            extent = probe.get_window_extent(renderer)
            if extent.width <= box_w_px or chars <= 8:
                return wrapped, extent.width <= box_w_px and extent.height <= box_h_px
            chars -= max(1, chars // 25)

    try:
        sizes = [MIN_FONT_PT + 0.5 * i for i in range(int((layout.max_body_pt - MIN_FONT_PT) * 2) + 1)]
        best = None
        low, high = 0, len(sizes) - 1
        while low <= high:
            mid = (low + high) // 2
            wrapped, fits = wrap_to_fit(sizes[mid])
            if fits:
                best, low = (wrapped, sizes[mid]), mid + 1
            else:
                high = mid - 1
    finally:
        probe.remove()
    if best is None:
        raise ValueError(f"text={text[:60]!r}... is too long: it does not fit a {layout.width}x{layout.height} in "
                         f"page even at {MIN_FONT_PT} pt. Shorten the card.")
    return best


def card_page(card: Flashcard, side: str, number: int, total: int, paper: str = "a4"):
    """Draw one side (``"front"`` or ``"back"``) of a card as a matplotlib Figure of the paper's size.

    The body text artist has ``gid="card-body"`` so tests can measure it.
    """
    check_choice("side", side, ("front", "back"))
    layout = PageLayout.for_paper(paper)
    fig = Figure(figsize=(layout.width, layout.height))
    FigureCanvasAgg(fig)  # a canvas to measure text with, before the PDF backend draws it
    renderer = fig.canvas.get_renderer()
    W, H, m = layout.width, layout.height, layout.margin
    label = "QUESTION" if side == "front" else "ANSWER"
    top = 1 - m / H
    # parse_math=False everywhere: card text is printed as written ("$5" is five dollars, not maths).
    fig.text(m / W, top, f"Card {number} of {total}  ·  {card.topic}", fontsize=layout.header_pt,
             va="top", ha="left", color="#444444", gid="card-header", parse_math=False)
    fig.text(1 - m / W, top, label, fontsize=layout.header_pt, va="top", ha="right",
             color="#3182bd" if side == "front" else "#31a354", weight="bold")
    rule_y = top - 1.6 * layout.header_pt / 72 / H
    fig.add_artist(_rule(fig, m / W, 1 - m / W, rule_y))
    fig.text(0.5, m / H, f"BERT, part two  ·  card {number}, {'front' if side == 'front' else 'back'}",
             fontsize=layout.header_pt * 0.8, ha="center", va="bottom", color="#888888")
    text = card.front if side == "front" else card.back
    try:
        wrapped, size = fit_text(text, layout, renderer, fig)
    except ValueError as err:
        raise ValueError(f"card {number} ({card.id!r}), {side}: {err}") from None
    left, bottom, box_w, box_h = layout.body_box
    fig.text((left + box_w / 2) / W, (bottom + box_h / 2) / H, wrapped, fontsize=size, linespacing=1.3,
             ha="center", va="center", multialignment="left" if side == "back" else "center",
             weight="bold" if side == "front" else "normal", gid="card-body", parse_math=False)
    return fig


def _rule(fig, x0: float, x1: float, y: float):
    return Line2D([x0, x1], [y, y], transform=fig.transFigure, color="#bbbbbb", linewidth=0.8)


def card_sides(cards: Sequence[Flashcard], fronts_only: bool = False) -> list[tuple[Flashcard, str, int]]:
    """The pages in print order: (card, side, card number); front then back of each card."""
    sides = ("front",) if fronts_only else ("front", "back")
    return [(card, side, n) for n, card in enumerate(cards, start=1) for side in sides]


def write_pdf(out: str | Path, cards: Sequence[Flashcard] | None = None, paper: str = "a4",
              fronts_only: bool = False) -> Path:
    """Write the deck as a PDF, one card side per page (fonts embedded, text selectable).

    Atomic: the pages go to a temporary file that replaces ``out`` only once every page is drawn.
    ``out`` must end in .pdf and be new or an earlier print (:func:`check_target`).
    """
    check_choice("paper", paper, tuple(PAPERS))
    cards = check_printable(cards if cards is not None else load_deck())
    out = check_target(out, "pdf")

    def write(tmp: Path) -> None:
        # fonttype 42 embeds TrueType fonts, so the PDF's text can be searched, copied and extracted.
        # No creation date: the same deck gives the same bytes, so a committed PDF does not churn.
        with matplotlib.rc_context({"pdf.fonttype": 42}), \
                PdfPages(tmp, metadata={"Title": TITLE, "CreationDate": None}) as pdf:
            for card, side, n in card_sides(cards, fronts_only):
                pdf.savefig(card_page(card, side, n, len(cards), paper))

    return _write_atomically(out, write)


def write_html(out: str | Path, cards: Sequence[Flashcard] | None = None, paper: str = "a4",
               fronts_only: bool = False) -> Path:
    """Write an HTML print view: one card side per printed page (CSS ``@page`` + ``break-after``)."""
    check_choice("paper", paper, tuple(PAPERS))
    cards = check_printable(cards if cards is not None else load_deck())
    out = check_target(out, "html")
    layout = PageLayout.for_paper(paper)
    fig = Figure(figsize=(layout.width, layout.height))
    FigureCanvasAgg(fig)
    renderer = fig.canvas.get_renderer()
    # Explicit sizes: browsers know the keyword "A4" and "letter" but not always "A6".
    page_size = {"a4": "210mm 297mm", "letter": "8.5in 11in", "a6": "105mm 148mm"}[paper]
    pages = []
    for card, side, n in card_sides(cards, fronts_only):
        text = card.front if side == "front" else card.back
        try:
            _, size = fit_text(text, layout, renderer, fig)
        except ValueError as err:
            raise ValueError(f"card {n} ({card.id!r}), {side}: {err}") from None
        size *= 0.9  # the PDF's size, less a safety margin: browsers wrap a little differently
        label = "Question" if side == "front" else "Answer"
        pages.append(f'<section class="page {side}"><header><span>Card {n} of {len(cards)} · '
                     f'{html.escape(card.topic)}</span><span class="side">{label}</span></header>'
                     f'<div class="body" style="font-size: {size:.0f}pt">{to_html(text)}</div></section>')
    margin_mm = layout.margin * 25.4
    css = f"""
@page {{ size: {page_size}; margin: {margin_mm:.0f}mm; }}
body {{ font-family: "DejaVu Sans", "Helvetica", "Arial", sans-serif; margin: 0; }}
.page {{ box-sizing: border-box; height: {(layout.height - 2 * layout.margin) * 25.4 - 2:.0f}mm;
        display: flex; flex-direction: column; break-after: page; page-break-after: always; }}
.page:last-child {{ break-after: auto; page-break-after: auto; }}
header {{ display: flex; justify-content: space-between; font-size: {layout.header_pt:.0f}pt; color: #444;
          border-bottom: 1px solid #bbb; padding-bottom: 2mm; }}
.side {{ font-weight: bold; text-transform: uppercase; }}
.front .side {{ color: #3182bd; }} .back .side {{ color: #31a354; }}
.body {{ flex: 1; display: flex; flex-direction: column; justify-content: center; line-height: 1.3; }}
.body p {{ margin: 0.3em 0; }}
.front .body {{ text-align: center; font-weight: bold; }}
@media screen {{ body {{ background: #eee; }}
  .page {{ background: white; width: {(layout.width - 2 * layout.margin) * 25.4:.0f}mm; margin: 8mm auto;
           padding: 6mm; box-shadow: 0 1px 4px #999; }} }}
"""
    doc = (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
           f"<title>{TITLE}</title><style>{css}</style></head>\n<body>\n"
           + "\n".join(pages) + "\n</body></html>\n")
    return _write_atomically(out, lambda tmp: tmp.write_text(doc, encoding="utf-8"))


def print_flashcards(out: str | Path | None = None, paper: str = "a4", fronts_only: bool = False,
                     cards: Sequence[Flashcard] | None = None, html_out: str | Path | None = None
                     ) -> tuple[Path, Path]:
    """Write the PDF (default ``flashcards/flashcards.pdf``) and the HTML print view (default: next to it).

    Both targets and every card are checked before anything is written.
    """
    check_choice("paper", paper, tuple(PAPERS))
    pdf = check_target(out if out is not None else DEFAULT_PDF, "pdf", "out")
    page = check_target(html_out if html_out is not None else pdf.with_suffix(".html"), "html", "html_out")
    cards = check_printable(cards if cards is not None else load_deck())
    return (write_pdf(pdf, cards, paper, fronts_only),
            write_html(page, cards, paper, fronts_only))


# ---------------------------------------------------------------- widgets


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


# ---------------------------------------------------------------- command line


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.course.flashcards",
                                     description="The course's flashcards: print them as PDF + HTML.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("print", help="write the deck as a PDF (one card side per page) and an HTML print view")
    p.add_argument("--out", type=Path, default=DEFAULT_PDF,
                   help=f"PDF file to write, ending in .pdf (default: {DEFAULT_PDF}). An existing file is "
                        "replaced only if an earlier print wrote it.")
    p.add_argument("--html", type=Path, default=None,
                   help="HTML print view to write (default: next to the PDF, same name ending in .html)")
    p.add_argument("--paper", choices=sorted(PAPERS), default="a4", help="paper size (default: a4)")
    p.add_argument("--fronts-only", action="store_true", help="questions only, no answer pages")
    p.add_argument("--debug", action="store_true", help="on an error, show the full traceback")
    args = parser.parse_args(argv)
    try:
        pdf = check_target(args.out, "pdf", "--out")
        try:
            check_target(args.html if args.html is not None else pdf.with_suffix(".html"), "html", "--html")
        except ValueError as err:
            if args.html is not None:
                raise
            raise ValueError(f"{err} (--html defaults to the PDF's name ending in .html; give --html to write "
                             "the print view elsewhere)") from None
        pdf, page = print_flashcards(pdf, args.paper, args.fronts_only, html_out=args.html)
    except (ValueError, OSError) as err:  # one line, argparse's way; the traceback only with --debug
        if args.debug:
            traceback.print_exc()
        print(f"{p.prog}: error: {err}", file=sys.stderr)
        return 2
    sides = "fronts only" if args.fronts_only else "front then back of each card"
    print(f"wrote {pdf} ({args.paper}, {sides}) and {page}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
