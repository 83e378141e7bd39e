"""Progress bars (``tqdm``) that a saved notebook shows in their final state.

In a Jupyter kernel ``tqdm.auto`` draws a widget. The widget updates itself while it runs, but the
text a saved notebook keeps (what GitHub, nbviewer and ``nbconvert`` show, since the course stores
no widget state) is the bar's text at the moment it was first displayed: "0%". Here the bar is
displayed with a display id and, when it closes, that display is updated once, so the stored text
becomes the finished bar ("100% ... 150/150 [00:04<00:00]"). A bar made with ``leave=False``, which
hides its widget when done, is replaced by that one line of text. Outside a notebook this is plain
``tqdm.auto.tqdm``.

Usage is ``tqdm``'s own: ``from helpers.progress_bars import tqdm``.
"""
from __future__ import annotations

from tqdm.auto import tqdm as _auto_tqdm

try:
    from IPython.display import display
    from tqdm.notebook import tqdm_notebook as _tqdm_notebook
except ImportError:  # pragma: no cover - no IPython/ipywidgets: tqdm.auto is the text bar anyway
    _tqdm_notebook = None


# Seconds between redraws of a notebook bar (tqdm's default is 0.1). Each redraw is a few widget
# messages on the kernel's output channel; a 90-second run at 10 redraws a second sends about 2,000,
# more than a client that reads only after the cell (nbval) can buffer, and the overflow is dropped.
NOTEBOOK_MININTERVAL = 0.5

if _tqdm_notebook is not None and issubclass(_auto_tqdm, _tqdm_notebook):

    class tqdm(_auto_tqdm):  # noqa: N801 - tqdm's own name, so it is a drop-in replacement
        """The notebook bar, displayed with a display id and re-displayed once when it closes."""

        def __init__(self, *args, **kwargs):
            show = kwargs.pop("display", True)
            kwargs.setdefault("mininterval", NOTEBOOK_MININTERVAL)
            self._handle = None
            super().__init__(*args, display=False, **kwargs)
            if show and not self.disable and self.delay <= 0:
                self._handle = display(self.container, display_id=True)
                self.displayed = True

        def close(self):
            handle, self._handle = getattr(self, "_handle", None), None
            final = self.format_meter(**self.format_dict) if handle is not None else None
            super().close()
            if handle is None:
                return
            if self.leave:
                handle.update(self.container)  # the widget view again, with the final text beside it
            else:  # the widget hides itself; keep one line of text saying what ran
                handle.update({"text/plain": final}, raw=True)

else:
    tqdm = _auto_tqdm

__all__ = ["tqdm"]
