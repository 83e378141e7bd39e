"""Build the course notebooks from their readable sources, run them, and time them.

The notebooks are written as plain-text "percent" files in ``notebooks/src/`` (the format jupytext
calls ``py:percent``): a line ``# %%`` starts a code cell, ``# %% [markdown]`` starts a markdown
cell whose lines are comments (``# `` is stripped). That keeps reviews and diffs readable.

For each source this script

1. converts it to ``notebooks/<name>.ipynb`` (nbformat 4),
2. executes it in a fresh kernel (working directory ``notebooks/``, a timeout per cell),
   in a child process of its own so that the kernel's peak memory can be measured,
3. saves it WITH its outputs, so the notebooks read well on the web and nbval can compare them,
4. records the wall time and the kernel's peak resident memory in ``notebooks/timings.md``.

Usage (from the repository root)::

    python scripts/build_notebooks.py                 # build and run every notebook
    python scripts/build_notebooks.py 02 03           # only the notebooks whose name starts so
    python scripts/build_notebooks.py --no-execute    # convert only (no outputs)

Progress is redirected to a temporary file while building, so the stored outputs show a fresh
learner's state, never the author's own answers.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
SOURCES = NOTEBOOKS / "src"
TIMINGS = NOTEBOOKS / "timings.md"

CELL_MARKER = re.compile(r"^# %%(?P<rest>.*)$")
CELL_TIMEOUT_S = 600
PROGRESS_ENV = "BERT_COURSE_PROGRESS"
NOTEBOOK_GLOB = "[0-9][0-9]*_*.py"  # 00_start_here.py, 05b_bert_at_real_scale.py, ...


# --------------------------------------------------------------------------- conversion

def parse_percent(text: str) -> list[tuple[str, str]]:
    """Split a percent-format source into ``(cell_type, source)`` pairs.

    Lines before the first marker (a module docstring, say) are ignored. Markdown lines lose
    their leading ``# `` (a lone ``#`` or an empty line is a blank line); code is kept as written, with blank lines trimmed
    at both ends.
    """
    cells: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        match = CELL_MARKER.match(line)
        if match:
            kind = "markdown" if "[markdown]" in match.group("rest") else "code"
            cells.append((kind, []))
        elif cells:
            cells[-1][1].append(line)

    result = []
    for kind, lines in cells:
        if kind == "markdown":
            lines = [_uncomment(line) for line in lines]
        while lines and not lines[0].strip():
            lines.pop(0)
        while lines and not lines[-1].strip():
            lines.pop()
        if lines:
            result.append((kind, "\n".join(lines)))
    return result


def _uncomment(line: str) -> str:
    if line.startswith("# "):
        return line[2:]
    if line.strip() in ("#", ""):
        return ""
    raise ValueError(f"markdown line {line!r} must start with '# ' (or be a lone '#')")


def to_notebook(source: Path):
    """Return an ``nbformat`` notebook made from the percent file ``source``."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    for kind, text in parse_percent(source.read_text()):
        if kind == "markdown":
            nb.cells.append(nbformat.v4.new_markdown_cell(text))
        else:
            nb.cells.append(nbformat.v4.new_code_cell(text))
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    # Stable cell ids keep the committed notebooks' diffs small from one build to the next.
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"{source.stem[:2]}-{i:03d}"
    return nb


# --------------------------------------------------------------------------- execution

def execute_one(ipynb: Path) -> dict:
    """Run ``ipynb`` in place in a fresh kernel; return wall time and the kernel's peak memory.

    Runs inside the child process started by :func:`run_in_child`, so the kernel is this
    process's own child: psutil samples its memory (and that of anything it starts) while it
    runs, and ``getrusage(RUSAGE_CHILDREN)`` gives the kernel's peak once it has exited.
    """
    import resource

    import nbformat
    import psutil
    from nbclient import NotebookClient

    nb = nbformat.read(ipynb, as_version=4)
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(ipynb.parent)}},
        # Without saved widget state, a notebook read on the web shows each widget's static HTML
        # fallback (question + answer in <details>) instead of empty, answerless buttons.
        store_widget_state=False,
    )
    peak = {"rss": 0}
    cpu: dict[int, float] = {}  # pid -> latest user + system seconds seen
    stop = threading.Event()

    def sample() -> None:
        me = psutil.Process()
        while not stop.is_set():
            total = 0
            for child in me.children(recursive=True):
                try:
                    total += child.memory_info().rss
                    times = child.cpu_times()
                    cpu[child.pid] = times.user + times.system
                except psutil.Error:
                    pass
            peak["rss"] = max(peak["rss"], total)
            stop.wait(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    start = time.perf_counter()
    sampler.start()
    try:
        client.execute()
    finally:
        stop.set()
        sampler.join()
    wall = time.perf_counter() - start
    nbformat.write(nb, ipynb)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    rusage_mb = usage.ru_maxrss / 1024  # KiB on Linux
    cpu_s = max(sum(cpu.values()), usage.ru_utime + usage.ru_stime)
    return {"wall_s": wall, "peak_mb": max(peak["rss"] / 2**20, rusage_mb), "cpu_s": cpu_s}


def run_in_child(ipynb: Path, env: dict) -> dict:
    """Execute one notebook in a separate Python process and return its measurements."""
    proc = subprocess.run(
        [sys.executable, __file__, "--execute-one", str(ipynb)],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"{ipynb.name} failed to execute (see the error above)")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def write_timings(rows: list[tuple[str, dict]]) -> None:
    """Merge ``rows`` into ``notebooks/timings.md`` (notebooks not rebuilt keep their last line)."""
    known: dict[str, str] = {}
    if TIMINGS.exists():
        for line in TIMINGS.read_text().splitlines():
            cells = [c.strip() for c in line.strip("|").split("|")]
            if len(cells) == 5 and cells[0].endswith(".ipynb") and (NOTEBOOKS / cells[0]).exists():
                known[cells[0]] = line  # a notebook that was renamed or removed drops out
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    for name, m in rows:
        known[name] = (f"| {name} | {m['wall_s']:.1f} | {m['peak_mb']:.0f} | {m['cpu_s']:.0f} | "
                       f"{stamp}, threads: {m['threads']} |")
    total = 0.0
    peak = 0.0
    for line in known.values():
        cells = [c.strip() for c in line.strip("|").split("|")]
        total += float(cells[1])
        peak = max(peak, float(cells[2]))
    cores = os.cpu_count()
    lines = [
        "# Notebook execution times",
        "",
        "Written by `scripts/build_notebooks.py`: wall time of a restart-and-run-all in a fresh kernel",
        "(kernel start included), the kernel's peak resident memory, and the CPU time the kernel used",
        f"(all its threads), on the machine that built them ({cores} CPU cores). Other work running at the",
        "same time inflates the wall times: compare the CPU time with the wall time to judge. With one",
        "thread, the CPU time is about what the notebook takes on an otherwise idle machine.",
        "",
        "| notebook | wall time (s) | peak memory (MB) | CPU time (s) | measured |",
        "|---|---:|---:|---:|---|",
        *sorted(known.values()),
        "",
        f"Whole sequence: {total:.0f} s; highest peak memory: {peak:.0f} MB.",
        "",
    ]
    TIMINGS.write_text("\n".join(lines))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("only", nargs="*", help="build only notebooks whose name starts with one of these")
    parser.add_argument("--no-execute", action="store_true", help="convert without running")
    parser.add_argument("--threads", type=int, default=None,
                        help="CPU threads for the kernels (OMP_NUM_THREADS); default: PyTorch's choice. "
                             "On a machine busy with other work, 1 avoids threads spinning while they wait.")
    parser.add_argument("--execute-one", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.execute_one:
        print(json.dumps(execute_one(Path(args.execute_one))))
        return

    sources = sorted(SOURCES.glob(NOTEBOOK_GLOB))  # "04_..." < "04a_..." < "05_..." < "05a_..."
    if args.only:
        sources = [s for s in sources if any(s.stem.startswith(p) for p in args.only)]
    if not sources:
        raise SystemExit(f"no notebook sources matched {args.only!r} in {SOURCES}")

    import nbformat

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ)
        env[PROGRESS_ENV] = str(Path(tmp) / "progress.json")
        env.setdefault("PYTHONHASHSEED", "0")
        if args.threads:
            env["OMP_NUM_THREADS"] = env["MKL_NUM_THREADS"] = str(args.threads)
        for source in sources:
            ipynb = NOTEBOOKS / f"{source.stem}.ipynb"
            nbformat.write(to_notebook(source), ipynb)
            if args.no_execute:
                print(f"converted {ipynb.relative_to(ROOT)}")
                continue
            measured = run_in_child(ipynb, env)
            measured["threads"] = args.threads or "default"
            rows.append((ipynb.name, measured))
            print(f"{ipynb.name}: {measured['wall_s']:.1f} s, peak {measured['peak_mb']:.0f} MB", flush=True)
    if rows:
        write_timings(rows)


if __name__ == "__main__":
    main()
