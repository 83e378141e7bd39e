"""The quiz and flashcard files load, cover the curriculum, and bad entries give clear errors."""
import re
import textwrap

import pytest

from helpers.paths import REPOSITORY_DIR

from helpers.course.content import (HEAD_CHOICES, ContentError, MultipleChoiceQuestion, PredictionQuestion,
                                    SelfCheckQuestion, load_deck, load_quiz, load_quiz_bank, normalise_notebook,
                                    notebook_sort_key, to_html)


def test_course_content_loads_with_the_required_counts():
    bank = load_quiz_bank()
    kinds = [q.kind for q in bank.questions]
    assert kinds.count("self_check") == 6
    assert kinds.count("pick_head") == 8
    assert kinds.count("multiple_choice") >= 10
    assert kinds.count("prediction") >= 8
    assert len(load_deck()) == 12
    assert [t.notebook for t in bank.topics.values()] == [0, 1, 2, 3, 4, 5, "5a", "5b", "5c", 6]
    assert {key: t.notebook for key, t in bank.topics.items() if isinstance(t.notebook, str)} == {
        "subwords": "5a", "scale": "5b", "sentence_objectives": "5c"}  # the optional deep dives (PLAN.md)


def test_every_notebook_topic_has_questions_and_filters_work():
    bank = load_quiz_bank()
    for key, topic in bank.topics.items():
        by_topic = load_quiz(key)
        assert by_topic, key
        assert by_topic == load_quiz(notebook=topic.notebook)
        assert all(q.topic == key for q in by_topic)
    assert len(load_quiz()) == len(bank.questions)
    assert all(isinstance(q, SelfCheckQuestion) for q in load_quiz(kind="self_check"))


def test_pick_the_head_answers_match_the_curriculum():
    expected = {"pick-head-sentiment": "[CLS] output", "pick-head-qa": "per-token outputs",
                "pick-head-ner": "per-token outputs", "pick-head-topic": "[CLS] output",
                "pick-head-paraphrase": "[CLS] output", "pick-head-intent": "[CLS] output",
                "pick-head-pos": "per-token outputs", "pick-head-punctuation": "per-token outputs"}
    got = {q.id: q.choices[q.correct_indices[0]].text for q in load_quiz(kind="pick_head")}
    assert got == expected
    for q in load_quiz(kind="pick_head"):
        assert tuple(c.text for c in q.choices) == HEAD_CHOICES
        assert all(c.feedback for c in q.choices)


def _all_text():
    parts = []
    for q in load_quiz():
        parts += [q.question]
        if isinstance(q, MultipleChoiceQuestion):
            parts += [q.explanation] + [c.text + " " + c.feedback for c in q.choices]
        elif isinstance(q, PredictionQuestion):
            parts += list(q.choices)
        else:
            parts.append(q.model_answer)
    return " ".join(parts)


@pytest.mark.parametrize("fact", [
    r"no causal mask", r"cop(y|ies|ying)", r"15%", r"80%", r"10%", r"\[CLS\], \[SEP\]",
    r"ORIGINAL token", r"-100", r"next_sentence_label = 0 when B follows A, and 1 when B\s+is random",
    r"segment A", r"RoBERTa dropped NSP", r"unlabeled", r"once per model release",
    r"one linear layer", r"freeze", r"hundreds to thousands", r"teddy bear", r"head decides the task",
    r"telescope", r"barks", r"position 0", r"two linear heads",
])
def test_quiz_covers_curriculum_fact(fact):
    assert re.search(fact, _all_text()), fact


def test_nsp_label_convention_is_the_hugging_face_one():
    q = next(q for q in load_quiz("nsp") if q.id == "nsp-pairs-and-labels")
    right = q.choices[q.correct_indices[0]].text
    assert "real next sentence (label 0)" in right and "random sentence (label 1)" in right


def _write(tmp_path, text, name="quiz.toml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


GOOD_TOPIC = """
[topics.mlm]
notebook = 2
title = "MLM"
"""


@pytest.mark.parametrize("body, problem", [
    ("""[[question]]\nid = "q1"\nkind = "multiple_choice"\ntopic = "mlm"\nquestion = "?"\nexplanation = "e"\n
[[question.choices]]\nid = "a"\ntext = "a"\ncorrect = false\nfeedback = "f"\n
[[question.choices]]\nid = "b"\ntext = "b"\ncorrect = false\nfeedback = "f"\n""", "no choice is marked correct"),
    ("""[[question]]\nid = "q1"\nkind = "essay"\ntopic = "mlm"\nquestion = "?"\n""", "field 'kind' is 'essay'"),
    ("""[[question]]\nid = "q1"\nkind = "self_check"\ntopic = "nsp"\nquestion = "?"\nmodel_answer = "a"\n""",
     "topic 'nsp' is not in [topics]"),
    ("""[[question]]\nid = "q1"\nkind = "self_check"\ntopic = "mlm"\nquestion = "?"\n""",
     "missing required field(s) model_answer"),
    ("""[[question]]\nid = "q1"\nkind = "self_check"\ntopic = "mlm"\nquestion = "?"\nmodel_answer = "a"\nanwser = "x"\n""",
     "unknown field(s) anwser"),
    ("""[[question]]\nid = "q1"\nkind = "self_check"\ntopic = "mlm"\nquestion = "  "\nmodel_answer = "a"\n""",
     "field 'question' must be non-empty text"),
    ("""[[question]]\nid = "q1"\nkind = "pick_head"\ntopic = "mlm"\nquestion = "?"\nexplanation = "e"\n
[[question.choices]]\nid = "cls"\ntext = "CLS"\ncorrect = true\nfeedback = "f"\n
[[question.choices]]\nid = "tokens"\ntext = "tokens"\ncorrect = false\nfeedback = "f"\n""", "must have exactly the choices"),
    ("""[[question]]\nid = "q1"\nkind = "prediction"\ntopic = "mlm"\nquestion = "?"\n
[[question.choices]]\nid = "a"\ntext = "a"\ncorrect = true\n
[[question.choices]]\nid = "b"\ntext = "b"\n""", "a prediction has no right answer"),
    ("""[[question]]\nid = "q1"\nkind = "prediction"\ntopic = "mlm"\nquestion = "?"\nexplanation = "e"\n
[[question.choices]]\nid = "a"\ntext = "a"\n
[[question.choices]]\nid = "b"\ntext = "b"\n""", "unknown field(s) explanation"),
    ("""[[question]]\nid = "q1"\nkind = "prediction"\ntopic = "mlm"\nquestion = "?"\n
[[question.choices]]\nid = "only-one"\ntext = "only one"\n""", "at least two"),
    ("""[[question]]\nid = "q1"\nkind = "multiple_choice"\ntopic = "mlm"\nquestion = "?"\nexplanation = "e"\n
[[question.choices]]\nid = "a"\ntext = "a"\ncorrect = "yes"\nfeedback = "f"\n
[[question.choices]]\nid = "b"\ntext = "b"\ncorrect = false\nfeedback = "f"\n""", "choices[0].correct must be true or false"),
])
def test_malformed_quiz_entry_names_file_entry_and_problem(tmp_path, body, problem):
    good = """[[question]]\nid = "fine"\nkind = "self_check"\ntopic = "mlm"\nquestion = "?"\nmodel_answer = "a"\n"""
    path = _write(tmp_path, GOOD_TOPIC + good + body)
    with pytest.raises(ContentError) as err:
        load_quiz_bank(path)
    message = str(err.value)
    assert str(path) in message
    assert "id='q1'" in message and "#2" in message  # the entry, by id and position
    assert problem in message
    assert isinstance(err.value, ValueError)


def test_duplicate_ids_and_bad_toml_and_missing_file(tmp_path):
    sc = """[[question]]\nid = "same"\nkind = "self_check"\ntopic = "mlm"\nquestion = "?"\nmodel_answer = "a"\n"""
    with pytest.raises(ContentError, match="'same' is used twice"):
        load_quiz_bank(_write(tmp_path, GOOD_TOPIC + sc + sc))
    with pytest.raises(ContentError, match="not valid TOML"):
        load_quiz_bank(_write(tmp_path, "[[question]\n"))
    with pytest.raises(ContentError, match="file not found"):
        load_quiz_bank(tmp_path / "nope.toml")


def test_malformed_card_names_the_card(tmp_path):
    path = _write(tmp_path, """
        [[card]]
        id = "ok"
        topic = "t"
        front = "f"
        back = "b"

        [[card]]
        id = "broken"
        topic = "t"
        front = "f"
        """, "deck.toml")
    with pytest.raises(ContentError, match=r"deck\.toml: \[\[card\]\] entry \(id='broken', #2\): missing required field\(s\) back"):
        load_deck(path)


def test_load_quiz_rejects_unknown_topic_with_a_clear_message():
    with pytest.raises(ValueError, match=r"topic='mlmm' is not allowed: it must be one of 'start', 'next_token', 'mlm'"):
        load_quiz("mlmm")


def test_to_html_escapes_and_splits_paragraphs():
    assert to_html('a <script>alert("x")</script>\nb & c') == \
        "<p>a &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</p><p>b &amp; c</p>"


def test_question_with_more_choices_than_letters_is_refused_at_load(tmp_path):
    """30 choices used to load, then fail with IndexError in the widget (it labels choices A..Z)."""
    def choices(n):
        return "".join(f'\n[[question.choices]]\nid = "c{i}"\ntext = "c{i}"\ncorrect = {str(i == 0).lower()}\nfeedback = "f"\n'
                       for i in range(n))
    body = """[[question]]\nid = "many"\nkind = "multiple_choice"\ntopic = "mlm"\nquestion = "?"\nexplanation = "e"\n"""
    with pytest.raises(ContentError, match=r"id='many'.*30 choices; at most 26"):
        load_quiz_bank(_write(tmp_path, GOOD_TOPIC + body + choices(30)))
    assert len(load_quiz_bank(_write(tmp_path, GOOD_TOPIC + body + choices(26))).questions[0].choices) == 26


def test_prediction_questions_have_choices_and_no_answer():
    predictions = load_quiz(kind="prediction")
    assert {"predict-copy-collapse", "predict-mask-mix-positions", "predict-first-curve",
            "predict-live-pretraining", "predict-5c-sentence-heads", "predict-5c-paraphrase",
            "predict-pretrained-vs-scratch", "predict-frozen-vs-end-to-end"} <= {q.id for q in predictions}
    for q in predictions:
        assert isinstance(q, PredictionQuestion) and len(q.choices) >= 2
        assert not hasattr(q, "correct_indices")  # nothing to mark right: the run decides


def test_every_prediction_is_asked_by_a_notebook():
    """A prediction no notebook asks is dead text (the sample kept for the tests is the one exception)."""
    sources = "".join(p.read_text(encoding="utf-8") for p in (REPOSITORY_DIR / "notebooks" / "src").glob("*.py"))
    unused = [q.id for q in load_quiz(kind="prediction") if f'"{q.id}"' not in sources]
    assert unused == ["predict-live-pretraining"]


def test_notebook_ids_with_a_letter_are_normalised_and_ordered():
    assert normalise_notebook("04c") == "4c" and normalise_notebook("4c") == "4c"
    assert normalise_notebook("05") == 5 and normalise_notebook(5) == 5
    for bad in (-1, "4cc", "c4", True, 4.0, ""):
        with pytest.raises(ValueError, match="is not allowed"):
            normalise_notebook(bad)
    assert sorted([5, "4c", 4, "5b", "4b"], key=notebook_sort_key) == [4, "4b", "4c", 5, "5b"]
    assert load_quiz(notebook="05b") == load_quiz(notebook="5b") == load_quiz("scale")
    assert load_quiz(notebook="05") == load_quiz(notebook=5) == load_quiz("heads")
    with pytest.raises(ValueError, match=r"notebook='4z' is not allowed: it must be one of 0, 1, 2, 3, 4, 5, '5a'"):
        load_quiz(notebook="4z")
    with pytest.raises(ValueError, match="notebook='x' is not allowed"):
        load_quiz(notebook="x")


def test_topic_notebook_field_is_validated(tmp_path):
    good = """[[question]]\nid = "fine"\nkind = "self_check"\ntopic = "t"\nquestion = "?"\nmodel_answer = "a"\n"""
    for notebook, ok in (('"4c"', True), ("3", True), ('"04"', True), ('"4-c"', False), ("-2", False),
                         ("true", False), ("2.5", False)):
        path = _write(tmp_path, f'[topics.t]\nnotebook = {notebook}\ntitle = "T"\n' + good)
        if ok:
            assert load_quiz_bank(path).topics["t"].notebook in ("4c", 3, 4)
        else:
            with pytest.raises(ContentError, match="field 'notebook' must be a whole number >= 0 or a string"):
                load_quiz_bank(path)


def test_practice_questions_are_new_single_answer_questions():
    practice = load_quiz("practice")
    assert 8 <= len(practice) <= 10 and load_quiz_bank().topics["practice"].notebook == 6
    assert all(isinstance(q, MultipleChoiceQuestion) and not q.multiple_answers for q in practice)
    others = {q.question for q in load_quiz() if q.topic != "practice"}
    assert not others & {q.question for q in practice}


def test_a_topic_asks_only_what_its_notebook_has_taught():
    """Freezing versus end-to-end fine-tuning, and the labeled-data win, are taught in notebook 5."""
    bank = load_quiz_bank()
    early = [q for q in bank.questions if q.kind != "prediction"
             and notebook_sort_key(bank.topics[q.topic].notebook) < (5, "")]
    for q in early:
        words = _texts(q).lower()
        for later in ("frozen", "freeze", "end to end", "end-to-end", "hundreds to thousands"):
            assert later not in words, (q.id, later)


def _texts(q):
    parts = [q.question]
    if isinstance(q, MultipleChoiceQuestion):
        parts += [q.explanation] + [c.text + " " + c.feedback for c in q.choices]
    elif isinstance(q, SelfCheckQuestion):
        parts.append(q.model_answer)
    return " ".join(parts)


def test_bert_is_cited_with_one_year_and_the_corrections_hold():
    text = _all_text()
    assert "Devlin et al., 2018" not in text and "BERT paper" not in text
    assert "Devlin et al., 2019" in text or "Devlin et al. (2019" in text
    assert "short segment" not in text and "encoder weights are the same" not in text.lower()
    assert "Nothing is rounded" not in text and "max(1, round(0.15 x length))" in text
    flops = next(q for q in load_quiz("scale") if q.id == "scale-flops")
    assert "3,000 times as many token positions" in flops.explanation and "4,000" not in _texts(flops)
    debate = next(q for q in load_quiz("sentence_objectives") if q.id == "nsp-debate")
    assert "up to 512 tokens" in debate.explanation and "did not test" in debate.explanation
    ner = next(q for q in load_quiz(kind="pick_head") if q.id == "pick-head-ner")
    assert "2 x types + 1" in ner.explanation and "7 classes" in ner.explanation
