//! `imr serve` in a real browser: headless Chromium, driven through chromedriver, loads every
//! page against an index of the sample letters (and one hostile letter), takes a screenshot of
//! each (target/screenshots/), and checks what the page shows.
//!
//! Skipped with a message where chromium or chromedriver is missing, unless IMR_REQUIRE_BROWSER
//! is set (CI sets it, after installing Debian's `chromium` and `chromium-driver`).

mod util;

use fantoccini::{Client, ClientBuilder, Locator};
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use util::*;

/// Processes that stop with the test, however it ends.
struct Killed(Vec<Child>);

impl Drop for Killed {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn program(env: &str, default: &str) -> Option<PathBuf> {
    let p = PathBuf::from(std::env::var_os(env).unwrap_or_else(|| default.into()));
    p.is_file().then_some(p)
}

/// `imr serve` on a free loopback port; its address.
fn start_server(db: &Path, procs: &mut Killed) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_imr"))
        .args([
            "serve",
            "--db",
            db.to_str().unwrap(),
            "--addr",
            "127.0.0.1:0",
        ])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
    procs.0.push(child);
    let line = lines.next().unwrap().unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    // The rest of its log goes nowhere; reading it keeps the pipe from filling.
    std::thread::spawn(move || lines.for_each(drop));
    url
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn browser(chromium: &Path, driver: &Path, dir: &Path, procs: &mut Killed) -> Client {
    let port = free_port();
    procs.0.push(
        Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let profile = dir.join("profile");
    let args = [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,1500",
        &format!("--user-data-dir={}", profile.display()),
    ];
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({ "binary": chromium, "args": args }),
    );
    let start = Instant::now();
    loop {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let c = ClientBuilder::new(connector)
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await;
        match c {
            Ok(c) => return c,
            Err(e) if start.elapsed() > Duration::from_secs(30) => {
                panic!("chromedriver did not start Chromium: {e}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

fn screenshots() -> PathBuf {
    let d = root().join("target/screenshots");
    std::fs::create_dir_all(&d).unwrap();
    d
}

async fn shot(c: &Client, name: &str) {
    let png = c.screenshot().await.unwrap();
    assert!(png.starts_with(b"\x89PNG"), "{name}: not a PNG");
    std::fs::write(screenshots().join(format!("{name}.png")), png).unwrap();
}

async fn texts(c: &Client, css: &str) -> Vec<String> {
    let mut out = Vec::new();
    for e in c.find_all(Locator::Css(css)).await.unwrap() {
        out.push(e.text().await.unwrap());
    }
    out
}

#[test]
fn every_page_in_a_real_browser() {
    let chromium = program("IMR_CHROMIUM", "/usr/bin/chromium");
    let driver = program("IMR_CHROMEDRIVER", "/usr/bin/chromedriver");
    let (Some(chromium), Some(driver)) = (chromium, driver) else {
        assert!(
            std::env::var_os("IMR_REQUIRE_BROWSER").is_none(),
            "IMR_REQUIRE_BROWSER is set but chromium or chromedriver is missing"
        );
        eprintln!(
            "SKIP every_page_in_a_real_browser: /usr/bin/chromium or /usr/bin/chromedriver \
             is absent (apt-get install chromium chromium-driver)"
        );
        return;
    };
    let dir = tempdir("browser");
    let db = serve_db(&dir.join("samples"), false);
    let hostile_db = serve_db(&dir.join("hostile"), true);
    let mut procs = Killed(Vec::new());
    let url = start_server(&db, &mut procs);
    let hostile_url = start_server(&hostile_db, &mut procs);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let c = browser(&chromium, &driver, &dir, &mut procs).await;
        let result = pages(&c, &url, &db).await;
        hostile(&c, &hostile_url).await;
        let _ = c.close().await;
        result
    });
}

async fn pages(c: &Client, url: &str, db: &Path) {
    // Search: the form, filled and sent as a person would.
    c.goto(&format!("{url}/")).await.unwrap();
    let form = c.form(Locator::Id("search-form")).await.unwrap();
    form.set_by_name("q", "trigger point").await.unwrap();
    form.submit().await.unwrap();
    c.wait().for_element(Locator::Id("results")).await.unwrap();
    let mut shown = Vec::new();
    for row in c.find_all(Locator::Css("#results tr.hit")).await.unwrap() {
        let case = row.attr("data-case").await.unwrap().unwrap();
        let item = row.attr("data-item").await.unwrap().unwrap();
        shown.push(format!("{case}#{item}"));
    }
    let store = imr::store::Store::open_read_only(db).unwrap();
    let expected: Vec<String> = store
        .search(&imr::store::Search {
            filters: imr::store::Filters {
                words: Some("trigger point".parse().unwrap()),
                ..Default::default()
            },
            sort: imr::store::Sort::Best,
            limit: 20,
            offset: 0,
        })
        .unwrap()
        .iter()
        .map(|h| format!("{}#{}", h.case_number, h.item))
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(
        shown, expected,
        "the page shows the store's items, in its order"
    );
    // A click on a heading sorts the rows by it.
    c.find(Locator::Css("#results th:nth-child(2)"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let items: Vec<u64> = texts(c, "#results tr.hit td:nth-child(2)")
        .await
        .iter()
        .map(|t| t.parse().unwrap())
        .collect();
    assert!(items.windows(2).all(|w| w[0] <= w[1]), "{items:?}");
    shot(c, "search").await;
    // The link in a heading orders every match on the server.
    c.find(Locator::Css("#results th a.sort[href*='sort=overturned']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait().for_element(Locator::Id("results")).await.unwrap();
    assert!(c
        .current_url()
        .await
        .unwrap()
        .query()
        .unwrap()
        .contains("sort=overturned"));
    let p: Vec<f64> = texts(c, "#results tr.hit td:nth-child(9)")
        .await
        .iter()
        .map(|t| t.parse().unwrap())
        .collect();
    assert!(!p.is_empty() && p.windows(2).all(|w| w[0] >= w[1]), "{p:?}");

    // A letter: its rationale's words marked, a legend, and its precedents linked.
    c.goto(&format!("{url}/letter/004_4fa3c31427c968ed"))
        .await
        .unwrap();
    let marks = c
        .find_all(Locator::Css("p.rationale mark.hl"))
        .await
        .unwrap();
    assert!(marks.len() >= 5, "{} highlighted words", marks.len());
    for m in marks.iter().take(5) {
        let tip = m.attr("title").await.unwrap().unwrap();
        assert!(tip.starts_with("towards "), "{tip}");
    }
    let links = c.find_all(Locator::Css("#similar li a")).await.unwrap();
    assert!(!links.is_empty());
    shot(c, "letter").await;
    links[0].click().await.unwrap();
    c.wait()
        .for_element(Locator::Css("section.item"))
        .await
        .unwrap();
    assert!(c
        .current_url()
        .await
        .unwrap()
        .path()
        .starts_with("/letter/"));

    // Statistics: the table, and the charts drawn.
    c.goto(&format!("{url}/stats?by=category")).await.unwrap();
    let rows = c.find_all(Locator::Css("#stats tbody tr")).await.unwrap();
    assert!(!rows.is_empty());
    let drawn = c
        .execute(
            "return Array.from(document.images).map(i => i.complete && i.naturalWidth > 0)",
            vec![],
        )
        .await
        .unwrap();
    let drawn = drawn.as_array().unwrap();
    assert!(
        !drawn.is_empty() && drawn.iter().all(|d| d == true),
        "{drawn:?}"
    );
    shot(c, "stats").await;

    // A forecast: the form gives a number and a precedent.
    c.goto(&format!("{url}/forecast")).await.unwrap();
    let form = c.form(Locator::Id("forecast-form")).await.unwrap();
    form.set_by_name("title", "Trigger point injections to the thoracic spine")
        .await
        .unwrap();
    form.set_by_name(
        "summary",
        "Chronic myofascial pain with palpable trigger points after physical therapy.",
    )
    .await
    .unwrap();
    form.submit().await.unwrap();
    let p = c
        .wait()
        .for_element(Locator::Id("forecast-p"))
        .await
        .unwrap();
    let p: f64 = p.text().await.unwrap().parse().unwrap();
    assert!((0.0..=1.0).contains(&p), "{p}");
    assert!(!c
        .find_all(Locator::Css("#similar li a"))
        .await
        .unwrap()
        .is_empty());
    shot(c, "forecast").await;

    // A pasted rationale: its scores, the evidence marked.
    c.goto(&format!("{url}/forecast")).await.unwrap();
    let form = c.form(Locator::Id("score-form")).await.unwrap();
    form.set_by_name(
        "rationale",
        "There is no documentation of objective functional improvement with prior physical \
         therapy. The request is not medically necessary.",
    )
    .await
    .unwrap();
    form.submit().await.unwrap();
    c.wait().for_element(Locator::Id("scored")).await.unwrap();
    assert!(!c
        .find_all(Locator::Css("#scored mark.hl"))
        .await
        .unwrap()
        .is_empty());

    // An upload: the file input, as a person picks a file.
    c.goto(&format!("{url}/forecast")).await.unwrap();
    let letter = root().join("data/letters/000_8fd8bbed53d6ca0b.txt");
    c.find(Locator::Css("#upload-form input[type=file]"))
        .await
        .unwrap()
        .send_keys(letter.to_str().unwrap())
        .await
        .unwrap();
    c.find(Locator::Css("#upload-form button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait().for_element(Locator::Id("uploaded")).await.unwrap();
    assert!(!c
        .find_all(Locator::Css("#uploaded section.item"))
        .await
        .unwrap()
        .is_empty());
    shot(c, "upload").await;
}

/// The hostile letter: its script shown as text, and nothing of it run.
async fn hostile(c: &Client, url: &str) {
    c.goto(&format!("{url}/letter/hostile")).await.unwrap();
    let rationale = texts(c, "p.rationale").await.join("\n");
    assert!(rationale.contains("<script>window.pwned=1;"), "{rationale}");
    for m in c
        .find_all(Locator::Css("mark.hl"))
        .await
        .unwrap()
        .iter()
        .take(3)
    {
        m.click().await.unwrap();
    }
    let state = c
        .execute(
            "return [window.pwned === undefined, document.title, \
             document.querySelectorAll('script').length, \
             document.querySelectorAll('img[src=x], b[onmouseover]').length]",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(state[0], true, "a script of the letter ran: {state}");
    assert!(!state[1].as_str().unwrap().contains("pwned"), "{state}");
    assert_eq!(state[2], 1, "only the page's own script: {state}");
    assert_eq!(state[3], 0, "no element of the letter's markup: {state}");
    shot(c, "hostile").await;
}
