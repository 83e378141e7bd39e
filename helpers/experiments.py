"""One function per claim the lesson makes, each returning plain numbers for tables and plots.

The notebooks call these with small, fast settings; ``benchmarks/claims.py`` calls them with the
full settings and several seeds. Every function takes ``seed`` and size/step arguments, and the
same seed gives the same numbers.

1. ``copy_collapse_experiment`` — next-token prediction with bidirectional attention degenerates
   into copying; a causal model learns the real task.
2. ``mask_mix_experiment`` — the 80/10/10 mix versus always-[MASK]: predicting the original token
   at positions the model sees unmasked.
   ``mask_mix_downstream_experiment`` — what each of the two gives after fine-tuning.
3. ``nsp_experiment`` — MLM + NSP versus MLM-only pre-training, fine-tuned on paraphrase detection.
   ``nsp_breakdown`` — what a pre-trained NSP head learned: topic, or more than topic?
4. ``pretrained_vs_scratch_experiment`` — fine-tuning the course checkpoint versus random weights,
   with 32 / 128 / 512 labels, on the normal and the held-out-vocabulary test splits.
5. ``frozen_vs_end_to_end_experiment`` — training only the head versus the whole network.
6. ``training_flops`` / ``pretraining_cost`` — what pre-training costs next to one fine-tuning run.
"""
from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from helpers.errors import check_positive_int


# ============================================================================ claim 1: copy collapse


def _next_token_loss_and_accuracy(model, input_ids, attention_mask) -> tuple[torch.Tensor, float, int]:
    """Cross-entropy of predicting token t+1 from the output at position t (real tokens only)."""
    logits = model(input_ids, attention_mask=attention_mask).prediction_logits[:, :-1]
    targets = input_ids[:, 1:]
    real = attention_mask[:, 1:].bool()
    loss = F.cross_entropy(logits[real], targets[real])
    correct = int((logits[real].argmax(-1) == targets[real]).sum())
    return loss, correct, int(real.sum())


def copy_collapse_experiment(*, steps: int = 250, num_documents: int = 400, vocab_size: int = 800,
                             hidden_size: int = 64, num_hidden_layers: int = 2, num_attention_heads: int = 2,
                             max_length: int = 32, batch_size: int = 32, learning_rate: float = 5e-3,
                             eval_size: int = 200, seed: int = 0, progress: bool = True) -> dict[str, Any]:
    """Train two same-size models on next-token prediction: one with BERT's bidirectional
    attention, one with a causal (left-to-right) mask. Same data, steps, seed.

    The training target at position t is token t+1. The bidirectional model can *see* token t+1
    (attention reaches every position), so it learns to copy it from the neighbour: its training
    loss heads to zero. We then evaluate both on held-out text twice:

    - ``future visible``: the training condition (the whole sequence is in the input);
    - ``future hidden``: each position sees only itself and the tokens before it, which is all a
      model generating text left to right would have. We get it by switching on the causal mask at
      test time: the output at t then depends on tokens <= t only, exactly as if the sequence were
      cut after t.

    For the causal model the two conditions are the same by construction. The bidirectional
    model's "future hidden" accuracy shows what its copying skill is worth on the real task.

    Copying is not found at once: the model first learns word statistics like the causal one, and
    only after ~150-200 steps (at the default size and learning rate) discovers that the answer
    sits one position to the right. Measured (seed 0, defaults, 250 steps): bidirectional training
    loss 0.08, held-out accuracy 97% with the future visible and 22% with it hidden; causal 55%
    in both conditions; always guessing the most frequent token 11%.

    Returns ``{"bidirectional": {...}, "causal": {...}, "reference": {...}}``; each model entry
    holds ``train_loss`` (per step) and the held-out ``loss``/``accuracy`` under both conditions.
    ``reference`` has the accuracy of always predicting the most frequent token.
    """
    from helpers.progress_bars import tqdm

    from helpers.text.corpus import make_storybook
    from helpers.modeling.bert import BertConfig, BertForPreTraining
    from helpers.training.pretraining import HELD_OUT_SEED_OFFSET, build_tokenizer, lr_lambda

    for name, value in (("steps", steps), ("num_documents", num_documents), ("eval_size", eval_size)):
        check_positive_int(name, value)
    documents = make_storybook(num_documents=num_documents, seed=seed)
    held_out_docs = make_storybook(num_documents=max(20, eval_size), seed=seed + HELD_OUT_SEED_OFFSET)
    tokenizer = build_tokenizer(documents, vocab_size)

    def encode(docs):
        # One document's sentences as one single-segment sequence.
        return tokenizer.encode_batch([" ".join(d) for d in docs], max_length=max_length)

    train, test = encode(documents), encode(held_out_docs[:eval_size])
    config = dict(vocab_size=tokenizer.vocab_size, hidden_size=hidden_size, num_hidden_layers=num_hidden_layers,
                  num_attention_heads=num_attention_heads, intermediate_size=4 * hidden_size,
                  hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, max_position_embeddings=max_length)

    results: dict[str, Any] = {}
    for kind, is_causal in (("bidirectional", False), ("causal", True)):
        torch.manual_seed(seed)  # same initial weights for both
        model = BertForPreTraining(BertConfig(**config, is_causal=is_causal))
        optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate, weight_decay=0.01)
        warmup = max(1, steps // 10)
        scheduler = torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda s: lr_lambda(s, warmup_steps=warmup, total_steps=steps))
        generator = torch.Generator().manual_seed(seed)  # same batches for both
        n, losses = train["input_ids"].shape[0], []
        for _ in tqdm(range(steps), desc=f"next-token, {kind}", disable=not progress):
            index = torch.randint(n, (batch_size,), generator=generator)
            loss, _, _ = _next_token_loss_and_accuracy(model, train["input_ids"][index],
                                                       train["attention_mask"][index])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            losses.append(loss.item())

        model.eval()
        entry: dict[str, Any] = {"train_loss": losses}
        with torch.no_grad():
            for condition, causal_at_test in (("future_visible", is_causal), ("future_hidden", True)):
                model.config.is_causal = causal_at_test
                loss, correct, count = _next_token_loss_and_accuracy(model, test["input_ids"], test["attention_mask"])
                entry[f"loss_{condition}"] = loss.item()
                entry[f"accuracy_{condition}"] = correct / count
        model.config.is_causal = is_causal
        entry["model"] = model
        results[kind] = entry

    targets = test["input_ids"][:, 1:][test["attention_mask"][:, 1:].bool()]
    most_frequent = torch.bincount(targets).max().item() / targets.numel()
    results["reference"] = {"most_frequent_token_accuracy": most_frequent, "steps": steps,
                            "num_test_tokens": int(targets.numel())}
    return results


# ============================================================================ claim 2: the 80/10/10 mix


def mask_mix_experiment(*, preset: str = "live", steps: int | None = None, seed: int = 0,
                        eval_size: int = 512, progress: bool = True, **pretrain_kwargs) -> dict[str, Any]:
    """Pre-train "80/10/10" and "always [MASK]" models (same preset, steps, seed, data) and test
    how each predicts the original token when the selected token is (a) [MASK], (b) a random
    token, (c) left unchanged.

    (b) and (c) are the positions the model sees *unmasked* — like every position of a
    fine-tuning input, which never contains [MASK]. A model that only ever saw [MASK] at the
    positions it had to predict has no reason to build a useful prediction anywhere else.

    Each condition re-masks the same held-out pairs with one operation for every selected
    position (so (a), (b), (c) each use all selected positions). Returns
    ``{"80/10/10": {...}, "always [MASK]": {...}}`` with ``accuracy_masked``, ``accuracy_random``,
    ``accuracy_kept``, ``accuracy_unselected`` (predicting the input token at every other real,
    non-special position: does the model carry the token's identity through?), ``nsp_accuracy``,
    ``history``, and the trained ``model`` and ``tokenizer`` (both runs share the vocabulary).
    """
    from helpers.objectives.mlm import NOT_SELECTED
    from helpers.training.pretraining import (HELD_OUT_SEED_OFFSET, default_documents, evaluate, make_held_out_set,
                                     pretrain, resolve_settings)

    settings = resolve_settings(preset, steps=steps)
    documents = pretrain_kwargs.pop("documents", None) or default_documents(settings["num_documents"], seed)
    eval_documents = default_documents(max(50, eval_size), seed + HELD_OUT_SEED_OFFSET)
    results: dict[str, Any] = {}
    tokenizer = pretrain_kwargs.pop("tokenizer", None)
    for name, (mask_prob, random_prob) in (("80/10/10", (0.8, 0.1)), ("always [MASK]", (1.0, 0.0))):
        run = pretrain(documents, preset=preset, steps=steps, seed=seed, tokenizer=tokenizer,
                       mask_prob=mask_prob, random_prob=random_prob, eval_documents=eval_documents,
                       progress=progress, **pretrain_kwargs)
        tokenizer = run.tokenizer  # the second run reuses the first's vocabulary
        entry: dict[str, Any] = {"history": run.history, "model": run.model, "steps": run.steps,
                                 "seconds": run.seconds}
        for condition, (mp, rp) in (("masked", (1.0, 0.0)), ("random", (0.0, 1.0)), ("kept", (0.0, 0.0))):
            held_out = make_held_out_set(eval_documents, tokenizer, max_length=settings["max_length"],
                                         size=eval_size, seed=seed, mask_prob=mp, random_prob=rp)
            metrics = evaluate(run.model, held_out)
            entry[f"accuracy_{condition}"] = metrics["mlm_accuracy"]
            entry["nsp_accuracy"] = metrics["nsp_accuracy"]
        # Unselected ordinary positions: predict the token that is in the input.
        held_out = make_held_out_set(eval_documents, tokenizer, max_length=settings["max_length"], size=eval_size,
                                     seed=seed)
        special = (held_out.original_ids <= tokenizer.mask_token_id) | (held_out.attention_mask == 0)
        unselected = (held_out.operations == NOT_SELECTED) & ~special
        with torch.no_grad():
            logits = run.model(held_out.input_ids, token_type_ids=held_out.token_type_ids,
                               attention_mask=held_out.attention_mask).prediction_logits
        hits = logits.argmax(-1) == held_out.original_ids
        entry["accuracy_unselected"] = float(hits[unselected].float().mean())
        entry["tokenizer"] = tokenizer
        results[name] = entry
    return results


# ============================================================================ claims 2-5: fine-tuning
#
# Every fine-tuning claim runs the same small recipe: take an encoder, put the task's head on it,
# fine-tune on n labeled examples for a fixed number of steps, score the test splits. Only one thing
# changes between the arms of an experiment (the encoder's pre-training, or freezing); data, steps,
# learning rate and seeds are shared. Each arm runs once per seed; the tables report mean and spread.

FINETUNE_STEPS = 150      # default optimizer steps per fine-tuning run (batch 16)
_TASK_CACHE: dict = {}


def spread(values) -> dict[str, Any]:
    """Mean, standard deviation (population), min and max of a list of numbers, plus the list."""
    values = [float(v) for v in values]
    mean = sum(values) / len(values)
    std = (sum((v - mean) ** 2 for v in values) / len(values)) ** 0.5
    return {"mean": mean, "std": std, "min": min(values), "max": max(values), "values": values}


def get_task(name: str, seed: int = 0):
    """``helpers.text.tasks.load_task(name, seed)``, built once per process (the splits are deterministic)."""
    from helpers.text.tasks import load_task

    if (name, seed) not in _TASK_CACHE:
        _TASK_CACHE[(name, seed)] = load_task(name, seed)
    return _TASK_CACHE[(name, seed)]


def load_encoder(source="checkpoints/course.pt"):
    """``(model, tokenizer)`` from a checkpoint path, a loaded ``Checkpoint``, or a ``(model, tokenizer)``
    pair (for example one from ``pretrain``)."""
    from helpers.modeling.checkpoints import load_checkpoint

    if isinstance(source, tuple) and len(source) == 2:
        return source
    if hasattr(source, "model") and hasattr(source, "tokenizer"):
        return source.model, source.tokenizer
    ckpt = load_checkpoint(source)
    return ckpt.model, ckpt.tokenizer


def majority_baseline(task, split: str = "test") -> float | None:
    """Accuracy of always answering the most frequent training label (classification tasks only)."""
    if task.kind not in ("sequence", "pair"):
        return None
    counts: dict = {}
    for ex in task.train:
        counts[ex["label"]] = counts.get(ex["label"], 0) + 1
    guess = max(counts, key=counts.get)
    examples = getattr(task, split)
    return sum(ex["label"] == guess for ex in examples) / len(examples)


def finetune_and_score(task, tokenizer, *, encoder=None, config=None, num_labels: int = 128,
                       splits=("test", "test_heldout"), freeze_encoder: bool = False, steps: int = FINETUNE_STEPS,
                       learning_rate: float | None = None, batch_size: int = 16, seed: int = 0,
                       test_size: int | None = None, progress: bool = False) -> dict[str, Any]:
    """One fine-tuning run: a head on ``encoder`` (pre-trained; ``None`` with a ``config`` = from
    scratch), trained on ``num_labels`` examples drawn with ``seed``, scored on ``splits``.

    Returns ``{split: main metric, ..., "seconds", "tokens_seen", "sequences_seen",
    "trainable_parameters", "history"}``.
    """
    from helpers.training.finetuning import build_model, evaluate, finetune, main_metric
    from helpers.text.tasks import subsample

    train = subsample(task, num_labels, seed=seed)
    model = build_model(task, encoder, config=config, seed=seed)
    run = finetune(model, task, tokenizer=tokenizer, train_examples=train, freeze_encoder=freeze_encoder,
                   steps=steps, learning_rate=learning_rate, batch_size=batch_size, seed=seed,
                   eval_examples=[], progress=progress)
    metric = main_metric(task)
    out: dict[str, Any] = {}
    for split in splits:
        examples = getattr(task, split)[:test_size] if test_size else None
        out[split] = evaluate(run.model, task, split, tokenizer=tokenizer, examples=examples)[metric]
    out.update(seconds=run.seconds, tokens_seen=run.tokens_seen, sequences_seen=run.sequences_seen,
               trainable_parameters=run.trainable_parameters, history=run.history, metric=metric)
    return out


def _arms_over_seeds(task, tokenizer, arms: dict, *, seeds, splits, progress, **run_kwargs) -> dict[str, Any]:
    """Run every arm (name -> keyword arguments of ``finetune_and_score``) once per seed and summarise."""
    from helpers.progress_bars import tqdm

    out: dict[str, Any] = {}
    jobs = [(name, seed) for name in arms for seed in seeds]
    runs: dict = {name: [] for name in arms}
    for name, seed in tqdm(jobs, desc=f"{task.name}: fine-tuning runs", disable=not progress, leave=False):
        runs[name].append(finetune_and_score(task, tokenizer, seed=seed, splits=splits, **arms[name], **run_kwargs))
    for name, results in runs.items():
        out[name] = {split: spread([r[split] for r in results]) for split in splits}
        out[name]["seconds"] = spread([r["seconds"] for r in results])
        out[name]["trainable_parameters"] = results[0]["trainable_parameters"]
        out[name]["tokens_seen"] = results[0]["tokens_seen"]
        out[name]["sequences_seen"] = results[0]["sequences_seen"]
    return out


def pretrained_vs_scratch_experiment(source="checkpoints/course.pt", *, tasks=("sentiment", "ner"),
                                     label_counts=(32, 128, 512), seeds=(0, 1, 2), steps: int = FINETUNE_STEPS,
                                     splits=("test", "test_heldout"), test_size: int | None = None,
                                     progress: bool = True) -> dict[str, Any]:
    """Claim 4: pre-training is what makes few labels enough.

    For each task and each number of labeled examples, fine-tune the same architecture twice — once
    starting from the pre-trained encoder (``source``: the course checkpoint), once from random
    weights — with the same examples, steps, learning rate and seeds. Score the normal test split
    and the held-out-vocabulary split (words that no labeled example contains, but the pre-training
    stories do).

    Returns ``{"metric": {task: name}, "baseline": {task: {split: majority-class accuracy}},
    "results": {task: {n: {"pretrained": {split: spread}, "scratch": {...}}}}, "rows": [...]}``;
    ``rows`` is one flat dict per (task, n, start, split) for tables.
    """
    from helpers.training.finetuning import main_metric

    encoder, tokenizer = load_encoder(source)
    config = getattr(encoder, "config")
    out: dict[str, Any] = {"metric": {}, "baseline": {}, "results": {}, "rows": []}
    for name in tasks:
        task = get_task(name)
        out["metric"][name] = main_metric(task)
        out["baseline"][name] = {s: majority_baseline(task, s) for s in splits}
        out["results"][name] = {}
        for n in label_counts:
            check_positive_int("label_counts", n)
            arms = {"pretrained": dict(encoder=encoder), "scratch": dict(encoder=None, config=config)}
            summary = _arms_over_seeds(task, tokenizer, arms, seeds=seeds, splits=splits, progress=progress,
                                       num_labels=n, steps=steps, test_size=test_size)
            out["results"][name][n] = summary
            for start in arms:
                for split in splits:
                    s = summary[start][split]
                    out["rows"].append(dict(task=name, labels=n, start=start, split=split, metric=main_metric(task),
                                            mean=s["mean"], std=s["std"], values=s["values"]))
    out["settings"] = dict(label_counts=list(label_counts), seeds=list(seeds), steps=steps, splits=list(splits))
    return out


def frozen_vs_end_to_end_experiment(source="checkpoints/course.pt", *, tasks=("sentiment", "ner"),
                                    num_labels: int = 512, seeds=(0, 1, 2), steps: int = FINETUNE_STEPS,
                                    splits=("test", "test_heldout"), test_size: int | None = None,
                                    end_to_end_results: dict | None = None,
                                    progress: bool = True) -> dict[str, Any]:
    """Claim 5: freeze the encoder and train only the head, or train everything end to end.

    Same pre-trained encoder, labels, steps and seeds; each arm uses its own default learning rate
    (a lone linear head on fixed features needs larger steps than the whole network). Returns, per
    task, ``{"frozen": {...}, "end_to_end": {...}}`` with the test metrics (spread over seeds), the
    seconds per run and the number of trained parameters.

    ``end_to_end_results`` (``{task: summary}``) may pass end-to-end runs already made with exactly
    these settings — claim 4's pre-trained arm at the same number of labels — instead of repeating them.
    """
    from helpers.training.finetuning import main_metric

    encoder, tokenizer = load_encoder(source)
    out: dict[str, Any] = {"metric": {}, "results": {}}
    for name in tasks:
        task = get_task(name)
        out["metric"][name] = main_metric(task)
        arms = {"frozen": dict(encoder=encoder, freeze_encoder=True),
                "end_to_end": dict(encoder=encoder, freeze_encoder=False)}
        reused = (end_to_end_results or {}).get(name)
        if reused is not None:
            del arms["end_to_end"]
        out["results"][name] = _arms_over_seeds(task, tokenizer, arms, seeds=seeds, splits=splits,
                                                progress=progress, num_labels=num_labels, steps=steps,
                                                test_size=test_size)
        if reused is not None:
            out["results"][name]["end_to_end"] = reused
    out["settings"] = dict(num_labels=num_labels, seeds=list(seeds), steps=steps, splits=list(splits))
    return out


def nsp_experiment(*, preset: str = "live", pretrain_steps: int | None = None, pretrain_seed: int = 0,
                   task: str = "paraphrase", num_labels: int = 512, seeds=(0, 1, 2), steps: int = FINETUNE_STEPS,
                   splits=("test", "test_heldout"), with_nsp=None, test_size: int | None = None,
                   progress: bool = True) -> dict[str, Any]:
    """Claim 3 (the RoBERTa question): does NSP pre-training help a sentence-pair task?

    Pre-train two models with the same preset, data, steps and seed — MLM + NSP, and MLM only —
    then fine-tune each on paraphrase detection (``[CLS] A [SEP] B [SEP]``, the NSP layout) with the
    same labels and seeds. ``with_nsp`` may pass an already pre-trained MLM + NSP ``(model,
    tokenizer)`` made with the same preset and seed (``benchmarks/claims.py`` reuses claim 2's
    80/10/10 model); the MLM-only model is then trained with its tokenizer.

    Returns ``{"mlm+nsp": {...}, "mlm only": {...}, "difference": {split: mean difference}}``;
    each arm has the fine-tuned scores (spread over seeds) and its pre-training ``final`` metrics.
    """
    from helpers.training.pretraining import pretrain

    data = get_task(task)
    tokenizer = with_nsp[1] if with_nsp is not None else None
    pretrained: dict[str, Any] = {}
    if with_nsp is not None:
        pretrained["mlm+nsp"] = (with_nsp[0], {})
    for name, use_nsp in (("mlm+nsp", True), ("mlm only", False)):
        if name in pretrained:
            continue
        run = pretrain(preset=preset, steps=pretrain_steps, seed=pretrain_seed, nsp=use_nsp, tokenizer=tokenizer,
                       progress=progress)
        tokenizer = run.tokenizer  # both models share one vocabulary
        pretrained[name] = (run.model, dict(run.final, seconds=run.seconds))
    arms = {name: dict(encoder=model) for name, (model, _) in pretrained.items()}
    out = _arms_over_seeds(data, tokenizer, arms, seeds=seeds, splits=splits, progress=progress,
                           num_labels=num_labels, steps=steps, test_size=test_size)
    for name, (_, final) in pretrained.items():
        out[name]["pretraining"] = final
    out["difference"] = {s: out["mlm+nsp"][s]["mean"] - out["mlm only"][s]["mean"] for s in splits}
    out["baseline"] = {s: majority_baseline(data, s) for s in splits}
    out["settings"] = dict(preset=preset, pretrain_seed=pretrain_seed, task=task, num_labels=num_labels,
                           seeds=list(seeds), steps=steps)
    return out


NSP_PAIR_KINDS = ("true next", "random, other topic", "random, same topic")


def nsp_breakdown(model, tokenizer, *, num_documents: int = 600, seed: int = 10001, max_length: int = 64,
                  batch_size: int = 100) -> dict[str, dict[str, float]]:
    """What did NSP learn? NSP accuracy on fresh storybook pairs, split three ways.

    Pairs are cut by ``helpers.objectives.nsp.make_nsp_pairs`` from ``num_documents`` new documents (the
    ``seed`` picks them; the course trained on seed 0). Each pair is a true next segment, or a
    random segment from a document about **another topic**, or from one about the **same topic**.
    A model that only compares topics gets the first two right and the third at best at chance;
    telling two same-topic stories apart needs more (who is in them, what they did).

    Returns ``{kind: {"accuracy": float, "pairs": int}}`` for each of ``NSP_PAIR_KINDS``.
    """
    from helpers.text import corpus
    from helpers.objectives import nsp

    check_positive_int("num_documents", num_documents, minimum=2)
    check_positive_int("batch_size", batch_size)
    documents, topics = corpus.make_storybook(num_documents, seed=seed, with_topics=True)
    pairs = nsp.make_nsp_pairs(documents, tokenizer=tokenizer, max_length=max_length, seed=seed, progress=False)
    right = {kind: [] for kind in NSP_PAIR_KINDS}
    was_training = model.training
    model.eval()
    with torch.no_grad():
        for start in range(0, len(pairs), batch_size):
            chunk = pairs[start:start + batch_size]
            batch = nsp.collate(chunk)
            logits = model(batch["input_ids"], token_type_ids=batch["token_type_ids"],
                           attention_mask=batch["attention_mask"]).seq_relationship_logits
            for pair, predicted in zip(chunk, logits.argmax(-1).tolist()):
                if pair["next_sentence_label"] == nsp.IS_NEXT:
                    kind = "true next"
                elif topics[pair["a_doc"]] == topics[pair["b_doc"]]:
                    kind = "random, same topic"
                else:
                    kind = "random, other topic"
                right[kind].append(predicted == pair["next_sentence_label"])
    model.train(was_training)
    return {kind: {"accuracy": sum(r) / max(len(r), 1), "pairs": len(r)} for kind, r in right.items()}


def mask_mix_downstream_experiment(mask_mix_results: dict, *, tasks=("sentiment",), num_labels: int = 128,
                                   seeds=(0, 1, 2), steps: int = FINETUNE_STEPS, splits=("test", "test_heldout"),
                                   test_size: int | None = None, progress: bool = True) -> dict[str, Any]:
    """Claim 2, downstream half: fine-tune the "80/10/10" and "always [MASK]" models from
    ``mask_mix_experiment`` on the same task, labels and seeds, and compare the test scores.

    Fine-tuning inputs contain no [MASK]; a model pre-trained only to read masked positions must
    now work from the unmasked ones. Returns ``{task: {"80/10/10": {...}, "always [MASK]": {...}}}``.
    """
    from helpers.training.finetuning import main_metric

    names = [n for n in ("80/10/10", "always [MASK]") if n in mask_mix_results]
    if len(names) != 2:
        raise ValueError("mask_mix_results must be the dict returned by mask_mix_experiment "
                         "(with '80/10/10' and 'always [MASK]' entries).")
    tokenizer = mask_mix_results["80/10/10"]["tokenizer"]
    arms = {n: dict(encoder=mask_mix_results[n]["model"]) for n in names}
    out: dict[str, Any] = {"metric": {}, "results": {}}
    for name in tasks:
        task = get_task(name)
        out["metric"][name] = main_metric(task)
        out["results"][name] = _arms_over_seeds(task, tokenizer, arms, seeds=seeds, splits=splits,
                                                progress=progress, num_labels=num_labels, steps=steps,
                                                test_size=test_size)
    out["settings"] = dict(num_labels=num_labels, seeds=list(seeds), steps=steps)
    return out


# ============================================================================ claim 6: cost


def training_flops(config, num_tokens: int, *, seq_len: int, num_selected: int = 0, num_sequences: int = 0,
                   num_labels: int = 0, freeze_encoder: bool = False) -> int:
    """Model FLOPs of training (forward + backward) on ``num_tokens`` tokens.

    Counted per matrix multiply (a multiply-add = 2 FLOPs), per token and layer, with
    H = hidden_size, I = intermediate_size, T = ``seq_len`` (the attention span):

    - Q, K, V and output projections: 2 * 4 * H * H
    - feed-forward: 2 * 2 * H * I
    - attention scores and the weighted sum of values: 2 * 2 * T * H

    plus the heads: the MLM head (dense H*H, then the vocabulary decoder H*V) on ``num_selected``
    positions only; the pooler (H*H) and a classifier with ``num_labels`` outputs once per
    sequence (``num_sequences``; NSP is ``num_labels=2``). Embedding look-ups, LayerNorm, softmax
    and GELU are left out (a few percent at this size).

    Backward costs about twice the forward, so training = 3 x forward — the source of the familiar
    "6 x parameters x tokens". With ``freeze_encoder=True`` (fine-tuning only the head) the encoder
    needs its forward pass only: 1 x encoder + 3 x head.
    """
    cfg = config.to_dict() if hasattr(config, "to_dict") else dict(config)
    H, I, L, V = cfg["hidden_size"], cfg["intermediate_size"], cfg["num_hidden_layers"], cfg["vocab_size"]
    per_token_layer = 2 * 4 * H * H + 2 * 2 * H * I + 2 * 2 * seq_len * H
    encoder = num_tokens * L * per_token_layer
    mlm_head = num_selected * 2 * (H * H + H * V)
    sequence_heads = num_sequences * 2 * (H * H + H * num_labels) if num_labels else 0
    heads = mlm_head + sequence_heads
    return int((1 if freeze_encoder else 3) * encoder + 3 * heads)


def pretraining_cost(checkpoint: str = "checkpoints/course.pt", finetune_result: Any = None, *,
                     finetune_tokens: int | None = None, finetune_num_labels: int = 3) -> dict[str, Any]:
    """Seconds and model FLOPs of the course pre-training (read from the checkpoint's metadata)
    next to one fine-tuning run (``finetune_result``: what ``helpers.training.finetuning.finetune`` returns;
    its ``seconds``, ``steps`` and ``settings`` are read).

    FLOPs count every position the model computed, padding included (that is the work done). For
    fine-tuning, unless ``finetune_tokens`` is given, the positions are estimated as
    steps x batch_size x max_length, an upper bound (batches are padded to their longest example,
    which may be shorter). The head is counted as a ``finetune_num_labels``-way classifier per
    sequence; any head is tiny next to the encoder, so the task barely changes the number.

    Returns ``{"pretraining": {...}, "finetuning": {...}, "ratio_seconds", "ratio_flops"}``.
    """
    from helpers.modeling.checkpoints import load_checkpoint

    ckpt = load_checkpoint(checkpoint)
    meta = ckpt.metadata
    settings = meta.get("settings", {})
    pairs = meta["steps"] * settings.get("batch_size", 32) * settings.get("world_size", 1)
    positions = meta.get("positions_processed", meta["tokens_seen"])
    pre = {
        "seconds": meta.get("train_seconds", meta["seconds"]), "steps": meta["steps"], "tokens": meta["tokens_seen"], "positions": positions,
        "flops": training_flops(ckpt.config, positions, seq_len=settings.get("max_length", 64),
                                num_selected=meta["selected_seen"], num_sequences=pairs, num_labels=2),
        "parameters": meta.get("num_parameters"),
    }
    result: dict[str, Any] = {"pretraining": pre}
    if finetune_result is not None:
        fs = finetune_result.settings
        sequences = finetune_result.steps * fs["batch_size"]
        positions = finetune_tokens if finetune_tokens is not None else sequences * fs["max_length"]
        fine = {
            "seconds": finetune_result.seconds, "steps": finetune_result.steps, "positions": positions,
            "freeze_encoder": fs["freeze_encoder"],
            "flops": training_flops(ckpt.config, positions, seq_len=fs["max_length"], num_sequences=sequences,
                                    num_labels=finetune_num_labels, freeze_encoder=fs["freeze_encoder"]),
        }
        result["finetuning"] = fine
        result["ratio_flops"] = pre["flops"] / max(1, fine["flops"])
        result["ratio_seconds"] = pre["seconds"] / max(1e-9, fine["seconds"])
    return result
