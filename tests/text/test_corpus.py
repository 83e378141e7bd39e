"""The storybook corpus, the pre-training text reader and the Python reference corpus."""
import re
from collections import Counter

import pytest

from helpers.text import corpus, world
from helpers.training.pretraining import corpus_hash


@pytest.fixture(scope="module")
def storybook():
    # How long this takes is measured by benchmarks/bench_course.py, not asserted here.
    return corpus.make_storybook(with_topics=True)


@pytest.fixture(scope="module")
def word_counts(storybook):
    documents = storybook[0]
    return Counter(w for doc in documents for s in doc for w in re.findall(r"\w+", s))


def test_default_size_is_over_a_million_tokens(storybook):
    stats = corpus.corpus_stats(storybook[0])
    assert stats["documents"] == corpus.DEFAULT_NUM_DOCUMENTS
    assert stats["tokens"] >= 1_000_000


def test_same_seed_same_corpus_and_different_seed_different():
    a = corpus.make_storybook(200, seed=1)
    assert a == corpus.make_storybook(200, seed=1)
    assert a != corpus.make_storybook(200, seed=2)


def test_small_storybook_is_about_ten_times_smaller():
    small = corpus.small_storybook()
    assert len(small) == corpus.SMALL_NUM_DOCUMENTS
    assert 50_000 < corpus.corpus_stats(small)["tokens"] < 1_000_000


def test_documents_have_between_5_and_12_sentences(storybook):
    lengths = {len(doc) for doc in storybook[0]}
    assert min(lengths) >= 5 and max(lengths) <= 12


def test_course_example_sentences_can_be_written_from_the_corpus(storybook, word_counts):
    for word in "the small dog barks at mailman this teddy bear is so cute".split():
        assert word_counts[word] >= 20, word
    sentences = {s for doc in storybook[0] for s in doc}
    assert any(s.startswith("this teddy bear is so ") for s in sentences)
    assert "the small dog barks at the mailman ." in sentences


def test_dog_sounds_and_teddy_bear_adjectives_are_the_right_kind(storybook):
    """What fills the blanks of the course sentences in the corpus: dog sounds, positive words."""
    dog, teddy = Counter(), Counter()
    for doc in storybook[0]:
        for s in doc:
            m = re.fullmatch(r"the \w+ dog (\w+) at the mailman \.", s)
            if m:
                dog[m.group(1)] += 1
            m = re.fullmatch(r"this teddy bear is so (\w+) \.", s)
            if m:
                teddy[m.group(1)] += 1
    assert set(dog) == {"barks", "growls"}
    positive = {a.word for a in world.ADJECTIVES if a.polarity == "positive"}
    assert teddy and set(teddy) <= positive


def test_every_heldout_word_is_in_the_corpus_many_times(word_counts):
    rare = {w: word_counts[w] for w in world.heldout_words() if word_counts[w] < 100}
    assert not rare, rare


def test_heldout_sentiment_words_meet_the_consequences_of_their_polarity(storybook):
    """Each held-out adjective shares sentences with feelings of its own polarity, never the opposite."""
    feelings = {p: set(world.FEELINGS[p]) | {w for r in world.REACTIONS[p] for w in r.split()}
                for p in world.POLARITIES}
    heldout = [a for a in world.lexicon("heldout").adjectives if a.polarity != "neutral"]
    counts = {a.word: Counter() for a in heldout}
    for doc in storybook[0][:4000]:
        for s in doc:
            if " not " in s:
                continue
            words = set(s.split())
            for a in heldout:
                if a.word in words:
                    for p in world.POLARITIES:
                        counts[a.word][p] += bool(words & feelings[p])
    for a in heldout:
        other = "negative" if a.polarity == "positive" else "positive"
        assert counts[a.word][a.polarity] >= 5, (a.word, counts[a.word])
        assert counts[a.word][other] == 0, (a.word, counts[a.word])


def test_topics_use_distinct_vocabulary(storybook):
    """Topic words (scenes, things) of one topic almost never show up in another topic's documents."""
    documents, topics = storybook
    own = {t: set(world.TOPIC_INFO[t].scenes) | {x.name.split()[-1] for x in world.THINGS if x.topic == t}
           for t in world.TOPICS}
    inside = outside = 0
    for doc, topic in zip(documents[:3000], topics[:3000]):
        words = set(" ".join(doc).split())
        inside += len(words & own[topic])
        outside += sum(len(words & own[t]) for t in world.TOPICS if t != topic)
    assert outside < 0.02 * inside, (inside, outside)
    assert Counter(topics)["sea"] == pytest.approx(len(topics) / 5, abs=1)


def test_almost_every_sentence_carries_a_word_of_its_own_topic(storybook):
    """What makes a random sentence B from another document easy to spot for NSP."""
    documents, topics = storybook
    own = {}
    for t in world.TOPICS:
        info = world.TOPIC_INFO[t]
        words = set(info.scenes) | set(info.roles) | {a.word for a in world.ANIMALS if a.topic == t}
        words |= {w for x in world.THINGS if x.topic == t for w in x.name.split()}
        own[t] = words | {w for o in world.ORGANISATIONS if o.topic == t for w in o.name.split()}
    sentences = [(s, t) for doc, t in zip(documents[:2000], topics[:2000]) for s in doc]
    marked = sum(bool(set(s.split()) & own[t]) for s, t in sentences)
    assert marked / len(sentences) > 0.97


def test_a_true_next_sentence_shares_a_cast_name_far_more_often_than_a_random_one(storybook):
    documents = storybook[0][:2000]
    names = {p.name for p in world.PEOPLE}

    def cast(doc):
        return {w for s in doc for w in s.split() if w in names}

    sharing_next = sum(bool(set(doc[i + 1].split()) & cast(doc[: i + 1])) for doc in documents
                       for i in range(len(doc) - 1))
    total_next = sum(len(doc) - 1 for doc in documents)
    sharing_random = sum(bool(set(documents[(j + 7) % len(documents)][1].split()) & cast(doc))
                         for j, doc in enumerate(documents))
    assert sharing_next / total_next > 0.75
    assert sharing_random / len(documents) < 0.2


def test_reader_round_trip(tmp_path):
    documents = corpus.make_storybook(20, seed=5)
    path = corpus.write_pretraining_text(documents, tmp_path / "text.txt")
    assert corpus.read_pretraining_text(path) == documents


def test_reader_strips_whitespace_and_handles_utf8_and_blank_runs(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("  café au lait.  \nsecond line\n\n\n\n  \nnaïve résumé.\nend.\n", encoding="utf-8")
    assert corpus.read_pretraining_text(path) == [["café au lait.", "second line"], ["naïve résumé.", "end."]]


@pytest.mark.parametrize("content, message", [("", "no sentences"), ("\n \n\n", "no sentences"),
                                               ("one.\ntwo.\n", "at least 2")])
def test_reader_rejects_empty_and_single_document_files(tmp_path, content, message):
    path = tmp_path / "bad.txt"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        corpus.read_pretraining_text(path)


def test_reader_rejects_a_missing_file(tmp_path):
    with pytest.raises(ValueError, match="no such file"):
        corpus.read_pretraining_text(tmp_path / "missing.txt")


def test_python_reference_corpus_is_real_english_prose():
    documents = corpus.python_reference_corpus()
    stats = corpus.corpus_stats(documents)
    assert stats["documents"] >= 2 and stats["tokens"] > 20_000
    assert all(len(doc) >= 2 for doc in documents)
    sentences = [s for doc in documents for s in doc]
    assert not any(s.lstrip().startswith(">>>") for s in sentences)


@pytest.mark.parametrize("bad", [0, -3, 2.5, "10", True])
def test_make_storybook_rejects_bad_sizes(bad):
    with pytest.raises(ValueError, match="num_documents"):
        corpus.make_storybook(bad)


def test_world_heldout_split_is_about_thirty_percent_and_keeps_course_words_seen():
    held = world.lexicon("heldout")
    seen = world.lexicon("seen")
    assert 0.2 <= len(held.people) / len(world.PEOPLE) <= 0.35
    assert 0.2 <= len(held.things) / len(world.THINGS) <= 0.4
    assert 0.2 <= len(held.adjectives) / len(world.ADJECTIVES) <= 0.4
    assert {"mia", "tom"} <= {p.name for p in seen.people}
    assert "teddy bear" in {t.name for t in seen.things} and "cute" in {a.word for a in seen.adjectives}
    for polarity in world.POLARITIES:  # every class has held-out members to test on
        assert held.things_of(polarity=polarity) and held.adjectives_of(polarity)
    with pytest.raises(ValueError, match="split"):
        world.lexicon("train")


@pytest.mark.parametrize("data, found", [
    ("café au lait.\nend.\n\nnaïve.\nend.\n".encode("latin-1"), "line 1.*not valid UTF-8"),
    ("café.\nend.\n\nnaïve.\nend.\n".encode("utf-16"), "UTF-16"),
    ("cafe.\nend.\n\nnaive.\nend.\n".encode("utf-16-le"), "UTF-16"),
    (bytes(range(256)) * 4, "binary"),
])
def test_reader_names_the_file_and_the_expected_encoding(tmp_path, data, found):
    """Latin-1, UTF-16 and binary files: a clear error, not a bare UnicodeDecodeError."""
    path = tmp_path / "notes.txt"
    path.write_bytes(data)
    with pytest.raises(ValueError, match=found) as info:
        corpus.read_pretraining_text(path)
    assert str(path) in str(info.value) and "UTF-8 text, one sentence per line" in str(info.value)


def test_reader_accepts_a_utf8_byte_order_mark(tmp_path):
    path = tmp_path / "bom.txt"
    path.write_bytes("\ufeffone.\n\ntwo.\n".encode("utf-8"))
    assert corpus.read_pretraining_text(path) == [["one."], ["two."]]


# The SHA-256 (helpers.training.pretraining.corpus_hash) of make_storybook(20000, seed=0) for each
# CORPUS_VERSION. A change to the generator's output must bump the version (and retrain the shipped
# checkpoints, which record the version and this hash), then add the new hash here.
STORYBOOK_SHA256 = {
    "storybook-3": "4d15f8f1c692c6b6ca80e8021aebf4c40db099f59fa1117c0c3ab03772895a1a",
}


def test_the_storybook_text_of_the_current_version_is_pinned():
    assert corpus.CORPUS_VERSION in STORYBOOK_SHA256, (
        f"CORPUS_VERSION={corpus.CORPUS_VERSION!r} has no pinned hash: add it to STORYBOOK_SHA256")
    documents = corpus.make_storybook(20_000, seed=0)
    assert corpus_hash(documents) == STORYBOOK_SHA256[corpus.CORPUS_VERSION], (
        "the storybook text changed without a version bump: bump CORPUS_VERSION in helpers/text/corpus.py")


def test_the_corpus_hash_sees_a_one_character_change():
    documents = corpus.make_storybook(20, seed=0)
    changed = [list(doc) for doc in documents]
    changed[-1][-1] = changed[-1][-1].replace(".", "!", 1)
    assert changed != documents and corpus_hash(changed) != corpus_hash(documents)
