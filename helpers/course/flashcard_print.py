"""Printing the flashcards: a PDF with one card side per page, and an HTML print view.

``python -m helpers.course.flashcards print [--out FILE] [--paper a4|letter|a6] [--fronts-only]``
(or the "Print flashcards" button of :mod:`helpers.course.flashcards`) writes a PDF with one card
side per page: the question page of each card followed by its answer page, so double-sided
printing puts the answer on the back. The text is wrapped and its font sized to fill the page; each
page shows the card number and topic. An HTML print view (CSS ``@page`` and ``break-after: page``)
is written next to the PDF (or where ``--html`` says).

Printing never loses a file: ``--out`` must name a ``.pdf``; an existing file is replaced only if an
earlier print wrote it (anything else is refused and left alone); both files are written atomically
(:func:`helpers.files.atomic_write`), so a print that fails half-way, or a full disk, leaves the
previous deck as it was. Card text is printed literally (a ``$`` is a dollar sign, not maths), and a
card the PDF's font cannot draw (emoji, Chinese...) is refused with its number, id and the characters.
"""
from __future__ import annotations

import argparse
import html
import io
import os
import sys
import textwrap
import traceback
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import matplotlib
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.ft2font import FT2Font
from matplotlib.lines import Line2D

from helpers.course.content import Flashcard, load_deck, to_html
from helpers.errors import check_choice
from helpers.files import atomic_write, describe
from helpers.paths import FLASHCARDS_DIR

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

    Atomic: ``out`` is replaced only once every page is drawn (:func:`helpers.files.atomic_write`).
    ``out`` must end in .pdf and be new or an earlier print (:func:`check_target`).
    """
    check_choice("paper", paper, tuple(PAPERS))
    cards = check_printable(cards if cards is not None else load_deck())
    out = check_target(out, "pdf")

    # Drawn into memory first: a disk that fills up then fails in our write (one clear OSError),
    # not inside matplotlib's zlib stream, and the file already at ``out`` stays as it was.
    buffer = io.BytesIO()
    # fonttype 42 embeds TrueType fonts, so the PDF's text can be searched, copied and extracted.
    # No creation date: the same deck gives the same bytes, so a committed PDF does not churn.
    with matplotlib.rc_context({"pdf.fonttype": 42}), \
            PdfPages(buffer, metadata={"Title": TITLE, "CreationDate": None}) as pdf:
        for card, side, n in card_sides(cards, fronts_only):
            pdf.savefig(card_page(card, side, n, len(cards), paper))
    return atomic_write(out, buffer.getbuffer())


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
    return atomic_write(out, doc)


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
        print(f"{p.prog}: error: {describe(err) if isinstance(err, OSError) else err}", file=sys.stderr)
        return 2
    sides = "fronts only" if args.fronts_only else "front then back of each card"
    print(f"wrote {pdf} ({args.paper}, {sides}) and {page}")
    return 0
