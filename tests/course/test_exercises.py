"""Coding exercises: every reference solution passes, typical wrong ones fail with the right message,
checks are fast and deterministic, attempts are saved, and the payoff adapter gives a valid mask_fn."""
import json

import matplotlib
import pytest
import torch
import torch.nn.functional as F

from helpers.constants import CLS_ID, IGNORE_INDEX, IS_NEXT, IS_RANDOM, MASK_ID, SEP_ID, UNK_ID
from helpers.course import exercises as ex
from helpers.course import solutions as S
from helpers.course.progress import ProgressStore, progress_summary, record_exercise
from helpers.text.corpus import make_storybook
from helpers.training.pretraining import build_tokenizer, cut_pairs

matplotlib.use("Agg")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def not_written(*args, **kwargs):
    raise NotImplementedError("your code here")


def failing(result):
    """The failed requirements and their observations, as one string per failure."""
    return [f"{f.requirement} | {f.observed}" for f in result.failures]


def assert_fails(exercise_id, functions, requirement, observed):
    result = ex.run_check(exercise_id, *functions)
    assert not result.passed and not result.not_yet
    hits = [f for f in result.failures if requirement in f.requirement and observed in f.observed]
    assert hits, failing(result)
    return result


# ---------------------------------------------------------------- reference solutions pass, quickly


@pytest.mark.parametrize("exercise_id", list(ex.EXERCISES))
def test_reference_solution_passes_every_check(exercise_id):
    # How long a check takes is measured by benchmarks/bench_course.py, not asserted here.
    exercise = ex.EXERCISES[exercise_id]
    result = ex.run_check(exercise_id, *exercise.solutions)
    assert result.passed, failing(result)
    assert len(result.findings) >= 5


@pytest.mark.parametrize("exercise_id", list(ex.EXERCISES))
def test_checks_are_deterministic_and_leave_the_global_random_state_alone(exercise_id):
    def sloppy_choose(special_tokens_mask, *, mlm_probability=0.15, generator=None):
        return (torch.rand(special_tokens_mask.shape) < mlm_probability) & (special_tokens_mask == 0)

    functions = (sloppy_choose,) if exercise_id == "mlm-choose-positions" else ex.EXERCISES[exercise_id].solutions
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    first = ex.run_check(exercise_id, *functions).text().split("(checked in")[0]
    assert torch.equal(torch.random.get_rng_state(), before)
    outcomes = [[(f.requirement, f.passed, f.observed) for f in ex.run_check(exercise_id, *functions).findings]
                for _ in range(2)]
    assert outcomes[0] == outcomes[1] and first


@pytest.mark.parametrize("exercise_id", list(ex.EXERCISES))
def test_a_skeleton_gets_not_yet_and_no_traceback(exercise_id):
    n = len(ex.EXERCISES[exercise_id].functions)
    result = ex.run_check(exercise_id, *[not_written] * n)
    assert result.not_yet and not result.passed and result.failures == []
    text = result.text()
    assert "Not yet" in text and "Traceback" not in text and "checked in" not in text  # no timing: stored output is stable


def test_bad_arguments_to_a_check_are_clear_errors():
    with pytest.raises(ValueError, match="pass the function itself"):
        ex.check_choose_positions(S.choose_positions(torch.zeros(2, 3, dtype=torch.long)))
    with pytest.raises(ValueError, match="pass 2"):
        ex.run_check("heads", S.sequence_head)
    with pytest.raises(ValueError, match="exercise_id='nope' is not allowed"):
        ex.run_check("nope", S.mlm_loss)


# ---------------------------------------------------------------- exercise 1: choose the positions


def choose_including_specials(special_tokens_mask, *, mlm_probability=0.15, generator=None):
    return torch.rand(special_tokens_mask.shape, generator=generator) < mlm_probability


def choose_85_percent(special_tokens_mask, *, mlm_probability=0.15, generator=None):
    return (torch.rand(special_tokens_mask.shape, generator=generator) > mlm_probability) & (special_tokens_mask == 0)


def choose_fixed_rate(special_tokens_mask, *, mlm_probability=0.15, generator=None):
    return (torch.rand(special_tokens_mask.shape, generator=generator) < 0.15) & (special_tokens_mask == 0)


def choose_every_seventh(special_tokens_mask, *, mlm_probability=0.15, generator=None):
    positions = torch.arange(special_tokens_mask.shape[1]).expand_as(special_tokens_mask)
    return (positions % round(1 / mlm_probability) == 1) & (special_tokens_mask == 0)


def choose_without_generator(special_tokens_mask, *, mlm_probability=0.15, generator=None):
    return (torch.rand(special_tokens_mask.shape) < mlm_probability) & (special_tokens_mask == 0)


def choose_returns_list(special_tokens_mask, *, mlm_probability=0.15, generator=None):
    return S.choose_positions(special_tokens_mask, mlm_probability=mlm_probability, generator=generator).tolist()


def choose_crashes(special_tokens_mask, *, mlm_probability=0.15, generator=None):
    return special_tokens_mask.not_a_method()


@pytest.mark.parametrize("wrong, requirement, observed", [
    (choose_including_specials, "never selected", "of 200 sequences had [CLS] selected"),
    (choose_85_percent, "about 15%", "ordinary tokens were selected (84."),
    (choose_fixed_rate, "follows mlm_probability", "with mlm_probability=0.4, 15."),
    (choose_every_seventh, "different random positions", "got only 1 different selections"),
    (choose_without_generator, "same generator seed", "selected different positions"),
    (choose_returns_list, "True/False tensor", "your selection is a list, not a torch.Tensor"),
    (choose_crashes, "without an error", "AttributeError"),
])
def test_choose_positions_catches(wrong, requirement, observed):
    result = assert_fails("mlm-choose-positions", (wrong,), requirement, observed)
    if wrong is choose_crashes:  # the learner's own line is named, not a traceback into the package
        assert "line" in result.failures[0].observed and "not_a_method" in result.failures[0].observed


# ---------------------------------------------------------------- exercise 2: corrupt and label


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
    return corrupted, torch.where(selected, input_ids, torch.full_like(input_ids, IGNORE_INDEX))


def corrupt_always_mask(input_ids, selected, *, vocab_size, mask_token_id, generator=None):
    corrupted = torch.where(selected, torch.full_like(input_ids, mask_token_id), input_ids)
    return corrupted, torch.where(selected, input_ids, torch.full_like(input_ids, IGNORE_INDEX))


def corrupt_in_place(input_ids, selected, *, vocab_size, mask_token_id, generator=None):
    labels = torch.where(selected, input_ids, torch.full_like(input_ids, IGNORE_INDEX))
    corrupted, _ = S.corrupt(input_ids, selected, vocab_size=vocab_size, mask_token_id=mask_token_id, generator=generator)
    input_ids.copy_(corrupted)
    return input_ids, labels


def corrupt_random_is_unk(input_ids, selected, *, vocab_size, mask_token_id, generator=None):
    corrupted, labels = S.corrupt(input_ids, selected, vocab_size=vocab_size, mask_token_id=mask_token_id,
                                  generator=generator)
    replaced = selected & (corrupted != mask_token_id) & (corrupted != input_ids)
    corrupted[replaced] = UNK_ID
    return corrupted, labels


def corrupt_everywhere(input_ids, selected, *, vocab_size, mask_token_id, generator=None):
    everything = torch.ones_like(selected)
    corrupted, _ = S.corrupt(input_ids, everything, vocab_size=vocab_size, mask_token_id=mask_token_id,
                             generator=generator)
    return corrupted, torch.where(selected, input_ids, torch.full_like(input_ids, IGNORE_INDEX))


def corrupt_float_labels(input_ids, selected, *, vocab_size, mask_token_id, generator=None):
    corrupted, labels = S.corrupt(input_ids, selected, vocab_size=vocab_size, mask_token_id=mask_token_id,
                                  generator=generator)
    return corrupted, labels.float()


@pytest.mark.parametrize("wrong, requirement, observed", [
    (corrupt_forgets_ignore_index, "-100 (IGNORE_INDEX) at every unselected position", "have a label other than -100"),
    (corrupt_labels_the_corrupted_token, "original token", "their label is the corrupted token"),
    (corrupt_70_20_10, "80% become [MASK]", "% [MASK], 2"),
    (corrupt_always_mask, "80% become [MASK]", "100.0% [MASK], 0.0% random token, 0.0% unchanged"),
    (corrupt_in_place, "left unchanged", "changed in place"),
    (corrupt_random_is_unk, "whole vocabulary", "used only 1 different ids"),
    (corrupt_everywhere, "unselected positions keep their token", "unselected positions were changed"),
    (corrupt_float_labels, "LongTensors", "labels has dtype torch.float32"),
])
def test_corrupt_catches(wrong, requirement, observed):
    assert_fails("mlm-corrupt", (wrong,), requirement, observed)


def test_corrupt_70_20_10_reports_the_measured_mix():
    result = ex.run_check("mlm-corrupt", corrupt_70_20_10)
    [mix] = [f for f in result.failures if "80%" in f.requirement]
    masked, randomised = (float(part.split("%")[0]) for part in mix.observed.split(", ")[:2])
    assert abs(masked - 70) < 2 and abs(randomised - 20) < 2


# ---------------------------------------------------------------- exercise 3: the MLM loss


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


def loss_detached(logits, labels):
    return S.mlm_loss(logits.detach(), labels)


def loss_without_log_softmax(logits, labels):
    selected = labels != IGNORE_INDEX
    return F.nll_loss(logits[selected], labels[selected])


@pytest.mark.parametrize("wrong, requirement, observed", [
    (loss_over_all_positions, "only the selected positions count", "changed your loss from"),
    (loss_over_all_positions, "mean cross-entropy over the batch's selected positions", "over the 9 selected positions"),
    (loss_summed, "a mean, not a sum", "repeating the batch twice changed your loss"),
    (loss_mean_of_sequence_means, "finite number", "your loss is nan"),
    (loss_as_python_number, "0-dim float tensor", "it returned a float, not a torch.Tensor"),
    (loss_detached, "gradient flows back", "carries no gradient"),
    (loss_without_log_softmax, "mean cross-entropy", "your loss is"),
])
def test_mlm_loss_catches(wrong, requirement, observed):
    assert_fails("mlm-loss", (wrong,), requirement, observed)


def test_the_ignore_index_shortcut_also_passes():
    """Hugging Face's way (cross-entropy over all positions, -100 ignored) is correct too."""
    def flat(logits, labels):
        return F.cross_entropy(logits.flatten(0, 1), labels.flatten(), ignore_index=IGNORE_INDEX)
    assert ex.run_check("mlm-loss", flat).passed


# ---------------------------------------------------------------- exercise 4: one NSP example


def nsp_label_flipped(tokens_a, tokens_b, is_next):
    out = S.nsp_example(tokens_a, tokens_b, is_next)
    return {**out, "next_sentence_label": IS_RANDOM if is_next else IS_NEXT}


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


@pytest.mark.parametrize("wrong, requirement, observed", [
    (nsp_label_flipped, "IS_NEXT = 0", "for is_next=True the label is 1, but IS_NEXT = 0"),
    (nsp_segments_off_by_one, "token_type_ids are 0 on [CLS], A and the [SEP] that closes A",
     "[CLS]:0 a1:0 a2:0 a3:0 [SEP]:1 b1:1"),
    (nsp_no_final_sep, "laid out [CLS] A [SEP] B [SEP]", "your input_ids read: [CLS] a1 a2 a3 [SEP] b1 b2;"),
    (nsp_changes_its_input, "left unchanged", "changed its input lists in 3 of 3 calls"),
    (nsp_bool_label, "convention", "the label is False, not an int"),
    (nsp_b_before_a, "laid out", "your input_ids read: [CLS] b1 b2 [SEP] a1 a2 a3 [SEP]"),
    (nsp_returns_tuple, "returns a dict", "it returned tuple"),
])
def test_nsp_example_catches(wrong, requirement, observed):
    assert_fails("nsp-example", (wrong,), requirement, observed)


def test_nsp_example_accepts_tensors():
    def as_tensors(tokens_a, tokens_b, is_next):
        out = S.nsp_example(tokens_a, tokens_b, is_next)
        return {k: torch.tensor(v) for k, v in out.items()}
    assert ex.run_check("nsp-example", as_tensors).passed


# ---------------------------------------------------------------- exercise 5: heads


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


@pytest.mark.parametrize("wrong, requirement, observed", [
    (head_reads_last_position, "[CLS] vector (position 0) only", "changing only the vectors at positions 1 to 8"),
    (head_reads_last_position, "[CLS] vector (position 0) only", "position 0 ([CLS]) did not change"),
    (head_mean_pools, "[CLS] vector (position 0) only", "changed your logits"),
    (head_per_position, "one row per input", "the logits have shape (4, 9, 3), not (4, 3)"),
    (head_loss_on_probabilities, "cross-entropy of the logits", "your loss is"),
])
def test_sequence_head_catches(wrong, requirement, observed):
    assert_fails("heads", (wrong, S.token_head), requirement, observed)


@pytest.mark.parametrize("wrong, requirement, observed", [
    (token_loss_over_all_positions, "labelled -100 are left out", "changed your loss from"),
    (token_head_from_cls, "that position's vector", "changed your logits at position(s) none"),
    (token_loss_summed, "mean cross-entropy over the labelled positions", "your loss is"),
    (token_head_unflattened, "without an error", "RuntimeError"),
])
def test_token_head_catches(wrong, requirement, observed):
    result = assert_fails("heads", (S.sequence_head, wrong), requirement, observed)
    assert result.sections[0].passed  # the other head's verdict stands on its own


def test_one_head_written_is_half_way():
    result = ex.run_check("heads", S.sequence_head, not_written)
    assert not result.passed and not result.not_yet and "Half way" in result.headline()


# ---------------------------------------------------------------- feedback, progress, solution


def test_feedback_saves_attempts_and_unlocks_the_solution(tmp_path):
    store = ProgressStore(tmp_path / "progress.json")
    first = ex.check_choose_positions(not_written, store=store)
    assert first.reveal_button.disabled and "after your first attempt" in first.reveal_button.tooltip
    first.reveal()
    assert first.solution.layout.display == "none"  # nothing to reveal before a try
    assert "exercises" not in json.loads((tmp_path / "progress.json").read_text() if (tmp_path / "progress.json").exists() else "{}")

    wrong = ex.check_choose_positions(choose_including_specials, store=store)
    assert not wrong.reveal_button.disabled
    assert "sequences had [CLS] selected" in wrong.verdict.value
    wrong.reveal_button.click()
    assert "ordinary = special_tokens_mask == 0" in wrong.solution.value and wrong.solution.layout.display is None

    right = ex.check_choose_positions(S.choose_positions, store=store)
    assert "Passed" in right.verdict.value
    entry = store.load()["exercises"]["mlm-choose-positions"]
    assert (entry["attempts"], entry["passed"], entry["first_pass_attempt"], entry["notebook"]) == (2, True, 2, 2)

    # a later session: the skeleton is back (kernel restarted), the saved attempt still unlocks the solution
    again = ex.check_choose_positions(not_written, store=store)
    assert not again.reveal_button.disabled and "Not yet" in again.verdict.value


def test_static_view_shows_the_verdict_and_a_folded_solution_but_feedback_never_does():
    feedback = ex.check_mlm_loss(loss_summed, save=False)
    bundle = feedback._repr_mimebundle_()
    assert WIDGET_VIEW in bundle
    static = bundle["text/html"]
    assert "a mean, not a sum" in static and "<details><summary>Show a solution</summary>" in static
    assert "F.cross_entropy(logits[selected], labels[selected])" in static.split("<details>")[1]
    assert "cross_entropy" not in feedback.verdict.value  # the verdict itself gives no code away
    assert "repeating the batch twice" in bundle["text/plain"]


def test_not_yet_static_output_is_stable():
    texts = {ex.check_corrupt(not_written, save=False)._repr_mimebundle_()["text/plain"] for _ in range(2)}
    assert len(texts) == 1 and "Not yet" in texts.pop()


def test_an_unwritable_progress_file_is_reported_not_fatal(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the progress folder should be")
    feedback = ex.check_nsp_example(S.nsp_example, store=ProgressStore(blocker / "p.json"))
    assert "Passed" in feedback.verdict.value and "Progress not saved" in feedback.status.value


def test_record_exercise_keeps_other_progress_and_old_files_without_the_key(tmp_path):
    path = tmp_path / "progress.json"
    answer = {"attempts": 1, "first_try_correct": True, "correct": True}
    path.write_text(json.dumps({"version": 1, "answers": {"q": answer}, "cards": {}, "practice_rounds": 3}))
    store = ProgressStore(path)
    assert progress_summary(store=store)["exercises"] == {}
    record_exercise("nsp-example", False, notebook=3, store=store)
    entry = record_exercise("nsp-example", True, notebook=3, store=store)
    assert (entry["attempts"], entry["passed"], entry["last_passed"], entry["first_pass_attempt"]) == (2, True, True, 2)
    entry = record_exercise("nsp-example", False, notebook=3, store=store)
    assert entry["passed"] and not entry["last_passed"]
    data = store.load()
    assert data["answers"] == {"q": answer} and data["practice_rounds"] == 3
    assert progress_summary(store=store)["exercises"] == {"nsp-example": {"attempts": 3, "passed": True}}


def test_progress_plot_shows_the_exercises(tmp_path):
    from helpers.course.plots import plot_progress

    store = ProgressStore(tmp_path / "progress.json")
    record_exercise("mlm-loss", True, notebook=2, store=store)
    record_exercise("heads", False, notebook=5, store=store)
    fig = plot_progress(progress_summary(store=store), exercises=ex.EXERCISES.values())
    ax = fig.axes[2]
    assert ax.get_title() == "Coding exercises" and "1 of 5 passed" in ax.get_xlabel()
    texts = [t.get_text() for t in ax.texts]
    assert texts == ["not tried", "not tried", "passed, 1 attempt", "not tried", "tried, 1 attempt"]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0] == "1. choose positions (nb 2)" and "(nb 5)" in labels[4]


# ---------------------------------------------------------------- the payoff: mask_fn


def test_as_mask_fn_gives_valid_ids_and_labels():
    ids, special = ex.pair_batch(64, 40, seed=5)
    mask_fn = ex.as_mask_fn(S.choose_positions, S.corrupt)
    corrupted, labels = mask_fn(ids, special, vocab_size=ex.VOCAB_SIZE, mask_token_id=MASK_ID,
                                generator=torch.Generator().manual_seed(0))
    assert corrupted.dtype == labels.dtype == torch.long and corrupted.shape == labels.shape == ids.shape
    selected = labels != IGNORE_INDEX
    assert not bool((selected & (special == 1)).any())
    assert torch.equal(labels[selected], ids[selected]) and torch.equal(corrupted[~selected], ids[~selected])
    assert 0.12 < int(selected.sum()) / int((special == 0).sum()) < 0.18
    again, _ = mask_fn(ids, special, vocab_size=ex.VOCAB_SIZE, mask_token_id=MASK_ID,
                       generator=torch.Generator().manual_seed(0))
    assert torch.equal(again, corrupted)  # the generator it is given decides everything


def test_as_mask_fn_matches_the_course_batch_format():
    """It runs on what pre-training feeds it: collated NSP pairs from the real tokenizer."""
    documents = make_storybook(40, seed=0)
    tokenizer = build_tokenizer(documents, 400)
    batch = cut_pairs(documents, tokenizer, max_length=32, seed=0)
    corrupted, labels = ex.as_mask_fn(S.choose_positions, S.corrupt)(
        batch["input_ids"], batch["special_tokens_mask"], vocab_size=tokenizer.vocab_size,
        mask_token_id=tokenizer.mask_token_id, generator=torch.Generator().manual_seed(1))
    selected = labels != IGNORE_INDEX
    assert bool(selected.any()) and not bool((selected & (batch["special_tokens_mask"] == 1)).any())
    assert int(corrupted.max()) < tokenizer.vocab_size


@pytest.mark.parametrize("choose, corrupt, message", [
    (choose_returns_list, S.corrupt, "the selection from choose_positions is a list"),
    (S.choose_positions, lambda ids, sel, **kw: ids, "it must return (corrupted_input_ids, labels)"),
    (S.choose_positions, corrupt_float_labels, "labels has dtype torch.float32"),
    (S.choose_positions, lambda ids, sel, **kw: (ids + 5000, ids), "outside [0, 1000)"),
    (S.choose_positions, lambda ids, sel, **kw: (ids, torch.where(sel, ids + 5000, IGNORE_INDEX)), "labels contains"),
])
def test_as_mask_fn_stops_on_invalid_output_with_a_clear_message(choose, corrupt, message):
    ids, special = ex.pair_batch(8, 20, seed=6)
    with pytest.raises(ValueError, match="not allowed") as err:
        ex.as_mask_fn(choose, corrupt)(ids, special, vocab_size=ex.VOCAB_SIZE, mask_token_id=MASK_ID,
                                       generator=torch.Generator().manual_seed(0))
    assert message in str(err.value)


def test_payoff_uses_the_learners_code_only_once_it_passes(monkeypatch):
    calls = []

    def fake_pretrain(settings, *, mask_fn=None, progress=False):
        """Stands in for pretrain: runs the mask_fn on one real-looking batch, returns a tiny history."""
        if mask_fn is not None:
            ids, special = ex.pair_batch(4, 16, seed=0)
            mask_fn(ids, special, vocab_size=ex.VOCAB_SIZE, mask_token_id=MASK_ID, generator=torch.Generator())
        calls.append((mask_fn, settings))
        history = {"eval": {"step": [0, 150], "mlm_loss": [6.0, 5.0]}}
        return type("Run", (), {"history": history, "final": {"mlm_accuracy": 0.1}})()

    monkeypatch.setattr(ex, "pretrain", fake_pretrain)
    used = []

    def spy_choose(special_tokens_mask, **kwargs):
        used.append("choose")
        return S.choose_positions(special_tokens_mask, **kwargs)

    unsolved = ex.pretrain_with_your_masking(not_written, not_written)
    assert not unsolved.used_yours and "reference solution" in unsolved.message
    assert "exercise 1 and exercise 2" in unsolved.message
    assert list(unsolved.curves) == ["reference masking (yours once it passes)", "the course's mask_tokens"]
    assert calls[0][1].name == "tiny" and calls[0][1].steps == 150 and calls[1][0] is None

    solved = ex.pretrain_with_your_masking(spy_choose, S.corrupt)
    assert solved.used_yours and list(solved.curves)[0] == "your masking" and solved.steps == [0, 150]
    used.clear()
    calls[-2][0](*ex.pair_batch(2, 10, seed=1), vocab_size=ex.VOCAB_SIZE, mask_token_id=MASK_ID,
                 generator=torch.Generator())
    assert used == ["choose"]  # the mask_fn handed to pretrain calls the learner's function


def test_payoff_end_to_end_with_the_real_pretraining_loop():
    """Needs the ``mask_fn`` hook of ``helpers.training.pretraining.pretrain`` (added by the lead)."""
    run = ex.pretrain_with_your_masking(S.choose_positions, S.corrupt)  # timed by benchmarks/bench_course.py
    assert run.used_yours and list(run.curves) == ["your masking", "the course's mask_tokens"]
    assert run.steps == [0, 25, 50, 75, 100, 125, 150]
    for name, curve in run.curves.items():
        assert curve[-1] < curve[0] - 0.5, (name, curve)  # both runs learn
    yours, course = run.curves.values()
    assert yours[0] == course[0]  # same initial weights, same held-out set
    assert abs(yours[-1] - course[-1]) < 0.2  # a correct masking trains like the course's
