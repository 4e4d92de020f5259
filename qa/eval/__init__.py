"""Evaluation: EM, F1, no-answer accuracy, recall@k; SQuAD files; HTML reports."""
