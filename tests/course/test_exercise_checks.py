"""The exercise checks, as tables: correct implementations written in different ways all pass; each wrong
one fails on the property that names its mistake, with a message that says what happened.

The implementations live in ``exercise_implementations.py``.
"""
import sys
from pathlib import Path

import pytest
import torch

from helpers.course import exercises as ex
from helpers.course import solutions as S

sys.path.insert(0, str(Path(__file__).resolve().parent))
import exercise_implementations as I  # noqa: E402

ONE_FUNCTION = {"mlm-choose-positions": I.CHOOSE_CORRECT, "mlm-corrupt": I.CORRUPT_CORRECT,
                "mlm-loss": I.LOSS_CORRECT, "nsp-example": I.NSP_CORRECT, "mlm-fixed-count": I.FIXED_COUNT_CORRECT,
                "pretraining-loss": I.PRETRAINING_LOSS_CORRECT, "align-labels": I.ALIGN_CORRECT}
CORRECT = [(eid, (fn,)) for eid, fns in ONE_FUNCTION.items() for fn in fns] + \
          [("heads", pair) for pair in I.HEADS_CORRECT]


def failing(result):
    """The failed requirements and their observations, as one string per failure."""
    return [f"{f.requirement} | {f.observed}" for f in result.failures] + ([result.stopped] if result.stopped else [])


def assert_fails(exercise_id, functions, requirement, observed):
    result = ex.run_check(exercise_id, *functions)
    assert not result.passed and not result.not_yet
    hits = [f for f in result.failures if requirement in f.requirement and observed in f.observed]
    assert hits, failing(result)
    assert all("Traceback" not in f.observed for f in result.failures)
    return result


def names(functions):
    return "+".join(f.__name__ for f in functions)


# ---------------------------------------------------------------- every correct implementation passes


@pytest.mark.parametrize("exercise_id, functions", CORRECT, ids=[f"{e}:{names(f)}" for e, f in CORRECT])
def test_correct_implementations_pass(exercise_id, functions):
    result = ex.run_check(exercise_id, *functions)
    assert result.passed, failing(result)


@pytest.mark.parametrize("exercise_id", list(ex.ALL_EXERCISES))
def test_reference_solution_passes_every_check(exercise_id):
    """(How long each check takes: benchmarks/bench_exercises.py.)"""
    result = ex.run_check(exercise_id, *ex.reference_solutions(exercise_id))
    assert result.passed and not result.stopped, failing(result)
    assert len(result.findings) >= 5


@pytest.mark.parametrize("exercise_id", list(ex.ALL_EXERCISES))
def test_a_skeleton_gets_not_yet_and_no_traceback(exercise_id):
    n = len(ex.ALL_EXERCISES[exercise_id].functions)
    result = ex.run_check(exercise_id, *[I.not_written] * n)
    assert result.not_yet and not result.passed and result.failures == []
    text = result.text()
    assert "Not yet" in text and "Traceback" not in text and "checked in" not in text  # no timing: stored output is stable


@pytest.mark.parametrize("exercise_id", list(ex.ALL_EXERCISES))
def test_checks_are_deterministic_and_leave_the_global_random_state_alone(exercise_id):
    exercise = ex.ALL_EXERCISES[exercise_id]
    functions = ((I.choose_global_rng,) if exercise_id == "mlm-choose-positions"
                 else [getattr(S, name) for name in exercise.solutions])
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    first = [(f.requirement, f.passed, f.observed) for f in ex.run_check(exercise_id, *functions).findings]
    assert torch.equal(torch.random.get_rng_state(), before)
    again = [(f.requirement, f.passed, f.observed) for f in ex.run_check(exercise_id, *functions).findings]
    assert first == again


def test_bad_arguments_to_a_check_are_clear_errors():
    with pytest.raises(ValueError, match="pass the function itself"):
        ex.check_choose_positions(S.choose_positions(torch.zeros(2, 3, dtype=torch.long)))
    with pytest.raises(ValueError, match="pass 2"):
        ex.run_check("heads", S.sequence_head)
    with pytest.raises(ValueError, match="exercise_id='nope' is not allowed"):
        ex.run_check("nope", S.mlm_loss)


# ---------------------------------------------------------------- the wrong implementations, by property

RANDOM_SAME = "a different generator seed gives a different result"
RANDOM_GLOBAL = "global random state is left alone"
IGNORES_GENERATOR = "ignores the generator it is given"

WRONG = [
    # exercise 1
    ("mlm-choose-positions", I.choose_including_specials, "never selected", "of 200 sequences had [CLS] selected"),
    ("mlm-choose-positions", I.choose_85_percent, "about 15%", "ordinary tokens were selected (84."),
    ("mlm-choose-positions", I.choose_fixed_rate, "follows mlm_probability", "with mlm_probability=0.4, 15."),
    ("mlm-choose-positions", I.choose_every_seventh, "different random positions", "got only 1 different selections"),
    ("mlm-choose-positions", I.choose_per_sequence, "different random positions", "got only 2 different selections"),
    ("mlm-choose-positions", I.choose_global_rng, RANDOM_GLOBAL, "moved during your function"),
    ("mlm-choose-positions", I.choose_manual_seed, RANDOM_SAME, IGNORES_GENERATOR),
    ("mlm-choose-positions", I.choose_manual_seed, RANDOM_GLOBAL, "torch.manual_seed"),
    ("mlm-choose-positions", I.choose_own_generator, RANDOM_SAME, IGNORES_GENERATOR),
    ("mlm-choose-positions", I.choose_unseeded_generator, RANDOM_SAME, IGNORES_GENERATOR),
    ("mlm-choose-positions", I.choose_reseeds, RANDOM_SAME, IGNORES_GENERATOR),
    ("mlm-choose-positions", I.choose_float, "True/False tensor", "has dtype torch.float32: a selection must be a bool"),
    ("mlm-choose-positions", I.choose_numpy, "True/False tensor", "your function returned numpy values"),
    ("mlm-choose-positions", I.choose_returns_list, "True/False tensor", "your selection is a list, not a torch.Tensor"),
    ("mlm-choose-positions", I.choose_crashes, "without an error", "AttributeError"),
    # exercise 2
    ("mlm-corrupt", I.corrupt_forgets_ignore_index, "-100 (IGNORE_INDEX) at every unselected", "a label other than -100"),
    ("mlm-corrupt", I.corrupt_labels_the_corrupted_token, "original token", "their label is the corrupted token"),
    ("mlm-corrupt", I.corrupt_70_20_10, "80% become [MASK]", "% [MASK], 2"),
    ("mlm-corrupt", I.corrupt_always_mask, "80% become [MASK]", "100.0% [MASK], 0.0% random token, 0.0% unchanged"),
    ("mlm-corrupt", I.corrupt_in_place, "left unchanged", "changed in place"),
    ("mlm-corrupt", I.corrupt_random_is_unk, "whole vocabulary", "used only 1 different ids"),
    ("mlm-corrupt", I.corrupt_everywhere, "unselected positions keep their token", "unselected positions were changed"),
    ("mlm-corrupt", I.corrupt_float_labels, "LongTensors", "labels has dtype torch.float32"),
    ("mlm-corrupt", I.corrupt_ands_a_float, "without an error", "NotImplementedError: \"bitwise_and_cpu\" not implemented"),
    ("mlm-corrupt", I.corrupt_numpy, "LongTensors", "your function returned numpy values"),
    ("mlm-corrupt", I.corrupt_decided_per_sequence, "outcome is drawn for each token on its own",
     "two selected tokens of the same sequence got the same outcome 100%"),
    ("mlm-corrupt", I.corrupt_decided_per_position, "outcome is drawn for each token on its own",
     "two selected tokens of the same position got the same outcome 100%"),
    ("mlm-corrupt", I.corrupt_one_random_id_per_sequence, "each random replacement is its own draw",
     "random replacements in the same sequence are the same id"),
    ("mlm-corrupt", I.corrupt_one_random_id_per_position, "each random replacement is its own draw",
     "random replacements in the same position are the same id"),
    ("mlm-corrupt", I.corrupt_global_rng, RANDOM_GLOBAL, "moved during your function"),
    ("mlm-corrupt", I.corrupt_manual_seed, RANDOM_SAME, IGNORES_GENERATOR),
    ("mlm-corrupt", I.corrupt_own_generator, RANDOM_SAME, IGNORES_GENERATOR),
    ("mlm-corrupt", I.corrupt_reseeds, RANDOM_SAME, IGNORES_GENERATOR),
    # exercise 3
    ("mlm-loss", I.loss_over_all_positions, "only the selected positions count", "changed your loss from"),
    ("mlm-loss", I.loss_over_all_positions, "mean cross-entropy over the batch's selected", "over the 9 selected"),
    ("mlm-loss", I.loss_summed, "a mean, not a sum", "repeating the batch twice changed your loss"),
    ("mlm-loss", I.loss_mean_of_sequence_means, "finite number", "your loss is nan"),
    ("mlm-loss", I.loss_as_python_number, "0-dim float tensor", "it returned a float, not a torch.Tensor"),
    ("mlm-loss", I.loss_as_numpy_number, "0-dim float tensor", "your function returned numpy values"),
    ("mlm-loss", I.loss_detached, "gradient flows back", "carries no gradient"),
    ("mlm-loss", I.loss_without_log_softmax, "mean cross-entropy", "your loss is"),
    # exercise 4
    ("nsp-example", I.nsp_label_flipped, "IS_NEXT = 0", "for is_next=True the label is 1, but IS_NEXT = 0"),
    ("nsp-example", I.nsp_segments_off_by_one, "token_type_ids are 0 on [CLS]", "[CLS]:0 a1:0 a2:0 a3:0 [SEP]:1 b1:1"),
    ("nsp-example", I.nsp_no_final_sep, "laid out [CLS] A [SEP] B [SEP]", "your input_ids read: [CLS] a1 a2 a3 [SEP] b1 b2;"),
    ("nsp-example", I.nsp_changes_its_input, "left unchanged", "changed its input lists in 3 of 3 calls"),
    ("nsp-example", I.nsp_bool_label, "convention", "the label is False, not an int"),
    ("nsp-example", I.nsp_b_before_a, "laid out", "your input_ids read: [CLS] b1 b2 [SEP] a1 a2 a3 [SEP]"),
    ("nsp-example", I.nsp_returns_tuple, "returns a dict", "it returned tuple"),
    ("nsp-example", I.nsp_numpy_integers, "laid out", "your function returned numpy integers (numpy.int64) in input_ids"),
    ("nsp-example", I.nsp_numpy_integers, "convention", "your function returned numpy integers (next_sentence_label"),
    ("nsp-example", I.nsp_numpy_arrays, "laid out", "your function returned numpy values (input_ids is a numpy.ndarray"),
    # stretch A
    ("mlm-fixed-count", I.fixed_count_from_ordinary_tokens, "exactly min(max_predictions", "real tokens needs"),
    ("mlm-fixed-count", I.fixed_count_with_padding, "exactly min(max_predictions", "real tokens needs"),
    ("mlm-fixed-count", I.fixed_count_truncated, "exactly min(max_predictions", "real tokens needs"),
    ("mlm-fixed-count", I.fixed_count_without_cap, "exactly min(max_predictions", "max_predictions=10"),
    ("mlm-fixed-count", I.fixed_count_without_minimum, "exactly min(max_predictions", "mlm_probability=0.01"),
    ("mlm-fixed-count", I.fixed_count_first_candidates, "different random positions", "got only 1 different"),
    ("mlm-fixed-count", I.fixed_count_one_order_for_the_batch, "different random positions", "got only 1 different"),
    ("mlm-fixed-count", I.fixed_count_global_rng, RANDOM_GLOBAL, "moved during your function"),
    # stretch B
    ("pretraining-loss", I.pretraining_loss_mlm_only, "plus the NSP loss", "that is the MLM loss alone"),
    ("pretraining-loss", I.pretraining_loss_averaged, "plus the NSP loss", "that is half the sum"),
    ("pretraining-loss", I.pretraining_loss_all_positions, "unselected positions leaves the loss unchanged",
     "changed your loss"),
    ("pretraining-loss", I.pretraining_loss_labels_flipped, "plus the NSP loss", "your loss is"),
    ("pretraining-loss", I.pretraining_loss_nsp_detached, "gradient flows back to both", "no gradient reaches the NSP"),
    ("pretraining-loss", I.pretraining_loss_as_number, "0-dim float tensor", "it returned a float"),
    # stretch C
    ("align-labels", I.align_every_piece, "later pieces of a word get -100", "your labels are"),
    ("align-labels", I.align_last_piece, "first piece of every word", "your labels are"),
    ("align-labels", I.align_specials_zero, "special tokens", "[CLS] w0 w1 w2 [SEP] your labels are [0, 3"),
    ("align-labels", I.align_one_per_word, "one label per piece", "3 labels for 5 pieces"),
    ("align-labels", I.align_by_position, "first piece of every word", "your labels are"),
    ("align-labels", I.align_changes_input, "left unchanged", "changed its input lists in 4 of 4 calls"),
    ("align-labels", I.align_numpy_integers, "one label per piece", "your function returned numpy integers"),
]

SEQUENCE_HEAD_WRONG = [
    (I.head_reads_last_position, "[CLS] vector (position 0) only", "changing only the vectors at positions 1 to 8"),
    (I.head_reads_last_position, "[CLS] vector (position 0) only", "position 0 ([CLS]) did not change"),
    (I.head_mean_pools, "[CLS] vector (position 0) only", "changed your logits"),
    (I.head_per_position, "one row per input", "the logits have shape (4, 9, 3), not (4, 3)"),
    (I.head_loss_on_probabilities, "cross-entropy of the logits", "your loss is"),
    (I.head_without_bias, "classifier's output on the [CLS] vectors", "the classifier's output without its bias"),
    (I.head_returns_probabilities, "classifier's output on the [CLS] vectors", "your logits are probabilities"),
    (I.head_returns_log_probabilities, "classifier's output on the [CLS] vectors", "your logits are log-probabilities"),
    (I.head_with_dropout, "same input gives the same logits", "is dropout on"),
    (I.head_with_new_layer, "same input gives the same logits", "a new layer"),
    (I.head_under_no_grad, "gradient to the classifier's weights", "carries no gradient at all"),
    (I.head_detached_encoder, "gradient to the classifier's weights", "no gradient reaches the encoder's output"),
    (I.head_rewrapped_number, "gradient to the classifier's weights",
     "no gradient reaches the classifier's weights or the encoder's output"),
]

TOKEN_HEAD_WRONG = [
    (I.token_loss_over_all_positions, "labelled -100 are left out", "changed your loss from"),
    (I.token_head_from_cls, "that position's vector", "changed your logits at position(s) none"),
    (I.token_loss_summed, "mean cross-entropy over the labelled positions", "your loss is"),
    (I.token_head_unflattened, "without an error", "RuntimeError"),
    (I.token_head_without_bias, "classifier's output at every position", "without its bias"),
    (I.token_head_probabilities, "classifier's output at every position", "your logits are probabilities"),
    (I.token_head_with_dropout, "same input gives the same logits", "is dropout on"),
    (I.token_head_under_no_grad, "gradient to the classifier's weights", "carries no gradient at all"),
    (I.token_head_detached_encoder, "gradient to the classifier's weights", "no gradient reaches the encoder's output"),
]


@pytest.mark.parametrize("exercise_id, wrong, requirement, observed", WRONG,
                         ids=[f"{e}:{w.__name__}:{r[:20]}" for e, w, r, _ in WRONG])
def test_wrong_implementations_fail_on_the_right_property(exercise_id, wrong, requirement, observed):
    result = assert_fails(exercise_id, (wrong,), requirement, observed)
    if wrong is I.choose_crashes:  # the learner's own line is named, not a traceback into the package
        assert "line" in result.failures[0].observed and "not_a_method" in result.failures[0].observed


@pytest.mark.parametrize("wrong, requirement, observed", SEQUENCE_HEAD_WRONG,
                         ids=[f"{w.__name__}:{r[:20]}" for w, r, _ in SEQUENCE_HEAD_WRONG])
def test_sequence_head_catches(wrong, requirement, observed):
    result = assert_fails("heads", (wrong, S.token_head), requirement, observed)
    assert result.sections[1].passed  # the other head's verdict stands on its own


@pytest.mark.parametrize("wrong, requirement, observed", TOKEN_HEAD_WRONG,
                         ids=[f"{w.__name__}:{r[:20]}" for w, r, _ in TOKEN_HEAD_WRONG])
def test_token_head_catches(wrong, requirement, observed):
    result = assert_fails("heads", (S.sequence_head, wrong), requirement, observed)
    assert result.sections[0].passed


def test_every_property_family_has_at_least_three_wrong_implementations():
    """The issue's bar: each new property is shown failing for three or more different mistakes."""
    families = {"generator": [w for e, w, r, _ in WRONG if r in (RANDOM_SAME, RANDOM_GLOBAL)],
                "per token": [w for e, w, r, _ in WRONG if "on its own" in r or "its own draw" in r
                              or "different random positions" in r],
                "logits": [w for w, r, _ in SEQUENCE_HEAD_WRONG + TOKEN_HEAD_WRONG if "classifier's output" in r],
                "gradient": [w for w, r, _ in SEQUENCE_HEAD_WRONG + TOKEN_HEAD_WRONG if "gradient" in r]}
    assert {name: len(set(fns)) >= 3 for name, fns in families.items()} == dict.fromkeys(families, True)


def test_the_70_20_10_mix_is_reported_as_measured():
    result = ex.run_check("mlm-corrupt", I.corrupt_70_20_10)
    [mix] = [f for f in result.failures if "80%" in f.requirement]
    masked, randomised = (float(part.split("%")[0]) for part in mix.observed.split(", ")[:2])
    assert abs(masked - 70) < 2 and abs(randomised - 20) < 2


def test_one_head_written_is_half_way():
    result = ex.run_check("heads", S.sequence_head, I.not_written)
    assert not result.passed and not result.not_yet and "Half way" in result.headline()


def test_failures_carry_hints_that_name_the_idea_without_the_code():
    result = ex.run_check("mlm-choose-positions", I.choose_manual_seed)
    hints = result.hints()
    assert hints and any("generator=generator" in h for h in hints)
    for exercise in ex.ALL_EXERCISES.values():
        solution = ex.solution_source(exercise)
        code_lines = [line.strip() for line in solution.splitlines() if "=" in line and not line.strip().startswith('"')]
        assert not any(line.split("#")[0].strip() in exercise.hint for line in code_lines if len(line) > 20)
