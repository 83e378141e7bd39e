"""The five labeled tasks: sizes, balance, held-out vocabulary, correctness by construction."""
import re
from collections import Counter

import pytest

from helpers.text import corpus

from helpers.text import tasks

from helpers.text import world

SMALL = {"train": 300, "validation": 100, "test": 150, "test_heldout": 150}


@pytest.fixture(scope="module")
def all_tasks():
    return {name: make(seed=0) for name, make in tasks.TASKS.items()}


def text_of(example: dict) -> str:
    parts = [example.get(k, "") for k in ("text", "text_a", "text_b", "context", "question")]
    return " ".join(parts + list(example.get("words", [])))


def words_of(example: dict) -> set:
    return set(re.findall(r"\w+", text_of(example)))


def test_registry_and_split_sizes(all_tasks):
    assert set(tasks.TASKS) == {"sentiment", "topic", "ner", "qa", "paraphrase"}
    for name, task in all_tasks.items():
        assert task.name == name and task.kind in tasks.KINDS
        for split, size in tasks.DEFAULT_SIZES.items():
            assert len(task.split(split)) == size, (name, split)


def test_custom_sizes_and_test_sets_do_not_depend_on_train_size():
    small = tasks.make_sentiment_task(seed=3, **SMALL)
    assert len(small.train) == 300 and len(small.test_heldout) == 150
    other = tasks.make_sentiment_task(seed=3, **{**SMALL, "train": 200})
    assert other.test == small.test and other.test_heldout == small.test_heldout


def test_classification_labels_are_balanced(all_tasks):
    for task in all_tasks.values():
        if task.kind not in ("sequence", "pair"):
            continue
        for split in tasks.DEFAULT_SIZES:
            counts = Counter(ex["label"] for ex in task.split(split))
            assert set(counts) == set(range(task.num_labels)), (task.name, split)
            assert max(counts.values()) - min(counts.values()) <= 1, (task.name, split, counts)


def test_same_seed_same_data_different_seed_different():
    for make in tasks.TASKS.values():
        a, b, c = make(seed=1, **SMALL), make(seed=1, **SMALL), make(seed=2, **SMALL)
        assert a.train == b.train and a.test_heldout == b.test_heldout
        assert a.train != c.train


def test_heldout_words_never_occur_in_labeled_train_or_validation(all_tasks):
    heldout = world.heldout_words()
    phrases = world.heldout_phrases()
    for task in all_tasks.values():
        for split in ("train", "validation", "test"):
            for ex in task.split(split):
                leaked = words_of(ex) & heldout
                assert not leaked, (task.name, split, leaked, ex)
                text = " " + " ".join(re.findall(r"\w+", text_of(ex))) + " "
                assert not any(f" {p} " in text for p in phrases), (task.name, split, ex)


def test_every_heldout_example_uses_heldout_words_and_no_seen_open_class_word(all_tasks):
    heldout = world.heldout_words()
    seen = world.lexicon("seen")
    seen_names = {p.name for p in seen.people} | {t for t in seen.towns if " " not in t}
    for task in all_tasks.values():
        for ex in task.test_heldout:
            words = words_of(ex)
            assert words & heldout, (task.name, ex)
            assert not words & seen_names, (task.name, ex)


def test_heldout_words_appear_in_the_pretraining_corpus():
    documents = corpus.make_storybook(corpus.SMALL_NUM_DOCUMENTS, seed=0)
    counts = Counter(w for doc in documents for s in doc for w in re.findall(r"\w+", s))
    rare = {w: counts[w] for w in world.heldout_words() if counts[w] < 3}  # >= 100 at the default size: test_corpus
    assert not rare, rare


def test_seen_splits_share_no_example(all_tasks):
    for task in all_tasks.values():
        keys = {split: {tasks._example_key(ex) for ex in task.split(split)}
                for split in ("train", "validation", "test")}
        assert not keys["train"] & keys["test"] and not keys["train"] & keys["validation"]
        assert not keys["validation"] & keys["test"]


def test_qa_answers_are_spans_of_the_context(all_tasks):
    task = all_tasks["qa"]
    for split in tasks.DEFAULT_SIZES:
        for ex in task.split(split):
            start = ex["answer_start"]
            assert ex["context"][start:start + len(ex["answer_text"])] == ex["answer_text"]
            # one answer only: the answer text occurs once in the passage
            occurrences = len(re.findall(rf"\b{re.escape(ex['answer_text'])}\b", ex["context"]))
            assert occurrences == 1 or ex["answer_text"].startswith("the "), ex
    questions = Counter(ex["question"].split()[0] for ex in task.train)
    assert {"who", "what", "where"} <= set(questions)


def test_qa_example_from_the_brief_shape(all_tasks):
    where = [ex for ex in all_tasks["qa"].train if re.fullmatch(r"where did \w+ go\?", ex["question"])]
    assert where and all(ex["answer_text"].startswith("the ") for ex in where)


def test_ner_labels_align_with_words_and_spell_whole_entities(all_tasks):
    task = all_tasks["ner"]
    people = {p.name for p in world.PEOPLE}
    orgs = {o.name for o in world.ORGANISATIONS}
    tags = Counter()
    for split in tasks.DEFAULT_SIZES:
        for ex in task.split(split):
            assert len(ex["words"]) == len(ex["labels"]) > 0
            names = [task.label_names[i] for i in ex["labels"]]
            tags.update(names)
            entity, kind = [], None
            for word, tag in zip(ex["words"] + ["."], names + ["O"]):
                if tag.startswith("I-"):
                    assert kind == tag[2:], ex
                    entity.append(word)
                    continue
                if entity:
                    text = " ".join(entity)
                    assert {"PER": people, "ORG": orgs, "LOC": set(world.TOWNS)}[kind] >= {text}, (text, kind)
                entity, kind = ([word], tag[2:]) if tag.startswith("B-") else ([], None)
    for tag in ("O", "B-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC"):
        assert tags[tag] > 0, tag


def test_sentiment_negation_follows_the_documented_rule(all_tasks):
    task = all_tasks["sentiment"]
    polarity = {a.word: a.polarity for a in world.ADJECTIVES}
    negated = [ex for ex in task.train + task.test_heldout if ex["negated"]]
    assert len(negated) > 100
    for ex in negated:
        assert " not " in ex["text"]
        adj = ex["key_words"][0]
        assert task.label_names[ex["label"]] == tasks.NEGATION_RULE[polarity[adj]], ex
    labels = Counter(task.label_names[ex["label"]] for ex in negated)
    assert set(labels) == {"negative", "neutral"}  # "not tasty" -> negative, "not awful" -> neutral
    for ex in task.train:
        if not ex["negated"]:
            assert " not " not in ex["text"]
            word = ex["key_words"][0]
            expected = polarity.get(word) or next(t.polarity for t in world.THINGS if t.name == word)
            assert task.label_names[ex["label"]] == expected, ex


def test_topic_documents_mention_only_their_own_topic_words(all_tasks):
    task = all_tasks["topic"]
    owner = {s: t for t in world.TOPICS for s in world.TOPIC_INFO[t].scenes}
    owner.update({x.name: x.topic for x in world.THINGS})
    for ex in task.train + task.test_heldout:
        found = {owner[w] for w in owner if re.search(rf"\bthe {w}\b", ex["text"])}
        assert found == {task.label_names[ex["label"]]}, ex


def test_paraphrase_has_easy_and_hard_negatives(all_tasks):
    task = all_tasks["paraphrase"]
    kinds = Counter(ex["negative"] for ex in task.train if ex["label"] == 0)
    assert set(kinds) == set(tasks.NEGATIVE_KINDS)
    assert all(abs(n / sum(kinds.values()) - 1 / 3) < 0.1 for n in kinds.values()), kinds
    assert all(ex["negative"] is None for ex in task.train if ex["label"] == 1)

    def overlap(ex):
        a, b = set(ex["text_a"].split()), set(ex["text_b"].split())
        return len(a & b) / len(a | b)
    # Against the hard negatives (one part changed), word overlap alone cannot solve the task:
    # the best overlap threshold, scored by balanced accuracy (the classes differ in size here),
    # stays far from what a model should reach.
    positives = [overlap(ex) for ex in task.train if ex["label"] == 1]
    negatives = [overlap(ex) for ex in task.train if ex["negative"] == "one part"]

    def balanced_accuracy(cut):
        return (sum(o >= cut for o in positives) / len(positives) + sum(o < cut for o in negatives) / len(negatives)) / 2
    best = max(balanced_accuracy(cut) for cut in set(positives) | set(negatives))
    assert best < 0.7, best
    assert sum(negatives) / len(negatives) > 0.5
    entities = {p.name for p in world.PEOPLE} | {x.name.split()[-1] for x in world.THINGS}

    def mentioned(text):
        return sorted(w for w in text.split() if w in entities)

    hard = [ex for ex in task.train if ex["negative"] == "one part"]
    same_cast = [ex for ex in hard if mentioned(ex["text_a"]) == mentioned(ex["text_b"])]
    # role swaps, opposite opinions and added "not"s: same people and things, other meaning
    assert len(same_cast) > 0.25 * len(hard)
    # the easy negatives still share their first person: a name match alone does not decide
    other_event = [ex for ex in task.train if ex["negative"] == "other event"]
    assert all(set(mentioned(ex["text_a"])) & set(mentioned(ex["text_b"])) for ex in other_event)


def test_subsample_is_balanced_deterministic_and_checked(all_tasks):
    task = all_tasks["sentiment"]
    sub = tasks.subsample(task, 128, seed=4)
    assert len(sub) == 128 and sub == tasks.subsample(task, 128, seed=4)
    assert sub != tasks.subsample(task, 128, seed=5)
    counts = Counter(ex["label"] for ex in sub)
    assert max(counts.values()) - min(counts.values()) <= 1
    assert len(tasks.subsample(all_tasks["ner"], 32, seed=0)) == 32
    with pytest.raises(ValueError, match="n=5000"):
        tasks.subsample(task, 5000)
    with pytest.raises(ValueError, match="n=0"):
        tasks.subsample(task, 0)


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="name"):
        tasks.load_task("summarisation")
    with pytest.raises(ValueError, match="train"):
        tasks.make_topic_task(seed=0, train=0)
    with pytest.raises(ValueError, match="split size name"):
        tasks.make_topic_task(seed=0, dev=10)
    assert tasks.load_task("qa", seed=0, **SMALL).kind == "span"
