"""The trainer toolkit: outlines, glossaries, quizzes, exam papers and slides."""
