"""``analyse_note``: the medspaCy pipeline that turns note text into a ``NoteAnalysis``.

The pipeline (tokenizer, PyRuSH sentences, TargetMatcher, Sectionizer, ConText) is built
once per process from the files in ``resources/nlp`` and shared; calls are serialised
because spaCy components are not documented as thread-safe.
"""

from __future__ import annotations

import threading
import warnings
from dataclasses import replace

from desktop.core.analysis.notes.concepts.extraction import (
    ALLERGEN,
    CODED_CATEGORIES,
    OTHER_CONDITION,
    SPAN_GROUP,
    add_target_matcher,
    after_excluded_word,
    category_of,
    measurement_of,
    paired_results,
    rule_metadata,
    word_prefix,
)
from desktop.core.analysis.notes.concepts.mucosal_terms import at_a_mucosa
from desktop.core.analysis.notes.concepts.site_terms import cancer_at_its_site
from desktop.core.analysis.notes.concepts.spine_terms import in_the_notes_region
from desktop.core.analysis.notes.context.allergy import (
    is_allergic_condition,
    is_allergy_reaction,
)
from desktop.core.analysis.notes.context.assertion import (
    add_context,
    assertion_from,
    assertion_of,
    context_by_chunks,
    history_runs_to_now,
    resolved_in_next_sentence,
)
from desktop.core.analysis.notes.context.birth_history import mothers_in_birth_history
from desktop.core.analysis.notes.context.lists import list_scopes, listed_assertion
from desktop.core.analysis.notes.note_analysis import Concept, NoteAnalysis
from desktop.core.analysis.notes.rule_files import rules_checksum
from desktop.core.analysis.notes.sections import (
    add_sectionizer,
    section_assertions,
    section_name_at,
    sections_of,
)
from desktop.core.analysis.notes.sentences import (
    RUN_ON_BREAKS,
    sentences_of,
    splitter_rules,
)
from desktop.core.errors import InputError
from desktop.core.provenance import Provenance

RULES_ID = "rules:clinicdesk-notes"
# 26: the differential counts no symptom or sign the note says has lasted a year or more
# ("headaches for the past 10 years", "a 15-year history of low back pain", "longstanding")
# for a condition that presents over hours to days (meningitis, aortic dissection, stroke...);
# after a comma, "suspected" names what follows ("Diarrhea, suspected irritable bowel"), not
# what precedes; "irritable bowel" and "IBS" are K58.9; "risk factors such as" opens a
# consent's list of complications; "Sacro-iliitis" is M46.1; a severe form (E43, R65.2-)
# needs the word; an examination's "unremarkable", "is intact", "are appropriate", "is
# midline" sentence names no disorder, nor "non-nodular" a nodular one; salivary and septum
# are organ words (display check); a neurology case's "HX:" is its history, "MS:", "CN:",
# "Motor:"... parts of its examination, "SHX/FHX:" social history, "BIRTH HX:" a birth
# history; what a patient "was thought to have" is a possibility; temporal and giant cell
# arteritis are M31.6; a periorbital laceration is the eyelid's (S01.11-); a specialist's
# field ("psychiatrist specializing in body dysmorphic disorder") is no diagnosis; a foreign
# body is coded where it lodged (`terms/foreign_body_sites.tsv`: "Esophageal foreign body"
# T18.108A, "Foreign body, right foot" M79.5); first, second (Mobitz) and third degree AV
# blocks are I44.0-I44.2, AV dissociation I45.89, and a named block is the differential's
# cardiac arrhythmia; "coronary" is an organ word and "depression" names no major depressive
# disorder (display check); "a 2-year, 2-month-old" is two years old; what a patient "thinks
# he has" is a possibility; a "residual" deficit is long-standing for the differential;
# bronchiolitis is a condition of the differential for a patient under two; "sick-sinus
# syndrome" is I49.5; a "Toxic effect" code needs a word of toxicity or poisoning (a pacemaker
# "lead" named T56.0); high and elevated cholesterol are hypercholesterolemia (one problem);
# "Diabetes is therefore a major concern" is a possibility; "alcohol use" is F10.90 (not a
# disorder, F10.99); the differential considers a brain tumor or other intracranial mass
# (papilledema, an intracranial mass, a seizure or ataxia with headache; can't miss); an
# "Other ..." code no term names is not listed beside a term-named one for the same words;
# "alcohol or drug abuse/use" is a term (denied, it denies both); an alcohol or drug
# dependence or abuse code needs the word (display check); "TETANUS STATUS:" is no tetanus,
# nor does a shot, immunization, serum or prophylaxis name the disease it prevents, nor an
# "up-to-date" sentence any disease (display check); "acute coronary artery syndrome" is
# I24.9, "in-stent thrombosis" T82.867A, "ST-segment elevation" R94.31; "he thinks that he
# is ..." is no possibility cue (only "thinks he has/had/may");
# 25: "a daughter who was diagnosed with breast cancer" is the daughter's (its "was diagnosed"
# no longer ends the relative's scope); a term may list words it must not come before
# ("depression of the nasal bone" is a dent, not F32; ST, J-junctional, scleral, neonatal
# depressions neither), and no phrase names the condition where its term was read in another
# sense; ST depression is an abnormal ECG (R94.31); "pack" alone is no pack-years; vision,
# visual and hearing are functions, not conditions (display check); "plantar fascitis" is
# M72.2; "postoperative pain prescriptions/control/medication" are treatments; "restless leg
# syndrome" is G25.81; a neoplasm code of another behaviour for a stated cancer's words (benign,
# secondary, history) is not listed; "hypertension" names no portal, pulmonary or ocular one;
# "Children's Hospital" and a family doctor are no relatives; coagulopathy is D68.9; "gross
# hematuria" names no microscopic one, a count's words no "Decreased ..." code; osteoarthritis
# is coded at its joint (`terms/osteoarthritis_sites.tsv`: "degenerative arthritis of the
# knees" M17.0) and a unilateral code's bilateral cousin is its bilateral side; septic
# arthritis is M00.9, and a degenerative one names no rheumatoid, pyogenic or juvenile one; a
# "DVT study" is a test, not a clot; an abscess is coded at its site or organ
# (`terms/abscess_sites.tsv`: "gluteal abscess" L02.31, "abscesses, right thigh" L02.419,
# "odontogenic abscess" K04.7); the differential leaves out appendicitis and cholecystitis
# after their organ was taken out; steroid-induced diabetes is E09.9; a transplant names no
# rejection; an examination's "normal" sentence names no disorder; "S1 radiculopathy" is
# lumbosacral; mixed sensorineural conductive hearing loss is H90.8; skin prepped with alcohol
# is no alcohol use; a congenital, sudden or idiopathic code needs the word; what a child's
# birth history places in the pregnancy is the mother's; gestational diabetes is O24.419;
# a lipid panel (total, LDL, HDL cholesterol, triglycerides) is read and marked by desirable
# adult levels; hypertriglyceridemia is E78.1, "protein in his urine" R80.9; "whether he has
# X" is a possibility; deep vein and deep venous thrombosis are one problem; a penis is a
# site the evidence must name; "history" names no history code by itself; smoking names
# nicotine and tobacco codes; the inferior vena cava is no superior one; "degenerative disk
# and joint disease at C5-C6" is cervical disc degeneration; vestibular hypofunction H81.8X9;
# congenital heart disease Q24.9, adrenal mass E27.8, feeding disorder R63.39; a hernia's
# diaphragm or umbilicus is a site the evidence must name; what was "dissected free" is there;
# a condition before "screening", "specialist", "center", "clinic"... is a test or service
# for it ("colon cancer screening"), no condition; the differential leaves out a condition one
# finding alone brings when a condition the note names explains it;
# 24: "hemoglobin and hematocrit of 16 and 46" / "H&H 8.8 and 26" are two results (the
# hematocrit was 16); "this 1-year-old child", "a 6-year-old child" are the patient; an
# exported capital header before its first subheader opens its section (",PHYSICAL
# EXAMINATION,GENERAL:"); "SUBSTANCE ABUSE:", "SMOKING EXPOSURE:" are social history headers;
# HIV and human immunodeficiency virus are one problem; chronic and subacute subdural
# hematomas are I62.03/I62.02; an injury named by its site is that region's unspecified
# injury (`terms/injury_sites.tsv`: "right knee injury" S89.9-, "injured his back" S39.92XA);
# "in the past several months/2 days" is the present illness ("in the past" alone stays past);
# tethered cord, adenoid/tonsillar/adenotonsillar hypertrophy, tonsillolith, recurrent
# tonsillitis, mediastinal mass and benign nerve sheath tumor are terms; codes for one sex only
# (`terms/sex_specific_codes.tsv`) are left out for the other; a vaccination ("flu vaccination
# today") is a procedure, not influenza; what something "could increase/cause/lead to" and a
# "risk for" are risks; a typeset apostrophe ("Alzheimer’s disease") names the term; nuclear
# sclerotic, cortical and posterior subcapsular cataracts are H25.-; de Quervain's
# tenosynovitis is M65.4; a cesarean section's diagnoses (failure to progress, prolonged rupture
# of membranes, group B strep colonization, macrosomia, non-reassuring fetal heart tracing,
# breech presentation, post-dates pregnancy...) are terms; ", as there was ..." ends a cue's
# scope; ulnar, radial and diabetic neuropathies are terms; the disease a study is "to
# evaluate (her) for" is possible; what "she used to" have is past; cough drops and
# combination cold remedies ("Tylenol Cough and Cold") are drugs, whose words name no
# condition; a throat infection is J02.9; a code of the small intestine needs the note to name
# it (`terms/body_sites.tsv`); what "Mom states", "according to mom", "per mom" tell is the
# patient's; "X, which has resolved" is past; "febrile" is Fever;
# 23: a templated review's "(-)" denies what follows it up to a "(+)"; a sentence that
# opens with "Negative" denies what follows ("Negative CVA tenderness"); what the patient
# "may/might have (had)" is a possibility; a drug the patient "is/stays/continues on" is
# taken ("should stay on MiraLax"), "is on hold" still held; "low density" is no dense breast;
# hallux abductovalgus, tailor's bunion, hammertoe, patellar chondromalacia, hallux limitus,
# ingrown toenail and heel spur are terms; "pain medications", "pain clinic"... are treatments,
# not pain; a malignant meningioma is C70.9; a laceration, abrasion, contusion or sprain is
# coded at its site (`terms/{laceration,abrasion,contusion,sprain}_sites.tsv`); "the/this
# child" is the patient, not a relative; what a scan "suggested" is a possibility (not a
# person's advice); "until" ends a cue's scope ("previously well until he began having X");
# "a high rate of X" is a risk; lidocaine "used to infiltrate the skin" is no infiltrate;
# "smokers in the household" are no patient's; "coughing" is cough; what the next sentence
# says "has resolved" ("This has resolved.") is past, for the last clause before it; a
# bypass's "cardioplegic arrest" is a procedure; aortic, carotid and vertebral dissections
# are terms;
# 22: a listed plural of a listed term is its variant ("headaches" is "headache": one
# problem); a site's "discomfort" is its pain ("chest discomfort" R07.89); intracranial and
# brain mass (R90.0), white matter, vasogenic and brain edema (G93.6) are terms; erythema and
# edema in a sentence naming a mucosa and no skin are the mucosa's (no L53.9/R60.9, no skin
# or limb finding for the differential; `terms/mucosal_findings.tsv`); "concern that X" is a
# possibility (as "concern for X" was); stomach pain and stomachache are abdominal pain;
# undescended testis is a term; cellulitis is coded at its site ("left facial cellulitis"
# L03.211; `terms/cellulitis_sites.tsv`); "postanesthetic pain control" is no pain; a cause
# "could be" or "possibly secondary to" is a possibility; stress, urge, mixed urinary and
# overflow incontinence are terms, "opioid use" F11.90; an acute pain team is no pain; a
# fat pad alone is anatomy (a suprapubic one E65); upper and lower GI bleeds (K92.2) and
# diverticular bleeding (K57.91) are terms; "renal failure" is N19, "end-stage renal disease"
# and ESRD N18.6 (it was "renal disease", N28.9), end-stage liver disease K72.90; a relative
# the note cites ("per his wife", "according to the daughter") is no experiencer; aneurysms
# are terms (aortic by part: I71.40 abdominal, I71.60 thoracoabdominal...; cerebral I67.1);
# "no demonstrated X" negates X; a cardioversion's biphasic or synchronized shock is a
# procedure, and a phrase inside a procedure's name gives no symptom code;
# 21: "no secondary/definite/convincing evidence for X" negates X ("secondary" ended the scope
# of "no"); colonoscopy headers (SCOPE:, INSTRUMENT:, WITHDRAWAL TIME:, PREPARATION:...) open
# the procedure; a gland, speech, voice and the spaces around brain and cord name no condition
# (display check); potassium is marked low from 3.5 mEq/L; "DIAGNOSIS (ES):" is a header (its
# last token is "):"); blepharochalasia, dermatochalasis are terms; "history, physical
# examination ... are compatible with X" dates nothing (the history as a source); "atlas",
# "astragalus", "malleus", "cocaine", "immersion" alone are no ICD terms; a spine condition
# with no region takes the one region the note's others name; "herniation L4-5 disk" is a
# disc herniation; radiculopathy is coded by its region (M54.12-M54.17); valve stenoses and
# regurgitations written with "valve", digitalis/digoxin toxicity, bipolar disease are terms;
# a bare "carcinoma" takes the site written before it across histology words ("uterine
# papillary serous carcinoma": C55); ICD-10-CM's "Unspecified X" descriptions give the term X
# (malaria, kyphosis, cord compression, jaundice...; "infectious disease", "maternal
# hypertension" alone are no terms); what a patient is given "information regarding" or
# "literature on" is hypothetical; "elevated PSA" is a term;
# 20: a list after a colon whose items end in semicolons takes the cue that introduces it
# ("the possible risks include: ...; respiratory depression from sedation; ..."); "p.r.n.
# nausea" is an order's indication (hypothetical) and "the differential entertained ...
# includes" possible; meniscus, rotator cuff, cruciate and labral tears, loose bodies, nasal
# obstruction, turbinate hypertrophy, respiratory depression and parathyroid hyperplasia are
# terms; headers "OPERATIVE NARRATIVE:", "HISTORY OF PRESENTING ILLNESS:", "ALLERGIES TO
# MEDICINES:", "MEDICAL DECISION MAKING:", "FORMULATION:", "CORONARY RISK FACTORS:",
# "PATHOLOGY:" and kin; a lab outside every adult's reference limits is marked low or high
# in the summary (`outer` limits in lab_reference_intervals.json); an ICD-10-CM "X of Y" is
# also "X of the Y" ("coarctation of the aorta"); ureteral, bladder and renal stones,
# spermatocele and masses at their site are terms; an instrument "was passed out" faints not;
# operative headers such as "SUMMARY OF SURGERY IN DETAIL:" and "PREOPERATIVE DX:"; a
# tumour is coded at its site ("brain tumor" D49.6; `terms/tumor_sites.tsv`); an ICD term
# written with a hyphen matches without it ("gastroesophageal reflux disease");
# "DRUG SENSITIVITIES:" are allergies, "CARDIAC RISKS:" past history; intraventricular
# hemorrhage (I61.5) and elevated cholesterol are terms; "a history of knee pain for 13
# years" is present (a duration running to now).
# 19: a consent's risks "included, but were not limited to" and a procedure's "benefits are"
# stay hypothetical; "X, otherwise negative" negates nothing before it; a cancer names its
# organ ("squamous cell carcinoma of the larynx" C32.9, "prostate adenocarcinoma" C61;
# `terms/cancer_sites.tsv`); a disc herniation, disc degeneration, spondylosis, spinal stenosis
# or spondylolisthesis is coded at the region or level named ("herniated nucleus pulposus,
# C5-C6" M50.20; `terms/spine_conditions.tsv`); "PRESENT PROBLEM(S):" is the present
# illness; trouble falling asleep is insomnia, falling asleep no fall; "and she developed"
# after a relative's clause is the patient again; "gram negative" and "negative sequela"
# negate nothing; a weight in kilos or grams is a vital; a capitalised header a CSV export
# wrote without its colon before a numbered list ("ALLERGIES,1.  PENICILLIN.") opens its
# section, as does "HISTORY AND PHYSICAL:"; "allergic reaction to X" states an allergy; 170
# more drug names; "suspicion for" is a possibility; hypermenorrhea is a term; a lab result
# with no unit is judged in the conventional U.S. unit (liver tests, calcium... intervals);
# "CLINICAL:" is a radiology report's indication; a condition that "has healed" is past;
# a "tumor board", "tumor volume" or "tumor markers" is no tumour; blood loss anemia (D50.0,
# acute D62) and anemia of chronic disease (D63.8) are terms; "St." ends no sentence;
# "ADMISSION DIAGNOSIS (ES):" and its kin are diagnosis headers;
# 18: a fracture names its bone ("fracture of the right femoral neck" S72.009A, "mandible
# fractures", "fractured his left wrist"; `terms/fracture_sites.tsv`); bare "fistula" and
# "effusion" are no joint codes; "without contrast" negates nothing; a header is read whole
# ("FAMILY PSYCHIATRIC HISTORY:" is family history, not "HISTORY:"; 129 such headers);
# "CVA tenderness" is no stroke; "hemorrhoids, none of which are inflamed" are there;
# "questioning whether she has sleep apnea" is a question; capital words before a header
# are part of it ("PROBLEMS DIAGNOSES:"); tumours named by morphology (neuroblastoma,
# glioma, basal cell carcinoma, uterine fibroids...) are terms; calcium, magnesium,
# chloride, bicarbonate, albumin, bilirubin, ALT, AST, alkaline phosphatase results are labs;
# "e.g., Aspirin" is no sentence break; macular edema (H35.81) is a term;
# a consent's risks "which included but not limited to" stay hypothetical; relatives at a
# discussion ("with the patient and his wife") or signing a consent are no experiencers;
# coronary occlusive disease, triple vessel disease, carotid stenosis, adhesions are terms;
# CIN by grade, thyroid mass are terms; "postoperative pain control" is no pain;
# a diagnosis a patient is "referred for evaluation of" is possible;
# 17: "was negative for X" negates X; "but" ends a negation another cue has shortened;
# exam and review headers (HEENT:, CHEST:...) belong to the section they sit in;
# "GERD.," is a term (a capital word's period before a comma was part of the word);
# MVP, DJD, diverticulosis, hiatal hernia, ADHD...; "will start Lovenox 1 mg per kg ... and
# Coumadin" plans both drugs; an allergic condition in the allergy list ("Seasonal
# allergies") is current; "ongoing risks including current smoking, diabetes" are the
# patient's; a sentence starts after "., " (line breaks a CSV export turned into commas);
# headers ILLNESSES, OPERATIONS, PLANS, PAST PSYCHIATRIC HISTORY...; "possibly", "presumed",
# "perhaps" make conditions uncertain; "more often than in the past" dates nothing;
# "prophylaxis" is only hypothetical, for conditions (its drug is taken); terms dislocation,
# bone pain, low blood sugar, Alzheimer's dementia...;
# 16: a condition or drug the plan considers is possible ("consider pneumonia", "infection or
# ischemia must be considered", "consider insulin"), not what a considered test is for;
# a drug right after an allergic condition ("seasonal allergies, on Zyrtec") is its treatment,
# and a drug the allergy list says is taken is current, not past; a header alone on its line
# needs no colon ("ALLERGIES", or "Current Medications" after a blank line);
# "allergic to sulfa, takes Claritin": the drug after ", takes" is taken, not an allergen;
# 15: allergens no drug list names (sulfa, latex, shellfish, contrast...) are allergies where an
# allergy is stated, else no concept; three PyRuSH rules PyFastNER cannot run are skipped; a drug
# "which was stopped" (or held) after a comma is past; chest wall pain, chest pain that palpation
# reproduces and "chest wall tenderness" point to costochondritis in the differential; headers
# "MEDICATION:", "MEDICATIONS AT HOME:"... end the allergy list; a drug taken since the allergy
# cue ("allergies, for which she takes Claritin") is no allergen; a drug the plan "may start",
# "plans to start", "will consider adding" or "considers" is hypothetical;
# 14: "AIDS" in capitals is a term (not after "hearing", "walking"...); "HIV positive" and a
# positive HIV test are Z21 before B20; a drug "has been held" or "on hold" is past; a phrase
# inside a longer term ranks after the term's own code ("non-cardiac chest pain": R07.89, then
# R07.9); "atypical chest pain", "chest wall pain" are R07.89 (atypical pain still for ACS);
# "penicillin allergy" is an allergy and what it "causes" (or names in brackets) is its past;
# 13: time-critical conditions of the differential that two findings or a characteristic one point
# to are marked "can't miss" and kept on a full list; a cough of 8 weeks or more is chronic (no
# acute bronchitis); "non-productive cough", "coughing", "coughing up blood" are terms; a term
# after "non-", "pre-" or "pseudo-" is no concept ("non-alcoholic fatty liver" no K70.0,
# "pre-diabetes" no E11), one after "post-" is past; ICD-10-CM's "non...", "post...", "pseudo..."
# words also as "non-..." and "non ..."; a resolved condition is past history; "seizure
# precautions", "stroke risk", "screening ... for colon cancer", "HIV test pending" are
# hypothetical; a reaction in the allergy list is past; "ALLERGIES: No known allergies"; a drug
# discontinued, stopped, held or "off" is past;
# 12: the differential weighs how common a condition is; findings it weighed that no term
# list named (pericardial rub, decreased breath sounds, tongue biting...) are terms;
# ICD-10-CM titles as notes write them ("lumbar radiculopathy", "vesicoureteral reflux");
# "a 3-day history of fever" is the presenting complaint, not past history;
# 11: a code's body site must be named, a numbered list takes its introduction's cue,
# "not limited to" negates nothing, a child's vitals are not judged by adult limits,
# "may suggest" is a possibility, "a brother who" keeps his conditions, no bare "wound";
# 10: "T12" no temperature; 9: consent risks hypothetical; 8: cancer sites
RULES_VERSION = "26"
MAX_NOTE_CHARS = 2_000_000  # ~300k words: far beyond any real note; protects memory

_lock = threading.Lock()
_nlp = None


def _quiet_pyrush() -> None:
    # PyRuSH logs every sentence it splits (note text!) through loguru at DEBUG level.
    from loguru import logger

    logger.disable("PyRuSH")


def _quiet_empty_matchers() -> None:
    # The Sectionizer's rules are all phrases, so its token Matcher is empty and spaCy warns
    # (W036) on every note. Ignored process-wide: warnings.catch_warnings around each call
    # is not thread-safe, and analyses run on worker threads.
    warnings.filterwarnings("ignore", message=r"\[W036\]")


# "3.  GERD.,4.  Eczema": spaCy splits "GERD.,4." at its comma (an infix) and never strips
# the period from the piece before it, so "GERD." was one token and no term ("INR 0.97.,"
# a value "0.97."); a lower-case word's period is an infix already ("Asthma.,2."). Line
# breaks a CSV export turned into commas write this after every list entry.
CAPITALS_PERIOD = r"(?<=[A-Z0-9])\.(?=,)"


def _split_capitals_before_comma(nlp) -> None:
    from spacy.util import compile_infix_regex

    infixes = [nlp.tokenizer.infix_finditer.__self__.pattern, CAPITALS_PERIOD]
    nlp.tokenizer.infix_finditer = compile_infix_regex(infixes).finditer


def _build_nlp():
    import medspacy

    _quiet_pyrush()
    _quiet_empty_matchers()
    # Only components that need no download: tokenizer + PyRuSH (its rules ship in the wheel).
    nlp = medspacy.load(medspacy_enable=["medspacy_tokenizer"])
    _split_capitals_before_comma(nlp)
    nlp.add_pipe("medspacy_pyrush", config={"rules_path": splitter_rules()})
    nlp.add_pipe(RUN_ON_BREAKS)
    nlp.max_length = MAX_NOTE_CHARS + 1  # spaCy's default (1M chars) is below our own limit
    add_target_matcher(nlp)
    add_context(nlp)
    add_sectionizer(nlp)
    return nlp


def get_pipeline():
    """The shared medspaCy pipeline (built on first use, a few seconds)."""
    global _nlp
    with _lock:
        if _nlp is None:
            rules_checksum()  # every rule file present, or a clear message before any work
            _nlp = _build_nlp()
        return _nlp


def _ends_with_break(text: str) -> str:
    """``text`` with a line break after it if it ends on a word.

    Checklist cues such as "Fever: no" look back only where their clause ends (a full stop
    or a line break follows); a note or sentence that stops right after the cue must count
    as ended too. Offsets are unchanged: the break is after the last character.
    """
    return text if text[-1:].isspace() else text + "\n"


def assert_span(text: str, start: int, end: int, category: str = "problem") -> str:
    """ConText assertion of ``text[start:end]`` taken as a given target (no term lookup).

    Used to evaluate ConText against annotated corpora whose targets are given.
    """
    nlp = get_pipeline()
    with _lock:
        doc = nlp.make_doc(_ends_with_break(text))
        doc = nlp.get_pipe("medspacy_pyrush")(doc)
        doc = nlp.get_pipe(RUN_ON_BREAKS)(doc)
        span = doc.char_span(start, end, label=category, alignment_mode="expand")
        if span is None:
            raise InputError("The target span does not fall inside the text.")
        doc.spans[SPAN_GROUP] = [span]
        doc = nlp.get_pipe("medspacy_context")(doc)
    return assertion_of(doc.spans[SPAN_GROUP][0], None)


def assert_spans_in_sentence(sentence: str, spans: list[tuple[int, int]],
                              category: str = "problem") -> list[str]:
    """ConText assertions of several given targets in one sentence, in one pass.

    The text is already one sentence (from ``analyse_note``), so it is not split again: the
    splitter is most of ``assert_span``'s cost and coding asks this for many phrases.
    """
    if not spans:
        return []
    nlp = get_pipeline()
    with _lock:
        doc = nlp.make_doc(_ends_with_break(sentence))
        for i, token in enumerate(doc):
            token.is_sent_start = i == 0
        targets = []
        for start, end in spans:
            span = doc.char_span(start, end, label=category, alignment_mode="expand")
            if span is None:
                raise InputError("The target span does not fall inside the text.")
            targets.append(span)
        doc.spans[SPAN_GROUP] = targets
        doc = nlp.get_pipe("medspacy_context")(doc)
        return [assertion_of(span, None) for span in doc.spans[SPAN_GROUP]]


def rules_provenance() -> Provenance:
    return Provenance(pack_id=RULES_ID, version=RULES_VERSION, checksum=rules_checksum(),
                      parameters={"engine": "medspaCy 1.3.1"})


def analyse_note(text: str, note_id: int | None = None) -> NoteAnalysis:
    """Sections, sentences and concepts (with assertion) of ``text``.

    Raises InputError for an empty note. All offsets index into ``text`` as given.
    """
    if not isinstance(text, str) or not text.strip():
        raise InputError("This note is empty, so there is nothing to analyse.")
    if len(text) > MAX_NOTE_CHARS:
        raise InputError("This note is too long to analyse (over 2 million characters). "
                         "Split it into separate notes.")
    nlp = get_pipeline()
    with _lock:
        with nlp.select_pipes(disable=["medspacy_context"]):
            doc = nlp(_ends_with_break(text))
        spans = list(doc.spans.get(SPAN_GROUP, []))
        modifiers, scopes = context_by_chunks(nlp, doc, spans)
    sections = tuple(replace(s, end=min(s.end, len(text))) for s in sections_of(doc))
    sentences = sentences_of(doc)
    scopes = tuple(replace(s, end=min(s.end, len(text))) for s in scopes)
    in_lists = list_scopes(text, sentences, scopes, sections)
    defaults = section_assertions()
    headers = [(s.start, s.start + len(s.header)) for s in sections if s.header]
    concepts = []
    other_senses = []
    for span in spans:
        if any(span.start_char < h_end and span.end_char > h_start for h_start, h_end in headers):
            continue  # a header such as "ALLERGIES:" is not a concept
        prefix = word_prefix(text, span.start_char)
        if after_excluded_word(span):
            other_senses.append((span.start_char, span.end_char))
            continue
        if prefix in OTHER_CONDITION:
            continue
        section_name = section_name_at(sections, span.start_char)
        category = category_of(span, section_name)
        term, codes = rule_metadata(span)
        if category == ALLERGEN:
            continue  # "latex gloves", "fish oil": no allergy stated
        if category == "lab" and (pair := paired_results(span)):
            concepts += [Concept(text=text[span.start_char:end], start=span.start_char, end=end,
                                 category=category, assertion="present", section=section_name,
                                 value=value, term=term) for term, value, end in pair]
            continue
        if category in ("vital", "lab"):
            value, unit = measurement_of(span)
            assertion = "present"
        else:
            value = unit = None
            found = modifiers.get((span.start_char, span.end_char), ())
            default = defaults.get(section_name)
            if category == "medication" and section_name == "allergies":
                default = None  # a drug there that is no allergen is one the note says is taken
            if section_name == "allergies" and is_allergic_condition(codes):
                default = None  # "Seasonal allergies" there is a condition the patient has
            assertion = assertion_from(found, default)
            if assertion == "present":
                assertion = listed_assertion(span.start_char, span.end_char,
                                             in_lists) or assertion
            if assertion == "present" and prefix == "post":
                assertion = "historical"
            if (assertion == "historical" and default != "historical"
                    and history_runs_to_now(span.sent.text, span.start_char - span.sent.start_char,
                                            span.end_char - span.sent.start_char)):
                assertion = "present"
            if (assertion == "present" and category in CODED_CATEGORIES
                    and (is_allergy_reaction(span.sent.text,
                                             span.start_char - span.sent.start_char)
                         or resolved_in_next_sentence(text, span.end_char, span.sent.end_char))):
                assertion = "historical"
        # a measurement pattern may end on the line break after it, or on the one
        # ``_ends_with_break`` added past the note's end: evidence is the words only
        end = min(span.end_char, len(text))
        while end > span.start_char and text[end - 1].isspace():
            end -= 1
        concepts.append(Concept(
            text=text[span.start_char:end], start=span.start_char, end=end, category=category,
            assertion=assertion, section=section_name, value=value, unit=unit,
            term=term, codes=codes,
            modifiers=modifiers.get((span.start_char, span.end_char), ()),
        ))
    return NoteAnalysis(text=text, note_id=note_id, sections=sections, sentences=sentences,
                        concepts=tuple(mothers_in_birth_history(
                            text, sections, sentences, at_a_mucosa(text, in_the_notes_region(
                                cancer_at_its_site(text, concepts)), sentences))),
                        scopes=scopes + in_lists, other_senses=tuple(other_senses))
