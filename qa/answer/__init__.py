"""Answer: a question into spans: retrieval, reading, answer checks and follow-up questions."""
