"""Inspecting fitted estimators: plots in scikit-learn's Display convention."""

from ._display import EmbeddingDisplay, HistoryDisplay, match_labels

__all__ = ["EmbeddingDisplay", "HistoryDisplay", "match_labels"]
