"""Fine-tuning: encoding of every task kind, the training loop, freezing, evaluation, predict."""
import random
from types import SimpleNamespace

import pytest
import torch

from helpers.training import finetuning as ft
from helpers.modeling.heads import BertForQuestionAnswering, BertForSequenceClassification, BertForTokenClassification
from helpers.modeling.bert import BertConfig, BertForPreTraining
from helpers.text.tokenizer import WordPieceTokenizer

@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """These models are tiny: one thread is as fast, and much faster when the machine is busy."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


POSITIVE = ["good", "great", "lovely", "happy"]
NEGATIVE = ["bad", "awful", "sad", "horrible"]
NAMES = ["anna", "ben", "carla", "dev"]
FILLER = ["the", "dog", "cat", "saw", "a", "park", "today", "was", "very", "in", "ball", "red"]


def toy_tokenizer():
    words = POSITIVE + NEGATIVE + NAMES + FILLER + ["?", ".", "who", "where", "is", "inn", "fox"]
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + sorted(set(words)) + ["tok", "##yo", "##s"]
    return WordPieceTokenizer(vocab)


def toy_config(tokenizer):
    return BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                      intermediate_size=64, max_position_embeddings=64, hidden_dropout_prob=0.0,
                      attention_probs_dropout_prob=0.0)


def sentiment_task(n=120, seed=0):
    rng = random.Random(seed)

    def example():
        label = rng.randrange(2)
        word = rng.choice(POSITIVE if label == 0 else NEGATIVE)
        filler = rng.sample(FILLER, 4)
        filler.insert(rng.randrange(5), word)
        return {"text": " ".join(filler), "label": label}

    return SimpleNamespace(name="toy sentiment", kind="sequence", label_names=["positive", "negative"],
                           train=[example() for _ in range(n)], validation=[example() for _ in range(40)],
                           test=[example() for _ in range(40)])


def ner_task(n=120, seed=0):
    rng = random.Random(seed)

    def example():
        words = rng.sample(FILLER, 5)
        tags = ["O"] * 5
        i = rng.randrange(5)
        words[i], tags[i] = rng.choice(NAMES), "B-PER"
        return {"words": words, "labels": tags}

    return SimpleNamespace(name="toy ner", kind="token", label_names=["O", "B-PER", "I-PER"],
                           train=[example() for _ in range(n)], validation=[example() for _ in range(40)],
                           test=[example() for _ in range(40)])


def test_sequence_and_pair_encoding():
    tok = toy_tokenizer()
    task = sentiment_task(4)
    enc = ft.encode_example(task, {"text": "the dog was good", "label": "negative"}, tok)
    assert enc["labels"] == 1
    assert tok.decode(enc["input_ids"]) == "the dog was good"
    pair = SimpleNamespace(kind="pair", label_names=["different", "paraphrase"])
    enc = ft.encode_example(pair, {"text_a": "the dog", "text_b": "a cat was sad", "label": 1}, tok)
    assert enc["input_ids"][0] == tok.cls_token_id if hasattr(tok, "cls_token_id") else enc["input_ids"][0] == 2
    assert enc["token_type_ids"] == [0, 0, 0, 0, 1, 1, 1, 1, 1]
    with pytest.raises(ValueError, match="label"):
        ft.encode_example(task, {"text": "good", "label": 5}, tok)
    with pytest.raises(ValueError, match="label='neutral'"):
        ft.encode_example(task, {"text": "good", "label": "neutral"}, tok)


def test_ner_labels_go_on_the_first_word_piece_only():
    tok = toy_tokenizer()
    task = SimpleNamespace(kind="token", label_names=["O", "B-LOC", "I-LOC"])
    enc = ft.encode_example(task, {"words": ["anna", "saw", "tokyo"], "labels": ["O", "O", "B-LOC"]}, tok)
    assert tok.convert_ids_to_tokens(enc["input_ids"]) == ["[CLS]", "anna", "saw", "tok", "##yo", "[SEP]"]
    assert enc["labels"] == [-100, 0, 0, 1, -100, -100]


def test_qa_answer_span_maps_to_tokens_and_back():
    tok = toy_tokenizer()
    task = SimpleNamespace(kind="span", label_names=[])
    context = "anna saw the red fox inn in tokyo."
    example = {"context": context, "question": "where is the fox inn?", "answer_text": "tokyo",
               "answer_start": context.index("tokyo")}
    enc = ft.encode_example(task, example, tok)
    tokens = tok.convert_ids_to_tokens(enc["input_ids"])
    s, e = enc["start_positions"], enc["end_positions"]
    assert tokens[s:e + 1] == ["tok", "##yo"]
    assert all(t == 1 for t in enc["token_type_ids"][s:e + 1])  # inside the context segment
    # Truncation that cuts the answer off leaves the positions ignored (== sequence length).
    short = ft.encode_example(task, example, tok, max_length=12)
    assert short["start_positions"] == short["end_positions"] == len(short["input_ids"])
    with pytest.raises(ValueError, match="answer_start"):
        ft.encode_example(task, dict(example, answer_start=0), tok)


def test_finetune_learns_a_toy_task_and_is_reproducible():
    tok = toy_tokenizer()
    task = sentiment_task()
    runs = []
    for _ in range(2):
        model = BertForSequenceClassification.from_scratch(toy_config(tok), 2, seed=3)
        runs.append(ft.finetune(model, task, tokenizer=tok, steps=60, learning_rate=2e-3, batch_size=16,
                                seed=3, progress=False))
    a, b = runs
    assert a.history["loss"] == b.history["loss"]  # same seed, same run
    assert a.history["loss"][-1] < a.history["loss"][0]
    test = ft.evaluate(a.model, task, "test", tokenizer=tok)
    assert test["accuracy"] >= 0.9, test
    assert set(test) == {"accuracy", "macro_f1"}
    assert a.evaluate("test") == test
    assert ft.predict(a.model, tok, task, "the cat was very awful today") == "negative"
    assert a.tokens_seen > 0 and a.sequences_seen == 60 * 16


def test_frozen_encoder_keeps_its_weights_and_trains_only_the_head():
    tok = toy_tokenizer()
    task = ner_task()
    torch.manual_seed(0)
    pretrained = BertForPreTraining(toy_config(tok))
    before = {k: v.clone() for k, v in pretrained.bert.state_dict().items()}
    result = ft.finetune(pretrained, task, tokenizer=tok, freeze_encoder=True, steps=40, seed=0, progress=False)
    model = result.model
    assert isinstance(model, BertForTokenClassification)
    for k, v in model.bert.state_dict().items():
        assert torch.equal(v, before[k]), k
    assert result.trainable_parameters == sum(p.numel() for p in model.head_parameters())
    end_to_end = ft.finetune(BertForTokenClassification.from_pretrained_encoder(pretrained, 3), task, tokenizer=tok,
                             steps=5, seed=0, progress=False)
    assert not torch.equal(end_to_end.model.bert.embeddings.word_embeddings.weight,
                           before["embeddings.word_embeddings.weight"])
    # the passed pre-trained model itself is never changed
    assert torch.equal(pretrained.bert.embeddings.word_embeddings.weight, before["embeddings.word_embeddings.weight"])


def test_ner_training_and_entity_metrics():
    tok = toy_tokenizer()
    task = ner_task()
    model = BertForTokenClassification.from_scratch(toy_config(tok), 3, seed=1)
    result = ft.finetune(model, task, tokenizer=tok, steps=80, learning_rate=3e-3, seed=1, progress=False)
    scores = result.evaluate("test")
    assert set(scores) == {"entity_f1", "precision", "recall", "tag_accuracy"}
    assert scores["entity_f1"] >= 0.9, scores
    tags = ft.predict(result.model, tok, task, "the dog saw ben")
    assert tags[-1] == ("ben", "B-PER") and tags[0] == ("the", "O")


def test_qa_training_on_a_toy_task():
    tok = toy_tokenizer()
    rng = random.Random(0)

    def example():
        name, place = rng.choice(NAMES), rng.choice(["park", "tokyo", "inn"])
        context = f"{name} saw the {rng.choice(['dog', 'cat'])} in the {place} today."
        return {"context": context, "question": f"where is {name}?", "answer_text": place,
                "answer_start": context.index(" " + place) + 1}

    task = SimpleNamespace(name="toy qa", kind="span", label_names=[], train=[example() for _ in range(150)],
                           validation=[example() for _ in range(30)], test=[example() for _ in range(30)])
    model = BertForQuestionAnswering.from_scratch(toy_config(tok), seed=0)
    result = ft.finetune(model, task, tokenizer=tok, steps=100, learning_rate=3e-3, seed=0, progress=False)
    scores = result.evaluate("test")
    assert set(scores) == {"exact_match", "token_f1"}
    assert scores["exact_match"] >= 0.9, scores
    answer = ft.predict(result.model, tok, task, question="where is anna?", context="anna saw the cat in the park today.")
    assert answer == "park"


def test_bad_arguments_are_clear_errors():
    tok = toy_tokenizer()
    task = sentiment_task(8)
    model = BertForSequenceClassification.from_scratch(toy_config(tok), 2)
    with pytest.raises(ValueError, match="freeze_encoder"):
        ft.finetune(model, task, tokenizer=tok, freeze_encoder="yes", progress=False)
    with pytest.raises(ValueError, match="train_examples"):
        ft.finetune(model, task, tokenizer=tok, train_examples=[], progress=False)
    with pytest.raises(ValueError, match="learning_rate"):
        ft.finetune(model, task, tokenizer=tok, learning_rate=-1.0, progress=False)
    with pytest.raises(ValueError, match="dropout=1.5"):
        ft.finetune(model, task, tokenizer=tok, dropout=1.5, progress=False)
    with pytest.raises(ValueError, match="split"):
        ft.evaluate(model, task, "dev", tokenizer=tok)
    with pytest.raises(ValueError, match="model"):
        ft.finetune(torch.nn.Linear(2, 2), task, tokenizer=tok, progress=False)


@pytest.mark.parametrize("call, fragment", [
    (lambda m, t, tok: ft.finetune(m, "sentiment", tokenizer=tok),
     r"task='sentiment' is not allowed: pass the task itself, not its name \(task = load_task\('sentiment'\)"),
    (lambda m, t, tok: ft.finetune(m, t, tokenizer=None), r"tokenizer=None is not allowed: pass the tokenizer"),
    (lambda m, t, tok: ft.finetune(m, t, tokenizer=tok, train_examples=[{"sentence": "x", "label": 0}]),
     r"train_examples\[0\]=.* is not allowed: an example of a 'sequence' task is a dict with 'text', 'label' "
     r"\(missing: text\)"),
    (lambda m, t, tok: ft.finetune(m, t, tokenizer=tok, train_examples=[("good dog", 0)]),
     r"train_examples\[0\]=\('good dog', 0\) is not allowed"),
    (lambda m, t, tok: ft.finetune(m, t, tokenizer=tok, train_examples="good dog"), r"train_examples='good dog'"),
    (lambda m, t, tok: ft.finetune(m, t, tokenizer=tok, eval_examples=[{"text": "x"}]), r"eval_examples\[0\]"),
    (lambda m, t, tok: ft.finetune(m, t, tokenizer=tok, warmup_fraction=float("nan")),
     r"warmup_fraction=nan is not allowed: it must be a finite number in \[0, 1\]"),
    (lambda m, t, tok: ft.finetune(m, t, tokenizer=tok, weight_decay=float("nan")), r"weight_decay=nan is not allowed"),
    (lambda m, t, tok: ft.finetune(m, t, tokenizer=tok, learning_rate=float("inf")), r"learning_rate=inf"),
    (lambda m, t, tok: ft.finetune(m, t, tokenizer=tok, learning_rate=2.0), r"learning_rate=2.0 .* \(0, 1\)"),
    (lambda m, t, tok: ft.finetune(m, t, tokenizer=tok, steps=10, epochs=2), r"steps=10 with epochs=2"),
    (lambda m, t, tok: ft.finetune(m, t, tokenizer=tok, lr=0.1), r"lr=0.1 is not allowed: it is not a fine-tuning "
                                                                 r"setting"),
    (lambda m, t, tok: ft.finetune(m, t, tokenizer=tok, device="gpu"), r"device='gpu' is not allowed"),
    (lambda m, t, tok: ft.finetune(m, t, tokenizer=tok, device="cuda"),
     r"device='cuda' is not allowed: this machine has no CUDA GPU"),
])
def test_mistakes_are_one_clear_error_before_training(monkeypatch, call, fragment):
    """Each of these used to train with a NaN loss, or end in a traceback from deep inside torch."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(ft, "train", lambda *a, **k: pytest.fail("training started"))
    tok = toy_tokenizer()
    model = BertForSequenceClassification.from_scratch(toy_config(tok), 2)
    with pytest.raises(ValueError, match=fragment):
        call(model, sentiment_task(8), tok)


def test_a_config_and_keywords_combine(monkeypatch):
    tok = toy_tokenizer()
    task = sentiment_task(16)
    model = BertForSequenceClassification.from_scratch(toy_config(tok), 2)
    config = ft.FinetuneConfig(steps=3, learning_rate=1e-3, progress=False)
    result = ft.finetune(model, task, tokenizer=tok, config=config, batch_size=4, eval_examples=[])
    assert result.steps == 3 and result.config == ft.FinetuneConfig(steps=3, learning_rate=1e-3, progress=False,
                                                                     batch_size=4)
    assert result.settings["learning_rate"] == 1e-3 and result.settings["batch_size"] == 4


# --------------------------------------------------------------------------- the course's real tasks

def test_real_tasks_encode_with_aligned_labels(story_tokenizer):
    from helpers.text.tasks import load_task

    tok = story_tokenizer
    ner = load_task("ner", 0)
    for example in ner.train[:200]:
        enc = ft.encode_example(ner, example, tok)
        labeled = [label for label in enc["labels"] if label != -100]
        assert labeled == list(example["labels"])  # exactly one label per word, in order
    qa = load_task("qa", 0)
    for example in qa.train[:200] + qa.test_heldout[:100]:
        enc = ft.encode_example(qa, example, tok)
        s, e = enc["start_positions"], enc["end_positions"]
        assert s <= e < len(enc["input_ids"])
        # The gold span, read back through the prediction path, is the answer text.
        start_word, end_word = enc["word_ids"][s], enc["word_ids"][e]
        text = enc["context"][enc["word_spans"][start_word][0]:enc["word_spans"][end_word][1]]
        assert text == example["answer_text"]
