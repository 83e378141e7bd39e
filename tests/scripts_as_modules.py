"""Import one of the repository's scripts (``scripts/*.py``, ``benchmarks/*.py``) as a module, by path:
they are run as files, not installed as a package."""
import importlib.util
import sys
from types import ModuleType

from helpers.paths import REPOSITORY_DIR


def load_script(relative_path: str) -> ModuleType:
    """The script at ``relative_path`` (from the repository root), freshly executed as a module."""
    path = REPOSITORY_DIR / relative_path
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module
