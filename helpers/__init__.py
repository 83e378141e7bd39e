"""Helpers for the course "BERT, part two": tokenizer, corpus, encoder, objectives,
fine-tuning heads, training loops, plots, and quiz/flashcard widgets."""
