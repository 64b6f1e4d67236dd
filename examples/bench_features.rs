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

fn current_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok()))
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "features".into());
    let times: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(100);
    let corpus = std::path::Path::new("../shared/corpus");
    let files = imr::parse::discover(&[corpus.join("dwc/pdf"), corpus.join("seeds")]).expect("corpus");
    let letters: Vec<_> = imr::parse::read_letters(&files, || {}).into_iter().filter_map(Result::ok).collect();
    // Only the rationales are replicated (the benchmark's input, as for scikit-learn): no summaries, no letters.
    let base: Vec<_> = examples(&letters, None)
        .into_iter()
        .map(|e| imr::model::Example { text: ItemText::from_rationale(&e.text.rationale), ..e })
        .collect();
    drop(letters);
    let mut ex = Vec::with_capacity(base.len() * times);
    for r in 0..times {
        for e in &base {
            let mut e = e.clone();
            e.case_number = format!("{}#{r}", e.case_number);
            ex.push(e);
        }
    }
    drop(base);
    let rss_input = current_rss_mb();
    let mb: f64 = ex.iter().map(|e| e.text.rationale.len()).sum::<usize>() as f64 / 1e6;
    match mode.as_str() {
        "features" => {
            let docs: Vec<ItemText> = ex.into_iter().map(|e| e.text).collect();
            let t = Instant::now();
            let f = Featurizer::new(FeatureConfig::new(vec![Field::Rationale])).unwrap();
            let counts = f.count(&docs);
            let t_count = t.elapsed().as_secs_f64();
            let p = imr::model::outcome::default_tfidf().unwrap();
            let (tfidf, x) = p.fit_transform_owned(counts).unwrap();
            let s = t.elapsed().as_secs_f64();
            println!(
                "features: {} docs, {:.1} MB, {} terms, {} non-zeros: analyse+fit+transform {:.3} s (analyse+count {:.3} s) = {:.1} MB/s; peak RSS {:.0} MB (input held: {:.0} MB)",
                docs.len(), mb, tfidf.n_features(), x.nnz(), s, t_count, mb / s, peak_rss_mb(), rss_input
            );
        }
        "cv" | "cv-ablation" => {
            // "cv" is the like-for-like comparison with scikit-learn's one pipeline; "cv-ablation" adds the
            // verdict-masked model that `imr evaluate` also fits.
            let ablation = mode == "cv-ablation";
            let t = Instant::now();
            let r = cross_validate(&ex, &OutcomeParams::new(View::Rationale).unwrap(), None, &[], &CvConfig { folds: 5, repeats: 1, seed: 42, ablation }, &|| {}).unwrap();
            println!(
                "{mode}: {} items, 5-fold outcome CV {:.2} s, ROC-AUC {:.3}; peak RSS {:.0} MB (input held: {:.0} MB)",
                ex.len(), t.elapsed().as_secs_f64(), r.summary.outcome["roc_auc"], peak_rss_mb(), rss_input
            );
        }
        other => panic!("unknown mode {other}"),
    }
}
