"""Extractive question answering over your documents.

Three lines::

    from qa import QA
    qa = QA("index")                      # an index built by `qa index`
    qa.ask("How many boat strikes since August?").answers[0].text   # '35'
"""

from qa.pipeline import QA, Answer, IndexReport, QuestionError, Result, build_index

__all__ = ["QA", "Answer", "IndexReport", "QuestionError", "Result", "build_index"]
