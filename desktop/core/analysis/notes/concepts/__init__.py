"""Concept extraction: term lists and measurement rules -> medspaCy TargetMatcher."""
