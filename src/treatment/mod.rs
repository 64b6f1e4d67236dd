//! Stage 1b: what kind of treatment a disputed item requests, read from its title (and, where the title
//! alone does not say, the claims administrator's guideline line).
//!
//! Three fields, as the DWC's annual IMR reports and CWCI's studies count requests:
//! - [`Category`]: the service category (pharmaceuticals, rehabilitation, diagnostic testing, ...);
//! - [`DrugClass`]: for pharmaceuticals, the drug type (opioids, topical analgesics, ...);
//! - `treatment`: a normalised name ("hydrocodone/acetaminophen", "MRI lumbar spine"), brand names
//!   mapped to generics.
//!
//! The rules are a small gazetteer and ordered patterns, inspectable in `rules.rs` and
//! `gazetteer.rs`; [`VERSION`] names them and is recorded with every model trained on their output.

mod gazetteer;
mod rules;

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The rules' version, recorded in model files: a change of any rule or gazetteer entry bumps it.
pub const VERSION: &str = "imr-treatment/1";

/// The service category of a request, as the DWC's IMR reports group them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Prescription drugs, compounds and medical foods.
    Pharmaceuticals,
    /// Physical therapy, occupational therapy, chiropractic, acupuncture, aquatic therapy, modalities.
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
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                <$t>::ALL.iter().copied().find(|c| c.id() == s.trim()).ok_or_else(|| {
                    let ids: Vec<&str> = <$t>::ALL.iter().map(|c| c.id()).collect();
                    format!(concat!("unknown ", $what, " {:?} (expected one of {})"), s, ids.join(", "))
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

/// The kind of treatment a title requests; `guideline` (the claims administrator's guideline line) is read where
/// the title alone does not say (a brand name the gazetteer lacks, "Retrospective request for ...").
pub fn classify(title: &str, guideline: Option<&str>) -> TreatmentKind {
    rules::classify(title, guideline)
}
