"""Fine-tuning heads: shapes, losses, and parity with Hugging Face's heads at a tiny config."""
import pytest
import torch
import transformers

from helpers.modeling.heads import (BertForQuestionAnswering, BertForSequenceClassification,
                           BertForTokenClassification)
from helpers.modeling.bert import BertConfig, BertForPreTraining, BertModel

TINY = dict(vocab_size=60, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
            intermediate_size=32, max_position_embeddings=24)


def tiny_config():
    return BertConfig(**TINY)


def batch(seed=0, batch_size=3, seq=10):
    g = torch.Generator().manual_seed(seed)
    input_ids = torch.randint(5, TINY["vocab_size"], (batch_size, seq), generator=g)
    input_ids[:, 0] = 2
    attention_mask = torch.ones(batch_size, seq, dtype=torch.long)
    attention_mask[1, 7:] = 0  # one padded example
    input_ids[1, 7:] = 0
    token_type_ids = torch.zeros(batch_size, seq, dtype=torch.long)
    token_type_ids[:, 5:] = 1
    return dict(input_ids=input_ids, token_type_ids=token_type_ids, attention_mask=attention_mask)


def hf_twin(ours, hf_class, num_labels):
    """The transformers head with our weights, loaded strictly."""
    cfg = transformers.BertConfig(**ours.config.to_transformers_config(), num_labels=num_labels)
    cfg._attn_implementation = "eager"
    theirs = hf_class(cfg)
    theirs.load_state_dict(ours.state_dict(), strict=True)  # identical names and shapes
    return theirs.eval()


def test_sequence_classification_matches_transformers():
    ours = BertForSequenceClassification.from_scratch(tiny_config(), 3, seed=1).eval()
    theirs = hf_twin(ours, transformers.BertForSequenceClassification, 3)
    inputs = batch()
    labels = torch.tensor([0, 2, 1])
    a = ours(**inputs, labels=labels)
    b = theirs(**inputs, labels=labels)
    assert a.logits.shape == (3, 3)
    assert (a.logits - b.logits).abs().max() <= 1e-5
    assert abs(a.loss.item() - b.loss.item()) <= 1e-5


def test_token_classification_matches_transformers_and_ignores_minus_100():
    ours = BertForTokenClassification.from_scratch(tiny_config(), 5, seed=2).eval()
    assert not any(k.startswith("bert.pooler") for k in ours.state_dict())  # HF has no pooler here
    theirs = hf_twin(ours, transformers.BertForTokenClassification, 5)
    inputs = batch(seed=3)
    g = torch.Generator().manual_seed(4)
    labels = torch.randint(0, 5, (3, 10), generator=g)
    labels[:, 0] = -100
    labels[1, 7:] = -100
    a = ours(**inputs, labels=labels)
    b = theirs(**inputs, labels=labels)
    assert a.logits.shape == (3, 10, 5)
    assert (a.logits - b.logits).abs().max() <= 1e-5
    assert abs(a.loss.item() - b.loss.item()) <= 1e-5
    # The loss is the mean over labeled positions only: changing an ignored position's logits
    # (here by changing what the label would be) has no effect.
    by_hand = torch.nn.functional.cross_entropy(a.logits[labels != -100], labels[labels != -100])
    assert abs(a.loss.item() - by_hand.item()) <= 1e-6


def test_question_answering_matches_transformers_including_out_of_range_positions():
    ours = BertForQuestionAnswering.from_scratch(tiny_config(), seed=3).eval()
    theirs = hf_twin(ours, transformers.BertForQuestionAnswering, 2)
    inputs = batch(seed=5)
    start = torch.tensor([3, 40, 6])  # 40 is past the end: ignored, as in HF
    end = torch.tensor([4, 41, 8])
    a = ours(**inputs, start_positions=start, end_positions=end)
    b = theirs(**inputs, start_positions=start, end_positions=end)
    assert a.start_logits.shape == a.end_logits.shape == (3, 10)
    assert (a.start_logits - b.start_logits).abs().max() <= 1e-5
    assert (a.end_logits - b.end_logits).abs().max() <= 1e-5
    assert abs(a.loss.item() - b.loss.item()) <= 1e-5
    keep = torch.tensor([0, 2])
    ce = torch.nn.functional.cross_entropy
    by_hand = (ce(a.start_logits[keep], start[keep]) + ce(a.end_logits[keep], end[keep])) / 2
    assert abs(a.loss.item() - by_hand.item()) <= 1e-6


def test_from_pretrained_encoder_copies_the_weights_and_leaves_the_original_alone():
    torch.manual_seed(0)
    pretrained = BertForPreTraining(tiny_config())
    before = {k: v.clone() for k, v in pretrained.bert.state_dict().items()}
    head = BertForSequenceClassification.from_pretrained_encoder(pretrained, 2, seed=0)
    for k, v in head.bert.state_dict().items():
        assert torch.equal(v, before[k]), k
    with torch.no_grad():
        head.bert.embeddings.word_embeddings.weight.add_(1.0)
    assert torch.equal(pretrained.bert.embeddings.word_embeddings.weight,
                       before["embeddings.word_embeddings.weight"])
    # Per-token heads drop the pooler but keep everything else.
    tagger = BertForTokenClassification.from_pretrained_encoder(pretrained.bert, 4, seed=0)
    assert torch.equal(tagger.bert.encoder.layer[1].output.dense.weight,
                       before["encoder.layer.1.output.dense.weight"])


def test_seeds_make_heads_reproducible_and_different():
    a = BertForSequenceClassification.from_scratch(tiny_config(), 3, seed=7)
    b = BertForSequenceClassification.from_scratch(tiny_config(), 3, seed=7)
    c = BertForSequenceClassification.from_scratch(tiny_config(), 3, seed=8)
    assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))
    assert not torch.equal(a.classifier.weight, c.classifier.weight)
    assert not torch.equal(a.bert.embeddings.word_embeddings.weight, c.bert.embeddings.word_embeddings.weight)
    names = {id(p) for p in a.head_parameters()}
    assert names == {id(a.classifier.weight), id(a.classifier.bias)}


def test_bad_labels_are_clear_errors():
    model = BertForSequenceClassification.from_scratch(tiny_config(), 3, seed=0)
    inputs = batch()
    with pytest.raises(ValueError, match="labels contains 3"):
        model(**inputs, labels=torch.tensor([0, 1, 3]))
    with pytest.raises(ValueError, match=r"labels has shape \(3, 1\)"):
        model(**inputs, labels=torch.tensor([[0], [1], [2]]))
    with pytest.raises(ValueError, match="torch.long"):
        model(**inputs, labels=torch.tensor([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match="labels contains -100"):  # no ignore for whole-input labels
        model(**inputs, labels=torch.tensor([0, -100, 1]))
    tagger = BertForTokenClassification.from_scratch(tiny_config(), 3, seed=0)
    with pytest.raises(ValueError, match="labels has shape"):
        tagger(**inputs, labels=torch.zeros(3, dtype=torch.long))
    with pytest.raises(ValueError, match="labels contains 7"):
        tagger(**inputs, labels=torch.full((3, 10), 7))
    with pytest.raises(ValueError, match="num_labels=1"):
        BertForSequenceClassification.from_scratch(tiny_config(), 1)
    with pytest.raises(ValueError, match="num_labels=3"):
        BertForQuestionAnswering(tiny_config(), 3)
    with pytest.raises(ValueError, match="start_positions has shape"):
        BertForQuestionAnswering.from_scratch(tiny_config())(
            **inputs, start_positions=torch.tensor([1, 2]), end_positions=torch.tensor([1, 2]))
    with pytest.raises(ValueError, match="encoder"):
        BertForSequenceClassification.from_pretrained_encoder(torch.nn.Linear(2, 2), 2)


def test_from_checkpoint_reads_a_pretraining_checkpoint(tmp_path):
    from helpers.modeling.checkpoints import save_checkpoint
    from helpers.text.tokenizer import WordPieceTokenizer

    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + [f"w{i}" for i in range(TINY["vocab_size"] - 5)]
    torch.manual_seed(0)
    pretrained = BertForPreTraining(tiny_config())
    path = save_checkpoint(tmp_path / "tiny.pt", pretrained, WordPieceTokenizer(vocab), {"note": "test"})
    tagger = BertForTokenClassification.from_checkpoint(path, 4, seed=0)
    # Stored weights may be rounded (the checkpoint keeps float16), so compare loosely.
    assert torch.allclose(tagger.bert.encoder.layer[0].attention.self.query.weight,
                          pretrained.bert.encoder.layer[0].attention.self.query.weight, atol=1e-3)
    with pytest.raises(FileNotFoundError):
        BertForSequenceClassification.from_checkpoint(tmp_path / "missing.pt", 2)
