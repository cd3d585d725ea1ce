"""Pieces of the web app: the table of contents and the rendered answers."""
