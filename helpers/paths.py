"""Where the repository's own files are, whatever the working directory is."""
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPOSITORY_DIR = PACKAGE_DIR.parent
CHECKPOINTS_DIR = REPOSITORY_DIR / "checkpoints"
FLASHCARDS_DIR = REPOSITORY_DIR / "flashcards"
