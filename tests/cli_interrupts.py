"""Ctrl-C in the middle of ``python -m helpers.pretrain``, for the command-line tests.

``interrupt_after(steps, monkeypatch)`` makes the command's training raise KeyboardInterrupt (as
Ctrl-C does) while it draws the batch of step ``steps + 1``: the steps before it are trained for real.
"""
from helpers.training import cli, pretraining


def interrupt_after(steps: int, monkeypatch) -> None:
    real = cli.pretrain

    def pretrain_then_ctrl_c(*args, **kwargs):
        calls = []

        def mask_fn(input_ids, special_tokens_mask, *, vocab_size, mask_token_id, generator):
            calls.append(1)
            if len(calls) > steps:
                raise KeyboardInterrupt
            masked = pretraining.mask_tokens(input_ids, special_tokens_mask, vocab_size=vocab_size,
                                             mask_token_id=mask_token_id, generator=generator)
            return masked.input_ids, masked.labels
        return real(*args, mask_fn=mask_fn, **kwargs)
    monkeypatch.setattr(cli, "pretrain", pretrain_then_ctrl_c)
