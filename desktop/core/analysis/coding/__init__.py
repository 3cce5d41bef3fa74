"""ICD-10-CM code suggestions for a note's present problems, each tied to its text span."""

from desktop.core.analysis.coding.suggest import CodeSuggestion, IcdCoder

__all__ = ["CodeSuggestion", "IcdCoder"]
