"""The shipped family of course checkpoints: each loads, is small, records how it was made, was trained
on today's corpus, and still measures what its metadata says on held-out text it never saw; and the
claims the notebooks draw from them hold."""
from __future__ import annotations

import pytest

from helpers import experiments as ex
from helpers.modeling.checkpoints import course_checkpoint_path
from helpers.modeling.fill_mask import fill_mask
from helpers.text import world
from helpers.text.corpus import CORPUS_VERSION, _present, make_storybook
from helpers.training.pretraining import HELD_OUT_SEED_OFFSET, corpus_hash, evaluate_pretraining, make_held_out_set

# arm -> (file name, sentence objective, mask_prob, held-out targets the file must meet)
ARMS = {
    "80/10/10 + NSP": ("course", "nsp", 0.8, {"mlm_accuracy": 0.70, "nsp_accuracy": 0.85}),
    "always [MASK] + NSP": ("course-always-mask", "nsp", 1.0, {"mlm_accuracy_masked": 0.65, "nsp_accuracy": 0.70}),
    "MLM only": ("course-mlm-only", "none", 0.8, {"mlm_accuracy": 0.70}),
    "MLM + SOP": ("course-sop", "sop", 0.8, {"mlm_accuracy": 0.70, "sop_accuracy": 0.75}),
}


@pytest.fixture(scope="module")
def family():
    missing = [name for name, *_ in ARMS.values() if not course_checkpoint_path(name).exists()]
    if missing:
        pytest.fail(f"checkpoints {missing} are missing: make them with `make checkpoints` (checkpoints/README.md)")
    return ex.load_family()


def test_family_matches_the_experiments_module():
    assert {arm: name for arm, (name, *_) in ARMS.items()} == ex.FAMILY


@pytest.mark.parametrize("arm", list(ARMS))
def test_each_checkpoint_is_small_and_records_how_it_was_made(arm, family):
    name, objective, mask_prob, _ = ARMS[arm]
    assert course_checkpoint_path(name).stat().st_size <= 3 * 2**20
    meta = family[arm].metadata
    assert meta["sentence_objective"] == objective and meta["settings"]["sentence_objective"] == objective
    assert meta["settings"]["mask_prob"] == mask_prob and meta["settings"]["name"] == "course"
    assert meta["steps"] == meta["settings"]["steps"] == 7000 and meta["seconds"] > 0 and not meta["interrupted"]
    assert meta["command"].startswith("python -m helpers.pretrain --preset course")
    assert meta["corpus_version"] == CORPUS_VERSION, "trained on another storybook: retrain (checkpoints/README.md)"
    for key, target in ARMS[arm][3].items():
        assert meta["metrics"][key] >= target, (key, meta["metrics"][key])


def test_all_arms_share_corpus_seed_budget_and_vocabulary(family):
    metas = [c.metadata for c in family.values()]
    for key in ("corpus_sha256", "steps"):
        assert len({m[key] for m in metas}) == 1, key
    assert len({m["settings"]["seed"] for m in metas}) == 1
    vocabularies = {tuple(c.tokenizer.vocab) for c in family.values()}
    assert len(vocabularies) == 1
    # and the corpus they name is the one the generator makes today
    settings = metas[0]["settings"]
    assert corpus_hash(make_storybook(settings["num_documents"], seed=settings["seed"])) == metas[0]["corpus_sha256"]


@pytest.mark.parametrize("arm", list(ARMS))
def test_each_checkpoint_meets_its_numbers_on_fresh_held_out_text(arm, family):
    """Re-measured on documents no run ever saw, with the arm's own sentence objective."""
    checkpoint = family[arm]
    meta = checkpoint.metadata
    documents = make_storybook(400, seed=meta["settings"]["seed"] + HELD_OUT_SEED_OFFSET + 1)
    held_out = make_held_out_set(documents, checkpoint.tokenizer, max_length=64, size=512, seed=7,
                                 sentence_objective=meta["sentence_objective"],
                                 sop_start=meta["settings"].get("sop_start", "document"))
    metrics = evaluate_pretraining(checkpoint.model, held_out)
    assert metrics["num_selected"] > 500
    for key, target in ARMS[arm][3].items():
        assert metrics[key] >= target, (key, metrics)
        assert abs(metrics[key] - meta["metrics"][key]) < 0.05, (key, metrics[key], meta["metrics"][key])


def test_the_course_checkpoint_fills_the_course_blanks(family):
    """The top guess for each course sentence is the right kind of word."""
    course = family["80/10/10 + NSP"]
    sounds = {_present(stem) for animal in world.ANIMALS for stem in animal.sounds}
    dog = fill_mask(course.model, course.tokenizer, "the small dog [MASK] at the mailman .", top_k=3)[0]
    assert dog[0][0] in sounds, dog
    positive = {a.word for a in world.ADJECTIVES if a.polarity == "positive" and not a.food}
    bear = fill_mask(course.model, course.tokenizer, "this teddy bear is so [MASK] .", top_k=3)[0]
    assert bear[0][0] in positive, bear


def test_the_mix_keeps_predictions_at_unmasked_positions(family):
    """Notebook 2's claim: where the input shows a real word, the always-[MASK] model predicts the
    original far worse than the 80/10/10 one; at [MASK] the two are close."""
    mix, always = (ex.accuracy_by_position(family[arm].model, family[arm].tokenizer, size=256)
                   for arm in ("80/10/10 + NSP", "always [MASK] + NSP"))
    assert abs(mix.masked - always.masked) < 0.1, (mix, always)
    for where in ("random", "kept", "unselected"):
        assert getattr(mix, where) > getattr(always, where) + 0.2, (where, mix, always)


def test_sentence_heads_learn_topic_or_order(family):
    """Notebook 4b's claims: the NSP head catches other-topic segments, same-topic ones far less often,
    and swapped segments not much better than a coin flip; the SOP head catches swapped segments far more
    often, but hardly notices a change of topic."""
    nsp = ex.sentence_head_breakdown(family["80/10/10 + NSP"].model, family["80/10/10 + NSP"].tokenizer,
                                     num_documents=300)
    sop = ex.sentence_head_breakdown(family["MLM + SOP"].model, family["MLM + SOP"].tokenizer, num_documents=300)
    assert nsp["true next"] > 0.9 and nsp["random, other topic"] > 0.9, nsp
    assert nsp["random, same topic"] < nsp["random, other topic"] - 0.3, nsp
    assert nsp["swapped order"] < 0.75, nsp
    assert sop["swapped order"] > 0.9 and sop["swapped order"] > nsp["swapped order"] + 0.2, (sop, nsp)
    assert sop["random, other topic"] < nsp["random, other topic"] - 0.4, (sop, nsp)


def test_the_sop_head_reads_the_story_frame_not_the_middle(family):
    """Notebook 5c's claim: the SOP head is right on nearly every pair that holds a story's fixed opening
    or closing sentence, and little better than a coin flip in the middle of a story, far below what the
    middle's text allows (a perfect reader of its two-sentence units)."""
    sop = family["MLM + SOP"]
    sizes = ((1, 1), (2, 2))
    order = ex.sentence_order_breakdown(sop.model, sop.tokenizer, num_documents=150, sizes=sizes)
    assert order.balanced("opening") > 0.95 and order.balanced("closing") > 0.95, order
    assert order.balanced("middle") < 0.7, order.balanced("middle")
    best = ex.middle_order_cues(num_documents=150, sizes=sizes)["all"]["best"]
    assert order.balanced("middle") < best - 0.1, (order.balanced("middle"), best)
