"""Quiz questions and flashcards as data: the schema, and loading with validation.

The words of the course's quizzes live in two readable TOML files, not in code:

* ``helpers/course/data/quizzes.toml`` -- topics (one per notebook), multiple-choice questions,
  self-check questions and the pick-the-head exercise;
* ``flashcards/deck.toml`` -- the twelve flashcards.

Every entry is checked when it is loaded. A malformed entry raises :class:`ContentError`
(a ``ValueError``) whose message names the file, the entry (its ``id`` and its position)
and what is wrong, so an author fixing a typo knows exactly where to look.

Schema of ``quizzes.toml``::

    [topics.mlm]                       # one table per topic; the key is the topic id
    notebook = 2                       # the notebook that teaches it
    title = "Masked language modelling"

    [[question]]                       # one block per question
    id = "mlm-rate"                    # unique, lower-case letters, digits and dashes
    kind = "multiple_choice"           # or "self_check" or "pick_head"
    topic = "mlm"                      # a key of [topics]
    question = "..."
    explanation = "..."                # multiple_choice / pick_head: shown once answered
    model_answer = "..."               # self_check only
    [[question.choices]]               # multiple_choice / pick_head: two or more
    text = "..."
    correct = true                     # at least one choice is correct
    feedback = "..."                   # shown when the learner picks this choice

A ``pick_head`` question is a multiple-choice question whose choices are exactly
:data:`HEAD_CHOICES`, in that order.

Schema of ``deck.toml``::

    [[card]]
    id = "mlm-mix"
    topic = "MLM and the 80/10/10 mix"  # printed on the card
    front = "..."                       # the question side
    back = "..."                        # the answer side
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union

try:  # Python >= 3.11 ships a TOML reader
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10 needs the backport
    import tomli as tomllib  # type: ignore[no-redef]

from helpers.errors import check_choice
from helpers.paths import FLASHCARDS_DIR

QUIZ_PATH = Path(__file__).resolve().parent / "data" / "quizzes.toml"
DECK_PATH = FLASHCARDS_DIR / "deck.toml"

KINDS = ("multiple_choice", "self_check", "pick_head")
HEAD_CHOICES = ("[CLS] output", "per-token outputs")
MAX_CHOICES = 26  # the quiz widget labels choices A..Z
_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class ContentError(ValueError):
    """A quiz or flashcard file does not follow its schema."""


# ---------------------------------------------------------------- the content types


@dataclass(frozen=True)
class Topic:
    key: str
    notebook: int
    title: str


@dataclass(frozen=True)
class Choice:
    text: str
    correct: bool
    feedback: str


@dataclass(frozen=True)
class MultipleChoiceQuestion:
    """A question with choices; each choice carries its own feedback."""

    id: str
    topic: str
    question: str
    choices: tuple[Choice, ...]
    explanation: str
    kind: str = "multiple_choice"  # or "pick_head"

    @property
    def correct_indices(self) -> tuple[int, ...]:
        return tuple(i for i, c in enumerate(self.choices) if c.correct)

    @property
    def multiple_answers(self) -> bool:
        return len(self.correct_indices) > 1


@dataclass(frozen=True)
class SelfCheckQuestion:
    """An open question: the learner answers first, then compares with the model answer."""

    id: str
    topic: str
    question: str
    model_answer: str
    kind: str = "self_check"


Question = Union[MultipleChoiceQuestion, SelfCheckQuestion]


@dataclass(frozen=True)
class Flashcard:
    id: str
    topic: str
    front: str
    back: str


@dataclass(frozen=True)
class QuizBank:
    """Everything in a quiz file: the topics (in notebook order) and the questions (in file order)."""

    topics: dict[str, Topic]
    questions: tuple[Question, ...]
    path: Path


# ---------------------------------------------------------------- validation helpers


class _Entry:
    """Where we are in a file, so every error message can say it."""

    def __init__(self, path: Path, section: str, index: int, raw: Any):
        self.path, self.section, self.index, self.raw = path, section, index, raw
        self.id = raw.get("id") if isinstance(raw, dict) else None

    def fail(self, problem: str) -> ContentError:
        name = f"id={self.id!r}, " if isinstance(self.id, str) else ""
        return ContentError(f"{self.path}: [[{self.section}]] entry ({name}#{self.index + 1}): {problem}")

    def keys(self, required: set[str], optional: set[str] = frozenset()) -> None:
        if not isinstance(self.raw, dict):
            raise self.fail(f"must be a table, got {type(self.raw).__name__}")
        missing = sorted(required - self.raw.keys())
        if missing:
            raise self.fail(f"missing required field(s) {', '.join(missing)}")
        unknown = sorted(self.raw.keys() - required - optional)
        if unknown:  # most often a typo, e.g. "feedbak"
            allowed = ", ".join(sorted(required | optional))
            raise self.fail(f"unknown field(s) {', '.join(unknown)}; allowed: {allowed}")

    def text(self, key: str, raw: Any = None, label: str | None = None) -> str:
        value = (raw if raw is not None else self.raw).get(key)
        label = label or key
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"field {label!r} must be non-empty text, got {value!r}")
        return value.strip()


def _read_toml(path: Path) -> dict:
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise ContentError(f"{path}: file not found") from None
    except tomllib.TOMLDecodeError as err:
        raise ContentError(f"{path}: not valid TOML: {err}") from None


def _check_id(entry: _Entry, seen: set[str]) -> str:
    qid = entry.text("id")
    if not _ID_PATTERN.match(qid):
        raise entry.fail(f"id {qid!r} must use lower-case letters, digits and dashes only")
    if qid in seen:
        raise entry.fail(f"id {qid!r} is used twice; ids must be unique")
    seen.add(qid)
    return qid


def _parse_topics(path: Path, raw: Any) -> dict[str, Topic]:
    if not isinstance(raw, dict) or not raw:
        raise ContentError(f"{path}: needs a [topics] table with at least one topic")
    topics = {}
    for index, (key, spec) in enumerate(raw.items()):
        entry = _Entry(path, "topics", index, spec)
        entry.id = key
        entry.keys({"notebook", "title"})
        notebook = spec["notebook"]
        if isinstance(notebook, bool) or not isinstance(notebook, int) or notebook < 0:
            raise entry.fail(f"field 'notebook' must be a whole number >= 0, got {notebook!r}")
        topics[key] = Topic(key=key, notebook=notebook, title=entry.text("title"))
    return dict(sorted(topics.items(), key=lambda kv: kv[1].notebook))


def _parse_choices(entry: _Entry, kind: str) -> tuple[Choice, ...]:
    raw = entry.raw["choices"]
    if not isinstance(raw, list) or len(raw) < 2:
        raise entry.fail("field 'choices' must be a list of at least two [[question.choices]] tables")
    if len(raw) > MAX_CHOICES:
        raise entry.fail(f"field 'choices' has {len(raw)} choices; at most {MAX_CHOICES} are allowed "
                         "(the quiz labels them A to Z)")
    choices = []
    for i, spec in enumerate(raw):
        where = f"choices[{i}]"
        if not isinstance(spec, dict):
            raise entry.fail(f"{where} must be a table with text, correct and feedback")
        missing = sorted({"text", "correct", "feedback"} - spec.keys())
        unknown = sorted(spec.keys() - {"text", "correct", "feedback"})
        if missing or unknown:
            raise entry.fail(f"{where} must have exactly the fields text, correct, feedback "
                             f"(missing: {missing or 'none'}, unknown: {unknown or 'none'})")
        if not isinstance(spec["correct"], bool):
            raise entry.fail(f"{where}.correct must be true or false, got {spec['correct']!r}")
        choices.append(Choice(text=entry.text("text", spec, f"{where}.text"), correct=spec["correct"],
                              feedback=entry.text("feedback", spec, f"{where}.feedback")))
    if not any(c.correct for c in choices):
        raise entry.fail("no choice is marked correct = true")
    texts = [c.text for c in choices]
    if len(set(texts)) != len(texts):
        raise entry.fail("two choices have the same text")
    if kind == "pick_head":
        if tuple(texts) != HEAD_CHOICES:
            raise entry.fail(f"a pick_head question must have exactly the choices {list(HEAD_CHOICES)}, got {texts}")
        if sum(c.correct for c in choices) != 1:
            raise entry.fail("a pick_head question has exactly one correct head")
    return tuple(choices)


def _parse_question(entry: _Entry, topics: dict[str, Topic], seen: set[str]) -> Question:
    if not isinstance(entry.raw, dict):
        raise entry.fail(f"must be a table, got {type(entry.raw).__name__}")
    kind = entry.raw.get("kind")
    if kind not in KINDS:
        raise entry.fail(f"field 'kind' is {kind!r}; allowed: {', '.join(KINDS)}")
    common = {"id", "kind", "topic", "question"}
    if kind == "self_check":
        entry.keys(common | {"model_answer"})
    else:
        entry.keys(common | {"choices", "explanation"})
    qid = _check_id(entry, seen)
    topic = entry.text("topic")
    if topic not in topics:
        raise entry.fail(f"topic {topic!r} is not in [topics]; known: {', '.join(topics)}")
    question = entry.text("question")
    if kind == "self_check":
        return SelfCheckQuestion(id=qid, topic=topic, question=question, model_answer=entry.text("model_answer"))
    return MultipleChoiceQuestion(id=qid, topic=topic, question=question, kind=kind,
                                  choices=_parse_choices(entry, kind), explanation=entry.text("explanation"))


# ---------------------------------------------------------------- public loaders


def load_quiz_bank(path: str | Path | None = None) -> QuizBank:
    """Read and validate a quiz file (default: the course's ``helpers/course/data/quizzes.toml``)."""
    path = Path(path) if path is not None else QUIZ_PATH
    data = _read_toml(path)
    unknown = sorted(data.keys() - {"topics", "question"})
    if unknown:
        raise ContentError(f"{path}: unknown top-level table(s) {', '.join(unknown)}; allowed: topics, question")
    topics = _parse_topics(path, data.get("topics"))
    raw_questions = data.get("question")
    if not isinstance(raw_questions, list) or not raw_questions:
        raise ContentError(f"{path}: needs at least one [[question]] entry")
    seen: set[str] = set()
    questions = tuple(_parse_question(_Entry(path, "question", i, raw), topics, seen)
                      for i, raw in enumerate(raw_questions))
    return QuizBank(topics=topics, questions=questions, path=path)


def load_quiz(topic: str | None = None, kind: str | None = None, *, notebook: int | None = None,
              path: str | Path | None = None) -> list[Question]:
    """The questions on one topic (or notebook), optionally of one kind; all of them by default.

    >>> [q.id for q in load_quiz("mlm", kind="self_check")]
    ['self-check-mlm']
    """
    bank = load_quiz_bank(path)
    if topic is not None:
        check_choice("topic", topic, tuple(bank.topics))
    if kind is not None:
        check_choice("kind", kind, KINDS)
    if notebook is not None:
        check_choice("notebook", notebook, sorted({t.notebook for t in bank.topics.values()}))
    return [q for q in bank.questions
            if (topic is None or q.topic == topic)
            and (kind is None or q.kind == kind)
            and (notebook is None or bank.topics[q.topic].notebook == notebook)]


def load_deck(path: str | Path | None = None) -> list[Flashcard]:
    """Read and validate a flashcard deck (default: the course's ``flashcards/deck.toml``)."""
    path = Path(path) if path is not None else DECK_PATH
    data = _read_toml(path)
    unknown = sorted(data.keys() - {"card"})
    if unknown:
        raise ContentError(f"{path}: unknown top-level table(s) {', '.join(unknown)}; allowed: card")
    raw_cards = data.get("card")
    if not isinstance(raw_cards, list) or not raw_cards:
        raise ContentError(f"{path}: needs at least one [[card]] entry")
    seen: set[str] = set()
    cards = []
    for i, raw in enumerate(raw_cards):
        entry = _Entry(path, "card", i, raw)
        entry.keys({"id", "topic", "front", "back"})
        cards.append(Flashcard(id=_check_id(entry, seen), topic=entry.text("topic"),
                               front=entry.text("front"), back=entry.text("back")))
    return cards


def to_html(text: str, lead: str = "") -> str:
    """Escape ``text`` for HTML and turn each line break into a new paragraph.

    ``lead`` is trusted HTML put at the start of the first paragraph (such as ``<b>Why.</b>``).
    Every string from the content files goes through here (or ``html.escape``) before it is
    placed into HTML, so a card that mentions ``<script>`` shows those characters as text.
    """
    import html

    paragraphs = [html.escape(line) for line in text.split("\n") if line.strip()] or [""]
    paragraphs[0] = f"{lead} {paragraphs[0]}" if lead else paragraphs[0]
    return "".join(f"<p>{p}</p>" for p in paragraphs)
