//! Precedents on the corpus: the nearest items from other letters are requests of the same kind,
//! the approximate search finds what the exact one does, and most items have a reason sentence.
//!
//! Categories come from the hand labels `data/labels/treatments.csv` where it exists, else from
//! each item's own treatment kind. `cargo test --release --test imr similar:: -- --nocapture`
//! prints the figures.

use crate::util;

use imr::precedent::{precedents, PrecedentIndex, PrecedentParams, Search};
use imr::treatment::Category;
use imr::ParamGuard;
use std::collections::HashMap;
use std::path::PathBuf;
use util::root;

/// The corpus: `IMR_CORPUS`, else `../shared/corpus` beside the checkout; None (and a SKIP line)
/// if absent.
fn corpus(test: &str) -> Option<PathBuf> {
    let p = std::env::var_os("IMR_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared/corpus"));
    if p.join("dwc/pdf").is_dir() {
        Some(p)
    } else {
        eprintln!("SKIP {test}: {} (dwc/pdf) is absent", p.display());
        None
    }
}

/// (case number, item) to category, from the labels file's `case_number,item,category,drug_class`
/// rows.
fn labels() -> Option<HashMap<(String, usize), Category>> {
    let text = std::fs::read_to_string(root().join("data/labels/treatments.csv")).ok()?;
    let mut lines = text.lines();
    assert_eq!(
        lines.next().map(str::trim),
        Some("case_number,item,category,drug_class")
    );
    Some(
        lines
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                let f: Vec<&str> = l.split(',').map(str::trim).collect();
                let item = f[1].parse().unwrap_or_else(|e| panic!("{l}: {e}"));
                let category = f[2].parse().unwrap_or_else(|e| panic!("{l}: {e}"));
                ((f[0].to_string(), item), category)
            })
            .collect(),
    )
}

/// How often the 5 nearest items of other letters are of the item's own category.
#[derive(Debug, Default)]
struct Agreement {
    items: usize,
    /// All five of the item's category.
    all: usize,
    /// At least three of the five.
    most: usize,
    neighbours: usize,
    same: usize,
}

impl Agreement {
    fn share(n: usize, of: usize) -> f64 {
        n as f64 / of.max(1) as f64
    }
    fn line(&self, what: &str) -> String {
        format!(
            "{what}: all 5 of its category for {:.3} of {} items, at least 3 of 5 for {:.3}; \
             {:.3} of {} neighbours",
            Self::share(self.all, self.items),
            self.items,
            Self::share(self.most, self.items),
            Self::share(self.same, self.neighbours),
            self.neighbours
        )
    }
}

fn agreement(index: &PrecedentIndex, search: &Search) -> Agreement {
    let mut a = Agreement::default();
    for (r, p) in index.precedents().iter().enumerate() {
        let near = index.query_row_with(r, Some(p.category), 5, search);
        assert!(
            near.iter()
                .all(|n| n.precedent.case_number != p.case_number),
            "row {r}: its own letter came back"
        );
        let same = near
            .iter()
            .filter(|n| n.precedent.category == p.category)
            .count();
        a.items += 1;
        a.all += usize::from(same == 5);
        a.most += usize::from(same >= 3);
        a.neighbours += near.len();
        a.same += same;
    }
    a
}

#[test]
fn corpus_neighbours_share_the_category() {
    let Some(c) = corpus("corpus_neighbours_share_the_category") else {
        return;
    };
    let files = imr::parse::discover(&[c.join("dwc/pdf"), c.join("seeds")]).unwrap();
    let letters: Vec<imr::Letter> = imr::parse::read_letters(&files, || {})
        .into_iter()
        .map(|r| r.expect("every corpus letter parses"))
        .collect();
    let mut items = precedents(&letters);
    match labels() {
        Some(labels) => {
            let mut labelled = 0;
            for (p, _) in &mut items {
                if let Some(&c) = labels.get(&(p.case_number.clone(), p.item)) {
                    p.category = c;
                    labelled += 1;
                }
            }
            println!(
                "categories: data/labels/treatments.csv ({labelled} of {} items)",
                items.len()
            );
        }
        None => println!("categories: each item's treatment kind (no data/labels/treatments.csv)"),
    }
    let params = PrecedentParams::new().check().unwrap();
    let index = PrecedentIndex::build(&params, items.iter().map(|(p, t)| (p.clone(), t))).unwrap();

    let search = params.search();
    let boosted = agreement(&index, &search);
    let plain = agreement(
        &index,
        &Search {
            category_boost: 0.0,
            ..search
        },
    );
    println!(
        "{}",
        boosted.line(&format!("category boost {}", search.category_boost))
    );
    println!("{}", plain.line("no category boost"));
    assert!(
        Agreement::share(boosted.all, boosted.items) >= 0.9,
        "{}",
        boosted.line("boosted")
    );

    // The default search against every term and posting.
    let exact = search.exact();
    let (mut hit, mut total) = (0, 0);
    for (r, p) in index.precedents().iter().enumerate() {
        let got = index.query_row(r, Some(p.category), 5);
        let want = index.query_row_with(r, Some(p.category), 5, &exact);
        hit += want
            .iter()
            .filter(|w| got.iter().any(|g| g.row == w.row))
            .count();
        total += want.len();
    }
    let recall = Agreement::share(hit, total);
    println!("recall@5 of the default search against exact cosine: {recall:.4} ({hit}/{total})");
    assert!(recall >= 0.95, "{recall}");

    let with_reason = items.iter().filter(|(p, _)| p.reason.is_some()).count();
    println!("reason sentences: {with_reason} of {} items", items.len());
    assert!(Agreement::share(with_reason, items.len()) >= 0.9);

    // Saved and loaded, the same answers.
    let json = serde_json::to_string(&index).unwrap();
    let back: PrecedentIndex = serde_json::from_str(&json).unwrap();
    println!("saved index: {} bytes of JSON", json.len());
    for (p, t) in items.iter().step_by(17) {
        assert_eq!(
            back.query(t, Some(p.category), 5, Some(&p.case_number)),
            index.query(t, Some(p.category), 5, Some(&p.case_number))
        );
    }
}
