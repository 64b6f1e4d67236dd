//! Ablation: outcome ROC-AUC / F1 with and without negation marking, per view, by 5-fold x 3 grouped CV on the
//! corpus. Usage: negation_ablation ITEMS_DIR... (letters); run through `scripts/bench-negation`.

use imr::eval::cv::{cross_validate, CvConfig};
use imr::model::{examples, OutcomeParams, View};
use imr::ParamGuard;
use std::path::PathBuf;

fn main() {
    let dirs: Vec<PathBuf> = std::env::args().skip(1).map(PathBuf::from).collect();
    let files = imr::parse::discover(&dirs).expect("letters");
    let letters: Vec<_> = imr::parse::read_letters(&files, || {})
        .into_iter()
        .filter_map(Result::ok)
        .collect();
    let ex = examples(&letters, None);
    let cfg = CvConfig::new(5, 3, 42, false);
    println!("| view | negation | ROC-AUC | PR-AUC | F1 |");
    println!("|---|---|---:|---:|---:|");
    for view in [View::Rationale, View::RationaleMasked, View::Case] {
        for negation in [false, true] {
            let mut features = OutcomeParams::new(view)
                .check()
                .expect("params")
                .features()
                .clone();
            if !negation {
                features.analyzer.negation = None;
            }
            let p = OutcomeParams::new(view)
                .features(features)
                .check()
                .expect("params");
            let r = cross_validate(&ex, &p, None, &[], &cfg, &|| {}).expect("cv");
            let o = &r.summary.outcome;
            println!(
                "| {} | {} | {:.3} | {:.3} | {:.3} |",
                view.name(),
                if negation { "on" } else { "off" },
                o.roc_auc,
                o.pr_auc,
                o.f1
            );
        }
    }
}
