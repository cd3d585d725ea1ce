"""What the documents say: the parsed corpus, numerals, word segmentation, the English bridge."""
