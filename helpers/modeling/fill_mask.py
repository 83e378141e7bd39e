"""Fill the blanks: what a pre-trained MLM head predicts for each [MASK] in a sentence."""
from __future__ import annotations

import torch

from helpers.errors import check_positive_int, check_text, show
from helpers.modeling.bert import BertForPreTraining
from helpers.modeling.checkpoints import tokenizer_vocab_list

MASK_TEXT = "[MASK]"


@torch.no_grad()
def fill_mask(model, tokenizer, text: str, top_k: int = 5) -> list[list[tuple[str, float]]]:
    """The ``top_k`` most likely tokens, with probabilities, for each ``[MASK]`` in ``text``.

    >>> fill_mask(model, tokenizer, "the small dog [MASK] at the mailman .")   # doctest: +SKIP
    [[('barks', 0.71), ('growls', 0.12), ...]]

    Returns one list per [MASK], left to right. The input is a single segment:
    ``[CLS] text [SEP]``.
    """
    if not isinstance(model, BertForPreTraining):
        raise ValueError(f"model={show(model)} is not allowed: it must be a model with an MLM head, a "
                         "BertForPreTraining (load_checkpoint(...).model).")
    if not (hasattr(tokenizer, "tokenize") and hasattr(tokenizer, "mask_token_id")):
        raise ValueError(f"tokenizer={show(tokenizer)} is not allowed: pass the tokenizer the model was trained "
                         "with (load_checkpoint(...).tokenizer).")
    check_text("text", text)
    check_positive_int("top_k", top_k)
    if MASK_TEXT not in text:
        raise ValueError(f"text={text!r} is not allowed: it must contain at least one {MASK_TEXT} to fill.")
    pieces = text.split(MASK_TEXT)
    ids = [tokenizer.cls_token_id]
    for i, piece in enumerate(pieces):
        if piece.strip():
            ids += tokenizer.convert_tokens_to_ids(tokenizer.tokenize(piece))
        if i < len(pieces) - 1:
            ids.append(tokenizer.mask_token_id)
    ids.append(tokenizer.sep_token_id)
    limit = model.config.max_position_embeddings
    if len(ids) > limit:
        raise ValueError(f"text={text[:60]!r}... is too long: {len(ids)} tokens, the model takes at most {limit}.")
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    input_ids = torch.tensor([ids], device=device)
    out = model(input_ids, token_type_ids=torch.zeros_like(input_ids), attention_mask=torch.ones_like(input_ids))
    model.train(was_training)
    probs = out.prediction_logits[0].float().softmax(-1).cpu()
    vocab = tokenizer_vocab_list(tokenizer)
    k = min(top_k, probs.shape[-1])
    results = []
    for position in (i for i, t in enumerate(ids) if t == tokenizer.mask_token_id):
        p, idx = probs[position].topk(k)
        results.append([(vocab[j], round(float(q), 4)) for q, j in zip(p.tolist(), idx.tolist())])
    return results
