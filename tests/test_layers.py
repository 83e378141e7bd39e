"""The package's layering (docs/architecture.md), checked by reading every module's imports.

Each module of ``helpers/`` belongs to one layer; a module may import from its own layer and the
layers below, never from a layer above. The check reads the source with ``ast`` (nothing is
imported), so it sees every form: ``import helpers.x``, ``from helpers.x import y``,
``from helpers import x``, relative imports, ``importlib.import_module("helpers.x")``, and imports
inside functions or ``if`` blocks.

A second rule: no imports inside functions, except a heavy optional dependency on the allow-list,
with a comment on that line or the line above saying why. A third: no import cycles, inside a layer
or anywhere, counting every import (type-only ones under ``if TYPE_CHECKING:`` and imports inside
functions included): two modules that need each other are one concept cut in the wrong place.
"""
from __future__ import annotations

import ast
import shutil
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pytest

from helpers.paths import REPOSITORY_DIR

PACKAGE = "helpers"
PACKAGE_DIR = REPOSITORY_DIR / PACKAGE

# Bottom to top. A module's layer is that of the longest prefix of its dotted name listed here.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("base", ("helpers", "helpers.errors", "helpers.constants", "helpers.paths", "helpers.progress_bars",
              "helpers.files", "helpers.statistics")),
    ("text", ("helpers.text",)),
    ("objectives", ("helpers.objectives",)),
    ("modeling", ("helpers.modeling",)),
    ("training", ("helpers.training",)),
    ("course", ("helpers.course",)),
    ("experiments", ("helpers.experiments", "helpers.cost", "helpers.sentence_heads", "helpers.comparisons")),
    ("commands", ("helpers.pretrain", "helpers.export")),
]
_RANK = {prefix: rank for rank, (_, prefixes) in enumerate(LAYERS) for prefix in prefixes}

# Imports allowed inside a function body: heavy dependencies that not every install has.
OPTIONAL_HEAVY = {"transformers", "safetensors", "playwright", "pypdf", "datasets", "tokenizers",
                  "accelerate"}


def layer_of(module: str) -> int | None:
    """The rank of ``module``'s layer (0 = base), or None for a name outside every layer."""
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        prefix = ".".join(parts[:end])
        if prefix in _RANK and (prefix != PACKAGE or end == len(parts)):
            return _RANK[prefix]
    return None


def layer_name(rank: int) -> str:
    return LAYERS[rank][0]


def module_name(path: Path, root: Path) -> str:
    """``root/helpers/text/corpus.py`` -> ``helpers.text.corpus``; a package's ``__init__`` -> the package."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@dataclass(frozen=True)
class ImportSite:
    target: str        # the dotted module imported (``from a.b import c``: a.b.c, or a.b if c is a name)
    line: int
    in_function: bool


def _resolve_relative(module: str, is_package: bool, level: int, name: str | None) -> str:
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[:len(base) - (level - 1)]
    return ".".join(base + ([name] if name else []))


@lru_cache(maxsize=None)  # the copies the tests plant into share every other file's source
def imports_of(source: str, module: str, is_package: bool = False) -> tuple[ImportSite, ...]:
    """Every import in ``source`` (the code of ``module``) that names a module, with its line."""
    tree = ast.parse(source)
    sites: list[ImportSite] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.Import):
                sites.extend(ImportSite(alias.name, child.lineno, in_function) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                origin = (_resolve_relative(module, is_package, child.level, child.module) if child.level
                          else child.module)
                # ``from helpers import x`` imports the module helpers.x: judge each name as a submodule
                # (a plain name such as a function resolves to its package's layer anyway).
                sites.extend(ImportSite(f"{origin}.{alias.name}", child.lineno, in_function)
                             for alias in child.names if alias.name != "*")
                if any(alias.name == "*" for alias in child.names):
                    sites.append(ImportSite(origin, child.lineno, in_function))
            elif (isinstance(child, ast.Call) and child.args and isinstance(child.args[0], ast.Constant)
                  and isinstance(child.args[0].value, str)
                  and ast.unparse(child.func) in ("importlib.import_module", "import_module", "__import__")):
                sites.append(ImportSite(child.args[0].value, child.lineno, in_function))
            visit(child, inner)

    visit(tree, False)
    return tuple(sites)


def upward_imports(root: Path) -> list[str]:
    """One line per import of a higher layer (or of a module no layer holds), under ``root/helpers``."""
    problems = []
    for path in sorted((root / PACKAGE).rglob("*.py")):
        module = module_name(path, root)
        rank = layer_of(module)
        where = path.relative_to(root)
        if rank is None:
            problems.append(f"{where}: module {module} belongs to no layer (add it to LAYERS and the docs)")
            continue
        for site in imports_of(path.read_text(encoding="utf-8"), module, path.name == "__init__.py"):
            if site.target != PACKAGE and not site.target.startswith(PACKAGE + "."):
                continue
            target = layer_of(site.target)
            if target is None:
                problems.append(f"{where}:{site.line}: imports {site.target}, which belongs to no layer")
            elif target > rank:
                problems.append(f"{where}:{site.line}: {module} ({layer_name(rank)}) imports {site.target} "
                                f"({layer_name(target)}), a higher layer")
    return problems


def function_imports(root: Path) -> list[str]:
    """One line per import inside a function that is not an allow-listed heavy optional dependency
    with a comment on its line or the line above."""
    problems = []
    for path in sorted((root / PACKAGE).rglob("*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        module = module_name(path, root)
        for site in imports_of("\n".join(lines), module, path.name == "__init__.py"):
            if not site.in_function:
                continue
            top = site.target.split(".")[0]
            allowed = top in OPTIONAL_HEAVY or site.target in OPTIONAL_HEAVY
            commented = "#" in lines[site.line - 1] or (site.line >= 2 and lines[site.line - 2].strip().startswith("#"))
            if not (allowed and commented):
                why = "not a heavy optional dependency" if not allowed else "no comment saying why"
                problems.append(f"{path.relative_to(root)}:{site.line}: import of {site.target} inside a function ({why})")
    return problems


def import_graph(root: Path) -> dict[str, set[str]]:
    """{module: the package's modules it imports}, every import counted (type-only and in functions too)."""
    paths = {module_name(p, root): p for p in sorted((root / PACKAGE).rglob("*.py"))}
    graph: dict[str, set[str]] = {}
    for module, path in paths.items():
        targets = set()
        for site in imports_of(path.read_text(encoding="utf-8"), module, path.name == "__init__.py"):
            parts = site.target.split(".")
            # ``from helpers.x import name``: the module is the longest prefix that is a file of the package
            found = next((".".join(parts[:end]) for end in range(len(parts), 0, -1) if ".".join(parts[:end]) in paths),
                         None)
            if found is not None and found != module:
                targets.add(found)
        graph[module] = targets
    return graph


def import_cycles(root: Path) -> list[str]:
    """One line per import cycle among the package's modules (``a -> b -> a``)."""
    graph, cycles, state = import_graph(root), [], {}

    def visit(module: str, trail: list[str]) -> None:
        state[module] = "open"
        for target in sorted(graph[module]):
            if state.get(target) == "open":
                cycle = trail[trail.index(target):] + [target]
                cycles.append(" -> ".join(cycle))
            elif target not in state:
                visit(target, trail + [target])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    return cycles


# ------------------------------------------------------------------------------------- the tree

def test_no_module_imports_a_higher_layer():
    assert upward_imports(REPOSITORY_DIR) == []


def test_imports_inside_functions_are_only_commented_heavy_optional_dependencies():
    assert function_imports(REPOSITORY_DIR) == []


def test_no_import_cycles():
    assert import_cycles(REPOSITORY_DIR) == []


def test_every_module_belongs_to_a_layer_and_each_layer_has_modules():
    modules = [module_name(p, REPOSITORY_DIR) for p in PACKAGE_DIR.rglob("*.py")]
    assert all(layer_of(m) is not None for m in modules), [m for m in modules if layer_of(m) is None]
    assert {layer_name(layer_of(m)) for m in modules} == {name for name, _ in LAYERS}


# ------------------------------------------------------------------------------------- the checker

@pytest.fixture
def package_copy(tmp_path):
    """A copy of helpers/ to plant imports into."""
    shutil.copytree(PACKAGE_DIR, tmp_path / PACKAGE, ignore=shutil.ignore_patterns("__pycache__", "data"))
    return tmp_path


@pytest.mark.parametrize("statement", [
    "import helpers.training.loop",
    "from helpers.experiments import Spread",
    "from helpers import experiments",
    "from helpers.course import plots",
    "from ..training import loop",
    "import importlib\nmod = importlib.import_module('helpers.export')",
    "def later():\n    from helpers.training.pretraining import pretrain  # a comment does not make it right\n"
    "    return pretrain",
])
def test_a_planted_upward_import_is_reported(package_copy, statement):
    assert upward_imports(package_copy) == []
    planted = package_copy / PACKAGE / "text" / "planted.py"
    planted.write_text(f'"""A module that breaks the layering."""\n{statement}\n')
    problems = upward_imports(package_copy)
    assert len(problems) == 1 and problems[0].startswith(str(Path("helpers/text/planted.py"))), problems
    assert "(text) imports" in problems[0] and "a higher layer" in problems[0]


def test_imports_from_the_same_layer_or_below_are_allowed(package_copy):
    (package_copy / PACKAGE / "modeling" / "planted.py").write_text(
        "import helpers.errors\nfrom helpers.text import corpus\nfrom helpers.objectives.mlm import mask_tokens\n"
        "from . import bert\nfrom .heads import BertForQuestionAnswering\nimport torch\n")
    assert upward_imports(package_copy) == []


def test_a_module_outside_every_layer_is_reported(package_copy):
    (package_copy / PACKAGE / "stray.py").write_text("X = 1\n")
    assert upward_imports(package_copy) == ["helpers/stray.py: module helpers.stray belongs to no layer "
                                            "(add it to LAYERS and the docs)"]


@pytest.mark.parametrize("body, reported", [
    ("def f():\n    import json\n    return json", True),                                   # not heavy
    ("def f():\n    import transformers\n    return transformers", True),                   # no comment
    ("def f():\n    # heavy and optional: only the parity check needs it\n    import transformers\n"
     "    return transformers", False),
    ("def f():\n    from safetensors.torch import load_file  # optional, heavy\n    return load_file", False),
    ("class A:\n    def f(self):\n        from helpers.text import world  # a comment is not enough\n", True),
    ("import json\n\ndef f():\n    return json", False),
])
def test_imports_inside_functions_are_reported_unless_allowed(package_copy, body, reported):
    assert function_imports(package_copy) == []
    (package_copy / PACKAGE / "modeling" / "planted.py").write_text(body + "\n")
    assert bool(function_imports(package_copy)) == reported


@pytest.mark.parametrize("first, second", [
    ("from helpers.modeling import planted_b\n", "from helpers.modeling.planted_a import X\nY = 1\n"),
    ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:  # annotations only\n    from helpers.modeling.planted_b import Y\n"
     "X = 1\n", "from helpers.modeling.planted_a import X\nY = 1\n"),
    ("from .planted_b import Y\nX = 1\n", "def f():\n    from helpers.modeling import planted_a  # later\n"),
])
def test_a_planted_import_cycle_is_reported(package_copy, first, second):
    assert import_cycles(package_copy) == []
    (package_copy / PACKAGE / "modeling" / "planted_a.py").write_text(first)
    (package_copy / PACKAGE / "modeling" / "planted_b.py").write_text(second)
    assert import_cycles(package_copy) == ["helpers.modeling.planted_a -> helpers.modeling.planted_b -> "
                                           "helpers.modeling.planted_a"]


def test_every_module_is_described_in_the_architecture_page():
    page = (REPOSITORY_DIR / "docs" / "architecture.md").read_text(encoding="utf-8")
    missing = [str(p.relative_to(REPOSITORY_DIR)) for p in sorted(PACKAGE_DIR.rglob("*.py"))
               if p.name != "__init__.py" and f"`{p.relative_to(REPOSITORY_DIR).as_posix()}`" not in page]
    assert missing == [], f"docs/architecture.md has no row for {missing}"
