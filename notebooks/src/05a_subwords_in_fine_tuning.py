# Notebook 5a of "BERT, part two". Built into notebooks/05a_subwords_in_fine_tuning.ipynb by scripts/build_notebooks.py.

# %% [markdown]
# # 5a. The sub-word reality of fine-tuning
#
# **Optional deep dive**, after notebook 5; the core path goes on with notebook 6.
#
# The course's vocabulary (2,638 WordPiece tokens) was made large enough that every word of the story
# world is one token. A real BERT's is not: its 30,000-entry WordPiece vocabulary splits rare words,
# most names among them, into pieces. Labels, however, come per **word** (NER) or per **character
# span** (extractive QA). This notebook shows the bookkeeping that connects the two, the part that
# every user of a real BERT meets on day one.
#
# ## What you will do and learn
#
# - Build a **small WordPiece vocabulary** (1,000 tokens) on the storybook corpus and watch it split
#   held-out names into pieces.
# - **NER**: put word labels on word pieces (the first piece gets the tag, the others -100), as a table;
#   train a small tagger and **map its piece-level predictions back to words**.
# - **Extractive QA**: turn an answer given in **characters** into start and end **token** positions with
#   character offsets; see **truncation** cut the answer away; and **decode** the best valid span
#   (end >= start, bounded length) from start and end scores.

# %%
import torch

from helpers.experiments import get_task
from helpers.text.corpus import make_storybook
from helpers.text.tokenizer import WordPieceTokenizer

torch.manual_seed(0)
stories = [sentence for document in make_storybook(num_documents=1500, seed=0) for sentence in document]
small = WordPieceTokenizer.from_corpus(stories, vocab_size=1000)
print(small, f"learnt from {len(stories):,} sentences")
ner, qa = get_task("ner"), get_task("qa")

# %% [markdown]
# ## A vocabulary that splits words
#
# With 1,000 entries the frequent words stay whole, and everything rarer is spelt out of pieces; a
# piece that continues a word starts with `##`. The held-out test splits of the tasks use names, towns
# and things that no labeled training example contains, so they are where the pieces show:

# %%
for example in ner.test_heldout[:4]:
    print(" ".join(" ".join(small.tokenize(word)) if len(small.tokenize(word)) == 1
                   else "[" + " ".join(small.tokenize(word)) + "]" for word in example["words"]))
print("\nwhole words:", sum(len(small.tokenize(w)) == 1 for ex in ner.test_heldout for w in ex["words"]),
      "of", sum(len(ex["words"]) for ex in ner.test_heldout), "in the held-out NER split")

# %% [markdown]
# ## NER: one label per word, several pieces per word
#
# An NER example is a list of words and one tag per word. The model, however, reads pieces and gives one
# output per piece. The usual convention, and the one `helpers.training.finetuning.encode_example`
# follows: the word's tag goes on its **first piece**; its other pieces, and `[CLS]` and `[SEP]`, get
# **-100**, the index the loss ignores, so each word is scored exactly once. (The other common
# convention labels the later pieces `I-...` and trains on them too.)
#
# ### Stretch C (optional): align word labels to word pieces
#
# Before reading the course's code, write the rule yourself. `word_ids` has one entry per piece: the
# index of the word it belongs to, or `None` for `[CLS]` and `[SEP]` (Hugging Face tokenizers return the
# same list from `word_ids()`). Return one label per piece: the word's label on its first piece, -100 on
# its later pieces and on special tokens.

# %%
def align_labels(word_labels, word_ids):
    """Return a list of ints, one per entry of word_ids. word_labels: one label (int) per word."""
    raise NotImplementedError("your code here")

# %%
from helpers.course.exercises import check_align_labels

check_align_labels(align_labels)

# %% [markdown]
# The course's code for it, a branch of `encode_example` (folded until your check passes or you reveal a
# solution; then run the cell again):

# %%
# NBVAL_IGNORE_OUTPUT
from helpers.course.demos import show_source
from helpers.course.exercises import course_version
from helpers.training.finetuning import encode_example

course_version("align-labels", encode_example, start='elif kind == "token":', end='elif kind == "span":')

# %% [markdown]
# And the result for one held-out sentence, as a table: every piece, the word it belongs to, and the
# label the loss sees.

# %%
from IPython.display import HTML

from helpers.constants import IGNORE_INDEX


def table(rows: dict) -> HTML:
    """A small HTML table: one row per entry of ``rows`` (name -> list of cells)."""
    cell = '<td style="padding:2px 6px;border:1px solid #ccc;text-align:center;font-family:monospace">{}</td>'
    body = "".join(f'<tr><th style="padding:2px 8px;text-align:right">{name}</th>'
                   + "".join(cell.format(v) for v in values) + "</tr>" for name, values in rows.items())
    return HTML(f'<table style="border-collapse:collapse">{body}</table>')


example = next(ex for ex in ner.test_heldout
               if any(tag != 0 and len(small.tokenize(w)) > 1 for w, tag in zip(ex["words"], ex["labels"])))
encoded = encode_example(ner, example, small)
pieces = small.convert_ids_to_tokens(encoded["input_ids"])
names = ner.label_names
table({"piece": pieces,
       "word": ["" if w is None else example["words"][w] for w in encoded["word_ids"]],
       "labels": [v if v == IGNORE_INDEX else f"{v} ({names[v]})" for v in encoded["labels"]]})

# %% [markdown]
# Each word's tag appears once, on its first piece. To get **predictions back per word**, read the
# model's output at each word's first piece and ignore the rest. Let us train a small tagger on the
# small vocabulary (from random weights: there is no pre-trained encoder with this vocabulary, so it
# learns from the 1,000 labeled sentences alone, for about ten seconds) and look at both levels.

# %%
# NBVAL_IGNORE_OUTPUT
from helpers.modeling.bert import BertConfig
from helpers.training.finetuning import build_model, finetune

config = BertConfig(vocab_size=small.vocab_size, hidden_size=64, num_hidden_layers=2, num_attention_heads=2,
                    intermediate_size=256, max_position_embeddings=64)
tagger = finetune(build_model(ner, config=config, seed=0), ner, tokenizer=small, steps=300,
                  learning_rate=2e-3, eval_examples=[], seed=0, progress=True)
print(f"entity F1, held-out names: {tagger.evaluate('test_heldout', examples=ner.test_heldout[:200])['entity_f1']:.0%}"
      f"  ({tagger.seconds:.0f} s)")

# %%
# NBVAL_IGNORE_OUTPUT
from helpers.training.finetuning import predict_examples

tagger.model.eval()
with torch.no_grad():
    logits = tagger.model(torch.tensor([encoded["input_ids"]])).logits[0]
piece_tags = [names[i] for i in logits.argmax(-1).tolist()]
word_tags = predict_examples(tagger.model, ner, [example], small)[0]
table({"piece": pieces,
       "piece prediction": [t if w is not None else "" for t, w in zip(piece_tags, encoded["word_ids"])],
       "first piece?": ["yes" if w is not None and (i == 0 or encoded["word_ids"][i - 1] != w) else ""
                        for i, w in enumerate(encoded["word_ids"])]})

# %%
# NBVAL_IGNORE_OUTPUT
print("word          true    predicted (from the first piece)")
for word, true, predicted in zip(example["words"], example["labels"], word_tags):
    print(f"{word:13s} {names[true]:7s} {predicted}")

# %% [markdown]
# The predictions on later pieces are computed but thrown away, just as their labels were ignored in
# training: one word, one decision. Where the tagger errs on a held-out name it never saw labeled, it
# has only the pieces and the sentence around them to go on, and no pre-training to draw on.

# %% [markdown]
# ## Extractive QA: from characters to token positions
#
# A QA example gives the answer as text and as the character where it starts in the passage
# (`answer_start`, as SQuAD does). The model reads `[CLS] question [SEP] passage [SEP]` as pieces and must
# be trained to point at the answer's first and last **token**. Character **offsets** connect the two:
# for each token, the characters of the original text it came from. `helpers.text.offsets` computes them.

# %%
# NBVAL_IGNORE_OUTPUT
from helpers.text import offsets as offsets_module

show_source(offsets_module.token_offsets)

# %%
from helpers.text.offsets import char_span_to_token_span, token_offsets, token_span_to_text

example_qa = qa.test_heldout[1]
context, question = example_qa["context"], example_qa["question"]
char_start = example_qa["answer_start"]
char_end = char_start + len(example_qa["answer_text"])
context_offsets = token_offsets(small, context)
first, last = char_span_to_token_span(context_offsets, char_start, char_end)
print(f"question: {question}\npassage:  {context}")
print(f"answer {example_qa['answer_text']!r} = characters [{char_start}, {char_end}) of the passage")
print(f"passage tokens {first}..{last}: {[t for t, _, _ in context_offsets[first:last + 1]]}")
shift = len(small.tokenize(question)) + 2  # [CLS] + the question's tokens + [SEP] come first
print(f"in the model's input: start_positions = {first + shift}, end_positions = {last + shift}")
print(f"and back from tokens to characters: {token_span_to_text(context, context_offsets, first, last)!r}")

# %% [markdown]
# The course's own encoding (`encode_example`, which maps through word spans) gives the same two
# positions:

# %%
enc_qa = encode_example(qa, example_qa, small)
print("encode_example:", enc_qa["start_positions"], enc_qa["end_positions"])
assert (enc_qa["start_positions"], enc_qa["end_positions"]) == (first + shift, last + shift)
table({"position": list(range(len(enc_qa["input_ids"]))),
       "token": small.convert_ids_to_tokens(enc_qa["input_ids"]),
       "answer": ["start" if i == enc_qa["start_positions"] else "end" if i == enc_qa["end_positions"] else ""
                  for i in range(len(enc_qa["input_ids"]))]})

# %% [markdown]
# ## Truncation can cut the answer away
#
# Inputs have a maximum length (512 for BERT, 64 here). Questions are short, so it is the **passage**
# that gets cut, from the end. When the answer lies in the part that was cut, there is nothing to point
# at. The course's encoder then sets both positions to `len(input_ids)`, an index the loss ignores;
# Hugging Face's convention points both at `[CLS]` (position 0), which the model learns to read as "no
# answer in this window". Real pipelines split a long passage into overlapping windows (a *stride*) so
# that every answer is whole in at least one of them.

# %%
late = max(qa.test_heldout[:200], key=lambda ex: ex["answer_start"])  # an answer near the passage's end
for max_length in (64, 32):
    enc = encode_example(qa, late, small, max_length=max_length)
    kept = small.convert_ids_to_tokens(enc["input_ids"])
    if enc["start_positions"] < len(enc["input_ids"]):
        where = f"tokens {enc['start_positions']}..{enc['end_positions']}"
    else:
        where = f"cut away: both positions = {enc['start_positions']} (= len(input_ids), ignored)"
    print(f"max_length {max_length:2d}: {len(kept)} tokens, answer {late['answer_text']!r} {where}")
print("\nthe passage:", late["context"])

# %% [markdown]
# ## Decoding the best span
#
# At prediction time the QA head gives every token two scores: "the answer starts here" and "the answer
# ends here". Taking the best start and the best end separately can give nonsense: an end before the
# start, a span across the question, or half the passage. A decoder searches for the pair with the
# highest **start score + end score** among the **valid** spans only: inside the passage, **end >=
# start**, and no longer than a maximum number of tokens. The course's decoder:

# %%
# NBVAL_IGNORE_OUTPUT
from helpers.training import finetuning

show_source(finetuning._best_span)

# %% [markdown]
# A made-up case shows why the search matters. The start scores peak at one token and the end scores at
# an *earlier* one, so the two separate maxima make no span at all:

# %%
n = len(enc_qa["input_ids"])
start_scores = torch.full((n,), -4.0)
end_scores = torch.full((n,), -4.0)
a, b = enc_qa["start_positions"], enc_qa["end_positions"]
start_scores[b + 2], end_scores[a - 1] = 3.0, 3.0  # the separate maxima: end before start
start_scores[a], end_scores[b] = 2.5, 2.5           # the real answer, slightly lower each
naive = (int(start_scores.argmax()), int(end_scores.argmax()))
best = finetuning._best_span(start_scores, end_scores, enc_qa["token_type_ids"], enc_qa["word_ids"])
tokens_qa = small.convert_ids_to_tokens(enc_qa["input_ids"])
print(f"separate maxima: start {naive[0]}, end {naive[1]}  -> end < start: not a span")
print(f"best valid span: start {best[0]}, end {best[1]} -> {tokens_qa[best[0]:best[1] + 1]}")
assert best == (a, b)

# %% [markdown]
# The answer string is then cut from the **original passage** through the offsets, so capital letters,
# spacing and punctuation come back exactly as written, not as the lower-cased pieces.

# %% [markdown]
# ## Check yourself

# %%
from helpers.course.quiz import quiz

quiz("subwords", kind="multiple_choice")

# %% [markdown]
# ## Summary
#
# - A real BERT's WordPiece vocabulary splits rare words into pieces; labels still come per word or per
#   character span, so fine-tuning needs an alignment step.
# - **NER**: the word's tag goes on its first piece, the other pieces get -100 (ignored by the loss);
#   predictions are read back from each word's first piece.
# - **QA**: character offsets map the answer's characters to start and end token positions (shifted by
#   the question in front); truncation can cut the answer away, which is marked so the loss ignores it
#   (or points at `[CLS]`); decoding takes the best start + end score among valid spans (end >= start,
#   bounded length, inside the passage), and the answer is cut from the original text.
#
# **Next:** back to the core path with [6. Self-check](06_self_check.ipynb), or on to the next deep dive,
# [5b. BERT at real scale](05b_bert_at_real_scale.ipynb).
