"""Quiz questions and flashcards as data: the schema, and loading with validation.

The words of the course's quizzes live in readable TOML files, not in code:

* ``helpers/course/data/quizzes.toml`` -- topics (one per notebook), multiple-choice questions,
  self-check questions and the pick-the-head exercise;
* ``helpers/course/data/predictions.toml`` -- the "predict, then run" questions (same schema; the
  topics are those of ``quizzes.toml``);
* ``flashcards/deck.toml`` -- the twelve flashcards.

Every entry is checked when it is loaded. A malformed entry raises :class:`ContentError`
(a ``ValueError``) whose message names the file, the entry (its ``id`` and its position)
and what is wrong, so an author fixing a typo knows exactly where to look.

Schema of ``quizzes.toml``::

    [topics.mlm]                       # one table per topic; the key is the topic id
    notebook = 2                       # the notebook that teaches it: a number, or a string such
    title = "Masked language modelling"  # as "4c" for a notebook that sits between 4 and 5

    [[question]]                       # one block per question
    id = "mlm-rate"                    # unique, lower-case letters, digits and dashes
    kind = "multiple_choice"           # or "self_check", "pick_head" or "prediction"
    topic = "mlm"                      # a key of [topics]
    question = "..."
    explanation = "..."                # multiple_choice / pick_head: shown once answered
    model_answer = "..."               # self_check only
    [[question.choices]]               # multiple_choice / pick_head / prediction: two or more
    id = "every-position"              # stable within the question: saved answers refer to it, so
                                       # it stays with its choice when the order changes
    text = "..."
    correct = true                     # at least one choice is correct (not for a prediction)
    feedback = "..."                   # shown when the learner picks this choice (not for a prediction)

A ``pick_head`` question is a multiple-choice question whose choices are exactly
:data:`HEAD_CHOICES`, in that order.

The order of the choices in the file is what the static view (a saved notebook, nbconvert) shows;
keep the right answer's position balanced (``tests/course/test_quiz.py`` checks that no position
holds more than 40% of them). The live quiz shows each learner a shuffled order of their own
(``helpers.course.quiz.choice_order``), except for pick-the-head and predictions. Saved answers refer
to choice ids, so reordering choices never changes what a saved answer means; old letter answers are
read through ``data/progress_v1_choice_order.json`` (see ``helpers.course.progress``).

A ``prediction`` question ("predict, then run") is asked before an experiment: its choices have
only a ``text``, none is marked correct, and there is no explanation. The notebook compares the
learner's choice with what the run shows (``helpers.course.quiz.compare_prediction``).

Schema of ``deck.toml``::

    [[card]]
    id = "mlm-mix"
    topic = "MLM and the 80/10/10 mix"  # printed on the card
    front = "..."                       # the question side
    back = "..."                        # the answer side
"""
from __future__ import annotations

import html
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
PREDICTIONS_PATH = QUIZ_PATH.with_name("predictions.toml")
DECK_PATH = FLASHCARDS_DIR / "deck.toml"

KINDS = ("multiple_choice", "self_check", "pick_head", "prediction")
HEAD_CHOICES = ("[CLS] output", "per-token outputs")
MAX_CHOICES = 26  # the quiz widget labels choices A..Z
_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_NOTEBOOK_PATTERN = re.compile(r"^0*(\d{1,2})([a-z]?)$")  # 4, "4", "04", "4c", "04c"

NotebookId = Union[int, str]


def normalise_notebook(notebook: object) -> NotebookId:
    """A notebook number as the content files and ``load_quiz`` compare it: ``4`` or ``"4c"``.

    A plain number (``4``, ``"04"``) becomes the int 4; a number with a letter (``"04c"``, ``"4c"``)
    becomes the string ``"4c"``. Anything else raises ``ValueError``.

    >>> normalise_notebook("04c"), normalise_notebook("05"), normalise_notebook(2)
    ('4c', 5, 2)
    """
    if isinstance(notebook, bool) or not isinstance(notebook, (int, str)):
        raise ValueError(f"notebook={notebook!r} is not allowed: use a whole number >= 0 or a string such as '4c'.")
    if isinstance(notebook, int):
        if notebook < 0:
            raise ValueError(f"notebook={notebook!r} is not allowed: use a whole number >= 0 or a string such as '4c'.")
        return notebook
    match = _NOTEBOOK_PATTERN.match(notebook)
    if not match:
        raise ValueError(f"notebook={notebook!r} is not allowed: use a whole number >= 0 or a string such as '4c'.")
    number, letter = int(match.group(1)), match.group(2)
    return f"{number}{letter}" if letter else number


def notebook_sort_key(notebook: NotebookId) -> tuple[int, str]:
    """Order notebooks 4, "4b", "4c", 5: by number, then by letter (none first)."""
    notebook = normalise_notebook(notebook)
    if isinstance(notebook, int):
        return notebook, ""
    return int(notebook[:-1]), notebook[-1]


class ContentError(ValueError):
    """A quiz or flashcard file does not follow its schema."""


# ---------------------------------------------------------------- the content types


@dataclass(frozen=True)
class Topic:
    key: str
    notebook: NotebookId  # 4, or "4c" for a notebook between 4 and 5
    title: str


@dataclass(frozen=True)
class Choice:
    text: str
    correct: bool
    feedback: str
    id: str = ""  # stable identity within the question (saved answers use it); defaults to the text

    def __post_init__(self):
        if not self.id:
            object.__setattr__(self, "id", self.text)


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

    @property
    def choice_ids(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.choices)


@dataclass(frozen=True)
class SelfCheckQuestion:
    """An open question: the learner answers first, then compares with the model answer."""

    id: str
    topic: str
    question: str
    model_answer: str
    kind: str = "self_check"


@dataclass(frozen=True)
class PredictionQuestion:
    """Asked before an experiment: what do you expect? No choice is right; the run decides."""

    id: str
    topic: str
    question: str
    choices: tuple[str, ...]
    kind: str = "prediction"
    choice_ids: tuple[str, ...] = ()  # one per choice, stable when the order changes; default: the texts

    def __post_init__(self):
        if not self.choice_ids:
            object.__setattr__(self, "choice_ids", tuple(self.choices))


Question = Union[MultipleChoiceQuestion, SelfCheckQuestion, PredictionQuestion]


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
        try:
            notebook = normalise_notebook(spec["notebook"])
        except ValueError:
            raise entry.fail(f"field 'notebook' must be a whole number >= 0 or a string such as \"4c\", "
                             f"got {spec['notebook']!r}") from None
        topics[key] = Topic(key=key, notebook=notebook, title=entry.text("title"))
    return dict(sorted(topics.items(), key=lambda kv: notebook_sort_key(kv[1].notebook)))


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
            raise entry.fail(f"{where} must be a table with id, text, correct and feedback")
        missing = sorted({"id", "text", "correct", "feedback"} - spec.keys())
        unknown = sorted(spec.keys() - {"id", "text", "correct", "feedback"})
        if missing or unknown:
            raise entry.fail(f"{where} must have exactly the fields id, text, correct, feedback "
                             f"(missing: {missing or 'none'}, unknown: {unknown or 'none'})")
        if not isinstance(spec["correct"], bool):
            raise entry.fail(f"{where}.correct must be true or false, got {spec['correct']!r}")
        choices.append(Choice(text=entry.text("text", spec, f"{where}.text"), correct=spec["correct"],
                              feedback=entry.text("feedback", spec, f"{where}.feedback"),
                              id=_choice_id(entry, spec, where)))
    _check_unique_ids(entry, [c.id for c in choices])
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


def _choice_id(entry: _Entry, spec: dict, where: str) -> str:
    choice_id = entry.text("id", spec, f"{where}.id")
    if not _ID_PATTERN.match(choice_id):
        raise entry.fail(f"{where}.id {choice_id!r} must use lower-case letters, digits and dashes only")
    return choice_id


def _check_unique_ids(entry: _Entry, ids: list[str]) -> None:
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise entry.fail(f"choice id(s) {', '.join(map(repr, repeated))} used twice; ids must be unique "
                         "within a question")


def _parse_prediction_choices(entry: _Entry) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The texts and the ids of a prediction's choices."""
    raw = entry.raw["choices"]
    if not isinstance(raw, list) or len(raw) < 2:
        raise entry.fail("field 'choices' must be a list of at least two [[question.choices]] tables")
    texts, ids = [], []
    for i, spec in enumerate(raw):
        where = f"choices[{i}]"
        if not isinstance(spec, dict):
            raise entry.fail(f"{where} must be a table with the fields id and text")
        if spec.keys() != {"id", "text"}:
            extra = sorted(spec.keys() - {"id", "text"})
            missing = sorted({"id", "text"} - spec.keys())
            why = (" (a prediction has no right answer: the run decides)"
                   if {"correct", "feedback"} & set(extra) else "")
            raise entry.fail(f"{where} of a prediction must have exactly the fields id and text"
                             f" (missing: {missing or 'none'}, unknown: {extra or 'none'}){why}")
        texts.append(entry.text("text", spec, f"{where}.text"))
        ids.append(_choice_id(entry, spec, where))
    if len(set(texts)) != len(texts):
        raise entry.fail("two choices have the same text")
    _check_unique_ids(entry, ids)
    return tuple(texts), tuple(ids)


def _parse_question(entry: _Entry, topics: dict[str, Topic], seen: set[str]) -> Question:
    if not isinstance(entry.raw, dict):
        raise entry.fail(f"must be a table, got {type(entry.raw).__name__}")
    kind = entry.raw.get("kind")
    if kind not in KINDS:
        raise entry.fail(f"field 'kind' is {kind!r}; allowed: {', '.join(KINDS)}")
    common = {"id", "kind", "topic", "question"}
    if kind == "self_check":
        entry.keys(common | {"model_answer"})
    elif kind == "prediction":
        entry.keys(common | {"choices"})
    else:
        entry.keys(common | {"choices", "explanation"})
    qid = _check_id(entry, seen)
    topic = entry.text("topic")
    if topic not in topics:
        raise entry.fail(f"topic {topic!r} is not in [topics]; known: {', '.join(topics)}")
    question = entry.text("question")
    if kind == "self_check":
        return SelfCheckQuestion(id=qid, topic=topic, question=question, model_answer=entry.text("model_answer"))
    if kind == "prediction":
        texts, ids = _parse_prediction_choices(entry)
        return PredictionQuestion(id=qid, topic=topic, question=question, choices=texts, choice_ids=ids)
    return MultipleChoiceQuestion(id=qid, topic=topic, question=question, kind=kind,
                                  choices=_parse_choices(entry, kind), explanation=entry.text("explanation"))


# ---------------------------------------------------------------- public loaders


def load_quiz_bank(path: str | Path | None = None) -> QuizBank:
    """Read and validate a quiz file (default: the course's ``quizzes.toml`` and ``predictions.toml``).

    A file given as ``path`` is read alone and declares its own ``[topics]``. The course's
    ``predictions.toml`` has no ``[topics]``: its questions use those of ``quizzes.toml``.
    """
    path = Path(path) if path is not None else QUIZ_PATH
    data = _read_toml(path)
    unknown = sorted(data.keys() - {"topics", "question"})
    if unknown:
        raise ContentError(f"{path}: unknown top-level table(s) {', '.join(unknown)}; allowed: topics, question")
    topics = _parse_topics(path, data.get("topics"))
    files = [(path, data.get("question"))]
    if path == QUIZ_PATH:
        extra = _read_toml(PREDICTIONS_PATH)
        unknown = sorted(extra.keys() - {"question"})
        if unknown:
            raise ContentError(f"{PREDICTIONS_PATH}: unknown top-level table(s) {', '.join(unknown)}; allowed: "
                               "question (topics are declared in quizzes.toml)")
        files.append((PREDICTIONS_PATH, extra.get("question")))
    seen: set[str] = set()
    questions = []
    for source, raw_questions in files:
        if not isinstance(raw_questions, list) or not raw_questions:
            raise ContentError(f"{source}: needs at least one [[question]] entry")
        questions += [_parse_question(_Entry(source, "question", i, raw), topics, seen)
                      for i, raw in enumerate(raw_questions)]
    return QuizBank(topics=topics, questions=tuple(questions), path=path)


def load_quiz(topic: str | None = None, kind: str | None = None, *, notebook: NotebookId | None = None,
              path: str | Path | None = None) -> list[Question]:
    """The questions on one topic (or notebook), optionally of one kind; all of them by default.

    ``notebook`` is a number (``2``) or, for a notebook between two others, a string (``"4c"``).

    >>> [q.id for q in load_quiz("mlm", kind="self_check")]
    ['self-check-mlm']
    """
    bank = load_quiz_bank(path)
    if topic is not None:
        check_choice("topic", topic, tuple(bank.topics))
    if kind is not None:
        check_choice("kind", kind, KINDS)
    if notebook is not None:
        known = list(dict.fromkeys(t.notebook for t in bank.topics.values()))
        try:
            notebook = normalise_notebook(notebook)
        except ValueError:
            options = ", ".join(repr(n) for n in known)
            raise ValueError(f"notebook={notebook!r} is not allowed: it must be one of {options}.") from None
        check_choice("notebook", notebook, known)
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
    paragraphs = [html.escape(line) for line in text.split("\n") if line.strip()] or [""]
    paragraphs[0] = f"{lead} {paragraphs[0]}" if lead else paragraphs[0]
    return "".join(f"<p>{p}</p>" for p in paragraphs)
