"""The synthetic batch the masking tests share: a vocabulary of 50 with [MASK] = 4, and pairs laid out
like BERT's inputs (``make_batch``)."""
import torch

VOCAB = 50
MASK_ID = 4


def make_batch(batch: int = 1000, seq: int = 128, seed: int = 0):
    """[CLS] A [SEP] B [SEP] [PAD]... with varying lengths; ids of real words are >= 5."""
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(5, VOCAB, (batch, seq), generator=g)
    lengths = torch.randint(seq // 4, seq + 1, (batch,), generator=g)
    rows = torch.arange(batch)
    real = torch.arange(seq)[None, :] < lengths[:, None]
    ids[:, 0] = 2
    ids[rows, lengths // 2] = 3
    ids[rows, lengths - 1] = 3
    ids[~real] = 0
    special = (ids == 0) | (ids == 2) | (ids == 3)
    return ids, special
