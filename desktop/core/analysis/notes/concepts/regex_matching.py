"""medspaCy's RegexMatcher, reading a note's text once instead of once per regex rule.

medspaCy 1.3.1 rebuilds ``doc.text_with_ws`` (a join over every token) for each regex rule;
with our vital and lab rules that is ~4 % of note analysis. Matches are the same: the loop
below is medspaCy's, given the text once.
"""

from __future__ import annotations

from medspacy.common.regex_matcher import RegexMatcher
from medspacy.common.util import get_token_for_char
from medspacy.target_matcher import TargetMatcher
from spacy.tokens import Doc


class OneTextRegexMatcher(RegexMatcher):
    def __call__(self, doc: Doc) -> list[tuple[int, int, int]]:
        text = doc.text_with_ws
        matches: list[tuple[int, int, int]] = []
        for match_id, patterns in self._patterns.items():
            on_match = self._callbacks[match_id]
            for pattern in patterns:
                for found in pattern.finditer(text):
                    span = doc.char_span(found.start(), found.end())
                    if span is None:  # not on token boundaries: widen to whole tokens
                        start = get_token_for_char(doc, found.start(), resolve=self.resolve_start)
                        end = get_token_for_char(doc, found.end(), resolve=self.resolve_end)
                        span = doc[start.i:len(doc) if end is None else end.i]
                    if len(span):
                        matches.append((match_id, span.start, span.end))
                    if on_match is not None:
                        on_match(self, doc, len(matches) - 1, matches)
        return matches


def read_text_once(target_matcher: TargetMatcher) -> None:
    """Give ``target_matcher`` the one-text regex matcher, keeping its rules.

    The matcher sits in private attributes; if a later medspaCy moves or replaces it, the
    stock matcher stays (slower, same matches).
    """
    inner = getattr(target_matcher, "_TargetMatcher__matcher", None)
    stock = getattr(inner, "_MedspacyMatcher__regex_matcher", None)
    if type(stock) is not RegexMatcher:
        return
    faster = OneTextRegexMatcher.__new__(OneTextRegexMatcher)
    faster.__dict__.update(stock.__dict__)
    inner._MedspacyMatcher__regex_matcher = faster
