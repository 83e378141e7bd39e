"""Module sizes and longest functions: ``python scripts/code_size.py [ROOT] [--markdown]``.

The course keeps its units small: no module over ``MAX_MODULE_LINES`` lines and no function over
``MAX_FUNCTION_LINES`` lines, docstrings not counted (tests are not measured; a few modules being
rewritten by their owners are listed in ``EXEMPT``). Measured with ``ast`` on the files as they
are: a module's size is its line count; a function's is from its ``def`` line to its last line,
nested functions included, less its docstring. ``tests/test_code_size.py`` enforces the limits;
this prints the table (the numbers the issue notes quote).
"""
from __future__ import annotations

import argparse
import ast
import sys
from dataclasses import dataclass
from pathlib import Path

MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 60
MEASURED = ("helpers/**/*.py", "benchmarks/*.py", "scripts/*.py")
# Being rewritten by their owners this round (issue 21 leaves them to them).
EXEMPT: tuple[str, ...] = ()  # none now: every module meets the limits


@dataclass(frozen=True)
class Size:
    path: str
    lines: int
    longest_function: str
    longest_lines: int

    @property
    def exempt(self) -> bool:
        return self.path.startswith(EXEMPT)

    @property
    def problems(self) -> list[str]:
        found = []
        if self.lines > MAX_MODULE_LINES:
            found.append(f"{self.path}: {self.lines} lines (at most {MAX_MODULE_LINES})")
        if self.longest_lines > MAX_FUNCTION_LINES:
            found.append(f"{self.path}: {self.longest_function} has {self.longest_lines} lines "
                         f"(at most {MAX_FUNCTION_LINES}, docstring not counted)")
        return found


def function_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines from ``def`` to the function's last line, less its docstring."""
    lines = node.end_lineno - node.lineno + 1
    first = node.body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        lines -= first.end_lineno - first.lineno + 1
    return lines


def measure_file(path: Path, root: Path) -> Size:
    text = path.read_text(encoding="utf-8")
    longest = ("-", 0)
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and function_lines(node) > longest[1]:
            longest = (node.name, function_lines(node))
    return Size(path.relative_to(root).as_posix(), len(text.splitlines()), *longest)


def measure(root: Path) -> list[Size]:
    paths = sorted({p for pattern in MEASURED for p in root.glob(pattern)})
    return [measure_file(p, root) for p in paths]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("root", nargs="?", default=str(Path(__file__).resolve().parents[1]))
    parser.add_argument("--markdown", action="store_true", help="a Markdown table")
    args = parser.parse_args(argv)
    sizes = measure(Path(args.root))
    if args.markdown:
        print("| module | lines | longest function | its lines |\n|---|---:|---|---:|")
    for s in sizes:
        mark = " (exempt)" if s.exempt else ""
        if args.markdown:
            print(f"| `{s.path}`{mark} | {s.lines} | `{s.longest_function}` | {s.longest_lines} |")
        else:
            print(f"{s.path + mark:52s} {s.lines:5d}  {s.longest_function:32s} {s.longest_lines:4d}")
    problems = [p for s in sizes if not s.exempt for p in s.problems]
    for problem in problems:
        print(f"too large: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
