"""Language analysis shared by every layer: sentences, BM25 tokens, meetings, dates."""
