"""No module over 500 lines, no function over 60 (docstrings not counted), outside tests: measured by
``scripts/code_size.py``, which also prints the table."""

from helpers.paths import REPOSITORY_DIR

from scripts_as_modules import load_script  # tests/ is on sys.path (conftest.py)

code_size = load_script("scripts/code_size.py")


def test_modules_and_functions_stay_small():
    sizes = code_size.measure(REPOSITORY_DIR)
    assert any(s.path == "helpers/training/cli.py" for s in sizes)  # the glob found the package
    assert [p for s in sizes if not s.exempt for p in s.problems] == []


def test_the_measure_counts_code_not_docstrings(tmp_path):
    body = "\n".join(f"    x{i} = {i}" for i in range(61))
    (tmp_path / "helpers").mkdir()
    (tmp_path / "helpers" / "big.py").write_text(f'def f():\n    """Doc\n    string."""\n{body}\n')
    (tmp_path / "helpers" / "small.py").write_text('def g():\n    """Doc."""\n    return 1\n')
    sizes = {s.path: s for s in code_size.measure(tmp_path)}
    assert sizes["helpers/big.py"].longest_lines == 62 and sizes["helpers/big.py"].problems
    assert sizes["helpers/small.py"].longest_lines == 2 and not sizes["helpers/small.py"].problems
    too_long = tmp_path / "helpers" / "long.py"
    too_long.write_text("x = 1\n" * 501)
    assert code_size.measure_file(too_long, tmp_path).problems == ["helpers/long.py: 501 lines (at most 500)"]
