"""The set-up files agree with each other: pins, the conda route and the Makefile's quick start."""
from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([0-9][0-9A-Za-z.+\-]*)$")


def requirement_lines(path: Path) -> list[str]:
    lines = []
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            lines.append(line)
    return lines


def pins_of(path: Path) -> dict[str, str]:
    return {PIN.match(line).group(1).lower(): PIN.match(line).group(2)
            for line in requirement_lines(path) if PIN.match(line)}


def test_learner_requirements_are_all_pinned_and_hold_only_what_a_learner_needs():
    for line in requirement_lines(ROOT / "requirements.txt"):
        assert PIN.match(line), f"requirements.txt line {line!r} is not pinned with =="
    pins = pins_of(ROOT / "requirements.txt")
    assert pins["torch"] == "2.13.0"
    for core in ("jupyterlab", "ipywidgets", "ipykernel", "matplotlib", "tqdm", "numpy"):
        assert core in pins, f"{core} missing from requirements.txt"
    for tool in ("pytest", "nbval", "transformers", "playwright", "pypdf", "psutil", "pyyaml"):
        assert tool not in pins, f"{tool} is for contributors: it belongs in requirements-dev.txt"


def test_the_torch_comment_says_what_the_pin_installs_and_where_the_cpu_build_is():
    comment = (ROOT / "requirements.txt").read_text().split("\ntorch==")[0]  # everything above the pin
    for fact in ("Linux", "CUDA", "macOS", "Windows", "https://download.pytorch.org/whl/cpu", "PIP_OPTIONS"):
        assert fact in comment, fact
    assert "PIP_OPTIONS" in (ROOT / "Makefile").read_text()
    assert "https://download.pytorch.org/whl/cpu" in (ROOT / "README.md").read_text()


def test_dev_requirements_extend_the_learner_ones_and_are_pinned():
    lines = requirement_lines(ROOT / "requirements-dev.txt")
    assert "-r requirements.txt" in lines
    for line in lines:
        if line.startswith("-r"):
            continue
        assert PIN.match(line), f"requirements-dev.txt line {line!r} is not pinned with =="
    names = {PIN.match(l).group(1).lower() for l in lines if not l.startswith("-r")}
    assert "torch" not in names, "torch must be pinned once, in requirements.txt"
    assert {"pytest", "nbval", "transformers", "playwright"} <= names


def test_installed_versions_match_the_pins():
    from importlib.metadata import version

    for line in requirement_lines(ROOT / "requirements.txt") + requirement_lines(ROOT / "requirements-dev.txt"):
        match = PIN.match(line)
        if not match:
            continue
        name, pinned = match.groups()
        installed = version(name).split("+")[0]
        assert installed == pinned, f"{name}: installed {installed}, pinned {pinned}"


def test_conda_environment_installs_the_same_pinned_requirements():
    import yaml  # PyYAML, pinned in requirements-dev.txt

    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    deps = env["dependencies"]
    assert "python=3.11" in deps
    assert "pip" in deps
    pip_sections = [d["pip"] for d in deps if isinstance(d, dict) and "pip" in d]
    assert pip_sections == [["-r requirements.txt"]], (
        "environment.yml must install exactly the pinned requirements.txt through pip, "
        "so the conda and venv routes cannot drift apart"
    )
    # conda resolves -r paths relative to the yml file; the file must be beside it.
    assert (ROOT / "requirements.txt").is_file()
    # No conda package may shadow a pinned pip package (conda would install a different build).
    conda_names = {re.split(r"[=<>]", d)[0] for d in deps if isinstance(d, str)}
    assert conda_names <= {"python", "pip"}


def test_readme_quick_start_is_two_commands_that_exist_in_the_makefile():
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"## Quick start.*?```(?:sh|bash)?\n(.*?)```", readme, re.S)
    assert block, "README needs a '## Quick start' section with a code block"
    commands = [l.strip() for l in block.group(1).splitlines() if l.strip() and not l.strip().startswith("#")]
    after_clone = [c for c in commands if not c.startswith(("git clone", "cd "))]
    assert after_clone == ["make lab", "make test"], after_clone
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^lab:", makefile, re.M) and re.search(r"^test:", makefile, re.M)
    assert "notebooks/00_start_here.ipynb" in makefile
    assert (ROOT / "notebooks" / "00_start_here.ipynb").is_file()


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test\b", ci, re.M)


def test_the_fast_path_is_in_the_makefile_and_the_readme():
    makefile = (ROOT / "Makefile").read_text()
    rule = re.search(r"^test-fast:.*\n((?:\t.*\n)+)", makefile, re.M)
    assert rule, "the Makefile needs a test-fast target"
    assert "-p no:nbval" in rule.group(1) and "not browser" in rule.group(1)
    assert re.search(r"^test:.*install-dev", makefile, re.M), "make test installs the dev requirements"
    assert "make test-fast" in (ROOT / "README.md").read_text()


def test_python_version_is_supported():
    assert sys.version_info >= (3, 11)
