"""Reference solutions of the coding exercises (``helpers.course.exercises``).

These are the answers a learner can reveal after a first attempt, so they are written to be read:
the plainest correct code, one idea per line, with the course's constants instead of bare numbers.
The checks never show this code; they test behaviour, so any correct solution passes.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from helpers.constants import CLS_ID, IGNORE_INDEX, IS_NEXT, IS_RANDOM, SEP_ID


# ---------------------------------------------------------------- notebook 2: masked language modelling


def choose_positions(special_tokens_mask, *, mlm_probability=0.15, generator=None):
    """Exercise 1: True at the positions to predict, about ``mlm_probability`` of the ordinary tokens."""
    ordinary = special_tokens_mask == 0                     # [CLS], [SEP] and [PAD] are never candidates
    coin = torch.rand(special_tokens_mask.shape, generator=generator)
    return ordinary & (coin < mlm_probability)              # each ordinary token with probability 15%


def corrupt(input_ids, selected, *, vocab_size, mask_token_id, generator=None):
    """Exercise 2: the 80/10/10 corruption of the selected positions, and the labels."""
    draw = torch.rand(input_ids.shape, generator=generator)  # one draw per position picks the outcome
    random_ids = torch.randint(vocab_size, input_ids.shape, generator=generator)
    to_mask = selected & (draw < 0.8)
    to_random = selected & (draw >= 0.8) & (draw < 0.9)       # the remaining 10% stay unchanged
    corrupted = input_ids.clone()                             # never change the caller's tensor
    corrupted[to_mask] = mask_token_id
    corrupted[to_random] = random_ids[to_random]
    labels = torch.where(selected, input_ids, torch.full_like(input_ids, IGNORE_INDEX))
    return corrupted, labels


def mlm_loss(logits, labels):
    """Exercise 3: mean cross-entropy over the selected positions (labels that are not -100)."""
    selected = labels != IGNORE_INDEX
    return F.cross_entropy(logits[selected], labels[selected])  # logits[selected]: (n_selected, vocab)


def choose_fixed_count(special_tokens_mask, attention_mask, *, mlm_probability=0.15, max_predictions=20,
                       generator=None):
    """Stretch A: per sequence exactly min(max_predictions, max(1, round(p * n))) positions, n = real tokens."""
    n = attention_mask.sum(dim=1)                            # [CLS] and [SEP] count, [PAD] does not
    count = (n * mlm_probability).round().long().clamp(min=1, max=max_predictions)
    scores = torch.rand(special_tokens_mask.shape, generator=generator)
    scores[special_tokens_mask == 1] = -1.0                 # never among the highest scores
    rank = scores.argsort(dim=1, descending=True).argsort(dim=1)  # 0 = the row's highest score
    return rank < count[:, None]


# ---------------------------------------------------------------- notebook 3: next sentence prediction


def nsp_example(tokens_a, tokens_b, is_next):
    """Exercise 4: one NSP example ``[CLS] A [SEP] B [SEP]`` with its segment ids and label."""
    input_ids = [CLS_ID] + list(tokens_a) + [SEP_ID] + list(tokens_b) + [SEP_ID]
    token_type_ids = [0] * (1 + len(tokens_a) + 1) + [1] * (len(tokens_b) + 1)  # the first [SEP] closes A
    return {"input_ids": input_ids, "token_type_ids": token_type_ids,
            "next_sentence_label": IS_NEXT if is_next else IS_RANDOM}


def pretraining_loss(prediction_logits, seq_relationship_logits, labels, next_sentence_label):
    """Stretch B: the loss of one pre-training step, the MLM loss plus the NSP loss."""
    selected = labels != IGNORE_INDEX
    mlm = F.cross_entropy(prediction_logits[selected], labels[selected])
    nsp = F.cross_entropy(seq_relationship_logits, next_sentence_label)  # (batch, 2) against 0 / 1
    return mlm + nsp


# ---------------------------------------------------------------- notebook 5: fine-tuning heads


def sequence_head(last_hidden_state, classifier, labels):
    """Exercise 5a: one prediction per input, read from the [CLS] position (position 0)."""
    logits = classifier(last_hidden_state[:, 0])             # (batch, hidden) -> (batch, num_labels)
    return logits, F.cross_entropy(logits, labels)


def token_head(last_hidden_state, classifier, labels):
    """Exercise 5b: one prediction per position; positions labelled -100 are left out of the loss."""
    logits = classifier(last_hidden_state)                   # (batch, seq, num_labels)
    loss = F.cross_entropy(logits.flatten(0, 1), labels.flatten(), ignore_index=IGNORE_INDEX)
    return logits, loss


# ---------------------------------------------------------------- notebook 5a: sub-words in fine-tuning


def align_labels(word_labels, word_ids):
    """Stretch C: each word's label on its first piece; later pieces and special tokens get -100."""
    labels, previous = [], None
    for word in word_ids:
        starts_a_word = word is not None and word != previous
        labels.append(word_labels[word] if starts_a_word else IGNORE_INDEX)
        previous = word
    return labels
