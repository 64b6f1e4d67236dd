//! The ordered rules that read a title.
//!
//! A title is normalised (NFKC, lower case, ASCII: other characters become spaces), stripped of
//! context prefixes ("Associated surgical service:"), and then read by [`STEPS`] in order: the
//! first step that matches decides. A step is a table of rules (category, canonical name,
//! pattern), the drug gazetteer, or the therapy modalities (heat, cold, traction, electrical
//! stimulation, ...), which are rehabilitation when counted in sessions, equipment when the title
//! names a device, and rehabilitation otherwise. One Aho-Corasick pass finds the literals every
//! match of a pattern begins with; a pattern's regex runs only where one is found, in the steps'
//! order, until a line matches. (One `RegexSet` over every pattern read the same, but building its
//! lazy DFA as new titles came cost a process more than its first thousand titles' reading.)
//!
//! Patterns are case-insensitive by construction (the text is lower case), ASCII, and anchored on
//! word boundaries.

use super::gazetteer::{self, Drug};
use super::{Category, DrugClass, TreatmentKind};
use aho_corasick::{AhoCorasick, MatchKind};
use regex::bytes::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};
use regex_syntax::hir::literal::ExtractKind;
use std::sync::{LazyLock, OnceLock};
use unicode_normalization::UnicodeNormalization;

use Category as C;
use DrugClass as D;

/// What a matching rule says the item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Gives {
    Category(Category),
    /// A pharmaceutical of this class, named by its class only ("opioid medication").
    Class(DrugClass),
    /// A pharmaceutical the title does not name (a dose, "tablets"): its class comes from the
    /// guideline line when that names one.
    UnnamedDrug,
}

/// One rule: a line of a table below.
struct Rule {
    gives: Gives,
    /// The canonical treatment name; empty: the matched words themselves ("meniscectomy").
    name: &'static str,
    pattern: &'static str,
}

const fn r(category: Category, name: &'static str, pattern: &'static str) -> Rule {
    Rule {
        gives: Gives::Category(category),
        name,
        pattern,
    }
}

const fn class(class: DrugClass, name: &'static str, pattern: &'static str) -> Rule {
    Rule {
        gives: Gives::Class(class),
        name,
        pattern,
    }
}

/// Explicitly other, before anything else can read "to/from medical appointments".
#[rustfmt::skip]
const OTHER: &[Rule] = &[
    r(C::Other, "transportation", r"\btransport\w*|\btaxi\b|\bmileage\b"),
    r(C::Other, "gym membership", r"\bgym\b|\bmemberships?\b|\bymca\b|\bhealth club"),
    r(C::Other, "interpreter services", r"\binterpret(er|ers|ing|ation)\b|\btranslat\w*"),
    r(C::Other, "medical records", r"\bmedical records\b|\brecords review\b"),
];

/// Injections, first: a drug given as an injection is the injection ("Toradol injection").
#[rustfmt::skip]
const INJECTIONS: &[Rule] = &[
    r(C::Injections, "radiofrequency ablation",
        r"\bradio ?frequency\b|\brfa\b|\brhizotom\w*|\bneurotom\w*|\bablation\b|\blesioning\b"),
    r(C::Injections, "medial branch block", r"\bmedial branch\w*|\bmbbs?\b"),
    r(C::Injections, "percutaneous neuroplasty",
        concat!(
            r"\badhesiolysis\b|\blysis of (epidural )?adhesions\b|\bracz\b|\bneurolytic\b|",
            r"\bneuroplasty\b[^\n]*\b(lumbar|cervical|thoracic|spine|epidural|caudal)\b|",
            r"\b(percutaneous|lumbar|cervical|thoracic|spine|epidural|caudal)\b",
            r"[^\n]*\bneuroplasty\b",
        )),
    r(C::Injections, "epidural steroid injection",
        concat!(
            r"\bepidural\w*|\besis?\b|\btfesis?\b|\b[clt]esis?\b|\btransforaminal\b|",
            r"\binterlaminar\b|\bcaudal\b",
        )),
    r(C::Injections, "facet injection", r"\bfacets?\b"),
    r(C::Injections, "sacroiliac joint injection",
        r"\b(sacroiliac|si joint|sij)\b[^\n]*\b(inject\w*|blocks?)\b"),
    r(C::Injections, "trigger point injection", r"\btrigger points?\b|\btpis?\b"),
    r(C::Injections, "platelet-rich plasma injection", r"\bplatelet\w*|\bprp\b"),
    r(C::Injections, "botulinum toxin injection",
        r"\bbotox\b|\bbotulinum\b|\bdysport\b|\bmyobloc\b|\bxeomin\b"),
    r(C::Injections, "viscosupplementation",
        concat!(
            r"\bsynvisc\w*|\beuflexxa\b|\bsupartz\b|\borthovisc\b|\bhyalgan\b|\bgel ?-?one\b|",
            r"\bmonovisc\b|\bdurolane\b|\bgelsyn\b|\bgenvisc\b|\bhymovis\b|",
            r"\bhyaluron\w*|\bvisco\w*",
        )),
    r(C::Injections, "nerve block",
        concat!(
            r"\b(nerve|ganglion|plexus|sympathetic|stellate|genicular|occipital|suprascapular|",
            r"interscalene|intercostal|pudendal)\b[^\n]*\bblocks?\b|\bnerve blocks?\b",
        )),
    r(C::Injections, "prolotherapy", r"\bprolo\w*"),
    r(C::Injections, "infusion", r"\binfusions?\b|\biv (therapy|drip|fluids)\b"),
    r(C::Injections, "injection",
        concat!(
            r"\binject\w*|\bshots?\b|\bblocks?\b|\bintra-?articular\b|\bim\b|\bintramuscular\b|",
            r"\bkenalog\b|\bdepo-?medrol\b|\bcortisone\b|\bcelestone\b",
        )),
];

/// Before the drug names, which they mention ("urine drug screen for opioids").
#[rustfmt::skip]
const BEFORE_DRUGS: &[Rule] = &[
    r(C::DiagnosticTesting, "urine drug screen",
        r"\bdrug (screen|test)\w*|\burine (drug|tox\w*)|\btoxicolog\w*|\buds\b|\budt\b"),
    r(C::DiagnosticTesting, "genetic testing", r"\bgenetic\w*|\bdna\b|\bpharmacogen\w*|\bcyp"),
    r(C::Programs, "detoxification program", r"\bdetox\w*|\bweaning program\b"),
    r(C::DiagnosticTesting, "laboratory tests",
        concat!(
            r"\b(serum|blood|drug|medication|vitamin [a-z0-9]+|b12|testosterone|thyroid|hormone)",
            r" levels?\b",
        )),
];

/// Drugs named by their class only; also how a guideline line's section names a class.
#[rustfmt::skip]
const DRUG_CLASSES: &[Rule] = &[
    class(D::Opioids, "opioid", r"\bopioids?\b|\bopiates?\b|\bnarcotics?\b"),
    class(D::MuscleRelaxants, "muscle relaxant", r"\bmuscle relax(ants?|ers?)\b"),
    // The guideline section for proton-pump inhibitors is "NSAIDs, GI symptoms & ...".
    class(D::ProtonPumpInhibitors, "proton-pump inhibitor",
        r"\bppis?\b|\bproton pump\w*|\bgi symptoms\b"),
    class(D::Nsaids, "nsaid", r"\bnsaids?\b|\banti-?inflammator\w*"),
    class(D::Anticonvulsants, "anticonvulsant",
        r"\banti-?convulsants?\b|\banti-?epilep\w*|\baeds?\b"),
    class(D::Antidepressants, "antidepressant", r"\banti-?depressants?\b"),
    class(D::SleepAids, "sleep aid",
        r"\bsleep aids?\b|\bsleeping (pills?|medications?)\b|\bhypnotics?\b|\binsomnia\b"),
    class(D::TopicalAnalgesics, "topical compound",
        concat!(
            r"\bcompound\w*|\btopical\w*|\btransdermal\b|\bcreams?\b|\bointments?\b|\blotions?\b|",
            r"\bliniments?\b",
        )),
    class(D::Other, "medical food",
        r"\bmedical foods?\b|\bnutritional supplements?\b|\bsupplements?\b"),
    class(D::Other, "corticosteroid", r"\bcorticosteroids?\b|\bsteroid (taper|dose pack)\b"),
    class(D::Other, "benzodiazepine", r"\bbenzodiazepines?\b"),
    class(D::Other, "medication",
        concat!(
            r"\bantibiotics?\b|\blaxatives?\b|\bstool softeners?\b|\banti-?emetics?\b|",
            r"\bantihistamines?\b",
        )),
];

#[rustfmt::skip]
const PROGRAMS: &[Rule] = &[
    r(C::Programs, "functional restoration program",
        r"\bfunctional restoration\b|\bfrps?\b|\brestoration program\b"),
    r(C::Programs, "chronic pain program",
        concat!(
            r"\b(pain|pain management|pain rehabilitation|interdisciplinary|",
            r"multidisciplinary|help|",
            r"h e l p)\b program\b|\binterdisciplinary\b|\bmultidisciplinary\b",
        )),
    r(C::Programs, "weight loss program",
        r"\bweight (loss|management|reduction)\b|\blindora\b|\bmedifast\b|\bnutrisystem\b"),
    r(C::Programs, "brain injury program", r"\bbrain injury\b|\btbi program\b"),
    r(C::Programs, "partial hospitalization", r"\bpartial hospitali[sz]ation\b|\bday treatment\b"),
];

#[rustfmt::skip]
const BEHAVIORAL: &[Rule] = &[
    r(C::BehavioralHealth, "biofeedback", r"\bbiofeedback\b"),
    r(C::BehavioralHealth, "hypnotherapy", r"\bhypno\w*"),
    r(C::BehavioralHealth, "relaxation training", r"\brelaxation\b"),
    r(C::BehavioralHealth, "psychological testing",
        r"\b(psych\w*|neuropsych\w*)\b[^\n]*\btest\w*|\bneuropsych\w*"),
    r(C::BehavioralHealth, "cognitive behavioral therapy", r"\bcognitive behav\w*|\bcbt\b"),
    r(C::BehavioralHealth, "psychotherapy",
        concat!(
            r"\bpsychotherap\w*|\bgroup therapy\b|\bcounsel\w*|\bcognitive therap\w*|",
            r"\bpsychological (treatment|therapy)\b",
        )),
    r(C::BehavioralHealth, "psychological evaluation",
        r"\bpsych\w*\b[^\n]*\b(evaluat\w*|eval|consult\w*|assessment|clearance|screening)\b"),
    r(C::BehavioralHealth, "psychiatric care", r"\bpsychiatr\w*"),
    r(C::BehavioralHealth, "psychological care",
        r"\bpsych\w*|\bmental health\b|\bbehavioral health\b"),
];

/// Operations that other words of their titles would claim first (a stimulator, a manipulation).
#[rustfmt::skip]
const SURGERY_FIRST: &[Rule] = &[
    r(C::Surgery, "spinal cord stimulator",
        r"\bspinal cord stim\w*|\bscs\b|\bdorsal column\b|\bdorsal root ganglion stim\w*"),
    r(C::Surgery, "intrathecal pump", r"\bintrathecal\b|\bpain pump\b"),
    r(C::Surgery, "manipulation under anesthesia", r"\bunder anesthesia\b|\bmua\b"),
    r(C::Surgery, "assistant surgeon",
        r"\bassistant surgeon\b|\bco-?surgeon\b|\bsurgical assist\w*|^\W*assistant\b"),
];

/// Devices by name: equipment whatever the title counts.
#[rustfmt::skip]
const DEVICES: &[Rule] = &[
    r(C::Dmepos, "TENS unit", r"\btens\b|\bems\b|\bnmes\b"),
    r(C::Dmepos, "H-wave unit", r"\bh-? ?wave\b"),
    r(C::Dmepos, "interferential unit", r"\binterferential\b|\bifc?\b unit|\binferential\b"),
    r(C::Dmepos, "cold therapy unit",
        r"\bvascutherm\b|\bgame ?ready\b|\bpolar ?care\b|\biceman\b|\bcryo ?cuff\b|\bq-? ?tech\b"),
    r(C::Dmepos, "bone growth stimulator", r"\bbone (growth )?stimulat\w*|\bosteogen\w*"),
];

/// A therapy modality: counted in sessions it is rehabilitation; with a device word it is
/// equipment; alone it is what `alone` says (cold therapy is mostly a home unit, heat a session).
struct Modality {
    pattern: &'static str,
    /// Its name as rehabilitation.
    session: &'static str,
    /// Its name as equipment.
    device: &'static str,
    alone: Category,
}

const fn m(
    pattern: &'static str,
    session: &'static str,
    device: &'static str,
    alone: Category,
) -> Modality {
    Modality {
        pattern,
        session,
        device,
        alone,
    }
}

#[rustfmt::skip]
const MODALITIES: &[Modality] = &[
    // First: a "cold laser" is a laser (low-level laser therapy), not cold.
    m(r"\blaser\b", "laser therapy", "laser device", C::Rehabilitation),
    m(r"\b(hot|heat)\b[^\n]*\b(cold|ice)\b|\b(cold|ice)\b[^\n]*\b(hot|heat)\b",
        "hot/cold therapy", "hot/cold therapy unit", C::Dmepos),
    m(r"\bcold\b|\bice\b|\bcryo\w*", "cold therapy", "cold therapy unit", C::Dmepos),
    m(r"\bheat\w*|\bhot\b|\bthermo\w*|\binfrared\b|\bdiathermy\b",
        "heat therapy", "heat therapy unit", C::Rehabilitation),
    m(concat!(
        r"\belectric\w* (muscle )?stim\w*|\be-? ?stim\w*|\bmuscle stim\w*|\belectrotherap\w*|",
        r"\bneuromuscular (electrical )?stim\w*|\bgalvanic\b|\bmicrocurrent\b",
    ),
        "electrical stimulation", "electrical stimulation unit", C::Rehabilitation),
    m(r"\btraction\b|\bspinolator\b|\bdecompression therapy\b",
        "traction", "traction unit", C::Rehabilitation),
    m(r"\bultrasound (therapy|treatment)s?\b|\btherapeutic ultrasound\b",
        "ultrasound therapy", "ultrasound unit", C::Rehabilitation),
    m(r"\bparaffin\b", "paraffin therapy", "paraffin bath", C::Rehabilitation),
    m(r"\biontophoresis\b|\bphonophoresis\b", "iontophoresis", "iontophoresis unit",
        C::Rehabilitation),
    m(r"\bwhirlpool\b|\bhydrotherap\w*", "hydrotherapy", "whirlpool", C::Rehabilitation),
];

/// What makes a modality equipment.
const DEVICE_WORDS: &str = concat!(
    r"\b(units?|devices?|machines?|systems?|pads?|packs?|wraps?|rent\w*|",
    r"purchase\w*|home use|for home|kits?|garments?|sleeves?|stimulators?|pumps?|belts?|bags?|",
    r"cuffs?|bath|patch(es)?)\b",
);

/// A title that counts sessions or visits ("times 6", "two times a week", "12 sessions").
const SESSIONS: &str = concat!(
    r"\btimes (\d+|one|two|three|four|five|six|seven|eight|nine|ten|twelve)\b|",
    r"\bsessions?\b|\bvisits?\b|\b(a|per) (week|wk)\b|\bweekly\b|\bx ?\d+ ?(weeks?|wks?)\b",
);

#[rustfmt::skip]
const DIAGNOSTIC: &[Rule] = &[
    r(C::DiagnosticTesting, "MRI", r"\bmri\w*|\bmra\b|\bmagnetic resonance\b|\bmr arthrogra\w*"),
    r(C::DiagnosticTesting, "CT scan", r"\bct\b|\bcat scan\b|\bcomputed tomogra\w*"),
    r(C::DiagnosticTesting, "X-ray",
        r"\bx-? ?rays?\b|\bxrays?\b|\bradiograph\w*|\bxrs?\b|\bfilms?\b"),
    r(C::DiagnosticTesting, "bone scan", r"\bbone scan\w*|\bscintigra\w*|\bspect\b"),
    r(C::DiagnosticTesting, "arthrogram", r"\barthrogra\w*"),
    r(C::DiagnosticTesting, "discogram", r"\bdiscogra\w*"),
    r(C::DiagnosticTesting, "myelogram", r"\bmyelogra\w*"),
    r(C::DiagnosticTesting, "bone density scan", r"\bdexa\b|\bbone density\b|\bdensitometry\b"),
    r(C::DiagnosticTesting, "echocardiogram", r"\bechocardiogra\w*|\becho\b"),
    r(C::DiagnosticTesting, "ultrasound", r"\bultrasound\w*|\bsonogra\w*|\bdoppler\b|\bduplex\b"),
    r(C::DiagnosticTesting, "EMG/NCV",
        concat!(
            r"\b(emgs?|electromyogra\w*)\b[^\n]*\b(nc[vs]|nerve conduction)\b|",
            r"\b(nc[vs]|nerve conduction)\b[^\n]*\b(emgs?|electromyogra\w*)\b",
        )),
    r(C::DiagnosticTesting, "EMG", r"\bemgs?\b|\belectromyogra\w*|\belectrodiagnostic\w*"),
    r(C::DiagnosticTesting, "NCV", r"\bnc[vs]\b|\bnerve conduction\b"),
    r(C::DiagnosticTesting, "EKG", r"\bekgs?\b|\becgs?\b|\belectrocardiogra\w*"),
    r(C::DiagnosticTesting, "EEG", r"\beegs?\b|\belectroencephalogra\w*"),
    r(C::DiagnosticTesting, "sleep study", r"\bsleep (stud\w*|test\w*)|\bpolysomnogra\w*"),
    r(C::DiagnosticTesting, "urinalysis", r"\burinalysis\b|\bua\b|\burine\b"),
    r(C::DiagnosticTesting, "laboratory tests",
        concat!(
            r"\blabs?\b|\blaborator\w*|\bptt\b|\binr\b|\bprothrombin\b|\bcbc\b|\bcmp\b|\bbmp\b|",
            r"\bblood\b|\bbloodwork\b|\bpanels?\b|\bchem\w*\b|\ba1c\b|\bhba1c\b|\btsh\b|",
            r"\besr\b|\bcrp\b|",
            r"\bserum\b|\bliver function\b|\brenal function\b|\bmetabolic\b",
        )),
    r(C::DiagnosticTesting, "evoked potentials", r"\bevoked potentials?\b|\bssep\w*"),
    r(C::DiagnosticTesting, "quantitative sensory testing", r"\bqst\b|\bquantitative sensory\b"),
    r(C::DiagnosticTesting, "videonystagmography", r"\bvng\b|\bnystagmogra\w*"),
    r(C::DiagnosticTesting, "audiometry", r"\baudiogra\w*|\baudiometr\w*|\bhearing test\w*"),
    r(C::DiagnosticTesting, "PET scan", r"\bpet\b"),
    r(C::DiagnosticTesting, "cardiac testing", r"\bstress test\w*|\bholter\b"),
    r(C::DiagnosticTesting, "biopsy", r"\bbiops\w*"),
];

#[rustfmt::skip]
const REHABILITATION: &[Rule] = &[
    r(C::Rehabilitation, "acupuncture", r"\w*acupunct\w*|\bdry needling\b"),
    r(C::Rehabilitation, "chiropractic", r"\bchiro\w*"),
    r(C::Rehabilitation, "hand therapy", r"\bhand therap\w*"),
    r(C::Rehabilitation, "physical therapy",
        r"\bphysical therap\w*|\bphysiotherap\w*|\bpt\b|\bp\.t\b|\bphysical medicine\b"),
    r(C::Rehabilitation, "occupational therapy", r"\boccupational therap\w*|\bot\b|\bo\.t\b"),
    r(C::Rehabilitation, "aquatic therapy", r"\baqua\w*|\bpool therap\w*|\bwater therap\w*"),
    r(C::Rehabilitation, "massage therapy", r"\bmassage\w*"),
    r(C::Rehabilitation, "myofascial release", r"\bmyofascial\b"),
    r(C::Rehabilitation, "manipulation",
        r"\bmanipulat\w*|\bmobili[sz]ation\b|\bomt\b|\bcmt\b|\bosteopathic\b"),
    r(C::Rehabilitation, "shockwave therapy", r"\bshock ?wave\b|\beswt\b"),
    r(C::Rehabilitation, "work conditioning",
        r"\bwork (hardening|conditioning|simulation)\b"),
    r(C::Rehabilitation, "home exercise program",
        concat!(
            r"\bhome exercise (program|instruction|training)\w*|\bexercise (program|instruction|",
            r"therapy|training|class)\w*|\btherapeutic exercise\w*|\bhep\b",
        )),
    r(C::Rehabilitation, "rehabilitation",
        r"\brehab\w*|\bvestibular\b|\bgait training\b|\bspeech therap\w*|\bkinesio\w*"),
];

#[rustfmt::skip]
const HOME_HEALTH: &[Rule] = &[
    r(C::HomeHealth, "home health care",
        concat!(
            r"\bhome health\w*|\bhome care\b|\bhome (nurs\w*|aides?|assist\w*|attendant\w*)|",
            r"\bhealth aides?\b|\baides?\b|\bhhas?\b|\b(rn|lvn|lpn)s?\b|",
            r"\bnurs(e|es|ing) (visits?|care|services)\b|",
            r"\bskilled nursing\b|\bcaregivers?\b|\battendant care\b|\bin-? ?home\b|\bihss\b|",
            r"\bhousekeeping\b|\bhomemaker\b|\bchore\w*",
        )),
];

#[rustfmt::skip]
const DMEPOS: &[Rule] = &[
    r(C::Dmepos, "hospital bed", r"\bhospital beds?\b|\bbeds?\b"),
    r(C::Dmepos, "mattress", r"\bmattress\w*"),
    r(C::Dmepos, "continuous passive motion machine", r"\bcpm\b|\bcontinuous passive motion\b"),
    r(C::Dmepos, "wheelchair", r"\bwheel ?chairs?\b|\bpower chairs?\b"),
    r(C::Dmepos, "knee scooter", r"\bscooters?\b"),
    r(C::Dmepos, "walker", r"\bwalkers?\b|\brollators?\b"),
    r(C::Dmepos, "cane", r"\bcanes?\b"),
    r(C::Dmepos, "crutches", r"\bcrutch\w*"),
    r(C::Dmepos, "commode", r"\bcommodes?\b|\btoilet\w*"),
    r(C::Dmepos, "shower chair",
        r"\b(shower|bath|tub)\w* (chairs?|bench\w*|seats?|stools?)\b|\bgrab bars?\b"),
    r(C::Dmepos, "brace",
        concat!(
            r"\w*braces?\b|\borthos[ie]s\b|\blso\b|\btlso\b|\bafo\b|\bkafo\b|\bimmobili[sz]er\b|",
            r"\bcam (boot|walker)\b",
        )),
    r(C::Dmepos, "support", r"\bsupports?\b|\bbinders?\b|\bbelts?\b|\bsleeves?\b"),
    r(C::Dmepos, "splint", r"\bsplint\w*|\bspica\b"),
    r(C::Dmepos, "sling", r"\w*slings?\b"),
    r(C::Dmepos, "cervical collar", r"\bcollars?\b"),
    r(C::Dmepos, "pillow", r"\bpillows?\b|\bcushions?\b|\bwedge\b"),
    r(C::Dmepos, "wrap", r"\bwraps?\b"),
    r(C::Dmepos, "pad", r"\bpads?\b|\bpacks?\b"),
    r(C::Dmepos, "orthotics",
        concat!(
            r"\borthotics?\b|\binsoles?\b|\binserts?\b|\bshoes?\b|\bfootwear\b|\bboots?\b|",
            r"\bheel (cups?|lifts?)\b",
        )),
    r(C::Dmepos, "compression stockings",
        r"\bstockings?\b|\bcompression (garments?|hose|sleeves?|socks?)\b|\bted hose\b"),
    r(C::Dmepos, "supplies",
        concat!(
            r"\bgloves?\b|\bwipes\b|\bsupplies\b|\bdressings?\b|\bbandages?\b|\belectrodes?\b|",
            r"\bbatter(y|ies)\b|\bgauze\b|\bcatheters?\b",
        )),
    r(C::Dmepos, "ergonomic equipment",
        concat!(
            r"\bworkstations?\b|\bdesks?\b|\bergonomic (chairs?|equipment)\b|\bkeyboards?\b|",
            r"\bmouse\b|\bchairs?\b|\bheadsets?\b|\bsit-? ?stand\b",
        )),
    r(C::Dmepos, "exercise equipment",
        concat!(
            r"\bexercise (kits?|equipment|balls?|bikes?|bicycles?|machines?)\b|\btheraband\w*|",
            r"\bresistance bands?\b|\bweights\b|\btreadmill\w*|\bbike\b|\bbicycle\b|",
            r"\belliptical\b|",
            r"\bpulleys?\b|\bhome gym\b",
        )),
    r(C::Dmepos, "durable medical equipment",
        concat!(
            r"\bdme\b|\bdmepos\b|\bdurable medical\b|\bequipment\b|\bdevices?\b|",
            r"\b[a-z]+ units?\b|",
            r"\bmachines?\b|\bkits?\b|\blifts?\b|\breachers?\b|\bgrabbers?\b|\bsock aid\b|",
            r"\bassistive\b|\bcpap\b|\bbipap\b|\boxygen\b|\bnebuli[sz]er\b|\bhearing aids?\b|",
            r"\bstimulators?\b",
        )),
];

#[rustfmt::skip]
const EVALUATION: &[Rule] = &[
    r(C::EvaluationManagement, "medical clearance", r"\bclearance\b"),
    r(C::EvaluationManagement, "functional capacity evaluation",
        r"\bfunctional capacity\b|\bfces?\b"),
    r(C::EvaluationManagement, "transfer of care", r"\btoc\b|\btransfer (of )?care\b"),
    r(C::EvaluationManagement, "second opinion", r"\bsecond opinion\b"),
    r(C::EvaluationManagement, "consultation", r"\bconsult\w*|\breferr\w*|\brefer\b"),
    r(C::EvaluationManagement, "office visit",
        r"\boffice visits?\b|\bfollow[- ]?ups?\b|\bf/u\b|\bvisits?\b|\bappointments?\b"),
    r(C::EvaluationManagement, "evaluation",
        r"\bevaluat\w*|\beval\b|\bre-?eval\w*|\bexam\w*|\bassessments?\b|\bhistory and physical"),
];

#[rustfmt::skip]
const SURGERY: &[Rule] = &[
    r(C::Surgery, "carpal tunnel release", r"\bcarpal tunnel\b"),
    r(C::Surgery, "trigger finger release", r"\btrigger (finger|thumb)\b"),
    r(C::Surgery, "cubital tunnel release",
        r"\bcubital tunnel\b|\bulnar nerve (transposition|release|decompression)\b"),
    r(C::Surgery, "rotator cuff repair", r"\brotator cuff\b|\brcr\b"),
    r(C::Surgery, "arthroscopy", r"\barthroscop\w*|\bscope\b"),
    r(C::Surgery, "arthroplasty",
        r"\w*arthroplast\w*|\breplacement\b|\b(tka|tkr|tha|thr|tsa)\b"),
    r(C::Surgery, "spinal fusion",
        r"\bfusion\b|\barthrodesis\b|\b(alif|plif|tlif|xlif|acdf)\b"),
    r(C::Surgery, "discectomy", r"\w*dis[ck]ectomy\b"),
    r(C::Surgery, "laminectomy", r"\w*laminectomy\b|\blaminotomy\b|\bforaminotomy\b"),
    r(C::Surgery, "decompression", r"\bdecompress\w*"),
    r(C::Surgery, "open reduction internal fixation",
        r"\borif\b|\bopen reduction\b|\bfixation\b"),
    r(C::Surgery, "hardware removal", r"\bhardware\b"),
    r(C::Surgery, "debridement", r"\bdebride\w*"),
    r(C::Surgery, "repair", r"\brepair\w*|\breconstruct\w*"),
    r(C::Surgery, "release", r"\breleases?\b|\blysis\b"),
    r(C::Surgery, "excision", r"\bexcision\w*|\bresection\w*|\bremoval\b"),
    r(C::Surgery, "", r"\b[a-z]+(ectomy|otomy|ostomy|plasty|pexy|odesis|orrhaphy)\b"),
    r(C::Surgery, "surgery",
        concat!(
            r"\bsurg\w*|\boperati\w*|\bprocedures?\b|\bimplant\w*|\binpatient\b|\bhospital\w*|",
            r"\blength of stay\b|\boverni(ght|te)\b|\bstay\b|\banesthe\w*|\bsedation\b|",
            r"\bpacu\b|\bascs?\b|",
            r"\bamputation\b|\bgrafts?\b|\btransposition\b|\bacl\b|\bmenisc\w*|\blabr\w*|",
            r"\bslap\b|",
            r"\bkyphoplasty\b|\bvertebroplasty\b|\bnucleoplasty\b",
        )),
];

/// The last resorts: a specialty alone is a visit, "therapy" alone rehabilitation, a dose a drug.
#[rustfmt::skip]
const LAST: &[Rule] = &[
    r(C::EvaluationManagement, "consultation",
        concat!(
            r"\borthop\w*|\bortho\b|\bneurolog\w*|\bneurosurg\w*|\binternal medicine\b|",
            r"\bpain (management|medicine|specialist)\b|\bpodiatr\w*|\brheumatolog\w*|",
            r"\bdermatolog\w*|",
            r"\bcardiolog\w*|\bgastroenterolog\w*|\burolog\w*|\bphysiatr\w*|\bophthalmolog\w*|",
            r"\botolaryngolog\w*|\bendocrinolog\w*|\bpulmonolog\w*|\bspecialists?\b|",
            r"\bphysicians?\b|",
            r"\bdoctors?\b|\bsurgeons?\b|\bdentist\w*|\bdental\b|\boptometr\w*|\bent\b",
        )),
    r(C::Rehabilitation, "therapy", r"\btherap(y|ies|ist)\b"),
    r(C::DiagnosticTesting, "diagnostic test",
        r"\btest(s|ing)?\b|\bscans?\b|\bstud(y|ies)\b|\bimaging\b|\bdiagnostic\w*"),
    r(C::Programs, "program", r"\bprograms?\b"),
    Rule {
        gives: Gives::UnnamedDrug,
        name: "",
        pattern: concat!(
            r"\d ?(mg|mcg|ml|gm|grams?)\b|\d ?%|\d ?percent\b|\btabs?\b|\btablets?\b|\bcaps\b|\bcapsules?\b|",
            r"\bsuspension\b|\brefills?\b|\bprescriptions?\b|\brx\b|\bmedications?\b|\bmeds\b|",
            r"\bdrugs?\b|\bpills?\b|\bgels?\b|\bpatch(es)?\b|\bsprays?\b|\bdrops\b|\bsyrup\b|",
            r"\binhalers?\b|\bsublingual\b|\bextended release\b|\bbid\b|\btid\b|\bqid\b|\bprn\b|",
            r"\bq ?\d+ ?h\b|\bqhs\b",
        ),
    },
];

/// The order in which the tables read a title.
enum Step {
    Rules(&'static [Rule]),
    /// The gazetteer's drug names.
    Drugs,
    /// [`MODALITIES`] counted in sessions: rehabilitation.
    ModalitySessions,
    /// [`MODALITIES`] with a device word: equipment.
    ModalityDevices,
    /// [`MODALITIES`] alone: as each says.
    Modalities,
}

static STEPS: &[Step] = &[
    Step::Rules(OTHER),
    Step::Rules(INJECTIONS),
    Step::Rules(BEFORE_DRUGS),
    Step::Drugs,
    Step::Rules(DRUG_CLASSES),
    Step::Rules(PROGRAMS),
    Step::Rules(BEHAVIORAL),
    Step::Rules(SURGERY_FIRST),
    Step::Rules(DEVICES),
    Step::ModalitySessions,
    Step::ModalityDevices,
    Step::Modalities,
    Step::Rules(DIAGNOSTIC),
    Step::Rules(REHABILITATION),
    Step::Rules(HOME_HEALTH),
    Step::Rules(DMEPOS),
    Step::Rules(EVALUATION),
    Step::Rules(SURGERY),
    Step::Rules(LAST),
];

/// One compiled line of the steps, in order.
struct Line {
    gives: Gives,
    name: &'static str,
    /// Whether the title must count sessions.
    sessions: bool,
    /// The drug gazetteer's place in the order (no pattern).
    drugs: bool,
    /// Whether the rule names the item by the words its pattern matched.
    own: bool,
}

struct Compiled {
    lines: Vec<Line>,
    /// One pattern per line but the gazetteer's, then [`SESSIONS`].
    patterns: Patterns,
    /// The pattern of each line.
    index: Vec<Option<usize>>,
    sessions: usize,
}

/// The rules' patterns, each compiled the first time a title may match it.
struct Patterns {
    sources: Vec<String>,
    compiled: Vec<OnceLock<Regex>>,
    /// The literals every match of some pattern begins with, and whose they are.
    literals: AhoCorasick,
    owners: Vec<Vec<usize>>,
    /// Patterns without such literals: a candidate in every title.
    everywhere: Vec<bool>,
}

impl Patterns {
    fn new(sources: Vec<String>) -> Self {
        let mut words: Vec<Vec<u8>> = Vec::new();
        let mut owners: Vec<Vec<usize>> = Vec::new();
        let mut everywhere = Vec::with_capacity(sources.len());
        for (k, p) in sources.iter().enumerate() {
            let Some(lits) = prefixes(p) else {
                everywhere.push(true);
                continue;
            };
            everywhere.push(false);
            for l in lits {
                let at = words.iter().position(|w| *w == l).unwrap_or_else(|| {
                    words.push(l);
                    owners.push(Vec::new());
                    words.len() - 1
                });
                owners[at].push(k);
            }
        }
        let literals = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(&words)
            .unwrap_or_else(|e| panic!("treatment literals: {e}"));
        Patterns {
            compiled: sources.iter().map(|_| OnceLock::new()).collect(),
            sources,
            literals,
            owners,
            everywhere,
        }
    }

    /// Which patterns may match `text`: those with one of their first literals in it, and those
    /// without literals.
    fn candidates(&self, text: &str) -> Vec<bool> {
        let mut out = self.everywhere.clone();
        for m in self.literals.find_overlapping_iter(text.as_bytes()) {
            for &k in &self.owners[m.pattern().as_usize()] {
                out[k] = true;
            }
        }
        out
    }

    /// Whether pattern `k` matches `text`, each asked of the candidates only.
    fn matcher<'p>(&'p self, text: &'p str) -> impl Fn(usize) -> bool + 'p {
        let candidates = self.candidates(text);
        move |k| candidates[k] && self.regex(k).is_match(text.as_bytes())
    }

    /// Pattern `k`, compiled.
    fn regex(&self, k: usize) -> &Regex {
        self.compiled[k].get_or_init(|| builder_regex(&self.sources[k]))
    }
}

/// The literals every match of `pattern` begins with (None where they are not a finite set of
/// non-empty strings), as the rules' regexes read it.
fn prefixes(pattern: &str) -> Option<Vec<Vec<u8>>> {
    let hir = regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .build()
        .parse(pattern)
        .ok()?;
    crate::literals::side_literals(&hir, ExtractKind::Prefix)
}

/// The patterns compile with Unicode off: the text they read is ASCII (see [`normalise`]).
fn builder_regex(p: &str) -> Regex {
    RegexBuilder::new(p)
        .unicode(false)
        .build()
        .unwrap_or_else(|e| panic!("treatment rule {p:?}: {e}"))
}

static COMPILED: LazyLock<Compiled> = LazyLock::new(|| {
    let mut lines = Vec::new();
    let mut patterns: Vec<String> = Vec::new();
    let mut index = Vec::new();
    let mut push = |line: Line, pattern: Option<String>| {
        index.push(pattern.map(|p| {
            patterns.push(p);
            patterns.len() - 1
        }));
        lines.push(line);
    };
    let line = |gives, name, sessions| Line {
        gives,
        name,
        sessions,
        drugs: false,
        own: false,
    };
    let rehab = Gives::Category(C::Rehabilitation);
    for step in STEPS {
        match step {
            Step::Rules(rules) => {
                for rule in *rules {
                    let mut l = line(rule.gives, rule.name, false);
                    l.own = rule.name.is_empty() && rule.gives != Gives::UnnamedDrug;
                    push(l, Some(rule.pattern.to_string()));
                }
            }
            Step::Drugs => {
                let mut l = line(Gives::Category(C::Pharmaceuticals), "", false);
                l.drugs = true;
                push(l, None);
            }
            Step::ModalitySessions => {
                for m in MODALITIES {
                    push(line(rehab, m.session, true), Some(m.pattern.to_string()));
                }
            }
            Step::ModalityDevices => {
                for m in MODALITIES {
                    let p = m.pattern;
                    let both = format!(r"(?:{p})[^\n]*{DEVICE_WORDS}|{DEVICE_WORDS}[^\n]*(?:{p})");
                    push(
                        line(Gives::Category(C::Dmepos), m.device, false),
                        Some(both),
                    );
                }
            }
            Step::Modalities => {
                for m in MODALITIES {
                    let name = match m.alone {
                        C::Dmepos => m.device,
                        _ => m.session,
                    };
                    push(
                        line(Gives::Category(m.alone), name, false),
                        Some(m.pattern.to_string()),
                    );
                }
            }
        }
    }
    patterns.push(SESSIONS.to_string());
    let sessions = patterns.len() - 1;
    Compiled {
        lines,
        patterns: Patterns::new(patterns),
        index,
        sessions,
    }
});

static CONTEXT: LazyLock<Regex> = LazyLock::new(|| {
    builder_regex(concat!(
        r"^(\s|[:;,.\-()]|\bassociated surgical services?\b|\bretrospective\w*|\bretro\b|",
        r"\brequest (for|of)\b|\bpost-? ?op\w*|\bpre-? ?op\w*|\bpostoperative\b|",
        r"\bpost-? ?(injection|surg\w*|procedur\w*)\b|",
        r"\bpreoperative\b|\badditional\b|\bcontinu\w*( of| for| with)?\b|\bthe\b|\ban?\b|",
        r"\b(one|1)\b|\bpurchase( of)?\b|\brental( of)?\b|\bprescription (of|for)\b)+",
    ))
});

/// A dosage form applied to the skin, or a strength in per cent: topical.
static TOPICAL_FORM: LazyLock<Regex> = LazyLock::new(|| {
    builder_regex(concat!(
        r"\b(gels?|creams?|ointments?|lotions?|patch(es)?|topical\w*|transdermal|compound\w*|",
        r"liniments?|roll-?on|foam|balm|rub|salve)\b|\d ?(%|percent)",
    ))
});

/// A title is a line; a longer one is a parse accident, and its head says what it is.
const MAX_TITLE: usize = 2000;

/// Lower-case ASCII: compatibility forms folded (NFKC) first, so a full-width "ＭＲＩ" reads as
/// "mri"; any other character (and control characters) becomes a space.
fn normalise(s: &str) -> String {
    let mut end = s.len().min(MAX_TITLE);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    let s = &s[..end];
    let fold = |c: char| match c.is_ascii_graphic() {
        true => c.to_ascii_lowercase(),
        false => ' ',
    };
    match s.is_ascii() {
        true => s.chars().map(fold).collect(),
        false => s.nfkc().map(fold).collect(),
    }
}

/// An evaluation done within a procedure ("arthroscopy with evaluation of the ACL",
/// "laminectomy with evaluation of the nerve roots"): the procedure is the request.
static WITH_EVALUATION: LazyLock<Regex> =
    LazyLock::new(|| builder_regex(r"\swith\s+(an?\s+)?(evaluat\w*|eval|exam\w*|assessments?)\b"));

/// The text the rules read: normalised, context prefixes off.
fn body(text: &str) -> &str {
    match CONTEXT.find(text.as_bytes()) {
        Some(m) => &text[m.end()..],
        None => text,
    }
}

/// What a request is for, or what it follows: "MRI to evaluate for possible ESI",
/// "Psychotherapy for insomnia", "EKG before starting methadone", "Physical therapy following
/// epidural injection". What these name is not the request.
static PURPOSE: LazyLock<Regex> = LazyLock::new(|| {
    builder_regex(concat!(
        r"\s(for|to (evaluate|monitor|discuss|assess|rule out|treat|address|determine|review)|",
        r"before|prior to|following|after|in preparation for)\s",
    ))
});

/// The steps' decision for `text`, where a surgical procedure "with evaluation of" something is
/// the procedure: the words before the evaluation decide when they name a surgery. The whole
/// text still gives the sites and drugs ("MRI with evaluation of the lumbar spine" is an MRI of
/// the lumbar spine, decided by the whole text).
fn decide_procedure(text: &str) -> Option<Decision> {
    let c = &*COMPILED;
    let head = WITH_EVALUATION
        .find(text.as_bytes())
        .map(|m| &text[..m.start()])
        .filter(|h| !h.trim().is_empty());
    let surgical = |d: &Decision| c.lines[d.line].gives == Gives::Category(C::Surgery);
    match head.and_then(decide).filter(surgical) {
        Some(d) => Some(d),
        None => decide_request(text),
    }
}

/// The steps' decision for the request's own words, before what it is for ([`PURPOSE`]), where
/// they name a treatment of another category than the whole title's ("Consultation for epidural
/// steroid injection" is a consultation; "EKG before starting methadone" an EKG). The whole
/// title's otherwise: where the head names no treatment ("Request for MRI"), or the same
/// category (the whole names it better: "Surgery for carpal tunnel"), or only a step of what
/// follows ([`helps_what_follows`]), or where the whole is what the rules read from the whole:
/// a drug given as an injection, a program and the evaluation for it, a modality at home.
fn decide_request(text: &str) -> Option<Decision> {
    let c = &*COMPILED;
    let whole = decide(text);
    let head_text = match PURPOSE.find(text.as_bytes()) {
        Some(m) if !text[..m.start()].trim().is_empty() => &text[..m.start()],
        _ => return whole,
    };
    let (Some(head), Some(w)) = (decide(head_text), whole.as_ref()) else {
        return whole;
    };
    let (h, w) = (&c.lines[head.line], &c.lines[w.line]);
    let whole_reads = match category_of(w) {
        C::Injections => category_of(h) == C::Pharmaceuticals,
        C::Programs => true,
        _ => MODALITIES
            .iter()
            .any(|m| [m.session, m.device].contains(&h.name)),
    };
    if category_of(h) == category_of(w) || whole_reads || helps_what_follows(h, head_text) {
        return whole;
    }
    Some(head)
}

/// The category a line gives.
fn category_of(line: &Line) -> Category {
    match line.gives {
        Gives::Category(c) => c,
        Gives::Class(_) | Gives::UnnamedDrug => C::Pharmaceuticals,
    }
}

/// Words before a purpose that name a step of what follows, or only how much of it, rather than
/// a request of their own: "Referral for MRI", "Twelve visits for physical therapy", "Ultrasound
/// guidance for trigger point injection", "Anesthesia for ESI", "Evaluation and treatment for
/// physical therapy", a dose ("Tablets for pain").
fn helps_what_follows(head: &Line, head_text: &str) -> bool {
    static STEP: LazyLock<Regex> = LazyLock::new(|| {
        builder_regex(r"\breferr\w*|\brefer\b|\bvisits\b|\bguid\w*|\banesthe\w*|\bsedation\b")
    });
    const GENERIC: &[&str] = &[
        "evaluation",
        "surgery",
        "therapy",
        "diagnostic test",
        "program",
    ];
    head.gives == Gives::UnnamedDrug
        || GENERIC.contains(&head.name)
        || (STEP.is_match(head_text.as_bytes()) && !head_text.contains("follow"))
}

/// What the steps decided for one text.
struct Decision {
    line: usize,
    drugs: Vec<&'static Drug>,
}

fn decide(text: &str) -> Option<Decision> {
    let c = &*COMPILED;
    let drugs = gazetteer::find(text);
    let matched = c.patterns.matcher(text);
    let sessions = std::cell::OnceCell::new();
    let line = c
        .lines
        .iter()
        .enumerate()
        .position(|(i, l)| match c.index[i] {
            None => l.drugs && !drugs.is_empty(),
            Some(p) => matched(p) && (!l.sessions || *sessions.get_or_init(|| matched(c.sessions))),
        })?;
    Some(Decision { line, drugs })
}

/// The generic agents of the drugs, in order of first mention, each once.
fn agents(drugs: &[&Drug]) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for d in drugs {
        for a in d.generic.split('/') {
            if !out.contains(&a) {
                out.push(a);
            }
        }
    }
    out
}

/// The class of the drugs a title names. A topical dosage form makes any of them a topical
/// analgesic, but a single opioid (a buprenorphine or fentanyl patch) stays an opioid.
fn drug_class(drugs: &[&Drug], text: &str) -> DrugClass {
    let first = drugs
        .iter()
        .map(|d| d.class)
        .find(|&c| c != D::Other)
        .unwrap_or(D::Other);
    let topical = TOPICAL_FORM.is_match(text.as_bytes());
    match topical && (first != D::Opioids || agents(drugs).len() > 1) {
        true => D::TopicalAnalgesics,
        false => first,
    }
}

/// Body regions, in the order names list them (head, spine, trunk, arm, leg): (pattern, name).
#[rustfmt::skip]
const REGIONS: &[(&str, &str)] = &[
    (r"\bhead\b|\bbrain\b|\bskull\b", "head"),
    // Shorthand too: "C-spine", "CESI" (a cervical epidural); not "C/S", which a urine
    // culture is too.
    (r"\bcervical\w*|\bneck\b|\bc[1-7]\b|\bc-? ?spine\b|\bcesis?\b", "cervical spine"),
    (r"\bthoracic\w*|\bmid back\b|\bt([1-9]|1[0-2])\b|\bt-? ?spine\b|\bt/s\b|\btesis?\b",
        "thoracic spine"),
    (concat!(
        r"\blumb\w*|\blow(er)? back\b|\bl[1-5]\b|\bs1\b|\bsacr\w*|\bl-? ?spine\b|",
        r"\bl/?s\b|\blesis?\b",
    ), "lumbar spine"),
    (r"\bspine\b", "spine"),
    (r"\bchest\b", "chest"),
    (r"\babdom\w*", "abdomen"),
    (r"\bpelvi\w*", "pelvis"),
    (r"\bshoulders?\b", "shoulder"),
    (r"\belbows?\b", "elbow"),
    (r"\bwrists?\b", "wrist"),
    (r"\bhands?\b", "hand"),
    (r"\bfingers?\b|\bthumbs?\b", "fingers"),
    (r"\bupper (extremit\w*|limbs?)\b|\b[rlb]ue\b|\barms?\b", "upper extremities"),
    (r"\bhips?\b", "hip"),
    (r"\bknees?\b", "knee"),
    (r"\bankles?\b", "ankle"),
    (r"\bfoot\b|\bfeet\b|\btoes?\b", "foot"),
    (r"\blower (extremit\w*|limbs?)\b|\b[rlb]le\b|\blegs?\b", "lower extremities"),
];

static REGION_SET: LazyLock<RegexSet> = LazyLock::new(|| {
    RegexSetBuilder::new(REGIONS.iter().map(|(p, _)| p))
        .unicode(false)
        .build()
        .unwrap_or_else(|e| panic!("treatment regions: {e}"))
});

/// The regions a text names, ", "-joined; "spine" only when no part of it is named.
fn regions(text: &str) -> String {
    let m = REGION_SET.matches(text.as_bytes());
    let spine_part = m.iter().any(|i| REGIONS[i].1.ends_with(" spine"));
    let names: Vec<&str> = m
        .iter()
        .filter(|&i| !(REGIONS[i].1 == "spine" && spine_part))
        .map(|i| REGIONS[i].1)
        .collect();
    names.join(", ")
}

/// An unknown title's name: lower case, context prefixes off, cut before its first dose,
/// quantity or parenthesis, at most six words. Letters of any script are kept.
pub(super) fn plain_name(title: &str) -> String {
    let lower: String = title
        .chars()
        .take(MAX_TITLE)
        .flat_map(char::to_lowercase)
        .map(|c| match c.is_alphanumeric() || "/-#(%.".contains(c) {
            true => c,
            false => ' ',
        })
        .collect();
    let words: Vec<&str> = lower
        .split_whitespace()
        .map(|w| w.trim_matches(['-', '.']))
        .filter(|w| !w.is_empty())
        .collect();
    // Leading context words go ("retrospective", "post-op"); so does a leading count ("1 ...").
    let context = |w: &str| {
        CONTEXT
            .find(w.as_bytes())
            .is_some_and(|m| m.end() == w.len())
    };
    let start = words.iter().take_while(|w| context(w)).count();
    let dose = |w: &str| w.starts_with(|c: char| c.is_ascii_digit() || "#(%".contains(c));
    let rest = &words[start..];
    let kept: Vec<&str> = match rest.iter().take_while(|w| !dose(w)).count() {
        0 => rest.iter().take(6).copied().collect(),
        n => rest[..n.min(6)].to_vec(),
    };
    kept.join(" ")
}

/// A procedure's name with its regions, for the categories where the region is the point.
fn with_regions(name: &str, category: Category, text: &str) -> String {
    let regional = matches!(category, C::DiagnosticTesting | C::Injections | C::Surgery);
    let r = match regional {
        true => regions(text),
        false => String::new(),
    };
    match r.is_empty() {
        true => name.to_string(),
        false => format!("{name} {r}"),
    }
}

/// A title as the steps read it: normalised, misspellings as meant (context prefixes are still
/// on: [`body`] takes them off).
fn read_as(title: &str) -> String {
    let normal = normalise(title);
    if let std::borrow::Cow::Owned(corrected) = super::spelling::corrected(&normal) {
        return corrected;
    }
    normal
}

pub(super) fn recognises(title: &str) -> bool {
    decide_procedure(body(&read_as(title))).is_some()
}

pub(super) fn classify(title: &str, guideline: Option<&str>) -> TreatmentKind {
    let normal = read_as(title);
    let text = body(&normal);
    let c = &*COMPILED;
    let decision = decide_procedure(text);
    let line = decision.as_ref().map(|d| &c.lines[d.line]);
    let drugs = decision.as_ref().map(|d| d.drugs.as_slice()).unwrap_or(&[]);
    match line {
        Some(l) if l.drugs => TreatmentKind {
            category: C::Pharmaceuticals,
            drug_class: Some(drug_class(drugs, text)),
            treatment: agents(drugs).join("/"),
        },
        Some(l) => match l.gives {
            Gives::Class(k) => TreatmentKind {
                category: C::Pharmaceuticals,
                drug_class: Some(k),
                treatment: l.name.to_string(),
            },
            // Applied to the skin (a form, a strength in per cent) is topical, whatever it is.
            Gives::UnnamedDrug => TreatmentKind {
                category: C::Pharmaceuticals,
                // ... but an opioid by its guideline stays one, as a single opioid's patch does.
                drug_class: Some(match guideline_class(guideline) {
                    Some(D::Opioids) => D::Opioids,
                    _ if TOPICAL_FORM.is_match(text.as_bytes()) => D::TopicalAnalgesics,
                    g => g.unwrap_or(D::Other),
                }),
                treatment: plain_name(title),
            },
            Gives::Category(category) => {
                let own = decision
                    .as_ref()
                    .filter(|_| l.own)
                    .and_then(|d| c.index[d.line]);
                let name = match (own, l.name) {
                    (Some(own), _) => c
                        .patterns
                        .regex(own)
                        .find(text.as_bytes())
                        .map(|m| String::from_utf8_lossy(m.as_bytes()).into_owned())
                        .unwrap_or_default(),
                    // A drug injected: the drug names the injection.
                    (None, "injection") if !drugs.is_empty() => {
                        format!("{} injection", agents(drugs).join("/"))
                    }
                    (None, name) => name.to_string(),
                };
                TreatmentKind {
                    category,
                    drug_class: None,
                    treatment: with_regions(&name, category, text),
                }
            }
        },
        None => from_guideline(title, guideline),
    }
}

/// The class a guideline line's drug names or section names say, if any.
fn guideline_class(guideline: Option<&str>) -> Option<DrugClass> {
    let g = normalise(guideline?);
    let drugs = gazetteer::find(&g);
    if !drugs.is_empty() {
        return Some(drug_class(&drugs, &g));
    }
    let c = &*COMPILED;
    let matched = c.patterns.matcher(&g);
    c.lines
        .iter()
        .enumerate()
        .find_map(|(i, l)| match (l.gives, c.index[i]) {
            (Gives::Class(k), Some(p)) if matched(p) => Some(k),
            _ => None,
        })
}

/// A title the rules cannot read (an unknown brand name): the guideline line's section names
/// ("Section(s): Opioids, criteria for use") say what it is; the name is the title's own.
fn from_guideline(title: &str, guideline: Option<&str>) -> TreatmentKind {
    let treatment = plain_name(title);
    let other = TreatmentKind {
        category: C::Other,
        drug_class: None,
        treatment: treatment.clone(),
    };
    let Some(g) = guideline else {
        return other;
    };
    let g = normalise(g);
    let Some(d) = decide(&g) else {
        return other;
    };
    let l = &COMPILED.lines[d.line];
    let (category, drug_class) = match l.gives {
        _ if l.drugs => (C::Pharmaceuticals, Some(drug_class(&d.drugs, &g))),
        Gives::Class(k) => (C::Pharmaceuticals, Some(k)),
        Gives::UnnamedDrug => (C::Pharmaceuticals, Some(D::Other)),
        Gives::Category(C::Pharmaceuticals) => (C::Pharmaceuticals, Some(D::Other)),
        Gives::Category(c) => (c, None),
    };
    TreatmentKind {
        category,
        drug_class,
        treatment,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Every pattern matched as one `RegexSet` would match it: the reference for the prefilter.
    static REFERENCE: LazyLock<RegexSet> = LazyLock::new(|| {
        RegexSetBuilder::new(&COMPILED.patterns.sources)
            .unicode(false)
            .build()
            .expect("the rules compile as a set")
    });

    /// The words titles are made of here: each pattern's first literals, the rules' names and the
    /// words that count sessions or name a device, so that most titles match several patterns.
    static WORDS: LazyLock<Vec<String>> = LazyLock::new(|| {
        let c = &*COMPILED;
        let mut words: Vec<String> = c
            .patterns
            .sources
            .iter()
            .filter_map(|p| prefixes(p))
            .flatten()
            .map(|l| String::from_utf8(l).expect("ASCII"))
            .collect();
        words.extend(c.lines.iter().map(|l| l.name.to_lowercase()));
        words.extend(
            [
                "times 6",
                "6 sessions",
                "x 4 weeks",
                "unit",
                "rental",
                "home use",
                "12",
                "#60",
            ]
            .map(String::from),
        );
        words.sort();
        words.dedup();
        words
    });

    /// Each pattern matches `text` after the prefilter exactly when it matches alone.
    fn agrees(text: &str) -> Result<(), String> {
        let p = &COMPILED.patterns;
        let set = REFERENCE.matches(text.as_bytes());
        let ours = p.matcher(text);
        for k in 0..p.sources.len() {
            if ours(k) != set.matched(k) {
                return Err(format!("{}: {text:?}", p.sources[k]));
            }
        }
        Ok(())
    }

    #[test]
    fn prefilter_keeps_every_match_of_single_words() {
        for w in WORDS.iter() {
            agrees(w).unwrap();
            agrees(&format!("retro: {w} x 6 visits")).unwrap();
        }
        // The literals are found at every start, overlapping ones included.
        let matched = |t: &str| {
            let set = REFERENCE.matches(t.as_bytes());
            (0..set.len()).filter(|&k| set.matched(k)).count()
        };
        assert!(matched("mri lumbar spine") > 0 && matched("ice pack unit rental") > 1);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        #[test]
        fn prefilter_keeps_every_match(
            picks in proptest::collection::vec(proptest::sample::select(WORDS.clone()), 1..7),
            sep in proptest::sample::select(vec![" ", "-", "", ", ", "/", " x "]),
        ) {
            let title = picks.join(sep);
            prop_assert!(agrees(&title).is_ok(), "{}", agrees(&title).unwrap_err());
        }
    }
}
