"""The answer: one strategy per question kind, support grades, extractive and LLM drafts, the guard."""
