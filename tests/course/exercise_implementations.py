"""Learner implementations for the exercise tests: correct ones written in different ways, and wrong ones.

Each wrong implementation is one mistake a learner makes; the tables in ``test_exercise_checks.py``
say which property must catch it and what the message must say. Kept apart from the tests so the
tables stay readable.
"""
import numpy as np
import torch
import torch.nn.functional as F

from helpers.constants import CLS_ID, IGNORE_INDEX, IS_NEXT, IS_RANDOM, SEP_ID, UNK_ID
from helpers.course import solutions as S


def not_written(*args, **kwargs):
    raise NotImplementedError("your code here")


# ---------------------------------------------------------------- exercise 1: choose_positions


def choose_bernoulli(special_tokens_mask, *, mlm_probability=0.15, generator=None):
    probabilities = torch.full(special_tokens_mask.shape, mlm_probability)
    return torch.bernoulli(probabilities, generator=generator).bool() & (special_tokens_mask == 0)


def choose_hf_style(special_tokens_mask, *, mlm_probability=0.15, generator=None):
    probability_matrix = torch.full(special_tokens_mask.shape, mlm_probability)
    probability_matrix.masked_fill_(special_tokens_mask.bool(), value=0.0)
    return torch.bernoulli(probability_matrix, generator=generator).bool()


def choose_row_by_row(special_tokens_mask, *, mlm_probability=0.15, generator=None):
    rows = [(torch.rand(row.shape[0], generator=generator) < mlm_probability) & (row == 0)
            for row in special_tokens_mask]
    return torch.stack(rows)


def choose_uniform_long(special_tokens_mask, *, mlm_probability=0.15, generator=None):
    draw = torch.empty(special_tokens_mask.shape).uniform_(0, 1, generator=generator)
    return ((draw < mlm_probability) & ~special_tokens_mask.bool()).long()  # 0/1 integers are accepted


CHOOSE_CORRECT = [S.choose_positions, choose_bernoulli, choose_hf_style, choose_row_by_row, choose_uniform_long]


def choose_including_specials(special_tokens_mask, *, mlm_probability=0.15, generator=None):
    return torch.rand(special_tokens_mask.shape, generator=generator) < mlm_probability


def choose_85_percent(special_tokens_mask, *, mlm_probability=0.15, generator=None):
    return (torch.rand(special_tokens_mask.shape, generator=generator) > mlm_probability) & (special_tokens_mask == 0)


def choose_fixed_rate(special_tokens_mask, *, mlm_probability=0.15, generator=None):
    return (torch.rand(special_tokens_mask.shape, generator=generator) < 0.15) & (special_tokens_mask == 0)


def choose_every_seventh(special_tokens_mask, *, mlm_probability=0.15, generator=None):
    positions = torch.arange(special_tokens_mask.shape[1]).expand_as(special_tokens_mask)
    return (positions % round(1 / mlm_probability) == 1) & (special_tokens_mask == 0)


def choose_global_rng(special_tokens_mask, *, mlm_probability=0.15, generator=None):
    return (torch.rand(special_tokens_mask.shape) < mlm_probability) & (special_tokens_mask == 0)


def choose_manual_seed(special_tokens_mask, *, mlm_probability=0.15, generator=None):
    torch.manual_seed(0)
    return (torch.rand(special_tokens_mask.shape) < mlm_probability) & (special_tokens_mask == 0)


def choose_own_generator(special_tokens_mask, *, mlm_probability=0.15, generator=None):
    mine = torch.Generator().manual_seed(1234)
    return (torch.rand(special_tokens_mask.shape, generator=mine) < mlm_probability) & (special_tokens_mask == 0)


def choose_unseeded_generator(special_tokens_mask, *, mlm_probability=0.15, generator=None):
    mine = torch.Generator()  # a fresh generator always starts from the same default seed
    return (torch.rand(special_tokens_mask.shape, generator=mine) < mlm_probability) & (special_tokens_mask == 0)


def choose_reseeds(special_tokens_mask, *, mlm_probability=0.15, generator=None):
    generator.manual_seed(0)
    return (torch.rand(special_tokens_mask.shape, generator=generator) < mlm_probability) & (special_tokens_mask == 0)


def choose_per_sequence(special_tokens_mask, *, mlm_probability=0.15, generator=None):
    coin = torch.rand(special_tokens_mask.shape[0], 1, generator=generator)
    return (coin < mlm_probability) & (special_tokens_mask == 0)


def choose_float(special_tokens_mask, *, mlm_probability=0.15, generator=None):
    coin = torch.rand(special_tokens_mask.shape, generator=generator)
    return (coin < mlm_probability).float() * (special_tokens_mask == 0).float()


def choose_numpy(special_tokens_mask, *, mlm_probability=0.15, generator=None):
    return S.choose_positions(special_tokens_mask, mlm_probability=mlm_probability, generator=generator).numpy()


def choose_returns_list(special_tokens_mask, *, mlm_probability=0.15, generator=None):
    return S.choose_positions(special_tokens_mask, mlm_probability=mlm_probability, generator=generator).tolist()


def choose_crashes(special_tokens_mask, *, mlm_probability=0.15, generator=None):
    return special_tokens_mask.not_a_method()


# ---------------------------------------------------------------- exercise 2: corrupt


def _labels(input_ids, selected):
    return torch.where(selected, input_ids, torch.full_like(input_ids, IGNORE_INDEX))


def corrupt_hf_style(input_ids, selected, *, vocab_size, mask_token_id, generator=None):
    corrupted = input_ids.clone()
    replaced = torch.bernoulli(torch.full(input_ids.shape, 0.8), generator=generator).bool() & selected
    corrupted[replaced] = mask_token_id
    randomised = torch.bernoulli(torch.full(input_ids.shape, 0.5), generator=generator).bool() & selected & ~replaced
    random_words = torch.randint(vocab_size, input_ids.shape, dtype=torch.long, generator=generator)
    corrupted[randomised] = random_words[randomised]
    return corrupted, _labels(input_ids, selected)


def corrupt_where_chain(input_ids, selected, *, vocab_size, mask_token_id, generator=None):
    draw = torch.rand(input_ids.shape, generator=generator)
    random_ids = torch.randint(0, vocab_size, input_ids.shape, generator=generator)
    corrupted = torch.where(selected & (draw < 0.8), mask_token_id,
                            torch.where(selected & (draw < 0.9), random_ids, input_ids))
    return corrupted, _labels(input_ids, selected)


def corrupt_multinomial(input_ids, selected, *, vocab_size, mask_token_id, generator=None):
    outcome = torch.multinomial(torch.tensor([0.8, 0.1, 0.1]), input_ids.numel(), replacement=True,
                                generator=generator).view(input_ids.shape)
    random_ids = torch.randint(vocab_size, input_ids.shape, generator=generator)
    corrupted = input_ids.clone()
    corrupted[selected & (outcome == 0)] = mask_token_id
    corrupted[selected & (outcome == 1)] = random_ids[selected & (outcome == 1)]
    return corrupted, _labels(input_ids, selected)


def corrupt_only_selected_draws(input_ids, selected, *, vocab_size, mask_token_id, generator=None):
    """Draws only as many numbers as there are selected tokens (a different, equally valid, use of the generator)."""
    n = int(selected.sum())
    draw = torch.rand(n, generator=generator)
    values = input_ids[selected].clone()
    values[draw < 0.8] = mask_token_id
    lucky = (draw >= 0.8) & (draw < 0.9)
    values[lucky] = torch.randint(vocab_size, (int(lucky.sum()),), generator=generator)
    corrupted = input_ids.clone()
    corrupted[selected] = values
    return corrupted, _labels(input_ids, selected)


def corrupt_ten_sided_die(input_ids, selected, *, vocab_size, mask_token_id, generator=None):
    die = torch.randint(10, input_ids.shape, generator=generator)  # 0-7 [MASK], 8 random, 9 keep
    corrupted = input_ids.clone()
    corrupted[selected & (die < 8)] = mask_token_id
    lucky = selected & (die == 8)
    corrupted[lucky] = torch.randint(vocab_size, (int(lucky.sum()),), generator=generator)
    return corrupted, _labels(input_ids, selected)


CORRUPT_CORRECT = [S.corrupt, corrupt_hf_style, corrupt_where_chain, corrupt_multinomial, corrupt_only_selected_draws,
                   corrupt_ten_sided_die]


def _corrupt_with(draw, random_ids, input_ids, selected, mask_token_id):
    corrupted = input_ids.clone()
    corrupted[selected & (draw < 0.8)] = mask_token_id
    lucky = selected & (draw >= 0.8) & (draw < 0.9)
    corrupted[lucky] = random_ids.expand_as(input_ids)[lucky]
    return corrupted, _labels(input_ids, selected)


def corrupt_decided_per_sequence(input_ids, selected, *, vocab_size, mask_token_id, generator=None):
    draw = torch.rand(input_ids.shape[0], 1, generator=generator).expand_as(input_ids)
    return _corrupt_with(draw, torch.randint(vocab_size, input_ids.shape, generator=generator), input_ids, selected,
                         mask_token_id)


def corrupt_decided_per_position(input_ids, selected, *, vocab_size, mask_token_id, generator=None):
    draw = torch.rand(1, input_ids.shape[1], generator=generator).expand_as(input_ids)
    return _corrupt_with(draw, torch.randint(vocab_size, input_ids.shape, generator=generator), input_ids, selected,
                         mask_token_id)


def corrupt_one_random_id_per_sequence(input_ids, selected, *, vocab_size, mask_token_id, generator=None):
    draw = torch.rand(input_ids.shape, generator=generator)
    return _corrupt_with(draw, torch.randint(vocab_size, (input_ids.shape[0], 1), generator=generator), input_ids,
                         selected, mask_token_id)


def corrupt_one_random_id_per_position(input_ids, selected, *, vocab_size, mask_token_id, generator=None):
    draw = torch.rand(input_ids.shape, generator=generator)
    return _corrupt_with(draw, torch.randint(vocab_size, (1, input_ids.shape[1]), generator=generator), input_ids,
                         selected, mask_token_id)


def corrupt_global_rng(input_ids, selected, *, vocab_size, mask_token_id, generator=None):
    return _corrupt_with(torch.rand(input_ids.shape), torch.randint(vocab_size, input_ids.shape), input_ids,
                         selected, mask_token_id)


def corrupt_manual_seed(input_ids, selected, *, vocab_size, mask_token_id, generator=None):
    torch.manual_seed(42)
    return corrupt_global_rng(input_ids, selected, vocab_size=vocab_size, mask_token_id=mask_token_id)


def corrupt_own_generator(input_ids, selected, *, vocab_size, mask_token_id, generator=None):
    return S.corrupt(input_ids, selected, vocab_size=vocab_size, mask_token_id=mask_token_id,
                     generator=torch.Generator().manual_seed(7))


def corrupt_reseeds(input_ids, selected, *, vocab_size, mask_token_id, generator=None):
    generator.manual_seed(7)
    return S.corrupt(input_ids, selected, vocab_size=vocab_size, mask_token_id=mask_token_id, generator=generator)


def corrupt_forgets_ignore_index(input_ids, selected, *, vocab_size, mask_token_id, generator=None):
    corrupted, _ = S.corrupt(input_ids, selected, vocab_size=vocab_size, mask_token_id=mask_token_id, generator=generator)
    return corrupted, input_ids.clone()


def corrupt_labels_the_corrupted_token(input_ids, selected, *, vocab_size, mask_token_id, generator=None):
    corrupted, _ = S.corrupt(input_ids, selected, vocab_size=vocab_size, mask_token_id=mask_token_id, generator=generator)
    return corrupted, torch.where(selected, corrupted, torch.full_like(corrupted, IGNORE_INDEX))


def corrupt_70_20_10(input_ids, selected, *, vocab_size, mask_token_id, generator=None):
    draw = torch.rand(input_ids.shape, generator=generator)
    random_ids = torch.randint(vocab_size, input_ids.shape, generator=generator)
    corrupted = input_ids.clone()
    corrupted[selected & (draw < 0.7)] = mask_token_id
    to_random = selected & (draw >= 0.7) & (draw < 0.9)
    corrupted[to_random] = random_ids[to_random]
    return corrupted, _labels(input_ids, selected)


def corrupt_always_mask(input_ids, selected, *, vocab_size, mask_token_id, generator=None):
    corrupted = torch.where(selected, torch.full_like(input_ids, mask_token_id), input_ids)
    return corrupted, _labels(input_ids, selected)


def corrupt_in_place(input_ids, selected, *, vocab_size, mask_token_id, generator=None):
    labels = _labels(input_ids, selected)
    corrupted, _ = S.corrupt(input_ids, selected, vocab_size=vocab_size, mask_token_id=mask_token_id, generator=generator)
    input_ids.copy_(corrupted)
    return input_ids, labels


def corrupt_random_is_unk(input_ids, selected, *, vocab_size, mask_token_id, generator=None):
    corrupted, labels = S.corrupt(input_ids, selected, vocab_size=vocab_size, mask_token_id=mask_token_id,
                                  generator=generator)
    corrupted[selected & (corrupted != mask_token_id) & (corrupted != input_ids)] = UNK_ID
    return corrupted, labels


def corrupt_everywhere(input_ids, selected, *, vocab_size, mask_token_id, generator=None):
    corrupted, _ = S.corrupt(input_ids, torch.ones_like(selected), vocab_size=vocab_size, mask_token_id=mask_token_id,
                             generator=generator)
    return corrupted, _labels(input_ids, selected)


def corrupt_float_labels(input_ids, selected, *, vocab_size, mask_token_id, generator=None):
    corrupted, labels = S.corrupt(input_ids, selected, vocab_size=vocab_size, mask_token_id=mask_token_id,
                                  generator=generator)
    return corrupted, labels.float()


def corrupt_ands_a_float(input_ids, selected, *, vocab_size, mask_token_id, generator=None):
    draw = torch.rand(input_ids.shape, generator=generator)
    to_mask = selected & draw  # torch: "bitwise_and_cpu" not implemented for 'Float' (a NotImplementedError)
    return torch.where(to_mask, mask_token_id, input_ids), _labels(input_ids, selected)


def corrupt_numpy(input_ids, selected, *, vocab_size, mask_token_id, generator=None):
    corrupted, labels = S.corrupt(input_ids, selected, vocab_size=vocab_size, mask_token_id=mask_token_id,
                                  generator=generator)
    return corrupted.numpy(), labels.numpy()


# ---------------------------------------------------------------- exercise 3: mlm_loss


def loss_ignore_index(logits, labels):
    return F.cross_entropy(logits.flatten(0, 1), labels.flatten(), ignore_index=IGNORE_INDEX)


def loss_by_hand(logits, labels):
    selected = labels != IGNORE_INDEX
    log_probs = logits[selected].log_softmax(-1)
    return -log_probs.gather(1, labels[selected][:, None]).mean()


def loss_masked_sum(logits, labels):
    selected = labels != IGNORE_INDEX
    per_position = F.cross_entropy(logits.transpose(1, 2), labels.clamp(min=0), reduction="none")
    return (per_position * selected).sum() / selected.sum()


def loss_module(logits, labels):
    return torch.nn.CrossEntropyLoss()(logits.view(-1, logits.shape[-1]), labels.view(-1))


LOSS_CORRECT = [S.mlm_loss, loss_ignore_index, loss_by_hand, loss_masked_sum, loss_module]


def loss_over_all_positions(logits, labels):
    return F.cross_entropy(logits.flatten(0, 1), labels.clamp(min=0).flatten())


def loss_summed(logits, labels):
    selected = labels != IGNORE_INDEX
    return F.cross_entropy(logits[selected], labels[selected], reduction="sum")


def loss_mean_of_sequence_means(logits, labels):
    per_row = []
    for row_logits, row_labels in zip(logits, labels):
        keep = row_labels != IGNORE_INDEX
        per_row.append(F.cross_entropy(row_logits[keep], row_labels[keep]))
    return torch.stack(per_row).mean()


def loss_as_python_number(logits, labels):
    return S.mlm_loss(logits, labels).item()


def loss_as_numpy_number(logits, labels):
    return S.mlm_loss(logits, labels).detach().numpy()[()]


def loss_detached(logits, labels):
    return S.mlm_loss(logits.detach(), labels)


def loss_without_log_softmax(logits, labels):
    selected = labels != IGNORE_INDEX
    return F.nll_loss(logits[selected], labels[selected])


# ---------------------------------------------------------------- exercise 4: nsp_example


def nsp_with_tensors(tokens_a, tokens_b, is_next):
    return {k: torch.tensor(v) for k, v in S.nsp_example(tokens_a, tokens_b, is_next).items()}


def nsp_step_by_step(tokens_a, tokens_b, is_next):
    input_ids, token_type_ids = [CLS_ID], [0]
    for token in tokens_a:
        input_ids.append(token)
        token_type_ids.append(0)
    input_ids.append(SEP_ID)
    token_type_ids.append(0)
    for token in [*tokens_b, SEP_ID]:
        input_ids.append(token)
        token_type_ids.append(1)
    return {"input_ids": input_ids, "token_type_ids": token_type_ids,
            "next_sentence_label": IS_NEXT if is_next else IS_RANDOM}


def nsp_tuple_lists(tokens_a, tokens_b, is_next):
    first = (CLS_ID, *tokens_a, SEP_ID)
    second = (*tokens_b, SEP_ID)
    return {"input_ids": list(first + second), "token_type_ids": [0] * len(first) + [1] * len(second),
            "next_sentence_label": torch.tensor(IS_NEXT if is_next else IS_RANDOM)}


NSP_CORRECT = [S.nsp_example, nsp_with_tensors, nsp_step_by_step, nsp_tuple_lists]


def nsp_label_flipped(tokens_a, tokens_b, is_next):
    return {**S.nsp_example(tokens_a, tokens_b, is_next), "next_sentence_label": IS_RANDOM if is_next else IS_NEXT}


def nsp_segments_off_by_one(tokens_a, tokens_b, is_next):
    out = S.nsp_example(tokens_a, tokens_b, is_next)
    return {**out, "token_type_ids": [0] * (1 + len(tokens_a)) + [1] * (len(tokens_b) + 2)}


def nsp_no_final_sep(tokens_a, tokens_b, is_next):
    return {"input_ids": [CLS_ID] + tokens_a + [SEP_ID] + tokens_b,
            "token_type_ids": [0] * (len(tokens_a) + 2) + [1] * len(tokens_b),
            "next_sentence_label": IS_NEXT if is_next else IS_RANDOM}


def nsp_changes_its_input(tokens_a, tokens_b, is_next):
    tokens_a.insert(0, CLS_ID)
    tokens_a.append(SEP_ID)
    tokens_b.append(SEP_ID)
    return {"input_ids": tokens_a + tokens_b, "token_type_ids": [0] * len(tokens_a) + [1] * len(tokens_b),
            "next_sentence_label": IS_NEXT if is_next else IS_RANDOM}


def nsp_bool_label(tokens_a, tokens_b, is_next):
    return {**S.nsp_example(tokens_a, tokens_b, is_next), "next_sentence_label": not is_next}


def nsp_b_before_a(tokens_a, tokens_b, is_next):
    return S.nsp_example(tokens_b, tokens_a, is_next) | {
        "token_type_ids": S.nsp_example(tokens_a, tokens_b, is_next)["token_type_ids"]}


def nsp_returns_tuple(tokens_a, tokens_b, is_next):
    out = S.nsp_example(tokens_a, tokens_b, is_next)
    return out["input_ids"], out["token_type_ids"], out["next_sentence_label"]


def nsp_numpy_integers(tokens_a, tokens_b, is_next):
    out = S.nsp_example(tokens_a, tokens_b, is_next)
    return {"input_ids": list(np.array(out["input_ids"])), "token_type_ids": list(np.array(out["token_type_ids"])),
            "next_sentence_label": np.int64(out["next_sentence_label"])}


def nsp_numpy_arrays(tokens_a, tokens_b, is_next):
    return {k: np.array(v) for k, v in S.nsp_example(tokens_a, tokens_b, is_next).items()}


# ---------------------------------------------------------------- exercise 5: heads


def sequence_head_linear(last_hidden_state, classifier, labels):
    logits = F.linear(last_hidden_state[:, 0, :], classifier.weight, classifier.bias)
    return logits, F.cross_entropy(logits, labels)


def sequence_head_matmul(last_hidden_state, classifier, labels):
    logits = last_hidden_state.select(1, 0) @ classifier.weight.T + classifier.bias
    return logits, torch.nn.CrossEntropyLoss()(logits, labels)


def token_head_masked(last_hidden_state, classifier, labels):
    logits = classifier(last_hidden_state)
    keep = labels != IGNORE_INDEX
    return logits, F.cross_entropy(logits[keep], labels[keep])


def token_head_einsum(last_hidden_state, classifier, labels):
    logits = torch.einsum("bsh,lh->bsl", last_hidden_state, classifier.weight) + classifier.bias
    return logits, F.cross_entropy(logits.view(-1, logits.shape[-1]), labels.view(-1))


def token_head_transposed(last_hidden_state, classifier, labels):
    logits = classifier(last_hidden_state)
    return logits, F.cross_entropy(logits.transpose(1, 2), labels)  # (batch, C, seq) is cross_entropy's K-dim form


def sequence_head_score_all_then_pick(last_hidden_state, classifier, labels):
    logits = classifier(last_hidden_state)[:, 0]  # every position scored, the [CLS] row kept
    return logits, F.cross_entropy(logits, labels)


HEADS_CORRECT = [(S.sequence_head, S.token_head), (sequence_head_linear, token_head_masked),
                 (sequence_head_matmul, token_head_einsum), (sequence_head_score_all_then_pick, token_head_transposed)]


def head_reads_last_position(last_hidden_state, classifier, labels):
    logits = classifier(last_hidden_state[:, -1])
    return logits, F.cross_entropy(logits, labels)


def head_mean_pools(last_hidden_state, classifier, labels):
    logits = classifier(last_hidden_state.mean(1))
    return logits, F.cross_entropy(logits, labels)


def head_per_position(last_hidden_state, classifier, labels):
    logits = classifier(last_hidden_state)
    return logits, F.cross_entropy(logits[:, 0], labels)


def head_loss_on_probabilities(last_hidden_state, classifier, labels):
    logits = classifier(last_hidden_state[:, 0])
    return logits, F.cross_entropy(logits.softmax(-1), labels)


def head_without_bias(last_hidden_state, classifier, labels):
    logits = last_hidden_state[:, 0] @ classifier.weight.T
    return logits, F.cross_entropy(logits, labels)


def head_returns_probabilities(last_hidden_state, classifier, labels):
    scores = classifier(last_hidden_state[:, 0])
    return scores.softmax(-1), F.cross_entropy(scores, labels)


def head_returns_log_probabilities(last_hidden_state, classifier, labels):
    log_probs = classifier(last_hidden_state[:, 0]).log_softmax(-1)
    return log_probs, F.nll_loss(log_probs, labels)


def head_with_dropout(last_hidden_state, classifier, labels):
    logits = classifier(F.dropout(last_hidden_state[:, 0], p=0.1))  # F.dropout is on unless training=False
    return logits, F.cross_entropy(logits, labels)


def head_with_new_layer(last_hidden_state, classifier, labels):
    layer = torch.nn.Linear(last_hidden_state.shape[-1], classifier.out_features)
    logits = layer(last_hidden_state[:, 0])
    return logits, F.cross_entropy(logits, labels)


def head_under_no_grad(last_hidden_state, classifier, labels):
    with torch.no_grad():
        logits = classifier(last_hidden_state[:, 0])
        return logits, F.cross_entropy(logits, labels)


def head_detached_encoder(last_hidden_state, classifier, labels):
    logits = classifier(last_hidden_state[:, 0].detach())
    return logits, F.cross_entropy(logits, labels)


def head_rewrapped_number(last_hidden_state, classifier, labels):
    logits = classifier(last_hidden_state[:, 0])
    return logits, torch.tensor(F.cross_entropy(logits, labels).item(), requires_grad=True)


def token_loss_over_all_positions(last_hidden_state, classifier, labels):
    logits = classifier(last_hidden_state)
    return logits, F.cross_entropy(logits.flatten(0, 1), labels.clamp(min=0).flatten())


def token_head_from_cls(last_hidden_state, classifier, labels):
    logits = classifier(last_hidden_state[:, :1]).expand(-1, last_hidden_state.shape[1], -1)
    return logits, F.cross_entropy(logits.flatten(0, 1), labels.flatten())


def token_loss_summed(last_hidden_state, classifier, labels):
    logits = classifier(last_hidden_state)
    return logits, F.cross_entropy(logits.flatten(0, 1), labels.flatten(), reduction="sum")


def token_head_unflattened(last_hidden_state, classifier, labels):
    logits = classifier(last_hidden_state)
    return logits, F.cross_entropy(logits, labels)  # (batch, seq, C) read as (batch, C=seq, ...): an error


def token_head_without_bias(last_hidden_state, classifier, labels):
    logits = last_hidden_state @ classifier.weight.T
    return logits, F.cross_entropy(logits.flatten(0, 1), labels.flatten())


def token_head_probabilities(last_hidden_state, classifier, labels):
    scores = classifier(last_hidden_state)
    return scores.softmax(-1), F.cross_entropy(scores.flatten(0, 1), labels.flatten())


def token_head_with_dropout(last_hidden_state, classifier, labels):
    logits = classifier(torch.nn.Dropout(0.1)(last_hidden_state))  # a new module is in training mode
    return logits, F.cross_entropy(logits.flatten(0, 1), labels.flatten())


def token_head_under_no_grad(last_hidden_state, classifier, labels):
    with torch.no_grad():
        return S.token_head(last_hidden_state, classifier, labels)


def token_head_detached_encoder(last_hidden_state, classifier, labels):
    return S.token_head(last_hidden_state.detach(), classifier, labels)


# ---------------------------------------------------------------- stretch A: choose_fixed_count


def _count(attention_mask, p, cap):
    return (attention_mask.sum(1) * p).round().long().clamp(1, cap)


def fixed_count_loop(special_tokens_mask, attention_mask, *, mlm_probability=0.15, max_predictions=20, generator=None):
    selected = torch.zeros(special_tokens_mask.shape, dtype=torch.bool)
    for row in range(special_tokens_mask.shape[0]):
        n = int(attention_mask[row].sum())
        count = min(max_predictions, max(1, round(n * mlm_probability)))
        candidates = (special_tokens_mask[row] == 0).nonzero().flatten()
        order = torch.randperm(len(candidates), generator=generator)
        selected[row, candidates[order[:count]]] = True
    return selected


def fixed_count_topk(special_tokens_mask, attention_mask, *, mlm_probability=0.15, max_predictions=20, generator=None):
    scores = torch.rand(special_tokens_mask.shape, generator=generator).masked_fill(special_tokens_mask.bool(),
                                                                                     float("-inf"))
    count = _count(attention_mask, mlm_probability, max_predictions)
    top = scores.topk(int(count.max()), dim=1).indices
    keep = torch.arange(top.shape[1])[None, :] < count[:, None]
    return torch.zeros_like(special_tokens_mask, dtype=torch.bool).scatter(1, top, keep)


FIXED_COUNT_CORRECT = [S.choose_fixed_count, fixed_count_loop, fixed_count_topk]


def _with_count(count_of):
    """A fixed-count selection with a (wrong) count rule ``count_of(special, attention, p, cap)``."""
    def choose(special_tokens_mask, attention_mask, *, mlm_probability=0.15, max_predictions=20, generator=None):
        count = count_of(special_tokens_mask, attention_mask, mlm_probability, max_predictions)
        scores = torch.rand(special_tokens_mask.shape, generator=generator).masked_fill(
            special_tokens_mask.bool(), -1.0)
        rank = scores.argsort(dim=1, descending=True).argsort(dim=1)
        return rank < count[:, None]
    return choose


fixed_count_from_ordinary_tokens = _with_count(
    lambda s, a, p, cap: ((s == 0).sum(1) * p).round().long().clamp(1, cap))
fixed_count_with_padding = _with_count(lambda s, a, p, cap: torch.full((s.shape[0],), round(s.shape[1] * p)).clamp(1, cap))
fixed_count_truncated = _with_count(lambda s, a, p, cap: (a.sum(1) * p).long().clamp(1, cap))
fixed_count_without_cap = _with_count(lambda s, a, p, cap: (a.sum(1) * p).round().long().clamp(min=1))
fixed_count_without_minimum = _with_count(lambda s, a, p, cap: (a.sum(1) * p).round().long().clamp(max=cap))


def fixed_count_first_candidates(special_tokens_mask, attention_mask, *, mlm_probability=0.15, max_predictions=20,
                                 generator=None):
    count = _count(attention_mask, mlm_probability, max_predictions)
    rank = (special_tokens_mask == 0).long().cumsum(1)
    return (special_tokens_mask == 0) & (rank <= count[:, None])


def fixed_count_one_order_for_the_batch(special_tokens_mask, attention_mask, *, mlm_probability=0.15,
                                        max_predictions=20, generator=None):
    scores = torch.rand(special_tokens_mask.shape[1], generator=generator).expand_as(special_tokens_mask)
    scores = scores.masked_fill(special_tokens_mask.bool(), -1.0)
    rank = scores.argsort(dim=1, descending=True).argsort(dim=1)
    return rank < _count(attention_mask, mlm_probability, max_predictions)[:, None]


def fixed_count_global_rng(special_tokens_mask, attention_mask, *, mlm_probability=0.15, max_predictions=20,
                           generator=None):
    return S.choose_fixed_count(special_tokens_mask, attention_mask, mlm_probability=mlm_probability,
                                max_predictions=max_predictions, generator=None)


# ---------------------------------------------------------------- stretch B: pretraining_loss


def pretraining_loss_ignore_index(prediction_logits, seq_relationship_logits, labels, next_sentence_label):
    vocab = prediction_logits.shape[-1]
    return (F.cross_entropy(prediction_logits.reshape(-1, vocab), labels.reshape(-1), ignore_index=IGNORE_INDEX)
            + F.cross_entropy(seq_relationship_logits, next_sentence_label))


def pretraining_loss_reuses_mlm_loss(prediction_logits, seq_relationship_logits, labels, next_sentence_label):
    nsp = torch.nn.CrossEntropyLoss()(seq_relationship_logits.view(-1, 2), next_sentence_label.view(-1))
    return S.mlm_loss(prediction_logits, labels) + nsp


PRETRAINING_LOSS_CORRECT = [S.pretraining_loss, pretraining_loss_ignore_index, pretraining_loss_reuses_mlm_loss]


def _nsp(seq_relationship_logits, next_sentence_label):
    return F.cross_entropy(seq_relationship_logits, next_sentence_label)


def pretraining_loss_mlm_only(prediction_logits, seq_relationship_logits, labels, next_sentence_label):
    return S.mlm_loss(prediction_logits, labels)


def pretraining_loss_averaged(prediction_logits, seq_relationship_logits, labels, next_sentence_label):
    return (S.mlm_loss(prediction_logits, labels) + _nsp(seq_relationship_logits, next_sentence_label)) / 2


def pretraining_loss_all_positions(prediction_logits, seq_relationship_logits, labels, next_sentence_label):
    return (loss_over_all_positions(prediction_logits, labels)
            + _nsp(seq_relationship_logits, next_sentence_label))


def pretraining_loss_labels_flipped(prediction_logits, seq_relationship_logits, labels, next_sentence_label):
    return S.mlm_loss(prediction_logits, labels) + _nsp(seq_relationship_logits, 1 - next_sentence_label)


def pretraining_loss_nsp_detached(prediction_logits, seq_relationship_logits, labels, next_sentence_label):
    return S.mlm_loss(prediction_logits, labels) + _nsp(seq_relationship_logits.detach(), next_sentence_label)


def pretraining_loss_as_number(prediction_logits, seq_relationship_logits, labels, next_sentence_label):
    return S.pretraining_loss(prediction_logits, seq_relationship_logits, labels, next_sentence_label).item()


# ---------------------------------------------------------------- stretch C: align_labels


def align_with_enumerate(word_labels, word_ids):
    labels = []
    for i, word in enumerate(word_ids):
        if word is None or (i > 0 and word_ids[i - 1] == word):
            labels.append(IGNORE_INDEX)
        else:
            labels.append(word_labels[word])
    return labels


def align_with_seen_words(word_labels, word_ids):
    seen, labels = set(), []
    for word in word_ids:
        labels.append(IGNORE_INDEX if word is None or word in seen else word_labels[word])
        if word is not None:
            seen.add(word)
    return labels


def align_as_tensor(word_labels, word_ids):
    previous = [None] + list(word_ids[:-1])
    return torch.tensor([IGNORE_INDEX if w is None or w == p else word_labels[w] for w, p in zip(word_ids, previous)])


ALIGN_CORRECT = [S.align_labels, align_with_enumerate, align_with_seen_words, align_as_tensor]


def align_every_piece(word_labels, word_ids):
    return [IGNORE_INDEX if w is None else word_labels[w] for w in word_ids]


def align_last_piece(word_labels, word_ids):
    following = list(word_ids[1:]) + [None]
    return [IGNORE_INDEX if w is None or w == n else word_labels[w] for w, n in zip(word_ids, following)]


def align_specials_zero(word_labels, word_ids):
    return [0 if label == IGNORE_INDEX else label for label in S.align_labels(word_labels, word_ids)]


def align_one_per_word(word_labels, word_ids):
    return list(word_labels)


def align_by_position(word_labels, word_ids):
    return [word_labels[i - 1] if w is not None and i - 1 < len(word_labels) else IGNORE_INDEX
            for i, w in enumerate(word_ids)]


def align_changes_input(word_labels, word_ids):
    labels = S.align_labels(word_labels, word_ids)
    word_ids.clear()
    return labels


def align_numpy_integers(word_labels, word_ids):
    return list(np.array(S.align_labels(word_labels, word_ids)))
