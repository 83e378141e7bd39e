"""Five labeled fine-tuning tasks, all about the storybook's world.

| task         | kind       | example                                              | head      |
|--------------|------------|------------------------------------------------------|-----------|
| sentiment    | "sequence" | "i think the cake is not tasty ." -> negative        | [CLS]     |
| topic        | "sequence" | 3-4 sentences about a barn and honey -> farm         | [CLS]     |
| ner          | "token"    | mia/B-PER works/O at/O the/O river/B-ORG bakery/I-ORG | per-token |
| qa           | "span"     | "where did tom go?" + passage -> "the harbor"         | per-token |
| paraphrase   | "pair"     | "tom gave mia the cake ." / "mia got the cake from tom ." -> 1 | [CLS] |

Every task has four splits. ``train``, ``validation`` and ``test`` use only the world's *seen*
words; ``test_heldout`` uses only *held-out* words (names, towns, organisations, things,
adjectives, scenes: see ``helpers.text.world``), which never occur in any labeled train or
validation example but occur all through the pre-training stories. A model that only saw the
labeled data cannot know them; a pre-trained one met them in context.

Labels are correct by construction: each example is written from its meaning.
The same ``seed`` gives the same examples; the test splits do not depend on the train size.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field

from helpers.text import world
from helpers.errors import check_choice, check_positive_int

KINDS = ("sequence", "token", "span", "pair")
DEFAULT_SIZES = {"train": 1000, "validation": 300, "test": 500, "test_heldout": 500}


@dataclass
class TaskData:
    """A labeled task: its name, kind, label names and its four splits (lists of dicts)."""
    name: str
    kind: str
    label_names: list
    train: list
    validation: list
    test: list
    test_heldout: list
    description: str = ""
    sizes: dict = field(default_factory=dict)

    @property
    def num_labels(self) -> int:
        return len(self.label_names)

    def split(self, name: str) -> list:
        check_choice("split", name, tuple(DEFAULT_SIZES))
        return getattr(self, name)

    def __repr__(self) -> str:
        sizes = ", ".join(f"{s}={len(getattr(self, s))}" for s in DEFAULT_SIZES)
        return f"TaskData(name={self.name!r}, kind={self.kind!r}, label_names={self.label_names}, {sizes})"


def _example_key(example: dict) -> tuple:
    """What makes two examples the same (used to keep the splits disjoint)."""
    return tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in sorted(example.items())
                 if k in ("text", "text_a", "text_b", "words", "context", "question"))


def _build(name, kind, label_names, make, seed, sizes, description) -> TaskData:
    """Draw every split with ``make(rng, lexicon, label)``; labels take turns (balanced classes).

    The test splits are drawn first, each from its own random stream, so changing the train
    size never changes a test set. Seen-vocabulary splits never share an example."""
    check_positive_int("seed", seed, minimum=0)
    sizes = {**DEFAULT_SIZES, **sizes}
    for split, n in sizes.items():
        check_choice("split size name", split, tuple(DEFAULT_SIZES))
        check_positive_int(split, n)
    num_classes = len(label_names) if kind in ("sequence", "pair") else 0
    seen, heldout = world.lexicon("seen"), world.lexicon("heldout")
    used: set = set()
    out = {}
    for split in ("test", "test_heldout", "validation", "train"):
        rng = random.Random(f"{name}:{seed}:{split}")
        lex = heldout if split == "test_heldout" else seen
        labels = [i % num_classes for i in range(sizes[split])] if num_classes else [None] * sizes[split]
        rng.shuffle(labels)
        examples = []
        for label in labels:
            for _ in range(1000):
                example = make(rng, lex, label)
                key = _example_key(example)
                if key not in used:
                    break
            else:
                raise ValueError(f"{split}={sizes[split]} is not allowed for task {name!r}: the world "
                                 "cannot produce that many distinct examples.")
            used.add(key)
            examples.append(example)
        out[split] = examples
    return TaskData(name, kind, list(label_names), out["train"], out["validation"], out["test"],
                    out["test_heldout"], description, sizes)


def _fill(template: str, **slots) -> str:
    return template.format_map(slots)


# =========================================================================== 1. sentiment
NEGATION_RULE = {"positive": "negative", "negative": "neutral", "neutral": "neutral"}
SENTIMENT_RULE = """\
Label = the polarity of the describing word (adjective). "not" in front of it changes the label by
NEGATION_RULE: "not" + positive -> negative ("the soup was not tasty"), "not" + negative ->
neutral ("the lamp is not awful": no complaint, but no praise either), "not" + neutral -> neutral.
Reviews without a describing word take the polarity of the thing itself ("mia came home with the
cockroach ." -> negative). Describing words always fit the thing (a positive word describes a
positive or neutral thing), so the two never contradict each other."""

ADJECTIVE_REVIEWS = (
    "the {t} {was} {not}{adj} .",
    "i think the {t} {is} {not}{adj} .",
    "my {t} from {town} {was} {not}{adj} .",
    "{name} said the {t} {was} {not}{adj} .",
    "honestly , the {t} {is} {not}{adj} .",
    "the {t} at {town} {was} {not}{adj} , {name} wrote .",
    "in my opinion the {t} {is} {not}{adj} .",
    "we all agreed that the {t} {was} {not}{adj} .",
)
THING_REVIEWS = (  # the last two only for things one can hold
    "we had the {t} in {town} .",
    "{name} told me about the {t} .",
    "on {day} there {was} the {t} again .",
    "today {name} found the {t} .",
    "{name} came home with the {t} .",
)


def _make_sentiment(rng: random.Random, lex: world.Lexicon, label: int) -> dict:
    target = world.POLARITIES[label]
    slots = {"name": rng.choice(lex.people).name, "town": rng.choice(lex.towns), "day": rng.choice(world.DAYS)}
    if rng.random() < 0.25:  # no describing word: the thing carries the sentiment
        thing = rng.choice(lex.things_of(polarity=target))
        templates = THING_REVIEWS if thing.tangible else THING_REVIEWS[:3]
        text = _fill(rng.choice(templates), t=thing.name, **thing.agreement(), **slots)
        return {"text": text, "label": label, "negated": False, "key_words": [thing.name]}
    # which (adjective polarity, negated) pair gives the target? "not" + positive -> negative,
    # "not" + negative -> neutral (NEGATION_RULE); a positive label is never negated.
    negated = target != "positive" and rng.random() < 0.35
    polarity = {"negative": "positive", "neutral": "negative"}[target] if negated else target
    while True:
        adj = rng.choice(lex.adjectives_of(polarity))
        fits = [t for t in lex.things if adj.describes(t)]
        if fits:
            break
    thing = rng.choice(fits)
    text = _fill(rng.choice(ADJECTIVE_REVIEWS), t=thing.name, adj=adj.word,
                 **{"not": "not " if negated else ""}, **thing.agreement(), **slots)
    return {"text": text, "label": label, "negated": negated, "key_words": [adj.word, thing.name]}


def make_sentiment_task(seed: int = 0, **sizes) -> TaskData:
    """Three-way sentiment of short reviews (positive / negative / neutral), with negation."""
    return _build("sentiment", "sequence", list(world.POLARITIES), _make_sentiment, seed, sizes,
                  SENTIMENT_RULE)


# =========================================================================== 2. topic
TOPIC_LINES = (
    "{a} spent the morning at the {scene} .",
    "{a} and {b} talked about the {t} for a long time .",
    "later , {a} took the {t} to the {scene} .",
    "{b} spotted the {t} by the {scene} .",
    "everyone in {town} was talking about the {scene} .",
    "{a} wrote a letter about the {t} .",
    "on {day} , {a} went back to the {scene} .",
    "{b} asked {a} where the {t} {was} .",
)


def _make_topic(rng: random.Random, lex: world.Lexicon, label: int) -> dict:
    topic = world.TOPICS[label]
    scenes, things = lex.scenes[topic], lex.things_of(topic)
    lines = rng.sample(TOPIC_LINES, rng.choice((3, 4)))
    sentences = []
    for line in lines:
        a, b = rng.sample(lex.people, 2)
        thing = rng.choice(things)
        sentences.append(_fill(line, a=a.name, b=b.name, scene=rng.choice(scenes), t=thing.name,
                               town=rng.choice(lex.towns), day=rng.choice(world.DAYS), **thing.agreement()))
    return {"text": " ".join(sentences), "label": label}


def make_topic_task(seed: int = 0, **sizes) -> TaskData:
    """Which topic (home, farm, school, sports, sea) is a short document about?

    The only topic clues are scene and thing words, so the held-out test (held-out scenes and
    things) asks whether the model knows where words like "jellyfish" belong."""
    return _build("topic", "sequence", list(world.TOPICS), _make_topic, seed, sizes,
                  "Label = the topic whose scenes and things the document mentions.")


# =========================================================================== 3. NER
NER_LABELS = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC"]
NER_TEMPLATES = (
    "<PER> walked to <LOC> with <PER> .",
    "<PER> works at the <ORG> in <LOC> .",
    "the <ORG> opened a new shop in <LOC> .",
    "<PER> travelled from <LOC> to <LOC> on <DAY> .",
    "<PER> met <PER> outside the <ORG> .",
    "the <ORG> hired <PER> last summer .",
    "<PER> grew up in <LOC> .",
    "people in <LOC> like the <ORG> .",
    "<PER> went to the <SCENE> on <DAY> .",
    "<PER> and <PER> visited the <SCENE> near <LOC> .",
    # no context clue: only knowing the word tells its type
    "<ANY> was in the news again .",
    "everyone talked about <ANY> .",
    "<PER> wrote a letter to <ANY> .",
    "we heard a lot about <ANY> today .",
    "<ANY> and <ANY> are famous .",
)


def _make_ner(rng: random.Random, lex: world.Lexicon, label=None) -> dict:
    pools = {"PER": [p.name for p in lex.people], "LOC": list(lex.towns),
             "ORG": [o.name for o in lex.organisations]}
    scenes = [s for topic in world.TOPICS for s in lex.scenes[topic]]
    used: set = set()
    words, tags = [], []
    for token in rng.choice(NER_TEMPLATES).split():
        if token in ("<PER>", "<LOC>", "<ORG>", "<ANY>"):
            kind = rng.choice(("PER", "LOC", "ORG")) if token == "<ANY>" else token[1:-1]
            entity = rng.choice([e for e in pools[kind] if e not in used])
            used.add(entity)
            if token == "<ANY>" and kind == "ORG":
                words.append("the"), tags.append(0)
            for i, w in enumerate(entity.split()):
                words.append(w)
                tags.append(NER_LABELS.index(("B-" if i == 0 else "I-") + kind))
        elif token == "<SCENE>":
            words.append(rng.choice(scenes)), tags.append(0)  # "the harbor" is a place word, not a name
        elif token == "<DAY>":
            words.append(rng.choice(world.DAYS)), tags.append(0)
        else:
            words.append(token), tags.append(0)
    return {"words": words, "labels": tags}


def make_ner_task(seed: int = 0, **sizes) -> TaskData:
    """Named entities, one BIO tag per word: PER (names), ORG (organisations), LOC (towns)."""
    return _build("ner", "token", NER_LABELS, _make_ner, seed, sizes,
                  "BIO tags per word. Organisations are tagged without their 'the'; common-noun places "
                  "('the harbor') and days are O. Names are one word, so I-PER never occurs.")


# =========================================================================== 4. extractive QA
# A fact is a sentence made of pieces; a piece is literal text or (slot name, text). Each
# question names the slot holding its answer.
_ACTS = (("found", "find"), ("painted", "paint"), ("carried", "carry"), ("dropped", "drop"),
         ("cleaned", "clean"), ("hid", "hide"), ("sold", "sell"), ("bought", "buy"))


def _qa_fact(kind: str, rng: random.Random, take) -> tuple[list, list]:
    if kind == "act":
        p, t, town = take("person"), take("thing"), take("town")
        past, base = rng.choice(_ACTS)
        pieces = [("P", p), f" {past} the ", ("T", t), " in ", ("L", town), "."]
        questions = [(f"who {past} the {t}?", "P"), (f"what did {p} {base}?", "T"),
                     (f"where did {p} {base} the {t}?", "L")]
    elif kind == "go":
        p, q, scene = take("person"), take("person"), take("scene")
        pieces = [("P", p), " went to ", ("S", f"the {scene}"), " with ", ("Q", q), "."]
        questions = [(f"where did {p} go?", "S"), (f"who went to the {scene} with {q}?", "P"),
                     (f"who did {p} go to the {scene} with?", "Q")]
    elif kind == "work":
        p, org = take("person"), take("org")
        pieces = [("P", p), " works at the ", ("O", org), "."]
        questions = [(f"where does {p} work?", "O"), (f"who works at the {org}?", "P")]
    elif kind == "give":
        p, q, t = take("person"), take("person"), take("thing")
        pieces = [("P", p), " gave ", ("Q", q), " the ", ("T", t), "."]
        questions = [(f"who gave {q} the {t}?", "P"), (f"who got the {t} from {p}?", "Q"),
                     (f"what did {p} give {q}?", "T")]
    else:  # "live"
        p, town = take("person"), take("town")
        pieces = [("P", p), " lives in ", ("L", town), "."]
        questions = [(f"where does {p} live?", "L"), (f"who lives in {town}?", "P")]
    return pieces, questions


def _make_qa(rng: random.Random, lex: world.Lexicon, label=None) -> dict:
    pools = {"person": [p.name for p in lex.people], "thing": [t.name for t in lex.things if t.tangible],
             "town": list(lex.towns), "org": [o.name for o in lex.organisations],
             "scene": [s for topic in world.TOPICS for s in lex.scenes[topic]]}
    for pool in pools.values():
        rng.shuffle(pool)

    def take(kind: str) -> str:  # every entity appears once per passage: questions are unambiguous
        return pools[kind].pop()

    kinds = rng.sample(("act", "go", "work", "give", "live"), rng.choice((3, 4)))
    facts = [_qa_fact(kind, rng, take) for kind in kinds]
    chosen = rng.randrange(len(facts))
    question, slot = rng.choice(facts[chosen][1])
    context, answer_start, answer_text = "", None, None
    for i, (pieces, _) in enumerate(facts):
        if context:
            context += " "
        for piece in pieces:
            text = piece if isinstance(piece, str) else piece[1]
            if i == chosen and not isinstance(piece, str) and piece[0] == slot:
                answer_start, answer_text = len(context), text
            context += text
    return {"context": context, "question": question, "answer_text": answer_text,
            "answer_start": answer_start}


def make_qa_task(seed: int = 0, **sizes) -> TaskData:
    """Extractive QA: the answer is a span of a 3-4 sentence passage (a name, thing, town, ...)."""
    return _build("qa", "span", ["start", "end"], _make_qa, seed, sizes,
                  "answer_start is a character offset: context[answer_start:answer_start+len(answer_text)] "
                  "== answer_text. Each entity occurs once per passage, so every question has one answer.")


# =========================================================================== 5. paraphrase
# Each event has a meaning (a tuple) and several ways to say it. Two sentences are paraphrases
# exactly when they say the same meaning. Negatives come in three strengths, a third each:
#   * another event about the same person ("tom gave mia the cake" / "tom went to riverton");
#   * the same kind of event with TWO parts changed;
#   * ONE part changed (swapped roles, another person/thing/place/day, the opposite opinion, an
#     added "not"): these share almost every word with the first sentence.
# The easy ones make the task learnable from a few hundred labels; the hard ones keep word
# overlap from giving the answer away.
NEGATIVE_KINDS = ("other event", "two parts", "one part")
PARAPHRASE_LABELS = ["not_paraphrase", "paraphrase"]
_EVENTS = {
    "give": ("{p} {gave} {q} the {t} .", "{p} {gave} the {t} to {q} .", "{q} {got} the {t} from {p} .",
             "the {t} {was} {given} to {q} by {p} ."),
    "trip": ("{p} {went} to {town} on {day} .", "on {day} , {p} {went} to {town} .",
             "{p} made a {trip} to {town} on {day} .", "it was {day} when {p} {went} to {town} ."),
    "help": ("{p} {helped} {q} at the {org} .", "at the {org} , {p} {helped} {q} .",
             "{q} got {help} from {p} at the {org} .", "{q} was {helped} by {p} at the {org} ."),
    "opinion": ("{p} {said} the {t} {was} {not}{adj} .", "according to {p} , the {t} {was} {not}{adj} .",
                "in the opinion of {p} , the {t} {was} {not}{adj} ."),
}
# Words that can replace each other without changing the meaning.
_SYNONYMS = {"gave": ("gave", "handed"), "got": ("got", "received"), "given": ("given", "handed"),
             "went": ("went", "travelled"), "trip": ("trip", "journey"), "helped": ("helped", "assisted"),
             "help": ("help", "support"), "said": ("said", "thought")}


def _meaning(event: str, rng: random.Random, lex: world.Lexicon) -> dict:
    p, q = rng.sample(lex.people, 2)
    m = {"p": p.name, "q": q.name}
    if event == "give":
        m["t"] = rng.choice([t for t in lex.things if t.tangible]).name
    elif event == "trip":
        m["town"], m["day"] = rng.choice(lex.towns), rng.choice(world.DAYS)
    elif event == "help":
        m["org"] = rng.choice(lex.organisations).name
    else:  # opinions are about neutral things, so either polarity of adjective fits them
        m["t"] = rng.choice(lex.things_of(polarity="neutral")).name
        m["polarity"], m["negated"] = rng.choice(("positive", "negative")), rng.random() < 0.2
    return m


def _change_one_part(event: str, m: dict, rng: random.Random, lex: world.Lexicon) -> dict:
    other = dict(m)
    parts = {"give": ("swap", "p", "q", "t"), "trip": ("p", "town", "day"), "help": ("swap", "q", "org"),
             "opinion": ("p", "polarity", "polarity", "negated")}[event]
    part = rng.choice(parts)
    if part == "swap":
        other["p"], other["q"] = m["q"], m["p"]
    elif part in ("p", "q"):
        other[part] = rng.choice([x.name for x in lex.people if x.name not in (m["p"], m["q"])])
    elif part == "t":
        other["t"] = rng.choice([x.name for x in lex.things if x.tangible and x.name != m["t"]])
    elif part == "town":
        other["town"] = rng.choice([x for x in lex.towns if x != m["town"]])
    elif part == "day":
        other["day"] = rng.choice([x for x in world.DAYS if x != m["day"]])
    elif part == "org":
        other["org"] = rng.choice([x.name for x in lex.organisations if x.name != m["org"]])
    elif part == "polarity":
        other["polarity"] = "negative" if m["polarity"] == "positive" else "positive"
    else:
        other["negated"] = not m["negated"]
    return other


def _say(event: str, template: str, m: dict, rng: random.Random, lex: world.Lexicon) -> str:
    slots = dict(m)
    slots.update({key: rng.choice(words) for key, words in _SYNONYMS.items()})
    if "t" in m:
        thing = next(x for x in world.THINGS if x.name == m["t"])
        slots.update(thing.agreement())
    if event == "opinion":  # any adjective of the right polarity: "cute" and "adorable" say the same
        slots["adj"] = rng.choice([a for a in lex.adjectives_of(m["polarity"]) if not a.food]).word
        slots["not"] = "not " if m["negated"] else ""
    return _fill(template, **slots)


def _make_paraphrase(rng: random.Random, lex: world.Lexicon, label: int) -> dict:
    event = rng.choice(tuple(_EVENTS))
    templates = _EVENTS[event]
    meaning = _meaning(event, rng, lex)
    # Half the pairs reuse one wording, half use two; in both classes. A same-wording
    # paraphrase differs by a synonym, a same-wording negative by one part of the meaning,
    # so neither "same template" nor word overlap gives the label away.
    first = rng.choice(templates)
    second = first if rng.random() < 0.5 else rng.choice([t for t in templates if t != first])
    negative = None if label == 1 else rng.choice(NEGATIVE_KINDS)
    event_b, other = event, meaning
    if negative == "other event":
        event_b = rng.choice([e for e in _EVENTS if e != event])
        other = dict(_meaning(event_b, rng, lex), p=meaning["p"])
        if other["q"] == meaning["p"]:
            other["q"] = meaning["q"]
        second = rng.choice(_EVENTS[event_b])
    elif negative is not None:
        for _ in range(50):
            other = _change_one_part(event, meaning, rng, lex)
            if negative == "two parts":
                other = _change_one_part(event, other, rng, lex)
            if other != meaning:  # two changes can undo each other (swap, swap back)
                break
    text_a = _say(event, first, meaning, rng, lex)
    for _ in range(50):
        text_b = _say(event_b, second, other, rng, lex)
        if text_b != text_a:
            break
    pair = [text_a, text_b]
    if rng.random() < 0.5:
        pair.reverse()
    return {"text_a": pair[0], "text_b": pair[1], "label": label, "negative": negative}


def make_paraphrase_task(seed: int = 0, **sizes) -> TaskData:
    """Do two sentences say the same thing? 1 = paraphrase, 0 = not.

    Each negative records how it was made in ``example["negative"]`` (one of ``NEGATIVE_KINDS``),
    so accuracy can be broken down from easy (another event) to hard (one part changed)."""
    return _build("paraphrase", "pair", PARAPHRASE_LABELS, _make_paraphrase, seed, sizes,
                  "1 when both sentences state the same event with the same roles, place, day and "
                  "opinion (adjectives of the same polarity count as the same opinion); 0 when they "
                  "do not: another event about the same person, or the same kind of event with one "
                  "or two parts changed (swapped roles, another person/thing/town/day/organisation, "
                  "the opposite opinion, an added 'not').")


# =========================================================================== registry
TASKS = {
    "sentiment": make_sentiment_task,
    "topic": make_topic_task,
    "ner": make_ner_task,
    "qa": make_qa_task,
    "paraphrase": make_paraphrase_task,
}


def load_task(name: str, seed: int = 0, **sizes) -> TaskData:
    """``TASKS[name](seed, **sizes)`` with a clear error for an unknown name."""
    check_choice("name", name, tuple(TASKS))
    return TASKS[name](seed, **sizes)


def subsample(task: TaskData, n: int, seed: int = 0) -> list:
    """``n`` training examples; for classification tasks the classes are as equal as possible.

    Used for the few-label experiments (32 / 128 / 512 labels). Same seed, same subset; a
    bigger ``n`` with the same seed is NOT guaranteed to contain a smaller one."""
    check_positive_int("n", n)
    check_positive_int("seed", seed, minimum=0)
    if n > len(task.train):
        raise ValueError(f"n={n} is not allowed: task {task.name!r} has {len(task.train)} training examples.")
    rng = random.Random(f"subsample:{task.name}:{seed}")
    if task.kind not in ("sequence", "pair"):
        return rng.sample(task.train, n)
    by_label: dict = {}
    for example in task.train:
        by_label.setdefault(example["label"], []).append(example)
    for group in by_label.values():
        rng.shuffle(group)
    labels = sorted(by_label)
    rng.shuffle(labels)  # which classes get the remainder when n is not a multiple
    chosen, i = [], 0
    while len(chosen) < n:
        group = by_label[labels[i % len(labels)]]
        taken = i // len(labels)
        if taken < len(group):
            chosen.append(group[taken])
        i += 1
    rng.shuffle(chosen)
    return chosen
