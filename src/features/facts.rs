//! Structured facts of a request, known before its decision, as terms beside the text (`f:` terms):
//! one-hot, numbers binned, so that the sparse logistic model weighs them as it weighs words.

use crate::letter::{Date, DisputedItem, Letter, Priority, Sex};
use crate::treatment::{Category, DrugClass};
use serde::{Deserialize, Serialize};

/// The ages a request's facts take (`imr forecast --age`, the web API, `--items` rows): those of
/// a worker.
pub const AGES: std::ops::RangeInclusive<u8> = 14..=110;

/// How many requests one application may dispute, as a request's facts take it.
pub const ITEMS_DISPUTED: std::ops::RangeInclusive<usize> = 1..=1000;

/// What is known of a request before IMR decides it, beyond its text. Nothing the reviewer wrote
/// about the decision (the letter's decision date, the reviewer, the rationale) is here.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestFacts {
    pub age: Option<u8>,
    pub sex: Option<Sex>,
    pub priority: Option<Priority>,
    pub date_of_injury: Option<Date>,
    pub ur_denial_date: Option<Date>,
    /// Utilization review certified part of the original request (a partial certification).
    pub partly_certified: bool,
    /// How many items the letter (the application) disputes.
    pub items_disputed: Option<usize>,
    pub category: Option<Category>,
    pub drug_class: Option<DrugClass>,
}

impl RequestFacts {
    /// The facts given, by their names in the outputs (`age`, `date_of_injury`, ...); the kind,
    /// read from the title, is not counted.
    pub fn given(&self) -> Vec<&'static str> {
        [
            ("age", self.age.is_some()),
            ("sex", self.sex.is_some()),
            ("priority", self.priority.is_some()),
            ("date_of_injury", self.date_of_injury.is_some()),
            ("ur_denial_date", self.ur_denial_date.is_some()),
            ("partly_certified", self.partly_certified),
            ("items_disputed", self.items_disputed.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, given)| given.then_some(name))
        .collect()
    }

    /// What is wrong with a request's dates, if anything: one after `today`, before 1900, or a
    /// utilization-review denial before the injury. (Read from a letter they are the letter's;
    /// given for a request they are checked, as a model that reads them would take a typo for a
    /// fact.)
    pub fn date_problem(&self, today: Date) -> Option<String> {
        let dates = [
            ("date_of_injury", self.date_of_injury),
            ("ur_denial_date", self.ur_denial_date),
        ];
        for (name, d) in dates {
            match d {
                Some(d) if d > today => return Some(format!("{name} {d} is in the future")),
                Some(d) if d.year < 1900 => return Some(format!("{name} {d} is before 1900")),
                _ => {}
            }
        }
        match (self.date_of_injury, self.ur_denial_date) {
            (Some(injury), Some(ur)) if ur < injury => Some(format!(
                "ur_denial_date {ur} is before date_of_injury {injury}"
            )),
            _ => None,
        }
    }

    /// The facts of a letter's item.
    pub fn from_item(letter: &Letter, item: &DisputedItem) -> Self {
        RequestFacts {
            age: letter.header.patient.age,
            sex: letter.header.patient.sex,
            priority: letter.header.priority,
            date_of_injury: letter.header.date_of_injury,
            ur_denial_date: letter.header.ur_denial_date,
            partly_certified: item.original_request.is_some() || item.authorized.is_some(),
            items_disputed: Some(letter.items.len()),
            category: Some(item.kind.category),
            drug_class: item.kind.drug_class,
        }
    }

    /// The facts as terms (without the field prefix): only what is known, so that an unknown fact
    /// weighs nothing rather than a learnt "unknown".
    pub fn terms(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(a) = self.age {
            out.push(format!("age_{}", age_bin(a)));
        }
        if let Some(s) = self.sex {
            out.push(format!("sex_{}", sex_name(s)));
        }
        if let Some(p) = self.priority {
            out.push(format!("priority_{}", priority_name(p)));
        }
        if let (Some(i), Some(u)) = (self.date_of_injury, self.ur_denial_date) {
            let days = u.days_from_epoch() - i.days_from_epoch();
            if days >= 0 {
                out.push(format!("injury_to_ur_{}", days_bin(days)));
            }
        }
        if self.partly_certified {
            out.push("partly_certified".into());
        }
        if let Some(n) = self.items_disputed.filter(|&n| n > 0) {
            out.push(format!(
                "items_{}",
                if n >= 4 { "4+".into() } else { n.to_string() }
            ));
        }
        if let Some(c) = self.category {
            out.push(format!("category_{}", c.id()));
        }
        if let Some(d) = self.drug_class {
            out.push(format!("drug_class_{}", d.id()));
        }
        out
    }
}

fn age_bin(age: u8) -> &'static str {
    match age {
        0..=29 => "under_30",
        30..=39 => "30s",
        40..=49 => "40s",
        50..=59 => "50s",
        _ => "60_plus",
    }
}

fn days_bin(days: i64) -> &'static str {
    match days {
        0..=30 => "1m",
        31..=91 => "3m",
        92..=182 => "6m",
        183..=365 => "1y",
        366..=730 => "2y",
        731..=1826 => "5y",
        _ => "over_5y",
    }
}

fn sex_name(s: Sex) -> &'static str {
    match s {
        Sex::Male => "male",
        Sex::Female => "female",
    }
}

fn priority_name(p: Priority) -> &'static str {
    match p {
        Priority::Standard => "standard",
        Priority::Expedited => "expedited",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A request's dates: none in the future or before 1900, no denial before the injury.
    #[test]
    fn implausible_dates_are_said() {
        let today = Date::new(2026, 12, 6).unwrap();
        let facts = |injury: Option<Date>, ur: Option<Date>| RequestFacts {
            date_of_injury: injury,
            ur_denial_date: ur,
            ..Default::default()
        };
        let problem = |injury, ur| facts(injury, ur).date_problem(today);
        assert_eq!(problem(Date::new(2016, 1, 1), Date::new(2016, 3, 1)), None);
        assert_eq!(problem(Some(today), Some(today)), None);
        assert_eq!(problem(None, None), None);
        assert_eq!(
            problem(Date::new(2030, 1, 1), None).as_deref(),
            Some("date_of_injury 2030-01-01 is in the future")
        );
        assert_eq!(
            problem(None, Date::new(1850, 1, 1)).as_deref(),
            Some("ur_denial_date 1850-01-01 is before 1900")
        );
        assert_eq!(
            problem(Date::new(2016, 3, 1), Date::new(2016, 1, 1)).as_deref(),
            Some("ur_denial_date 2016-01-01 is before date_of_injury 2016-03-01")
        );
    }

    #[test]
    fn only_known_facts_become_terms() {
        assert!(RequestFacts::default().terms().is_empty());
        let f = RequestFacts {
            age: Some(47),
            sex: Some(Sex::Female),
            priority: Some(Priority::Expedited),
            date_of_injury: Date::new(2016, 1, 1),
            ur_denial_date: Date::new(2016, 3, 1),
            partly_certified: true,
            items_disputed: Some(5),
            category: Some(Category::Pharmaceuticals),
            drug_class: Some(DrugClass::Opioids),
        };
        assert_eq!(
            f.terms(),
            [
                "age_40s",
                "sex_female",
                "priority_expedited",
                "injury_to_ur_3m",
                "partly_certified",
                "items_4+",
                "category_pharmaceuticals",
                "drug_class_opioids"
            ]
        );
        // A UR denial dated before the injury is a misread date, not a fact.
        let f = RequestFacts {
            date_of_injury: Date::new(2016, 3, 2),
            ur_denial_date: Date::new(2016, 3, 1),
            ..Default::default()
        };
        assert!(f.terms().is_empty());
    }
}
