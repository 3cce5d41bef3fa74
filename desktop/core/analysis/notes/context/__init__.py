"""Assertion of concepts with medspaCy ConText (negated, possible, family...)."""
