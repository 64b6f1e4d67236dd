//! Stage 1b: what kind of treatment a disputed item requests, read from its title (and, where the
//! title alone does not say, the claims administrator's guideline line).
//!
//! Three fields, as the DWC's annual IMR reports and CWCI's studies count requests:
//! - [`Category`]: the service category (pharmaceuticals, rehabilitation, diagnostic testing,
//!   ...);
//! - [`DrugClass`]: for pharmaceuticals, the drug type (opioids, topical analgesics, ...);
//! - `treatment`: a normalised name ("hydrocodone/acetaminophen", "MRI lumbar spine"), brand
//!   names mapped to generics.
//!
//! The rules are a small gazetteer and ordered patterns, inspectable in `rules.rs` and
//! `gazetteer.rs`; [`VERSION`] names them and is recorded with every model trained on their
//! output. `docs/treatments.md` is the user's account of them.

mod gazetteer;
mod rules;
mod spelling;

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The rules' version, recorded in model files: a change of any rule or gazetteer entry bumps it.
pub const VERSION: &str = "imr-treatment/4";

/// The service category of a request, as the DWC's IMR reports group them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Prescription drugs, compounds and medical foods.
    Pharmaceuticals,
    /// Physical therapy, occupational therapy, chiropractic, acupuncture, aquatic therapy,
    /// modalities.
    Rehabilitation,
    /// Imaging, electrodiagnostics, laboratory tests.
    DiagnosticTesting,
    /// Consultations, office visits, referrals, evaluations, medical clearance.
    EvaluationManagement,
    /// Epidural, facet, trigger point, joint and other injections; nerve blocks and ablations.
    Injections,
    /// Operations, with their surgeons and stays.
    Surgery,
    /// Durable medical equipment, orthotics, prosthetics and supplies.
    Dmepos,
    /// Functional restoration, weight loss, brain injury and other multidisciplinary programs.
    Programs,
    /// Psychotherapy, psychological testing and psychiatric care.
    BehavioralHealth,
    /// Home health care and home aides.
    HomeHealth,
    /// Anything else (transportation, gym memberships, ...).
    Other,
}

/// The drug type of a pharmaceutical request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DrugClass {
    Opioids,
    /// Topical analgesics and compounded topicals (lidocaine patches, diclofenac gel, compounds).
    TopicalAnalgesics,
    MuscleRelaxants,
    Nsaids,
    Anticonvulsants,
    Antidepressants,
    SleepAids,
    ProtonPumpInhibitors,
    Other,
}

macro_rules! named_enum {
    ($t:ty, $what:literal, [$($v:ident => $id:literal, $label:literal),+ $(,)?]) => {
        impl $t {
            pub const ALL: &'static [$t] = &[$(<$t>::$v),+];
            /// The id outputs and label files use (`snake_case`).
            pub fn id(self) -> &'static str {
                match self { $(<$t>::$v => $id),+ }
            }
            /// How tables name it.
            pub fn label(self) -> &'static str {
                match self { $(<$t>::$v => $label),+ }
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.id())
            }
        }
        impl FromStr for $t {
            type Err = crate::Error;
            /// Its id in any case, with spaces or hyphens for the underscores
            /// (`Diagnostic-Testing`), as people type it.
            fn from_str(s: &str) -> crate::Result<Self> {
                let id = s.trim().to_ascii_lowercase().replace([' ', '-'], "_");
                <$t>::ALL.iter().copied().find(|c| c.id() == id).ok_or_else(|| {
                    let ids: Vec<&str> = <$t>::ALL.iter().map(|c| c.id()).collect();
                    crate::Error::UnknownName {
                        what: $what,
                        value: s.into(),
                        expected: format!("one of {}", ids.join(", ")),
                    }
                })
            }
        }
    };
}

named_enum!(Category, "category", [
    Pharmaceuticals => "pharmaceuticals", "Pharmaceuticals",
    Rehabilitation => "rehabilitation", "Rehabilitation and physical medicine",
    DiagnosticTesting => "diagnostic_testing", "Diagnostic testing",
    EvaluationManagement => "evaluation_management", "Evaluation and management",
    Injections => "injections", "Injections",
    Surgery => "surgery", "Surgery",
    Dmepos => "dmepos", "DMEPOS",
    Programs => "programs", "Programs",
    BehavioralHealth => "behavioral_health", "Behavioral and mental health",
    HomeHealth => "home_health", "Home health",
    Other => "other", "Other",
]);

named_enum!(DrugClass, "drug class", [
    Opioids => "opioids", "Opioids",
    TopicalAnalgesics => "topical_analgesics", "Topical analgesics and compounds",
    MuscleRelaxants => "muscle_relaxants", "Muscle relaxants",
    Nsaids => "nsaids", "NSAIDs",
    Anticonvulsants => "anticonvulsants", "Anticonvulsants",
    Antidepressants => "antidepressants", "Antidepressants",
    SleepAids => "sleep_aids", "Sleep aids",
    ProtonPumpInhibitors => "proton_pump_inhibitors", "Proton-pump inhibitors",
    Other => "other", "Other drugs",
]);

/// What kind of treatment an item requests.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TreatmentKind {
    pub category: Category,
    /// For pharmaceuticals only.
    pub drug_class: Option<DrugClass>,
    /// The normalised treatment name ("hydrocodone/acetaminophen", "MRI lumbar spine").
    pub treatment: String,
}

/// The kind of treatment a title requests; `guideline` (the claims administrator's guideline line)
/// is read where the title alone does not say (a brand name the gazetteer lacks). Any input, any
/// length: it never panics.
pub fn classify(title: &str, guideline: Option<&str>) -> TreatmentKind {
    rules::classify(title, guideline)
}

/// Whether the rules or the drug gazetteer read `title` as a treatment they know, rather than
/// leave it an unknown name of kind `other`.
pub fn recognises(title: &str) -> bool {
    rules::recognises(title)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use Category as C;
    use DrugClass as D;

    fn kind(title: &str) -> (Category, Option<DrugClass>, String) {
        let k = classify(title, None);
        (k.category, k.drug_class, k.treatment)
    }

    fn drug(title: &str) -> (DrugClass, String) {
        match kind(title) {
            (C::Pharmaceuticals, Some(c), name) => (c, name),
            other => panic!("{title:?}: {other:?}"),
        }
    }

    /// Ids are read in any case and with spaces or hyphens; a name that is none says the ids.
    #[test]
    fn ids_are_read_as_typed() {
        for s in ["pharmaceuticals", "Pharmaceuticals", " PHARMACEUTICALS "] {
            assert_eq!(s.parse::<Category>().unwrap(), Category::Pharmaceuticals);
        }
        assert_eq!(
            "Diagnostic-Testing".parse::<Category>().unwrap(),
            Category::DiagnosticTesting
        );
        assert_eq!(
            "muscle relaxants".parse::<DrugClass>().unwrap(),
            DrugClass::MuscleRelaxants
        );
        let e = "pharma".parse::<Category>().unwrap_err().to_string();
        assert!(e.contains("one of pharmaceuticals, rehabilitation"), "{e}");
    }

    #[test]
    fn brand_names_map_to_generics() {
        #[rustfmt::skip]
        let cases = [
            ("Norco 10/325mg #90", "hydrocodone/acetaminophen", D::Opioids),
            ("Ultram 50mg #30", "tramadol", D::Opioids),
            ("Percocet 5/325 #60", "oxycodone/acetaminophen", D::Opioids),
            ("Trezix capsules #60", "acetaminophen/caffeine/dihydrocodeine", D::Opioids),
            ("Flexeril 10mg #60", "cyclobenzaprine", D::MuscleRelaxants),
            ("Fexmid 7.5mg", "cyclobenzaprine", D::MuscleRelaxants),
            ("Tabradol 1mg/ml oral suspension", "cyclobenzaprine", D::MuscleRelaxants),
            ("Soma 350mg", "carisoprodol", D::MuscleRelaxants),
            ("Zanaflex 4mg #60", "tizanidine", D::MuscleRelaxants),
            ("Lidoderm 5% patches #30", "lidocaine", D::TopicalAnalgesics),
            ("Terocin lotion 120ml", "capsaicin/lidocaine/menthol/methyl salicylate",
                D::TopicalAnalgesics),
            ("Voltaren XR 100mg", "diclofenac", D::Nsaids),
            ("Celebrex 200mg", "celecoxib", D::Nsaids),
            ("Mobic 15mg", "meloxicam", D::Nsaids),
            ("Anaprox DS 550mg #60", "naproxen", D::Nsaids),
            ("Neurontin 600mg", "gabapentin", D::Anticonvulsants),
            ("Fanatrex 25mg/ml oral suspension 420ml", "gabapentin", D::Anticonvulsants),
            ("Lyrica 75mg #60", "pregabalin", D::Anticonvulsants),
            ("Cymbalta 60mg", "duloxetine", D::Antidepressants),
            ("Ambien 10mg #30", "zolpidem", D::SleepAids),
            ("Dicopanol 5mg/ml oral suspension", "diphenhydramine", D::SleepAids),
            ("Prilosec 20mg #60", "omeprazole", D::ProtonPumpInhibitors),
            ("Protonix 20mg", "pantoprazole", D::ProtonPumpInhibitors),
            ("Deprizine 15mg/ml oral suspension", "ranitidine", D::Other),
            ("Ultram (tramadol) 50mg #90", "tramadol", D::Opioids),
            ("Hydrocodone/APAP 10/325", "hydrocodone/acetaminophen", D::Opioids),
            ("Tylenol #3 #30", "acetaminophen/codeine", D::Opioids),
        ];
        for (title, generic, class) in cases {
            assert_eq!(drug(title), (class, generic.to_string()), "{title}");
        }
    }

    #[test]
    fn dosage_form_decides_topical() {
        for t in [
            "Diclofenac 1% gel 100g",
            "Voltaren gel 1% #3 tubes",
            "Diclofenac sodium 1.5% topical solution",
            "Diclofenac cream",
            "Diclofenac epolamine patch",
            "Ketoprofen 20% cream",
            "Compound: gabapentin/ketoprofen/lidocaine",
            "Gabapentin 10%, Amitriptyline 5%, Tramadol 5% cream 240gm",
            "Tramadol/menthol cream",
        ] {
            assert_eq!(drug(t).0, D::TopicalAnalgesics, "{t}");
        }
        assert_eq!(drug("Diclofenac sodium 75mg tablets #60").0, D::Nsaids);
        assert_eq!(drug("Ketoprofen 75mg capsules").0, D::Nsaids);
        // A single opioid on the skin is still an opioid.
        assert_eq!(drug("Butrans patch 10mcg/hr #4").0, D::Opioids);
        assert_eq!(drug("Fentanyl 25mcg transdermal patch").0, D::Opioids);
    }

    /// What a request is for, or follows, does not decide its kind: the request's own words do,
    /// where they name a treatment; an unnamed drug applied to the skin is topical.
    #[test]
    fn a_purpose_is_not_the_request() {
        #[rustfmt::skip]
        let cases = [
            ("MRI to evaluate for possible ESI", C::DiagnosticTesting, None),
            ("Consultation for epidural steroid injection", C::EvaluationManagement, None),
            ("Liver function tests to monitor Norco", C::DiagnosticTesting, None),
            ("EKG before starting methadone", C::DiagnosticTesting, None),
            ("Psychotherapy for opioid dependence", C::BehavioralHealth, None),
            ("Office visit to discuss Lyrica", C::EvaluationManagement, None),
            ("Physical therapy following epidural injection", C::Rehabilitation, None),
            ("Post-injection physical therapy", C::Rehabilitation, None),
            ("Sleep study prior to Ambien", C::DiagnosticTesting, None),
            // Where the head names no treatment, or a drug without its name, the whole title.
            ("Norco for pain", C::Pharmaceuticals, Some(D::Opioids)),
            ("Medication for sleep", C::Pharmaceuticals, Some(D::Other)),
            ("Injection for the right knee", C::Injections, None),
            ("Cold laser therapy", C::Rehabilitation, None),
            ("Electroencephalogram (EEG)", C::DiagnosticTesting, None),
            ("Zyxorin 5%", C::Pharmaceuticals, Some(D::TopicalAnalgesics)),
            // Words before the purpose that are a step of what follows, or how much of it; the
            // same category read whole; what the rules read from the whole title.
            ("Twelve visits for physical therapy", C::Rehabilitation, None),
            ("Referral for MRI", C::DiagnosticTesting, None),
            ("Ultrasound guidance for trigger point injection", C::Injections, None),
            ("Monitored anesthesia care for lumbar ESI", C::Injections, None),
            ("Lidocaine for injection", C::Injections, None),
            ("Cervical traction for home use", C::Dmepos, None),
            ("Follow-up visit for Norco refill", C::EvaluationManagement, None),
        ];
        for (title, category, class) in cases {
            let (c, d, _) = kind(title);
            assert_eq!((c, d), (category, class), "{title}");
        }
        assert_eq!(kind("Surgery for carpal tunnel").2, "carpal tunnel release");
        let butrans = classify(
            "Butrains 20mcg/hr patch",
            Some("MTUS: Opioids, criteria for use"),
        );
        assert_eq!(butrans.drug_class, Some(D::Opioids));
    }

    #[test]
    fn order_decides_between_readings() {
        #[rustfmt::skip]
        let cases = [
            ("Ultrasound guided trigger point injection", C::Injections),
            ("Ultrasound of the right shoulder", C::DiagnosticTesting),
            ("Ultrasound therapy 6 sessions", C::Rehabilitation),
            ("TENS unit", C::Dmepos),
            ("Electrical stimulation times 6", C::Rehabilitation),
            ("Cervical traction unit for home use (purchase)", C::Dmepos),
            ("Spinolator therapy (traction) times 6", C::Rehabilitation),
            ("Hot/cold therapy wrap", C::Dmepos),
            ("Ice/Heat pads therapy times 6", C::Rehabilitation),
            ("Post-op physical therapy 2 times a week for 4 weeks", C::Rehabilitation),
            ("PT evaluation", C::Rehabilitation),
            ("Pre-op labs: PT/PTT", C::DiagnosticTesting),
            ("Associated surgical service: Chest x-ray", C::DiagnosticTesting),
            ("Associated surgical service: Medical clearance", C::EvaluationManagement),
            ("Associated surgical service: Shoulder sling", C::Dmepos),
            ("Psychological evaluation", C::BehavioralHealth),
            ("Chiropractic evaluation", C::Rehabilitation),
            ("Spine surgery evaluation", C::EvaluationManagement),
            ("Orthopedic consultation for possible knee surgery", C::EvaluationManagement),
            ("Toradol 60mg IM injection", C::Injections),
            ("Vitamin B12 injection", C::Injections),
            ("Urine drug screen for opioids", C::DiagnosticTesting),
            ("Opioid detoxification program", C::Programs),
            ("Post-op Norco 5/325mg #60", C::Pharmaceuticals),
            ("Retrospective Cyclobenzaprine 5mg #30", C::Pharmaceuticals),
            ("Medrol dose pack #1", C::Pharmaceuticals),
            ("Hospital bed rental", C::Dmepos),
            ("Inpatient hospital stay, 2 days", C::Surgery),
            ("Assistant surgeon", C::Surgery),
            ("Home health aide 4 hours a day", C::HomeHealth),
            ("Spinal cord stimulator trial", C::Surgery),
            ("Psychological clearance for spinal cord stimulator", C::BehavioralHealth),
            ("Manipulation under anesthesia", C::Surgery),
            ("Chiropractic manipulation times 6", C::Rehabilitation),
            ("Myofascial release 6 sessions", C::Rehabilitation),
            ("Trigger finger release", C::Surgery),
            ("Transportation to and from medical appointments", C::Other),
            ("Gym membership with pool access", C::Other),
        ];
        for (title, category) in cases {
            assert_eq!(kind(title).0, category, "{title}");
        }
    }

    #[test]
    fn every_category_from_its_common_titles() {
        #[rustfmt::skip]
        let cases = [
            ("Theramine #90", C::Pharmaceuticals),
            ("Three months coverage of Viagra 50mg", C::Pharmaceuticals),
            ("Aquatic therapy 2 times a week for 6 weeks", C::Rehabilitation),
            ("Work hardening program 10 sessions", C::Rehabilitation),
            ("ESWT right shoulder x3", C::Rehabilitation),
            ("Electro-acupuncture 6 sessions", C::Rehabilitation),
            ("EMG/NCS of the bilateral lower extremities", C::DiagnosticTesting),
            ("Sleep study", C::DiagnosticTesting),
            ("Bone scan", C::DiagnosticTesting),
            ("Follow-up visit with pain management", C::EvaluationManagement),
            ("Functional capacity evaluation", C::EvaluationManagement),
            ("TOC to ortho spine surgeon eval and treatment", C::EvaluationManagement),
            ("Radiofrequency ablation L3-L5", C::Injections),
            ("Right knee Synvisc-One injection", C::Injections),
            ("Platelet rich plasma injection", C::Injections),
            ("Left total knee arthroplasty", C::Surgery),
            ("L4-5 laminectomy and discectomy", C::Surgery),
            // An evaluation within a procedure is the procedure's.
            ("Right knee arthroscopy with evaluation of the ACL", C::Surgery),
            ("Lumbar laminectomy with evaluation of nerve roots", C::Surgery),
            ("Pain management consultation with evaluation", C::EvaluationManagement),
            ("Anterior cervical discectomy and fusion C5-6", C::Surgery),
            ("Knee brace", C::Dmepos),
            ("H-wave device 30 day trial", C::Dmepos),
            ("Home exercise kit", C::Dmepos),
            ("Functional restoration program 80 hours", C::Programs),
            ("Evaluation for a functional restoration program", C::Programs),
            ("Weight loss program", C::Programs),
            ("Cognitive behavioral therapy 6 sessions", C::BehavioralHealth),
            ("Biofeedback 6 sessions", C::BehavioralHealth),
            ("Psychiatric medication management", C::BehavioralHealth),
            ("Daily RN visits for wound care", C::HomeHealth),
            ("Interpreter services", C::Other),
        ];
        for (title, category) in cases {
            assert_eq!(kind(title).0, category, "{title}");
        }
    }

    #[test]
    fn names_are_canonical() {
        #[rustfmt::skip]
        let cases = [
            ("MRI of the lumbar spine without contrast", "MRI lumbar spine"),
            ("1 MRI OF THE LUMBAR SPINE", "MRI lumbar spine"),
            ("Right shoulder MRI", "MRI shoulder"),
            ("EMG/NCV of the bilateral upper extremities", "EMG/NCV upper extremities"),
            ("NCS/EMG RUE", "EMG/NCV upper extremities"),
            ("Right L5-S1 epidural steroid injection", "epidural steroid injection lumbar spine"),
            ("Physical therapy 2 times a week for 6 weeks", "physical therapy"),
            ("Post-op physical therapy 12-18 sessions", "physical therapy"),
            ("Left knee arthroscopic meniscectomy", "arthroscopy knee"),
            ("Right shoulder arthroscopy with evaluation under anesthesia", "arthroscopy shoulder"),
            // Only a procedure's evaluation is left out: the site and drug of others are read.
            ("MRI with evaluation of the lumbar spine", "MRI lumbar spine"),
            ("X-ray with examination of the left knee", "X-ray knee"),
            ("EMG/NCV with evaluation of both upper extremities", "EMG/NCV upper extremities"),
            ("Medication management with evaluation of Norco", "hydrocodone/acetaminophen"),
            ("Toradol injection", "ketorolac injection"),
            ("Norco (hydrocodone/APAP) 10/325 #90", "hydrocodone/acetaminophen"),
        ];
        for (title, name) in cases {
            assert_eq!(kind(title).2, name, "{title}");
        }
    }

    /// As a request is typed from a denial: abbreviations, body-part shorthand, misspellings.
    #[test]
    fn shorthand_and_misspellings_read_as_meant() {
        #[rustfmt::skip]
        let cases = [
            ("LESI L5-S1", C::Injections, "epidural steroid injection lumbar spine"),
            ("CESI C5-6", C::Injections, "epidural steroid injection cervical spine"),
            ("LESI", C::Injections, "epidural steroid injection lumbar spine"),
            ("P.T. x12", C::Rehabilitation, "physical therapy"),
            ("HHA 4 hrs/day", C::HomeHealth, "home health care"),
            ("Physcial therepy 12 visits", C::Rehabilitation, "physical therapy"),
            ("Accupuncture x 6", C::Rehabilitation, "acupuncture"),
            ("Lumbar MRl", C::DiagnosticTesting, "MRI lumbar spine"),
            ("MRI L-spine w/o contrast", C::DiagnosticTesting, "MRI lumbar spine"),
            ("MRI C-spine", C::DiagnosticTesting, "MRI cervical spine"),
            ("TESI T8-9", C::Injections, "epidural steroid injection thoracic spine"),
            ("Urine C/S", C::DiagnosticTesting, "urinalysis"),
            ("Hospital bed with mattress", C::Dmepos, "hospital bed"),
            ("X-ray L/S 3 views", C::DiagnosticTesting, "X-ray lumbar spine"),
            ("T-spine x-rays", C::DiagnosticTesting, "X-ray thoracic spine"),
            ("Single point cane", C::Dmepos, "cane"),
            ("Crutches", C::Dmepos, "crutches"),
            ("Orthopedic mattress", C::Dmepos, "mattress"),
            ("Front-wheeled walker", C::Dmepos, "walker"),
        ];
        for (title, category, name) in cases {
            let k = kind(title);
            assert_eq!((k.0, k.2.as_str()), (category, name), "{title}");
        }
        assert_eq!(
            drug("Norko 10/325 #120"),
            (D::Opioids, "hydrocodone/acetaminophen".into())
        );
        assert_eq!(
            drug("Muscle relaxer"),
            (D::MuscleRelaxants, "muscle relaxant".into())
        );
        // A word near a listed one is not taken for it.
        assert_eq!(kind("Treatment of wound infection").0, C::Other);
    }

    #[test]
    fn known_and_unknown_titles() {
        for t in [
            "Norko 10/325 #120",
            "Flexeril 10mg #60",
            "Gym membership",
            "Large gloves",
        ] {
            assert!(recognises(t), "{t}");
        }
        for t in [
            "asdf qwer zxcv",
            "Zyxorin",
            "",
            "Fisioterapia dos veces por semana",
        ] {
            assert!(!recognises(t), "{t}");
        }
    }

    #[test]
    fn unread_titles_are_other_with_their_own_name() {
        assert_eq!(kind(""), (C::Other, None, String::new()));
        assert_eq!(kind("   "), (C::Other, None, String::new()));
        assert_eq!(
            kind("Retrospective Zyxorin 10 units"),
            (C::Other, None, "zyxorin".to_string())
        );
        let (c, k, name) = kind("Fisioterapia dos veces por semana");
        assert_eq!((c, k), (C::Other, None));
        assert_eq!(name, "fisioterapia dos veces por semana");
        assert_eq!(kind("理学療法を週二回").0, C::Other);
        assert_eq!(kind("理学療法を週二回").2, "理学療法を週二回");
        // Full-width letters are the same letters.
        assert_eq!(kind("ＭＲＩ of the knee").2, "MRI knee");
    }

    #[test]
    fn guideline_line_reads_an_unknown_name() {
        let opioids = "Decision based on MTUS Chronic Pain Medical Treatment 2016, \
                       Section(s): Opioids, criteria for use.";
        let k = classify("Zyxorin ER 20mg #60", Some(opioids));
        assert_eq!(k.category, C::Pharmaceuticals);
        assert_eq!(k.drug_class, Some(D::Opioids));
        assert_eq!(k.treatment, "zyxorin er");
        let k = classify("Zyxorin", Some(opioids));
        assert_eq!(
            (k.category, k.drug_class),
            (C::Pharmaceuticals, Some(D::Opioids))
        );
        let ppi = "Official Disability Guidelines, Pain Chapter, NSAIDs, GI symptoms & \
                   cardiovascular risk";
        let k = classify("Zyxorin 20mg", Some(ppi));
        assert_eq!(k.drug_class, Some(D::ProtonPumpInhibitors));
        let pm = "Decision based on MTUS Chronic Pain Medical Treatment 2016, Section(s): \
                  Physical Medicine";
        assert_eq!(classify("Zyxorin", Some(pm)).category, C::Rehabilitation);
        // A title that says what it is does not read the guideline line.
        assert_eq!(
            classify("Norco 10/325", Some(pm)).category,
            C::Pharmaceuticals
        );
        assert_eq!(
            classify("Zyxorin", Some("MTUS Knee Complaints")).category,
            C::Other
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        #[test]
        fn any_title_classifies(title in "\\PC{0,200}", g in proptest::option::of("\\PC{0,200}")) {
            let k = classify(&title, g.as_deref());
            prop_assert_eq!(k.drug_class.is_some(), k.category == Category::Pharmaceuticals);
            prop_assert!(!k.treatment.contains('\n'));
            prop_assert!(k.treatment.len() <= 4 * title.len() + 200);
        }

        #[test]
        fn any_bytes_classify(title in ".{0,50}", tail in "[ -~]{0,3000}") {
            classify(&format!("{title}{tail}"), Some(&tail));
        }
    }
}
