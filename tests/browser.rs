//! `imr serve` in a real browser: headless Chromium, driven through chromedriver, loads every
//! page against an index of the sample letters (and one hostile letter), takes a screenshot of
//! each (target/screenshots/), and checks what the page shows.
//!
//! Skipped with a message where chromium or chromedriver is missing, unless IMR_REQUIRE_BROWSER
//! is set (CI sets it, after installing Debian's `chromium` and `chromium-driver`).

use crate::util;

use crate::webdriver::Client;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
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
    let mut child = Command::new(crate::util::bin())
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

fn browser(chromium: &Path, driver: &Path, dir: &Path, procs: &mut Killed) -> Client {
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
    let caps = serde_json::json!({
        "browserName": "chrome",
        "goog:chromeOptions": { "binary": chromium, "args": args },
    });
    Client::connect(&format!("127.0.0.1:{port}"), caps)
        .unwrap_or_else(|e| panic!("chromedriver did not start Chromium: {e}"))
}

fn screenshots() -> PathBuf {
    let d = root().join("target/screenshots");
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn shot(c: &Client, name: &str) {
    let png = c.screenshot().unwrap();
    assert!(png.starts_with(b"\x89PNG"), "{name}: not a PNG");
    std::fs::write(screenshots().join(format!("{name}.png")), png).unwrap();
}

fn texts(c: &Client, css: &str) -> Vec<String> {
    let all = c.find_all(css).unwrap();
    all.iter().map(|e| e.text().unwrap()).collect()
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
    let c = browser(&chromium, &driver, &dir, &mut procs);
    pages(&c, &url, &db);
    hostile(&c, &hostile_url);
    let _ = c.close();
}

fn pages(c: &Client, url: &str, db: &Path) {
    // Search: the form, filled and sent as a person would.
    c.goto(&format!("{url}/")).unwrap();
    let form = c.form("#search-form").unwrap();
    form.set_by_name("q", "trigger point").unwrap();
    form.submit().unwrap();
    c.wait_for("#results").unwrap();
    let mut shown = Vec::new();
    for row in c.find_all("#results tr.hit").unwrap() {
        let case = row.attr("data-case").unwrap().unwrap();
        let item = row.attr("data-item").unwrap().unwrap();
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
    c.find("#results th:nth-child(2)").unwrap().click().unwrap();
    let items: Vec<u64> = texts(c, "#results tr.hit td:nth-child(2)")
        .iter()
        .map(|t| t.parse().unwrap())
        .collect();
    assert!(items.windows(2).all(|w| w[0] <= w[1]), "{items:?}");
    // Dates and months sort as text (their ISO form), not as the year parseFloat reads.
    let cells = c
        .execute(
            "return ['2017-01-27', '2016-12', '12', '0.35', '27%', '1,234', '-3.5', 'x']\
             .map(isNumberCell)",
        )
        .unwrap();
    assert_eq!(
        cells,
        serde_json::json!([false, false, true, true, true, true, true, false])
    );
    shot(c, "search");
    // The link in a heading orders every match on the server.
    c.find("#results th a.sort[href*='sort=overturned']")
        .unwrap()
        .click()
        .unwrap();
    c.wait_for("#results").unwrap();
    assert!(c.current_url().unwrap().contains("sort=overturned"));
    let p: Vec<f64> = texts(c, "#results tr.hit td:nth-child(9)")
        .iter()
        .map(|t| t.parse().unwrap())
        .collect();
    assert!(!p.is_empty() && p.windows(2).all(|w| w[0] >= w[1]), "{p:?}");

    // A letter: its rationale's words marked, a legend, and its precedents linked.
    c.goto(&format!("{url}/letter/004_4fa3c31427c968ed"))
        .unwrap();
    let marks = c.find_all("p.rationale mark.hl").unwrap();
    assert!(marks.len() >= 5, "{} highlighted words", marks.len());
    for m in marks.iter().take(5) {
        let tip = m.attr("title").unwrap().unwrap();
        assert!(tip.starts_with("towards "), "{tip}");
    }
    let links = c.find_all("ol.similar li a").unwrap();
    assert!(!links.is_empty());
    shot(c, "letter");
    links[0].click().unwrap();
    c.wait_for("section.item").unwrap();
    assert!(c
        .current_url()
        .unwrap()
        .starts_with(&format!("{url}/letter/")));

    // Statistics: the table, and the charts drawn.
    c.goto(&format!("{url}/stats?by=category")).unwrap();
    let rows = c.find_all("#stats tbody tr").unwrap();
    assert!(!rows.is_empty());
    let drawn = c
        .execute("return Array.from(document.images).map(i => i.complete && i.naturalWidth > 0)")
        .unwrap();
    let drawn = drawn.as_array().unwrap();
    assert!(
        !drawn.is_empty() && drawn.iter().all(|d| d == true),
        "{drawn:?}"
    );
    shot(c, "stats");

    // A forecast: the form gives a number and a precedent.
    c.goto(&format!("{url}/forecast")).unwrap();
    let form = c.form("#forecast-form").unwrap();
    form.set_by_name("title", "Trigger point injections to the thoracic spine")
        .unwrap();
    form.set_by_name(
        "summary",
        "Chronic myofascial pain with palpable trigger points after physical therapy.",
    )
    .unwrap();
    form.submit().unwrap();
    let p = c.wait_for("#forecast-p").unwrap();
    let p: f64 = p.text().unwrap().parse().unwrap();
    assert!((0.0..=1.0).contains(&p), "{p}");
    assert!(!c.find_all("ol.similar li a").unwrap().is_empty());
    shot(c, "forecast");

    // A pasted rationale: its scores, the evidence marked.
    c.goto(&format!("{url}/forecast")).unwrap();
    let form = c.form("#score-form").unwrap();
    form.set_by_name(
        "rationale",
        "There is no documentation of objective functional improvement with prior physical \
         therapy. The request is not medically necessary.",
    )
    .unwrap();
    form.submit().unwrap();
    c.wait_for("#scored").unwrap();
    assert!(!c.find_all("#scored mark.hl").unwrap().is_empty());

    // An upload: the file input, as a person picks a file.
    c.goto(&format!("{url}/forecast")).unwrap();
    let letter = root().join("data/letters/000_8fd8bbed53d6ca0b.txt");
    c.find("#upload-form input[type=file]")
        .unwrap()
        .send_keys(letter.to_str().unwrap())
        .unwrap();
    c.find("#upload-form button").unwrap().click().unwrap();
    c.wait_for("#uploaded").unwrap();
    assert!(!c.find_all("#uploaded section.item").unwrap().is_empty());
    shot(c, "upload");
}

/// The hostile letter: its script shown as text, and nothing of it run.
fn hostile(c: &Client, url: &str) {
    c.goto(&format!("{url}/letter/hostile")).unwrap();
    let rationale = texts(c, "p.rationale").join("\n");
    assert!(rationale.contains("<script>window.pwned=1;"), "{rationale}");
    for m in c.find_all("mark.hl").unwrap().iter().take(3) {
        m.click().unwrap();
    }
    let state = c
        .execute(
            "return [window.pwned === undefined, document.title, \
             document.querySelectorAll('script').length, \
             document.querySelectorAll('img[src=x], b[onmouseover]').length]",
        )
        .unwrap();
    assert_eq!(state[0], true, "a script of the letter ran: {state}");
    assert!(!state[1].as_str().unwrap().contains("pwned"), "{state}");
    assert_eq!(state[2], 1, "only the page's own script: {state}");
    assert_eq!(state[3], 0, "no element of the letter's markup: {state}");
    shot(c, "hostile");
}
