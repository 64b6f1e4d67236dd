//! Load test of `imr serve`: REQUESTS requests, CONCURRENCY at a time over keep-alive
//! connections on loopback, a mix of searches, letter pages and forecasts (API and HTML), each
//! drawn with a fixed seed; prints the latency percentiles per kind and overall, and the errors
//! (any status but 200, any connection failure). Run through `scripts/bench-serve`.
//!
//! Usage: load_serve URL [REQUESTS [CONCURRENCY [SEED]]]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

const WORDS: [&str; 12] = [
    "physical therapy",
    "acupuncture",
    "opioid",
    "MRI lumbar",
    "functional improvement",
    "\"functional restoration\"",
    "epidural injection",
    "tramadol OR norco",
    "massage -chiropractic",
    "surgery",
    "pain",
    "medically necessary",
];
const FILTERS: [&str; 6] = [
    "",
    "&outcome=overturned",
    "&category=pharmaceuticals",
    "&category=rehabilitation",
    "&decided=2013..2016",
    "&specialty=orthop",
];
const TITLES: [&str; 6] = [
    "Norco 10/325mg #60",
    "Physical therapy 2x6 lumbar spine",
    "MRI of the right knee",
    "Acupuncture x 8 sessions",
    "Lumbar epidural steroid injection L4-5",
    "Functional restoration program 160 hours",
];

/// xorshift64*: the same draws for the same seed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n
    }
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// One request: its kind, method, path and JSON body.
fn draw(rng: &mut Rng, cases: &[String]) -> (&'static str, &'static str, String, String) {
    match rng.below(10) {
        0..=3 => {
            let q = encode(WORDS[rng.below(WORDS.len())]);
            let f = FILTERS[rng.below(FILTERS.len())];
            let path = if rng.below(2) == 0 {
                "/api/search"
            } else {
                "/"
            };
            ("search", "GET", format!("{path}?q={q}{f}"), String::new())
        }
        4 => {
            let f = FILTERS[rng.below(FILTERS.len())];
            (
                "search",
                "GET",
                format!("/api/search?limit=20{f}"),
                String::new(),
            )
        }
        5..=7 => {
            let case = encode(&cases[rng.below(cases.len())]);
            let path = if rng.below(2) == 0 {
                "/api/letters/"
            } else {
                "/letter/"
            };
            ("letter", "GET", format!("{path}{case}"), String::new())
        }
        _ => {
            let title = TITLES[rng.below(TITLES.len())];
            let body = serde_json::json!({
                "title": title,
                "summary": "Chronic low back pain with radiating symptoms; prior conservative care.",
                "similar": "5",
            });
            ("forecast", "POST", "/api/forecast".into(), body.to_string())
        }
    }
}

struct Conn {
    reader: BufReader<tokio::net::tcp::OwnedReadHalf>,
    writer: tokio::net::tcp::OwnedWriteHalf,
}

impl Conn {
    async fn open(host: &str) -> std::io::Result<Conn> {
        let s = TcpStream::connect(host).await?;
        s.set_nodelay(true)?;
        let (r, w) = s.into_split();
        Ok(Conn {
            reader: BufReader::new(r),
            writer: w,
        })
    }

    /// Sends one request and reads its whole answer; its status.
    async fn send(
        &mut self,
        host: &str,
        method: &str,
        path: &str,
        body: &str,
    ) -> std::io::Result<u16> {
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n\r\n",
            body.len()
        );
        self.writer.write_all(head.as_bytes()).await?;
        self.writer.write_all(body.as_bytes()).await?;
        let bad = |m: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, m.to_string());
        let mut line = String::new();
        self.reader.read_line(&mut line).await?;
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| bad("no status line"))?;
        let mut length = None;
        loop {
            line.clear();
            if self.reader.read_line(&mut line).await? == 0 {
                return Err(bad("closed in the headers"));
            }
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    length = v.trim().parse::<usize>().ok();
                }
            }
        }
        let mut body = vec![0; length.ok_or_else(|| bad("no content-length"))?];
        self.reader.read_exact(&mut body).await?;
        Ok(status)
    }
}

fn percentile(sorted: &[Duration], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let url = args
        .get(1)
        .expect("usage: load_serve URL [REQUESTS [CONCURRENCY [SEED]]]");
    let host = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let n: usize = args.get(2).map_or(10_000, |s| s.parse().unwrap());
    let conc: usize = args.get(3).map_or(50, |s| s.parse().unwrap());
    let seed: u64 = args.get(4).map_or(42, |s| s.parse().unwrap());

    // The letters to ask for: the newest items' cases, as a page of the API lists them.
    let mut c = Conn::open(&host).await.expect("connect");
    let (cases, _) = cases(&mut c, &host).await;
    assert!(!cases.is_empty(), "the database has no letter");
    let cases = Arc::new(cases);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..conc {
        let (host, cases, next) = (host.clone(), cases.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut rng = Rng(seed
                .wrapping_add(w as u64 + 1)
                .wrapping_mul(0x9E37_79B9_7F4A_7C15)
                | 1);
            let mut out: Vec<(&'static str, Duration, bool)> = Vec::new();
            let mut conn = Conn::open(&host).await.ok();
            while next.fetch_add(1, Ordering::Relaxed) < n {
                let (kind, method, path, body) = draw(&mut rng, &cases);
                let t = Instant::now();
                let ok = match conn.as_mut() {
                    Some(c) => matches!(c.send(&host, method, &path, &body).await, Ok(200)),
                    None => false,
                };
                out.push((kind, t.elapsed(), ok));
                if !ok {
                    eprintln!("error: {method} {path}");
                    conn = Conn::open(&host).await.ok();
                }
            }
            out
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let wall = started.elapsed().as_secs_f64();
    let errors = all.iter().filter(|r| !r.2).count();
    println!(
        "{} requests, {conc} at a time, in {wall:.1} s ({:.0} per s); errors: {errors}",
        all.len(),
        all.len() as f64 / wall
    );
    println!(
        "{:<9} {:>6} {:>8} {:>8} {:>8} {:>8}",
        "kind", "n", "p50_ms", "p90_ms", "p99_ms", "max_ms"
    );
    for kind in ["search", "letter", "forecast", "all"] {
        let mut d: Vec<Duration> = all
            .iter()
            .filter(|r| kind == "all" || r.0 == kind)
            .map(|r| r.1)
            .collect();
        d.sort();
        println!(
            "{kind:<9} {:>6} {:>8.1} {:>8.1} {:>8.1} {:>8.1}",
            d.len(),
            percentile(&d, 0.5),
            percentile(&d, 0.9),
            percentile(&d, 0.99),
            percentile(&d, 1.0)
        );
    }
    if errors > 0 {
        std::process::exit(1);
    }
}

/// Case numbers of the database's items (a search's first pages).
async fn cases(c: &mut Conn, host: &str) -> (Vec<String>, usize) {
    let mut out = Vec::new();
    for offset in [0, 100, 200, 300] {
        let path = format!("/api/search?limit=100&offset={offset}");
        let head = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n");
        c.writer.write_all(head.as_bytes()).await.unwrap();
        let mut line = String::new();
        let mut length = 0;
        c.reader.read_line(&mut line).await.unwrap();
        loop {
            line.clear();
            c.reader.read_line(&mut line).await.unwrap();
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    length = v.trim().parse().unwrap();
                }
            }
        }
        let mut body = vec![0; length];
        c.reader.read_exact(&mut body).await.unwrap();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        for h in v["hits"].as_array().unwrap() {
            let case = h["case_number"].as_str().unwrap().to_string();
            if !out.contains(&case) {
                out.push(case);
            }
        }
    }
    let n = out.len();
    (out, n)
}
