"""The pre-training command: ``python -m helpers.pretrain --preset course --out checkpoints/course.pt``.

A thin entry point; the command line itself lives in :mod:`helpers.training.cli`.
"""
import sys

from helpers.training.cli import main

if __name__ == "__main__":
    sys.exit(main())
