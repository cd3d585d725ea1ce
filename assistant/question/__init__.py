"""What the user asked: normalization, references and question kinds, follow-ups."""
