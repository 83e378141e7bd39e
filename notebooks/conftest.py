"""pytest set-up for running the notebooks with nbval (see pyproject.toml).

The notebooks' kernels inherit this process's environment. Point the progress file at a
temporary folder so that testing the notebooks never reads or changes a learner's own answers
(``~/.bert_course/progress.json``).
"""
import os
import shutil
import tempfile

_TMP = None


def pytest_configure(config):
    global _TMP
    _TMP = tempfile.mkdtemp(prefix="bert-course-nbval-")
    os.environ["BERT_COURSE_PROGRESS"] = os.path.join(_TMP, "progress.json")


def pytest_unconfigure(config):
    if _TMP:
        shutil.rmtree(_TMP, ignore_errors=True)
