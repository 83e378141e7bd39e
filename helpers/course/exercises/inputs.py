"""The checks' test inputs (small, fixed, seeded) and the shape and type tests they share.

Every input comes from its own seeded ``torch.Generator``, so a check sees the same batch every
time. The messages here name what the learner's function returned, in the learner's terms:
"your selection has dtype torch.float32" rather than an error from deep inside torch.
"""
from __future__ import annotations

import torch

from helpers.constants import CLS_ID, PAD_ID, SEP_ID

VOCAB_SIZE = 1000        # the vocabulary of the check inputs; ids 0..4 are the special tokens
FIRST_ORDINARY_ID = 5


def generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def pair_batch(rows: int, seq_len: int, seed: int, *, same_layout: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """A padded batch of ``[CLS] A [SEP] B [SEP] [PAD]...`` rows of random ordinary ids.

    Returns ``(input_ids, special_tokens_mask)``, LongTensors of shape (rows, seq_len);
    ``special_tokens_mask`` is 1 on [CLS], [SEP] and [PAD]. With ``same_layout`` every row has the
    same lengths (only the ids differ).
    """
    g = generator(seed)
    ids = torch.randint(FIRST_ORDINARY_ID, VOCAB_SIZE, (rows, seq_len), generator=g)
    special = torch.zeros(rows, seq_len, dtype=torch.long)

    def draw_layout() -> tuple[int, int]:  # (real length, length of A)
        length = int(torch.randint(seq_len // 2, seq_len + 1, (1,), generator=g))
        return length, int(torch.randint(1, length - 3, (1,), generator=g))

    shared = draw_layout()
    for r in range(rows):
        length, len_a = shared if same_layout or r == 0 else draw_layout()
        ids[r, 0] = CLS_ID
        ids[r, 1 + len_a] = SEP_ID
        ids[r, length - 1] = SEP_ID
        ids[r, length:] = PAD_ID
        special[r, [0, 1 + len_a, length - 1]] = 1
        special[r, length:] = 1
    return ids, special


def from_numpy(value) -> bool:
    """True for a numpy array or a numpy scalar (numpy is not imported to find out)."""
    return type(value).__module__ == "numpy"


def numpy_problem(value, what: str) -> str | None:
    """The message for numpy values where torch tensors or Python numbers are expected."""
    if from_numpy(value) and type(value).__name__ == "ndarray":
        return (f"your function returned numpy values ({what} is a numpy.ndarray): return a torch tensor "
                f"(torch.from_numpy turns an array into one)")
    if from_numpy(value):
        kind = "integers" if "int" in type(value).__name__ else "numbers"
        return (f"your function returned numpy {kind} ({what} is a numpy.{type(value).__name__}): use a torch "
                f"tensor or a plain Python number (int(x), float(x))")
    if isinstance(value, (list, tuple)) and any(from_numpy(v) for v in value):
        kind = next(type(v).__name__ for v in value if from_numpy(v))
        return (f"your function returned numpy integers (numpy.{kind}) in {what}: use plain Python ints "
                f"(int(x), or .tolist() on an array)")
    return None


def tensor_problem(value, what: str, shape: tuple, *, kind: str) -> str | None:
    """None if ``value`` is a tensor of ``shape`` of the right kind ("bool" or "long"), else the problem."""
    problem = numpy_problem(value, what)
    if problem:
        return problem
    if not isinstance(value, torch.Tensor):
        return f"{what} is a {type(value).__name__}, not a torch.Tensor"
    if tuple(value.shape) != tuple(shape):
        return f"{what} has shape {tuple(value.shape)}, not {tuple(shape)}"
    if kind == "bool":
        if value.is_floating_point() or value.is_complex():
            return (f"{what} has dtype {value.dtype}: a selection must be a bool tensor (True/False), which a "
                    f"comparison such as rand < p gives; floats cannot select positions")
        if value.dtype != torch.bool and not bool(((value == 0) | (value == 1)).all()):
            return f"{what} holds integers other than 0 and 1: a selection is True/False at each position"
    elif value.dtype != torch.long:
        return f"{what} has dtype {value.dtype}, not torch.long (token ids and labels are 64-bit integers)"
    return None


def int_list(value, what: str) -> tuple[list[int] | None, str | None]:
    """``value`` as a list of Python ints (a list, tuple or 1-D LongTensor is fine), or the problem."""
    problem = numpy_problem(value, what)
    if problem:
        return None, problem
    if isinstance(value, torch.Tensor):
        if value.dim() != 1 or value.is_floating_point() or value.dtype == torch.bool:
            return None, (f"{what} is a tensor of shape {tuple(value.shape)} and dtype {value.dtype}, not a 1-D "
                          f"LongTensor")
        value = value.tolist()
    if not isinstance(value, (list, tuple)):
        return None, f"{what} is a {type(value).__name__}, not a list of ints"
    odd = [v for v in value if not isinstance(v, int) or isinstance(v, bool)]
    if odd:
        return None, f"{what} holds {odd[0]!r} ({type(odd[0]).__name__}), not only ints"
    return list(value), None


def loss_problem(loss) -> str | None:
    """None if ``loss`` is a 0-dim float tensor, else the problem."""
    if from_numpy(loss):
        return (f"it returned a numpy.{type(loss).__name__} (your function returned numpy values): a loss is a "
                f"0-dim torch tensor, which gradients can flow through")
    if not isinstance(loss, torch.Tensor):
        return f"it returned a {type(loss).__name__}, not a torch.Tensor"
    if loss.dim() != 0:
        return f"it returned a tensor of shape {tuple(loss.shape)}; a loss is one number, a 0-dim tensor"
    if not loss.is_floating_point():
        return f"it returned a tensor of dtype {loss.dtype}; a loss is a float"
    return None


def percent(part: float, whole: float) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "n/a"


def close(x: torch.Tensor, y: torch.Tensor, *, tol: float = 1e-5) -> bool:
    return x.shape == y.shape and torch.allclose(x, y, atol=tol, rtol=tol)


def same_number(x: float, y: float) -> bool:
    return abs(x - y) <= 1e-4 * max(1.0, abs(y))
