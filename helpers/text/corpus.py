"""Pre-training text: the generated storybook, Google's file format, and a real-English corpus.

BERT pre-trains on *documents*: lists of consecutive sentences. MLM needs sentences (which
words fit here?), NSP needs documents (does sentence B continue sentence A's story?).

The storybook is designed so that a tiny model can learn useful things from it in minutes:

* **Every document stays on one topic** (home, farm, school, sports, sea) with its own cast of
  two or three characters, one town, one organisation and three scenes ("the barn"). Every
  sentence carries a topic word (a scene, thing, animal, job or organisation of its topic) and
  almost every one names a character, so a true next sentence shares names and topic words
  with the one before it and a random sentence from elsewhere usually does not: NSP is
  learnable.
* **Words of a class share contexts.** Names appear where people appear ("mia said",
  "tom's mother"), towns where places appear ("lives in", "the streets of"), organisations
  where organisations appear ("works at the", "opened a new shop"). MLM learns what kind of
  word a word is from its neighbours.
* **Sentiment is taught through consequences.** Every thing and every describing word is met
  in sentences that say how characters felt or what they did afterwards, with the same
  frequency whether or not the word is held out of the labeled tasks. That is what lets a
  pre-trained model classify the sentiment of words it never saw labeled.
"""
from __future__ import annotations

import random
import re
from pathlib import Path

from pydoc_data.topics import topics as python_help_topics

from helpers.text import world
from helpers.errors import check_positive_int, check_seed
from helpers.files import atomic_write

# The storybook's version. Any change to what the generator writes for a seed changes the text the
# shipped checkpoints were trained on: bump this, and retrain them (checkpoints/README.md). A test
# pins the text of each version by its hash, so a change that forgets the bump fails.
CORPUS_VERSION = "storybook-3"

DEFAULT_NUM_DOCUMENTS = 20_000   # about 1.8M tokens: the size the course pre-trains on
SMALL_NUM_DOCUMENTS = 1_500      # about 130k tokens: quick notebook runs and tests
# Five times the course corpus. More is a typo, not a setting: a million documents take an hour to
# generate and their training pairs several GB of memory.
MAX_NUM_DOCUMENTS = 100_000
_TOKEN = re.compile(r"\w+|[^\w\s]")


# --------------------------------------------------------------------------- sentence templates
# Slots: {a} {b} are two different members of the document's cast ({a_he}, {a_him}, {a_his}
# are a's pronouns), {town} {org} {scene} belong to the document, {t} is a thing, {adj} an
# adjective that fits it, {feel} {react} a feeling / reaction of the episode's polarity.

OPENINGS = (
    "one morning , {a} and {b} went to the {scene} in {town} .",
    "{a} and {b} spent the whole day at the {scene} .",
    "this is a story about {a} and {b} and the {scene} in {town} .",
    "on a warm day in {town} , {a} met {b} at the {scene} .",
    "{a} and {b} met outside the {org} and walked to the {scene} .",
)
CLOSINGS = (
    "that evening , {a} left the {scene} and went home to {town} .",
    "after a long day at the {scene} , {a} and {b} were very tired .",
    "{a} could not wait to come back to the {scene} with {b} .",
    "before bed , {a} told {a_his} {relative} all about the {scene} .",
)

# A sentiment episode: the thing is introduced, then its consequence is told.
MEETINGS_INTANGIBLE = (
    "{a} had to deal with the {t} at the {scene} .",
    "there {was} the {t} at the {scene} that day .",
    "{a} will never forget the {t} at the {scene} .",
    "{b} told {a} about the {t} at the {scene} .",
)
MEETINGS = (
    "{a} found the {t} in the {scene} .",
    "{a} saw the {t} near the {scene} .",
    "at the {scene} , {b} showed {a} the {t} .",
    "{a} got the {t} from {b} .",
    "{a} noticed the {t} next to the {scene} .",
)
CONSEQUENCES = {
    "positive": (
        "the {t} {was} so {adj} that {a} {react} .",
        "{a} felt {feel} because the {t} {was} {adj} .",
        "{a} loved the {adj} {t} and showed {it} to {b} .",
        "{a} {react} and said the {t} {was} {adj} .",
        "{this} {t} {is} so {adj} .",
        "{a} thanked {b} for the {adj} {t} .",
    ),
    "negative": (
        "the {adj} {t} made {a} feel {feel} .",
        "the {t} {was} so {adj} that {a} {react} .",
        "{a} {react} when {a_he} saw how {adj} the {t} {was} .",
        "{a} threw the {t} away because {it} {was} {adj} .",
        "{this} {t} {is} so {adj} .",
        "{a} told {b} that the {t} {was} {adj} and {a_he} felt {feel} .",
    ),
    "neutral": (
        "the {t} {was} {adj} , and {a} {react} .",
        "{a} put the {adj} {t} on the shelf and felt {feel} .",
        "{a} looked at the {adj} {t} and {react} .",
        "{this} {t} {is} so {adj} .",
        "the {t} {was} just {adj} , so {a} felt {feel} about {it} .",
    ),
}
# Negation, taught with the same rule the sentiment task uses:
# "not" + positive word -> negative consequences; "not" + negative word -> neutral ones.
NEGATED = {
    "positive": ("the {t} {was} not {adj} , so {a} felt {feel} .",
                 "{a} {react} because the {t} {was} not {adj} ."),
    "negative": ("the {t} {was} not {adj} , so {a} felt {feel} .",
                 "the {t} {was} not {adj} at all , and {a} {react} ."),
}

ANIMAL_LINES = (
    "the {size} {animal} {sounds} at the {role} .",
    "every morning , the {animal} {sounds} at the {role} .",
    "the {animal} {sounded} when {a} came into the {scene} .",
    "{a} laughed when the {size} {animal} {sounded} at {b} .",
)
SOCIAL_LINES = (
    "{a} said hello to {b} at the {scene} .",
    "{a} asked {b} to come to the {scene} .",
    "{b} told the {role} that {a} was a good friend .",
    "{a}'s {relative} waved to {b} from the {scene} .",
    "{a} walked to the {scene} with {b} .",
    "the {role} said good morning to {a} .",
)
ORGANISATION_LINES = (
    "{a}'s {relative} works at the {org} .",
    "the {org} in {town} hired {a} for the summer .",
    "the {org} announced a big festival in {town} .",
    "the {org} opened a new shop in {town} .",
    "{a} visited the {org} near the {scene} with {b} .",
    "{b} told {a} that the {org} was looking for helpers .",
)
PLACE_LINES = (
    "{a} lives in {town} , close to the {scene} .",
    "{a} travelled to {town} to visit the {scene} with {b} .",
    "the streets of {town} were quiet when {a} walked home from the {scene} .",
    "everyone at the {scene} in {town} knows {a} .",
    "{b} grew up in {town} , not far from the {scene} .",
)
# A question and its answer, as two sentences: the stories ask the kinds of question the QA task
# asks ("where did tom go ?"), so "?" and question word order are not new at fine-tuning time.
# Both sentences name a word of the document's topic, like every other sentence.
DIALOGUES = (
    ("where did {a} find the {t} ?", "{a} found the {t} near the {scene} ."),
    ("who works at the {org} ?", "{a}'s {relative} works at the {org} ."),
    ("who went to the {scene} with {b} ?", "{a} went to the {scene} with {b} ."),
    ("what did {b} give {a} at the {scene} ?", "{b} gave {a} the {t} ."),
    ("why did {a} go to the {scene} ?", "{a} wanted to see the {animal} ."),
    ("is the {scene} far from {town} ?", "no , the {scene} is close to {town} ."),
)
# What each sentence of a kind is (``make_storybook(..., with_roles=True)``). Only the two-sentence
# kinds tie sentences together: a consequence follows its meeting, an answer its question; every other
# body sentence could stand anywhere between the opening and the closing.
SENTENCE_ROLES = {"episode": ("meeting", "consequence"), "dialogue": ("question", "answer"),
                  "activity": ("activity",), "animal": ("animal",), "social": ("social",),
                  "organisation": ("organisation",), "place": ("place",)}
FOLLOWS_THE_PREVIOUS = ("consequence", "answer")   # roles bound to the sentence before them
# Weights of the kinds of body sentence: episodes dominate because they carry sentiment.
_BODY_KINDS = ("episode", "activity", "animal", "social", "organisation", "place", "dialogue")
_BODY_WEIGHTS = (38, 18, 8, 8, 14, 8, 6)


def _past(stem: str) -> str:
    return stem + ("d" if stem.endswith("e") else "ed")


def _present(stem: str) -> str:
    return stem + ("es" if stem.endswith(("sh", "ch", "ss")) else "s")


class _Storyteller:
    """Writes one document at a time; all randomness comes from one ``random.Random``."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.lex = world.lexicon("all")
        self.things = {(t, p): self.lex.things_of(t, p) for t in world.TOPICS for p in world.POLARITIES}
        self.adjectives = {p: self.lex.adjectives_of(p) for p in world.POLARITIES}
        self.orgs = {t: [o for o in self.lex.organisations if o.topic == t] for t in world.TOPICS}
        self.animals = {t: [a for a in world.ANIMALS if a.topic == t] for t in world.TOPICS}

    def document(self, topic: str) -> list[str]:
        rng = self.rng
        info = world.TOPIC_INFO[topic]
        cast = rng.sample(self.lex.people, rng.choice((2, 2, 3)))
        self.slots = {
            "town": rng.choice(self.lex.towns),
            "org": rng.choice(self.orgs[topic]).name,
            "scenes": rng.sample(self.lex.scenes[topic], 3),
            "relative": rng.choice(world.RELATIVES),
        }
        self.cast, self.topic, self.info = cast, topic, info
        sentences = [self._fill(rng.choice(OPENINGS))]
        self.roles = ["opening"]
        length = rng.randint(5, 12)
        while len(sentences) < length - 1:
            kind = rng.choices(_BODY_KINDS, _BODY_WEIGHTS)[0]
            if kind in ("episode", "dialogue") and len(sentences) == length - 2:
                kind = "activity"  # an episode or dialogue takes two sentences; only one is left
            lines = getattr(self, "_" + kind)()
            sentences.extend(lines)
            self.roles.extend(SENTENCE_ROLES[kind][:len(lines)])
        sentences.append(self._fill(rng.choice(CLOSINGS)))
        self.roles.append("closing")
        return sentences

    # -- filling a template with the document's cast and setting
    def _fill(self, template: str, **extra: str) -> str:
        rng = self.rng
        a, b = rng.sample(self.cast, 2)
        values = {**self._people(a, b),
                  "town": self.slots["town"], "org": self.slots["org"],
                  "scene": rng.choice(self.slots["scenes"]), "relative": self.slots["relative"]}
        values.update(extra)
        return template.format_map(values)

    @staticmethod
    def _people(a: world.Person, b: world.Person) -> dict:
        """The slots {a} {b} and a's pronouns {a_he} {a_him} {a_his}."""
        return {"a": a.name, "b": b.name, "a_he": a.he, "a_him": a.him, "a_his": a.his}

    # -- the kinds of body sentence
    def _episode(self) -> list[str]:
        rng = self.rng
        polarity = rng.choice(world.POLARITIES)
        negate = polarity != "neutral" and rng.random() < 0.15
        # The describing word is drawn first, uniformly, so every adjective (food words too) is
        # met equally often; the thing is one it fits: usually of the same polarity, else neutral.
        while True:
            adj = rng.choice(self.adjectives[polarity])
            own = [t for t in self.things[(self.topic, polarity)] if adj.describes(t)]
            plain = [t for t in self.things[(self.topic, "neutral")] if adj.describes(t)]
            pool = own if own and (not plain or rng.random() < 0.75) else plain
            if pool:
                break
        thing, adj = rng.choice(pool), adj.word
        # "not" + positive reads as negative, "not" + negative as neutral (see helpers.text.tasks)
        felt = {"positive": "negative", "negative": "neutral"}[polarity] if negate else polarity
        extra = {"t": thing.name, "adj": adj, **thing.agreement(), "feel": rng.choice(world.FEELINGS[felt]),
                 "react": rng.choice(world.REACTIONS[felt])}
        meetings = MEETINGS if thing.tangible else MEETINGS_INTANGIBLE
        lines = [self._fill(rng.choice(meetings), **extra)]
        templates = NEGATED[polarity] if negate else CONSEQUENCES[polarity]
        lines.append(self._fill(rng.choice(templates), **extra))
        return lines

    def _dialogue(self) -> list[str]:
        rng = self.rng
        question, answer = rng.choice(DIALOGUES)
        thing = rng.choice([t for t in self.lex.things_of(self.topic) if t.tangible])
        extra = {"t": thing.name, "animal": rng.choice(self.animals[self.topic]).word}
        people = self._people(*rng.sample(self.cast, 2))  # the question and its answer share them
        scene = rng.choice(self.slots["scenes"])
        return [self._fill(line, scene=scene, **people, **extra) for line in (question, answer)]

    def _activity(self) -> list[str]:
        animals = self.animals[self.topic]
        extra = {"animal": self.rng.choice(animals).word} if animals else {}
        return [self._fill(self.rng.choice(self.info.activities), **extra)]

    def _animal(self) -> list[str]:
        rng = self.rng
        animal = rng.choice(self.animals[self.topic])
        stem = rng.choice(animal.sounds)
        return [self._fill(rng.choice(ANIMAL_LINES), animal=animal.word, size=rng.choice(world.SIZES),
                           sounds=_present(stem), sounded=_past(stem), role=rng.choice(self.info.roles))]

    def _social(self) -> list[str]:
        return [self._fill(self.rng.choice(SOCIAL_LINES), role=self.rng.choice(self.info.roles))]

    def _organisation(self) -> list[str]:
        return [self._fill(self.rng.choice(ORGANISATION_LINES))]

    def _place(self) -> list[str]:
        return [self._fill(self.rng.choice(PLACE_LINES), role=self.rng.choice(self.info.roles))]


def make_storybook(num_documents: int = DEFAULT_NUM_DOCUMENTS, seed: int = 0, *,
                   with_topics: bool = False, with_roles: bool = False):
    """Generate the storybook corpus: ``num_documents`` documents of 5 to 12 sentences.

    Returns a list of documents, each a list of sentence strings. With ``with_topics=True``
    returns ``(documents, topics)`` where ``topics[i]`` is document i's topic name; with
    ``with_roles=True`` also (last) ``roles``, where ``roles[i][j]`` says what sentence j of document i
    is ("opening", "meeting", "consequence", ..., "closing": ``SENTENCE_ROLES``). The text is the
    same either way. The same ``seed`` always gives the same corpus; topics take turns so all are
    equally common.
    """
    check_positive_int("num_documents", num_documents, maximum=MAX_NUM_DOCUMENTS)
    check_seed("seed", seed)
    rng = random.Random(seed)
    teller = _Storyteller(rng)
    topics = [world.TOPICS[i % len(world.TOPICS)] for i in range(num_documents)]
    rng.shuffle(topics)
    documents, roles = [], []
    for topic in topics:
        documents.append(teller.document(topic))
        roles.append(teller.roles)
    extras = ([topics] if with_topics else []) + ([roles] if with_roles else [])
    return (documents, *extras) if extras else documents


def small_storybook(seed: int = 0) -> list[list[str]]:
    """A ~10x smaller storybook for quick runs (``SMALL_NUM_DOCUMENTS`` documents)."""
    return make_storybook(SMALL_NUM_DOCUMENTS, seed)


# --------------------------------------------------------------------------- Google's text format
def write_pretraining_text(documents: list[list[str]], path) -> Path:
    """Write documents in Google's BERT format: one sentence per line, a blank line between documents
    (atomically: :func:`helpers.files.atomic_write`)."""
    text = "\n\n".join("\n".join(s.strip() for s in doc) for doc in documents) + "\n"
    return atomic_write(Path(path), text)


_EXPECTED_TEXT = "UTF-8 text, one sentence per line, a blank line between documents"


def _decode_text_file(path: Path) -> str:
    """The file's text, or a ``ValueError`` naming the file when it is not UTF-8 text.

    UTF-16 files (common from Windows editors) and binary files are told apart from Latin-1 text so
    the message can say what the file looks like; a UTF-8 byte-order mark is accepted and dropped.
    """
    raw = path.read_bytes()
    expected = f"a pre-training corpus must be {_EXPECTED_TEXT}"
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise ValueError(f"path={str(path)!r} is not allowed: it is UTF-16 text; {expected}. "
                         "Save it again as UTF-8.")
    if b"\x00" in raw:
        found = "UTF-16 text without a byte-order mark" if raw.count(b"\x00") * 3 > len(raw) else "a binary file"
        raise ValueError(f"path={str(path)!r} is not allowed: it looks like {found} (it contains NUL bytes); "
                         f"{expected}.")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise ValueError(f"path={str(path)!r} is not allowed: byte {error.start} (line {line}) is not valid "
                         f"UTF-8 (Latin-1 or another 8-bit encoding?); {expected}. "
                         "Save it again as UTF-8.") from None


def read_pretraining_text(path) -> list[list[str]]:
    """Read Google's pre-training format: one sentence per line, blank lines separate documents.

    Whitespace is stripped; runs of blank lines count as one separator. Raises ``ValueError``
    for a missing or empty file, and for one with fewer than 2 documents (NSP needs a second
    document to draw random sentences from)."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"path={str(path)!r} is not allowed: no such file.")
    documents, current = [], []
    for line in _decode_text_file(path).splitlines():
        line = line.strip()
        if line:
            current.append(line)
        elif current:
            documents.append(current)
            current = []
    if current:
        documents.append(current)
    if not documents:
        raise ValueError(f"path={str(path)!r} is not allowed: the file has no sentences.")
    if len(documents) < 2:
        raise ValueError(f"path={str(path)!r} is not allowed: it holds 1 document, and next sentence "
                         "prediction needs at least 2 (separate documents with a blank line).")
    return documents


# --------------------------------------------------------------------------- real English
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(])")


def _prose_paragraphs(text: str):
    """Yield the prose paragraphs of a reST-like help text, skipping code blocks.

    A code block is a paragraph indented deeper than the prose before it, right after a
    paragraph that ends with ":" (reST's literal-block convention), or any ">>>" session."""
    prose_indent, after_colon = 0, False
    for paragraph in re.split(r"\n\s*\n", text):
        lines = [ln for ln in paragraph.splitlines() if ln.strip()]
        if not lines:
            continue
        indent = min(len(ln) - len(ln.lstrip()) for ln in lines)
        is_code = (after_colon and indent > prose_indent) or ">>>" in paragraph
        if is_code:
            continue
        prose_indent = indent
        after_colon = lines[-1].rstrip().endswith(":")
        yield " ".join(ln.strip() for ln in lines if not re.fullmatch(r"\s*[-=*~^]{3,}\s*", ln))


def python_reference_corpus() -> list[list[str]]:
    """Python's own reference documentation (shipped with Python, no download) as documents.

    Each help topic of ``pydoc_data.topics`` becomes a document; code blocks are dropped and
    prose paragraphs are split into sentences with a simple regex. Real English, about 70k
    tokens: small, but enough to see the same pre-training code run on real text."""
    documents = []
    for name in sorted(python_help_topics):
        sentences = []
        for paragraph in _prose_paragraphs(python_help_topics[name]):
            for sentence in _SENTENCE_END.split(paragraph):
                sentence = sentence.strip()
                if len(sentence.split()) >= 4 and sentence[-1] in ".!?:":
                    sentences.append(sentence)
        if len(sentences) >= 2:
            documents.append(sentences)
    return documents


def count_tokens(text: str) -> int:
    """Whitespace-and-punctuation tokens (what a BERT basic tokenizer splits before WordPiece)."""
    return len(_TOKEN.findall(text))


def corpus_stats(documents: list[list[str]]) -> dict:
    """Sizes for display: documents, sentences, tokens, and averages."""
    sentences = sum(len(d) for d in documents)
    tokens = sum(count_tokens(s) for d in documents for s in d)
    return {"documents": len(documents), "sentences": sentences, "tokens": tokens,
            "sentences_per_document": round(sentences / max(len(documents), 1), 2),
            "tokens_per_sentence": round(tokens / max(sentences, 1), 2)}
