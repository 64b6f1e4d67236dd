//! Benchmark: precedent queries against a million stored items, on one core.
//!
//! The corpus items are indexed, then their stored vectors are replicated to ROWS rows (replica r
//! of a letter is the letter `CASE~r`; each replica drops a few of its terms at random, so no two
//! are the same) and the big index is assembled from those rows. Corpus items are then the
//! queries, each with its category (from `data/labels/treatments.csv` where it exists) and its own
//! letter excluded, one at a time on this thread. Recall@5 is the share of the exact top 5 (every
//! term, every posting) that the default search returns. Run through `scripts/bench-similar`.
//!
//! Usage: bench_similar CORPUS_DIR [ROWS [QUERIES [RECALL_QUERIES]]]
//! (`IMR_SEARCH='{...}'`: another search than the default, as JSON.)

use imr::precedent::{precedents, PrecedentIndex, PrecedentParams};
use imr::treatment::Category;
use imr::ParamGuard;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
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

/// (case number, item) to category, from the hand labels.
fn labels(path: &Path) -> HashMap<(String, usize), Category> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return HashMap::new();
    };
    text.lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let item = f.get(1)?.trim().parse().ok()?;
            Some((
                (f.first()?.trim().to_string(), item),
                f.get(2)?.parse().ok()?,
            ))
        })
        .collect()
}

/// A reproducible pseudo-random number in [0, 1) for (replica, row, column): splitmix64.
fn unit(a: u64, b: u64, c: u64) -> f64 {
    let mut z = a
        .wrapping_mul(0x9e37_79b9_7f4a_7c15)
        .wrapping_add(b.wrapping_mul(0xbf58_476d_1ce4_e5b9))
        .wrapping_add(c.wrapping_mul(0x94d0_49bb_1331_11eb));
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

/// The share of a replica's terms dropped.
const DROP: f64 = 0.05;

fn quantile(sorted: &[f64], q: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(corpus) = args.first().map(PathBuf::from) else {
        eprintln!("usage: bench_similar CORPUS_DIR [ROWS [QUERIES [RECALL_QUERIES]]]");
        std::process::exit(2);
    };
    let num = |i: usize, default: usize| -> usize {
        args.get(i)
            .map_or(default, |s| s.parse().expect("a whole number"))
    };
    let (target, n_queries, n_recall) = (num(1, 1_000_000), num(2, 300), num(3, 100));
    if !corpus.join("dwc/pdf").is_dir() {
        eprintln!("SKIP: {} (dwc/pdf) is absent", corpus.display());
        return;
    }
    let files =
        imr::parse::discover(&[corpus.join("dwc/pdf"), corpus.join("seeds")]).expect("discover");
    let letters: Vec<imr::Letter> = imr::parse::read_letters(&files, || {})
        .into_iter()
        .filter_map(|r| r.ok())
        .collect();
    let mut items = precedents(&letters);
    let labels =
        labels(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/labels/treatments.csv"));
    for (p, _) in &mut items {
        if let Some(&c) = labels.get(&(p.case_number.clone(), p.item)) {
            p.category = c;
        }
    }
    let n = items.len();
    println!(
        "corpus: {} letters, {n} items ({} with a hand-labelled category)",
        letters.len(),
        items
            .iter()
            .filter(|(p, _)| labels.contains_key(&(p.case_number.clone(), p.item)))
            .count()
    );

    // IMR_SEARCH: another search, as JSON (the fields of `Search`), to measure its settings.
    let mut params = PrecedentParams::new();
    if let Ok(json) = std::env::var("IMR_SEARCH") {
        params = params.search(serde_json::from_str(&json).expect("IMR_SEARCH: a Search as JSON"));
    }
    let params = params.check().expect("params");
    let t = Instant::now();
    let small =
        PrecedentIndex::build(&params, items.iter().map(|(p, t)| (p.clone(), t))).expect("index");
    let corpus_build = t.elapsed().as_secs_f64();
    let (indptr, indices, values) = small.rows();
    println!(
        "corpus index: {n} rows, {} terms, {:.0} stored terms a row, built in {:.3} s",
        small.tfidf().n_features(),
        indices.len() as f64 / n as f64,
        corpus_build
    );

    // Replicas: row i of copy r is corpus row i without a few of its terms, renormalised.
    let t = Instant::now();
    let mut big_ptr = Vec::with_capacity(target + 1);
    let per_copy = indices.len() as f64 / n as f64;
    let mut big_idx: Vec<u32> = Vec::with_capacity((target as f64 * per_copy * 1.01) as usize);
    let mut big_val: Vec<f32> = Vec::with_capacity(big_idx.capacity());
    let mut big_prec = Vec::with_capacity(target);
    big_ptr.push(0usize);
    for j in 0..target {
        let (copy, i) = (j / n, j % n);
        let span = indptr[i]..indptr[i + 1];
        let start = big_idx.len();
        for (&c, &v) in indices[span.clone()].iter().zip(&values[span]) {
            if copy == 0 || unit(copy as u64, i as u64, u64::from(c)) >= DROP {
                big_idx.push(c);
                big_val.push(v);
            }
        }
        let norm = big_val[start..].iter().map(|v| v * v).sum::<f32>().sqrt();
        if norm > 0.0 {
            big_val[start..].iter_mut().for_each(|v| *v /= norm);
        }
        big_ptr.push(big_idx.len());
        let mut p = small.precedents()[i].clone();
        if copy > 0 {
            p.case_number = format!("{}~{copy}", p.case_number);
        }
        big_prec.push(p);
    }
    let replicate = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let big = PrecedentIndex::from_parts(
        small.params().clone(),
        small.tfidf().clone(),
        big_prec,
        big_ptr,
        big_idx,
        big_val,
    )
    .expect("replicated index");
    let build = t.elapsed().as_secs_f64();
    println!(
        "index: {} rows, {} stored terms; replicas made in {replicate:.2} s, index built \
         (checks and inverted index) in {build:.2} s; RSS {:.0} MB, peak {:.0} MB",
        big.len(),
        big.nnz(),
        status_mb("VmRSS:"),
        status_mb("VmHWM:")
    );

    // Queries: corpus items spread over the corpus, each timed alone (text to neighbours).
    let picks: Vec<usize> = (0..n_queries)
        .map(|q| q * n / n_queries.max(1) % n)
        .collect();
    let search = big.params().search();
    let mut ms = Vec::with_capacity(picks.len());
    let mut answers = Vec::with_capacity(picks.len());
    for &i in &picks {
        let (p, text) = &items[i];
        let t = Instant::now();
        let near = big.query(text, Some(p.category), 5, Some(&p.case_number));
        ms.push(t.elapsed().as_secs_f64() * 1e3);
        answers.push(near.iter().map(|n| n.row).collect::<Vec<_>>());
    }
    let mut sorted = ms.clone();
    sorted.sort_by(f64::total_cmp);
    println!(
        "queries ({} of them, k = 5, one thread; max_terms {:?}, postings_per_row {:?}, rerank \
         {}): ms min {:.2} median {:.2} p95 {:.2} max {:.2}",
        ms.len(),
        search.max_terms,
        search.postings_per_row,
        search.rerank,
        sorted[0],
        quantile(&sorted, 0.5),
        quantile(&sorted, 0.95),
        sorted[sorted.len() - 1]
    );

    // Recall against exact cosine, on the first queries.
    let exact = search.exact();
    let (mut hit, mut total, mut exact_ms) = (0usize, 0usize, Vec::new());
    for (&i, got) in picks.iter().zip(&answers).take(n_recall) {
        let (p, text) = &items[i];
        let t = Instant::now();
        let want = big.query_with(text, Some(p.category), 5, Some(&p.case_number), &exact);
        exact_ms.push(t.elapsed().as_secs_f64() * 1e3);
        hit += want.iter().filter(|n| got.contains(&n.row)).count();
        total += want.len();
    }
    exact_ms.sort_by(f64::total_cmp);
    if !exact_ms.is_empty() {
        println!(
            "recall@5 against exact cosine: {:.4} ({hit} of {total}, {} queries); exact queries: \
             ms median {:.1} max {:.1}",
            hit as f64 / total.max(1) as f64,
            exact_ms.len(),
            quantile(&exact_ms, 0.5),
            exact_ms[exact_ms.len() - 1]
        );
    }
    println!("peak RSS {:.0} MB", status_mb("VmHWM:"));
}
