"""Regenerate the derived rule files in resources/nlp from their open sources.

Run from the repository root: ``.venv/bin/python resources/nlp/build_nlp_resources.py``.

- ``context_rules.json``: medspaCy 1.3.1's English ConText defaults (MIT; derived from
  pyConText/NegEx) merged with ``context_rules_curated.json`` (curated entries win; one
  with ``"_remove": true`` drops the default rule of that literal and category).
- ``terms/icd10cm_terms.tsv``: short clinical phrases from ICD-10-CM descriptions and
  inclusion terms (via ``simple-icd-10-cm``), each with the codes it names. It is both the
  TargetMatcher term list for problems/symptoms/findings and the lexical coding index.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import medspacy
import simple_icd_10_cm as icd

HERE = Path(__file__).resolve().parent
# External causes (V-Y) and health-status factors (Z) are not problems a note names.
SKIP_CHAPTER_LETTERS = set("VWXYZ")
SUFFIXES = [
    r", unspecified( \w+)?$",
    r" unspecified$",
    r",? not elsewhere classified$",
    r",? nos$",
    r" without (complications?|mention of .*|hyperosmolarity|coma)$",
    r",? initial encounter$",
    r",? site unspecified$",
]
BAD_STARTS = (
    "other ", "encounter", "personal history", "family history", "presence of", "underdosing",
    "poisoning by", "adverse effect", "sequelae", "history of", "contact with",
    "exposure to", "screening", "observation", "follow-up",
)
# "Unspecified malaria", "Unspecified corneal edema": the condition without the word; a
# description that is only "unspecified <qualifier>" stays out (the bad starts above).
UNSPECIFIED_START = re.compile(r"^unspecified ")
# Words from ICD text that are too ambiguous to tag on their own.
AMBIGUOUS = {
    "use", "care", "fall", "cold", "lead", "burn", "contact", "abuse", "mass", "block", "shock",
    "complication", "complications", "disease", "disorder", "injury", "problem", "condition",
    "deformity", "failure", "lesion", "syndrome", "infection", "dependence", "pain",
    "inflammation", "anomaly", "other", "stress", "drowning", "delivery", "pregnancy",
    "illness", "allergies", "allergy", "history", "procedure", "findings", "examination",
    # inclusion terms that name normal anatomy ("a normal left aortic arch" is no problem)
    "aortic arch", "lordosis",
    # "The wound was closed in layers": in operative notes the surgical wound, not an injury
    "wound", "wounds",
    # anatomy or a substance that an inclusion term makes a condition: "the LigaSure Atlas
    # device" was a fracture of the first cervical vertebra, the ear's malleus glanders,
    # topical "cocaine" in nasal surgery a poisoning by local anesthetics
    "atlas", "astragalus", "malleus", "cocaine", "immersion",
    # a knee's or an orbit's fat pad in an operation (30 of 37 dev mentions) is anatomy:
    # "the infrapatellar fat pad was incised" was E65 localized adiposity
    "fat pad",
    # a specialty more often than a diagnosis: "Dr. XYZ of infectious diseases"; in a
    # newborn's history the mother's condition (P00.0), not the O16.9 of her own record
    "infectious disease", "maternal hypertension",
    # an inclusion term of R92.30 (dense breasts) that CT reports use for any organ: "some low
    # density in the liver, which could be from artifact" was coded as dense breasts
    "low density",
}


DANGLING = {"in", "of", "with", "to", "and", "or", "the", "by", "due", "for", "from", "on", "other"}


def clean_term(text: str) -> str | None:
    term = re.sub(r"\s*\([^)]*\)", "", text.lower()).strip()
    term = re.sub(r"\s*\[[^\]]*\]", "", term).strip()
    term = UNSPECIFIED_START.sub("", term)
    for pattern in SUFFIXES:
        term = re.sub(pattern, "", term).strip()
    if not term or "," in term or ";" in term or term.startswith(BAD_STARTS):
        return None
    words = term.split()
    if words and words[-1] in DANGLING:
        return None
    if len(words) > 6 or term in AMBIGUOUS or (len(words) == 1 and len(term) < 5):
        return None
    return term


# "Radiculopathy, lumbar region": notes write "lumbar radiculopathy", which the comma form
# never matched, so the unspecified-site code was suggested.
REGION = re.compile(r"^([a-z][a-z ]*?), ([a-z]+(?: [a-z]+)?) region$")
# "Vesicoureteral-reflux": notes write "vesicoureteral reflux", which matched only "reflux"
# and was coded as gastro-oesophageal reflux disease.
WORD_HYPHEN = re.compile(r"(?<=[a-z])-(?=[a-z])")
# ICD-10-CM's "non...", "post..." and "pseudo..." words carry the prefix (not "posterior",
# "postural", "pseudomonas"): notes also write them "non-alcoholic", "post-concussional".
PREFIXED_WORD = re.compile(r"\b(non|post(?!er|ur|icum)|pseudo(?!monas|mallei))(?=[a-z]{4,})")


def written_forms(text: str) -> list[str]:
    """A table text and the ways a note writes it (site first, hyphen as a space)."""
    text = text.lower()  # "Non-Hodgkin lymphoma": the hyphen between any letters
    forms = [text]
    region = REGION.match(text)
    if region and len(region.group(1).split()) <= 3:
        forms.append(f"{region.group(2)} {region.group(1)}")
    forms += [PREFIXED_WORD.sub(r"\1-", form) for form in forms if PREFIXED_WORD.search(form)]
    forms += [WORD_HYPHEN.sub(" ", form) for form in forms if WORD_HYPHEN.search(form)]
    return forms


def category_for(code: str) -> str:
    if code.startswith("R"):
        return "symptom" if code[:3] < "R70" else "finding"
    return "problem"


def build_icd_terms() -> list[tuple[str, list[str], str]]:
    by_term: dict[str, list[str]] = {}
    for code in icd.get_all_codes(False):
        if not icd.is_category_or_subcategory(code) or code[0] in SKIP_CHAPTER_LETTERS:
            continue
        if len(code) > 5:  # 7th-character extensions repeat their parent's wording
            continue
        dotted = icd.add_dot(code)
        texts = [icd.get_description(code), *icd.get_inclusion_term(code)]
        for text in texts:
            for term in filter(None, map(clean_term, written_forms(text))):
                by_term.setdefault(term, []).append(dotted)
    rows = []
    for term, codes in sorted(by_term.items()):
        # Billable leaves first, then the most general: "pneumonia" -> J18.9 before J18.
        codes = sorted(set(codes), key=lambda c: (not icd.is_leaf(c), len(c), c))[:5]
        rows.append((term, codes, category_for(codes[0])))
    return rows


def _space_tolerant(rule: dict, tokenizer) -> dict:
    """A multi-token literal as a token pattern that also matches across runs of spaces.

    Dictated notes often have "negative   for"; medspaCy keeps the extra spaces as tokens,
    so a plain phrase would miss them.
    """
    if not rule["literal"][:1].isalnum():
        return rule  # ": no" means a colon right before "no"
    pattern = rule.get("pattern")
    if isinstance(pattern, str):
        return rule
    if pattern is None:
        pattern = [{"LOWER": t.text.lower()} for t in tokenizer(rule["literal"]) if not t.is_space]
    if len(pattern) < 2:
        return rule
    spaced: list[dict] = []
    for i, token in enumerate(pattern):
        if i:
            spaced.append({"IS_SPACE": True, "OP": "*"})
        spaced.append(token)
    return {**rule, "pattern": spaced}


def build_context_rules() -> dict:
    default_path = Path(medspacy.__file__).resolve().parents[1] / "resources/en/context_rules.json"
    default = json.loads(default_path.read_text())["context_rules"]
    curated = json.loads((HERE / "context_rules_curated.json").read_text())
    tokenizer = medspacy.load(medspacy_enable=["medspacy_tokenizer"]).tokenizer
    merged: dict[tuple[str, str], dict] = {}
    for rule in [*default, *curated["context_rules"]]:
        key = (rule["literal"].lower(), rule["category"])
        if rule.get("_remove"):  # a default rule that does harm (the entry says why)
            merged.pop(key, None)
            continue
        merged[key] = _space_tolerant({k: v for k, v in rule.items() if not k.startswith("_")},
                                      tokenizer)
    return {
        "_source": "Generated by build_nlp_resources.py: medspaCy 1.3.1 English ConText rules "
        "(MIT) + context_rules_curated.json. " + curated["_source"],
        "context_rules": list(merged.values()),
    }


def main() -> None:
    rows = build_icd_terms()
    out = HERE / "terms" / "icd10cm_terms.tsv"
    with out.open("w", encoding="utf-8") as fh:
        fh.write(f"# Derived from ICD-10-CM (CMS/NCHS, public domain) via simple-icd-10-cm "
                 f"{getattr(icd, '__version__', '')}; term<TAB>codes<TAB>category\n")
        for term, codes, category in rows:
            fh.write(f"{term}\t{'|'.join(codes)}\t{category}\n")
    print(f"{len(rows)} ICD-10-CM terms -> {out}")
    rules = build_context_rules()
    (HERE / "context_rules.json").write_text(json.dumps(rules, indent=1))
    print(f"{len(rules['context_rules'])} ConText rules -> context_rules.json")


if __name__ == "__main__":
    main()
