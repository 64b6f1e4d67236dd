//! Benchmark: analyse + TF-IDF fit/transform throughput, and 5-fold grouped CV of the outcome model, on the corpus
//! rationales and on them replicated N times. Run through `scripts/bench-features`.

use imr::eval::cv::{cross_validate, CvConfig};
use imr::features::{FeatureConfig, Featurizer, Field, ItemText};
use imr::model::{examples, OutcomeParams, View};
use std::time::Instant;

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok()))
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "features".into());
    let times: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(100);
    let corpus = std::path::Path::new("../shared/corpus");
    let files = imr::parse::discover(&[corpus.join("dwc/pdf"), corpus.join("seeds")]).expect("corpus");
    let letters: Vec<_> = imr::parse::read_letters(&files, || {}).into_iter().filter_map(Result::ok).collect();
    let mut ex = examples(&letters, None);
    let base = ex.len();
    let mut rep = Vec::with_capacity(base * times);
    for r in 0..times {
        for e in &ex {
            let mut e = e.clone();
            e.case_number = format!("{}#{r}", e.case_number);
            rep.push(e);
        }
    }
    ex = rep;
    let mb: f64 = ex.iter().map(|e| e.text.rationale.len()).sum::<usize>() as f64 / 1e6;
    match mode.as_str() {
        "features" => {
            let docs: Vec<ItemText> = ex.iter().map(|e| ItemText::from_rationale(&e.text.rationale)).collect();
            let t = Instant::now();
            let f = Featurizer::new(FeatureConfig::new(vec![Field::Rationale])).unwrap();
            let counts = f.count(&docs);
            let p = imr::model::outcome::default_tfidf().unwrap();
            let (tfidf, x) = p.fit_transform(&counts).unwrap();
            let s = t.elapsed().as_secs_f64();
            drop(counts);
            println!(
                "features: {} docs, {:.1} MB, {} terms, {} non-zeros: analyse+fit+transform {:.3} s = {:.1} MB/s; peak RSS {:.0} MB",
                docs.len(), mb, tfidf.n_features(), x.nnz(), s, mb / s, peak_rss_mb()
            );
        }
        "cv" => {
            let t = Instant::now();
            let r = cross_validate(&ex, &OutcomeParams::new(View::Rationale).unwrap(), None, &[], &CvConfig { folds: 5, repeats: 1, seed: 42 }, &|| {}).unwrap();
            println!(
                "cv: {} items, 5-fold outcome CV (rationale view + masked ablation) {:.2} s, ROC-AUC {:.3}; peak RSS {:.0} MB",
                ex.len(), t.elapsed().as_secs_f64(), r.summary.outcome["roc_auc"], peak_rss_mb()
            );
        }
        other => panic!("unknown mode {other}"),
    }
}
