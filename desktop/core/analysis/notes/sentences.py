"""Sentence spans from medspaCy's PyRuSH sentence splitter (plus section-header breaks)."""

from __future__ import annotations

import re
from pathlib import Path

from spacy.language import Language
from spacy.tokens import Doc

from desktop.core.analysis.notes.note_analysis import Sentence
from desktop.core.errors import NotAvailableError

# A sentence end followed by commas before the next sentence: text whose line breaks were
# replaced by commas (a record system's CSV export: "No known allergies.,ILLNESSES: ,
# Crohn's disease"). PyRuSH keeps such a run as one sentence, so a negation reached across
# it ("Crohn's disease" was negated by "No known allergies").
# Not after an abbreviation that takes a comma: "e.g., Aspirin", "i.e., Lyme disease".
RUN_ON_BREAK = re.compile(r"(?<!\b[eE]\.[gG])(?<!\b[iI]\.[eE])(?<!\b[eE]tc)(?<!\b[vV]iz)"
                          r"[.?!][ \t]*(?:,[ \t]*)+(?=[A-Z])")
RUN_ON_BREAKS = "clinicdesk_run_on_breaks"


@Language.component(RUN_ON_BREAKS)
def mark_run_on_breaks(doc: Doc) -> Doc:
    """Start a sentence after "., " runs (after PyRuSH has split the doc)."""
    for match in RUN_ON_BREAK.finditer(doc.text):
        span = doc.char_span(match.end(), match.end() + 1, alignment_mode="expand")
        if span is not None and span[0].i > 0:
            span[0].is_sent_start = True
    return doc


def sentences_of(doc: Doc) -> tuple[Sentence, ...]:
    spans = []
    for sent in doc.sents:
        text = sent.text
        if not text.strip():
            continue
        # Trim surrounding whitespace so a highlighted sentence starts on a word.
        lead = len(text) - len(text.lstrip())
        trail = len(text) - len(text.rstrip())
        spans.append(Sentence(sent.start_char + lead, sent.end_char - trail))
    return tuple(spans)


def _shipped_rules_file() -> Path:
    import medspacy

    # Where medspacy.load looks for them: resources/en/ beside the package.
    return Path(medspacy.__file__).resolve().parents[1] / "resources" / "en" / "rush_rules.tsv"


def _runs_in_pyfastner(rule: str, wildcards: frozenset[str], repeatable: frozenset[str]) -> bool:
    """False when ``rule`` has an escape PyFastNER has no function for ("\\.") or repeats one it
    cannot repeat ("\\(+"): such a rule can never match."""
    for escape in re.finditer(r"\\(.)(\+?)", rule):
        char, repeated = escape.groups()
        if char not in wildcards or (repeated and char not in repeatable):
            return False
    return True


# Abbreviations the shipped rules lack, in their form (" Dr. " is one): "admitted to St. Luke's
# Hospital for altered mental status" ended a sentence after "St." (41 in MTSamples dev), so a
# cue before it no longer reached what followed and the summary showed "Luke's Hospital...".
EXTRA_RULES = ("\\sSt. \t3\tstend",)


def splitter_rules() -> str:
    """PyRuSH's shipped rules, minus those PyFastNER cannot run, as rule text.

    Three shipped rules use an escape PyFastNER does not support. They never match, but
    PyFastNER logs that through the root logger at nearly every character of a note: with
    the app's log at INFO, analysing one page of a note wrote ~750 kB of log lines (pushing
    everything useful out of the rotating log) and took twice as long. They are commented
    out, not removed, so every other rule keeps its line number (its id).
    """
    from PyFastNER.ReplicationFunctionsLambda import ReplicationFunctions
    from PyFastNER.WildCardFunctions import WildCardFunctions

    wildcards = frozenset(WildCardFunctions(None).wildcard_funcs)
    repeatable = frozenset(ReplicationFunctions(None, 1).replication_funcs)
    try:
        lines = _shipped_rules_file().read_text("utf-8").splitlines()
    except OSError as exc:
        raise NotAvailableError(
            "The sentence splitter's rule file (medspaCy resources/en/rush_rules.tsv) is "
            "missing from this installation. Ask IT to reinstall ClinicDesk.") from exc
    return "\n".join([
        *(line if line.startswith("#")
          or _runs_in_pyfastner(line.split("\t")[0], wildcards, repeatable)
          else "#" + line
          for line in lines),
        *EXTRA_RULES])
