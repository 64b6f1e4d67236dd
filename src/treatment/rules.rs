//! The ordered rules that read a title.

use super::{Category, TreatmentKind};

pub(super) fn classify(title: &str, _guideline: Option<&str>) -> TreatmentKind {
    TreatmentKind {
        category: Category::Other,
        drug_class: None,
        treatment: title.trim().to_lowercase(),
    }
}
