"""The payoff: the learner's masking as a mask_fn, used only once it passes, and the stored curves it is
set beside (measured with the payoff's own settings)."""
import dataclasses
import sys
import time
from pathlib import Path

import pytest
import torch

from helpers.constants import IGNORE_INDEX, MASK_ID
from helpers.course import solutions as S
from helpers.course.exercises import payoff
from helpers.course.exercises.inputs import VOCAB_SIZE, pair_batch
from helpers.text.corpus import make_storybook
from helpers.training.pretraining import build_tokenizer, cut_pairs

sys.path.insert(0, str(Path(__file__).resolve().parent))
import exercise_implementations as I  # noqa: E402

TINY = dict(hidden_size=32, num_hidden_layers=1, intermediate_size=64, vocab_size=600, num_documents=300, steps=30,
            batch_size=16, max_length=48, learning_rate=2e-3, warmup_steps=5, eval_every=10, eval_size=64)


def test_as_mask_fn_gives_valid_ids_and_labels():
    ids, special = pair_batch(64, 40, seed=5)
    mask_fn = payoff.as_mask_fn(S.choose_positions, S.corrupt)
    corrupted, labels = mask_fn(ids, special, vocab_size=VOCAB_SIZE, mask_token_id=MASK_ID,
                                generator=torch.Generator().manual_seed(0))
    assert corrupted.dtype == labels.dtype == torch.long and corrupted.shape == labels.shape == ids.shape
    selected = labels != IGNORE_INDEX
    assert not bool((selected & (special == 1)).any())
    assert torch.equal(labels[selected], ids[selected]) and torch.equal(corrupted[~selected], ids[~selected])
    assert 0.12 < int(selected.sum()) / int((special == 0).sum()) < 0.18
    again, _ = mask_fn(ids, special, vocab_size=VOCAB_SIZE, mask_token_id=MASK_ID,
                       generator=torch.Generator().manual_seed(0))
    assert torch.equal(again, corrupted)  # the generator it is given decides everything


def test_as_mask_fn_accepts_a_0_1_integer_selection():
    ids, special = pair_batch(8, 20, seed=6)
    corrupted, labels = payoff.as_mask_fn(I.choose_uniform_long, S.corrupt)(
        ids, special, vocab_size=VOCAB_SIZE, mask_token_id=MASK_ID, generator=torch.Generator().manual_seed(0))
    assert torch.equal(corrupted[labels == IGNORE_INDEX], ids[labels == IGNORE_INDEX])


def test_as_mask_fn_matches_the_course_batch_format():
    """It runs on what pre-training feeds it: collated pairs from the real tokenizer."""
    documents = make_storybook(40, seed=0)
    tokenizer = build_tokenizer(documents, 400)
    batch = cut_pairs(documents, tokenizer, max_length=32, seed=0)
    corrupted, labels = payoff.as_mask_fn(S.choose_positions, S.corrupt)(
        batch["input_ids"], batch["special_tokens_mask"], vocab_size=tokenizer.vocab_size,
        mask_token_id=tokenizer.mask_token_id, generator=torch.Generator().manual_seed(1))
    selected = labels != IGNORE_INDEX
    assert bool(selected.any()) and not bool((selected & (batch["special_tokens_mask"] == 1)).any())
    assert int(corrupted.max()) < tokenizer.vocab_size


@pytest.mark.parametrize("choose, corrupt, message", [
    (I.choose_returns_list, S.corrupt, "the selection from choose_positions is a list"),
    (I.choose_float, S.corrupt, "has dtype torch.float32"),
    (S.choose_positions, lambda ids, sel, **kw: ids, "it must return (corrupted_input_ids, labels)"),
    (S.choose_positions, I.corrupt_float_labels, "labels has dtype torch.float32"),
    (S.choose_positions, lambda ids, sel, **kw: (ids + 5000, ids), "outside [0, 1000)"),
    (S.choose_positions, lambda ids, sel, **kw: (ids, torch.where(sel, ids + 5000, IGNORE_INDEX)), "labels contains"),
])
def test_as_mask_fn_stops_on_invalid_output_with_a_clear_message(choose, corrupt, message):
    ids, special = pair_batch(8, 20, seed=6)
    with pytest.raises(ValueError, match="not allowed") as err:
        payoff.as_mask_fn(choose, corrupt)(ids, special, vocab_size=VOCAB_SIZE, mask_token_id=MASK_ID,
                                           generator=torch.Generator().manual_seed(0))
    assert message in str(err.value)


@pytest.mark.parametrize("name", list(payoff.BROKEN_MASKINGS))
def test_each_broken_masking_is_caught_by_the_checks(name):
    """The stored 'broken' curves are of mistakes the exercise checks reject."""
    choose, corrupt = payoff.BROKEN_MASKINGS[name]
    checks = [payoff.run_check("mlm-choose-positions", choose), payoff.run_check("mlm-corrupt", corrupt)]
    assert not all(result.passed for result in checks)


def test_payoff_uses_the_learners_code_only_once_it_passes(monkeypatch):
    calls = []
    real_pretrain = payoff.pretrain

    def spy_pretrain(settings, *, mask_fn=None, progress=False):
        calls.append(mask_fn)
        return real_pretrain(settings, mask_fn=mask_fn, progress=progress)

    monkeypatch.setattr(payoff, "pretrain", spy_pretrain)
    used = []

    def spy_choose(special_tokens_mask, **kwargs):
        used.append("choose")
        return S.choose_positions(special_tokens_mask, **kwargs)

    unsolved = payoff.pretrain_with_your_masking(I.not_written, I.corrupt_always_mask, progress=False, **TINY)
    assert not unsolved.used_yours and "exercise 1 and exercise 2" in unsolved.message
    assert list(unsolved.accuracy_curves) == [payoff.STAND_IN, payoff.COURSE] and unsolved.stored == ""
    assert calls[1] is None  # the course's masking trained live, as the settings differ from the stored ones
    used.clear()
    solved = payoff.pretrain_with_your_masking(spy_choose, S.corrupt, progress=False, **TINY)
    assert solved.used_yours and list(solved.accuracy_curves)[0] == payoff.YOURS and solved.steps == [0, 10, 20, 30]
    assert "choose" in used  # the checks ran it; and so did training:
    used.clear()
    calls[-2](*pair_batch(2, 10, seed=1), vocab_size=VOCAB_SIZE, mask_token_id=MASK_ID, generator=torch.Generator())
    assert used == ["choose"]
    assert 0 < solved.frequency_baseline < 0.5
    yours, course = solved.loss_curves.values()
    assert yours[0] == course[0]  # same initial weights, same held-out set


def test_stored_curves_match_the_payoff_settings_and_show_learning():
    stored = payoff.stored_curves()
    assert stored is not None, "re-measure: python -m helpers.course.exercises.payoff"
    runs = stored["runs"]
    assert set(runs) == {payoff.COURSE, *payoff.BROKEN_MASKINGS}
    course = runs[payoff.COURSE]
    assert course["step"][-1] == payoff.PAYOFF_SETTINGS.steps and course["mlm_accuracy"][-1] > 0.30
    assert min(r["mlm_accuracy"][-1] for r in runs.values()) < course["mlm_accuracy"][-1] - 0.10  # one is clearly worse


def test_stored_curves_are_not_used_for_other_settings(tmp_path, monkeypatch):
    assert payoff.stored_curves(dataclasses.replace(payoff.PAYOFF_SETTINGS, steps=10)) is None
    monkeypatch.setattr(payoff, "CURVES_FILE", tmp_path / "missing.json")
    assert payoff.stored_curves() is None


@pytest.mark.slow
def test_payoff_end_to_end_with_the_stored_curves():
    """The real run of the notebook: the learner's (here the reference) masking, beside the stored curves."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a shared test machine; the notebook uses what it has
    try:
        start = time.perf_counter()
        run = payoff.pretrain_with_your_masking(S.choose_positions, S.corrupt, progress=False)
        seconds = time.perf_counter() - start
    finally:
        torch.set_num_threads(threads)
    assert run.used_yours and run.stored and list(run.accuracy_curves)[:2] == [payoff.YOURS, payoff.COURSE]
    assert run.accuracy[payoff.YOURS] > 0.30 > 2 * run.frequency_baseline
    assert abs(run.accuracy[payoff.YOURS] - run.accuracy[payoff.COURSE]) < 0.05  # a correct masking trains like the course's
    print(f"payoff: {run.accuracy[payoff.YOURS]:.1%} after {run.steps[-1]} steps, {seconds:.0f} s (1 thread)")


def test_an_interrupted_curve_ends_where_it_stopped():
    run = payoff.PayoffRun(used_yours=True, message="", steps=[0, 10, 20],
                           accuracy_curves={"a": [0.1, 0.2, float("nan")]}, loss_curves={"a": [5.0, 4.0, float("nan")]},
                           frequency_baseline=0.08, seconds=1.0, interrupted=True)
    assert run.accuracy == {"a": 0.2} and run.curves is run.loss_curves
    assert run.curves_for_plot()["word frequencies alone (always the commonest word)"] == [0.08] * 3


def test_a_masking_that_passes_the_checks_but_breaks_in_training_is_one_line_and_replaced():
    def choose_positions(special_tokens_mask, *, mlm_probability=0.15, generator=None):
        if special_tokens_mask.shape[0] < 100:  # the checks use 200 rows; training batches are smaller
            raise RuntimeError("only big batches")
        return S.choose_positions(special_tokens_mask, mlm_probability=mlm_probability, generator=generator)

    run = payoff.pretrain_with_your_masking(choose_positions, S.corrupt, progress=False, **TINY)
    assert not run.used_yours and list(run.accuracy_curves)[0] == payoff.STAND_IN
    assert run.message.startswith("Your masking stopped training: choose_positions raised RuntimeError: only big "
                                  "batches (in choose_positions, line")
    assert run.message.endswith("on a pre-training batch. This run uses the reference solution.")


def test_a_selection_that_includes_padding_stops_training_at_once():
    """What the notebook says of this mistake: no curve at all, the model refuses the first batch."""
    assert not payoff.run_check("mlm-choose-positions", payoff.choose_with_specials).passed
    settings = dataclasses.replace(payoff.PAYOFF_SETTINGS, **TINY)
    with pytest.raises(ValueError, match="labels asks for a prediction at a padding position"):
        payoff.pretrain(settings, mask_fn=payoff.as_mask_fn(payoff.choose_with_specials, S.corrupt), progress=False)
