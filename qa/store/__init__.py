"""Store: passages into vectors (embedding, int8) and the index that keeps them (index, keywords)."""
