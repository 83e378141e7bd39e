"""Conventions every layer shares: special tokens and their ids, the ignored label, NSP and SOP labels.

They follow Hugging Face ``transformers`` and Google's original BERT code, so a state dict, a
vocabulary file or a batch moves between the two unchanged.
"""

# The special tokens come first in every vocabulary, in this order: their ids are fixed.
SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
PAD_ID, UNK_ID, CLS_ID, SEP_ID, MASK_ID = range(len(SPECIAL_TOKENS))
SPECIAL_TOKEN_IDS = tuple(range(len(SPECIAL_TOKENS)))

# A label equal to this is skipped by the loss (PyTorch's cross_entropy default, and Hugging Face's).
IGNORE_INDEX = -100

# Next sentence prediction: ``next_sentence_label`` of a pair [CLS] A [SEP] B [SEP].
IS_NEXT = 0    # B is the segment that follows A in the corpus
IS_RANDOM = 1  # B was drawn from another document

# Sentence-order prediction (ALBERT): both segments are consecutive text of one document.
IN_ORDER = 0   # A then B, as written
SWAPPED = 1    # B then A: the same two segments in the wrong order
