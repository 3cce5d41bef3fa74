"""Differential diagnosis: ranked conditions with the findings for and against them."""

from __future__ import annotations

import json

import simple_icd_10_cm as icd

from desktop.core.analysis.differential import differential
from desktop.core.analysis.notes import analyse_note
from desktop.core.analysis.notes.rule_files import nlp_resources_dir, read_table


def test_pneumonia_picture_ranks_pneumonia_with_findings_for(clinic_note):
    items = differential(analyse_note(clinic_note))
    names = [i.name for i in items]
    assert names[0] == "Community-acquired pneumonia"
    top = items[0]
    found = {f for f, _ in top.findings_for}
    assert {"fever", "productive cough", "crackles", "named in the note"} <= found
    for _, concept in top.findings_for:
        assert clinic_note[concept.start:concept.end] == concept.text
    assert "Findings for:" in top.detail


def test_documented_absent_findings_count_against():
    text = "Leg swelling and calf pain. No shortness of breath. No chest pain. No fever."
    items = {i.name: i for i in differential(analyse_note(text))}
    dvt = items["Deep vein thrombosis"]
    assert {f for f, _ in dvt.findings_for} >= {"leg swelling", "calf pain"}
    pe = items.get("Pulmonary embolism")
    if pe is not None:
        assert "shortness of breath" in {f for f, _ in pe.findings_against}
        assert pe.score < dvt.score


def test_pain_named_at_a_joint_or_the_arm_is_the_finding_the_knowledge_weighs():
    knee = {i.name: i for i in differential(analyse_note("Pain in the right knee for months."))}
    assert {f for f, _ in knee["Osteoarthritis"].findings_for} == {"joint pain"}
    arm = {i.name: i for i in differential(analyse_note(
        "Chest pressure and pain in the left upper arm on exertion."))}
    assert {"chest pressure", "arm pain"} <= {f for f, _ in arm["Stable angina"].findings_for}


def test_no_findings_no_differential():
    assert differential(analyse_note("Routine visit. Patient doing well.")) == []


def test_rule_files_name_only_real_icd10cm_codes():
    data = json.loads((nlp_resources_dir() / "differential.json").read_text())
    assert 40 <= len(data["conditions"]) <= 80
    assert "Merck" in data["_source"]
    for condition in data["conditions"]:
        assert icd.is_valid_item(condition["icd10"]), condition["name"]
    for term, _category, codes in read_table(
            nlp_resources_dir() / "terms" / "common_clinical_terms.tsv"):
        for code in filter(None, codes.split("|")):  # none where the site decides the code
            assert icd.is_valid_item(code), term
    for site, _plural, code, *_ in read_table(nlp_resources_dir() / "terms" / "pain_sites.tsv"):
        assert icd.is_valid_item(code) and icd.is_leaf(code), site
