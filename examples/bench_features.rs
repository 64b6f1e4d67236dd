//! Benchmark: analyse + TF-IDF fit/transform, and 5-fold grouped CV of the outcome model, on rationales
//! replicated N times. Input: items as `imr parse --items --json` writes them, so the process holds the rationale
//! texts and nothing of the PDFs (its peak memory is comparable with scikit-learn's on the same file).
//! Run through `scripts/bench-features` or `scripts/bench`.
//!
//! Usage: bench_features features|cv|cv-calibrated|cv-ablation ITEMS.jsonl N

use imr::eval::cv::{cross_validate, CvConfig};
use imr::features::{FeatureConfig, Featurizer, Field, ItemText};
use imr::model::{Example, OutcomeParams, View};
use imr::Decision;
use imr::ParamGuard;
use std::time::Instant;

fn status_mb(key: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [mode, items, times] = args.as_slice() else {
        eprintln!("usage: bench_features features|cv|cv-calibrated|cv-ablation ITEMS.jsonl N");
        std::process::exit(2);
    };
    let times: usize = times.parse().expect("N is a number");
    let base: Vec<Example> = std::fs::read_to_string(items)
        .expect("items file")
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("JSON line");
            let decision = if v["decision"] == "Overturned" {
                Decision::Overturned
            } else {
                Decision::Upheld
            };
            Example {
                case_number: v["case_number"].as_str().unwrap_or_default().to_string(),
                item: v["item"].as_u64().unwrap_or_default() as usize,
                title: String::new(),
                kind: imr::treatment::classify("", None),
                decision,
                text: ItemText::from_rationale(v["rationale"].as_str().unwrap_or_default()),
                themes: None,
            }
        })
        .collect();
    // Copy r of a letter is a letter of its own: the CV groups stay letters.
    let mut ex = Vec::with_capacity(base.len() * times);
    for r in 0..times {
        for e in &base {
            ex.push(Example {
                case_number: format!("{}#{r}", e.case_number),
                ..e.clone()
            });
        }
    }
    drop(base);
    let mb: f64 = ex.iter().map(|e| e.text.rationale.len()).sum::<usize>() as f64 / 1e6;
    let held = status_mb("VmRSS:");
    match mode.as_str() {
        "features" => {
            let docs: Vec<ItemText> = ex.into_iter().map(|e| e.text).collect();
            let t = Instant::now();
            let f = Featurizer::new(FeatureConfig::new(vec![Field::Rationale])).expect("config");
            let counts = f.count(&docs);
            let t_count = t.elapsed().as_secs_f64();
            let p = imr::model::outcome::default_tfidf()
                .check()
                .expect("params");
            let (tfidf, x) = p.fit_transform_owned(counts).expect("fit");
            let s = t.elapsed().as_secs_f64();
            println!(
                "{{\"mode\":\"features\",\"docs\":{},\"mb\":{mb:.2},\"terms\":{},\"nnz\":{},\"seconds\":{s:.3},\"count_seconds\":{t_count:.3},\"mb_per_s\":{:.1},\"peak_rss_mb\":{:.0},\"input_rss_mb\":{held:.0}}}",
                docs.len(), tfidf.n_features(), x.nnz(), mb / s, status_mb("VmHWM:")
            );
        }
        "cv" | "cv-calibrated" | "cv-ablation" => {
            // "cv" is the like-for-like comparison with scikit-learn's one pipeline (no calibration folds: it has
            // none); "cv-calibrated" is what `imr evaluate --no-ablation` runs (calibrated); "cv-ablation" is
            // what `imr evaluate` runs: calibrated, and the verdict-masked model too.
            let ablation = mode == "cv-ablation";
            let t = Instant::now();
            let cfg = CvConfig::new(5, 1, 42, ablation);
            let mut params = OutcomeParams::new(View::Rationale);
            if mode == "cv" {
                params = params.calibration_folds(0);
            }
            let params = params.check().expect("params");
            let r = cross_validate(&ex, &params, None, &[], &cfg, &|| {}).expect("cv");
            println!(
                "{{\"mode\":\"{mode}\",\"docs\":{},\"mb\":{mb:.2},\"seconds\":{:.3},\"roc_auc\":{:.4},\"peak_rss_mb\":{:.0},\"input_rss_mb\":{held:.0}}}",
                ex.len(), t.elapsed().as_secs_f64(), r.summary.outcome.roc_auc, status_mb("VmHWM:")
            );
        }
        other => {
            eprintln!("unknown mode {other}");
            std::process::exit(2);
        }
    }
}
