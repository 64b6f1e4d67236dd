//! `imr serve` in process: every API endpoint with a good request, a bad one and one that finds
//! nothing; the pages' escaping and headers; the CLI's address check.

use crate::schema_doc;
use crate::util;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use imr::serve::service::AppConfig;
use imr::serve::{App, Limits};
use serde_json::Value;
use std::path::Path;
use std::sync::{Arc, OnceLock};
use tower::ServiceExt;
use util::*;

/// One database and one app for every test of this file (indexing takes a few seconds).
fn app() -> Arc<App> {
    static APP: OnceLock<Arc<App>> = OnceLock::new();
    APP.get_or_init(|| {
        let db = serve_db(&fixture_dir("serve-api"), true);
        let limits = Limits {
            upload: 200_000,
            ..Limits::default()
        };
        app_of(db, limits, std::time::Duration::from_secs(30))
    })
    .clone()
}

/// An app of the built-in models over `db`, PDFs read by workers within `pdf_time`.
fn app_of(db: std::path::PathBuf, limits: Limits, pdf_time: std::time::Duration) -> Arc<App> {
    let builtin = |name: &str| {
        let (m, label) = imr::model::ModelFile::builtin_named(name).unwrap().unwrap();
        (m, label.to_string())
    };
    let reader = imr::parse::Reader::new().isolated(
        imr::parse::WorkerCommand {
            program: crate::util::bin().into(),
            args: vec![
                "pdf-worker".into(),
                "--memory".into(),
                (1u64 << 30).to_string().into(),
            ],
        },
        imr::parse::WorkerLimits {
            timeout: pdf_time,
            memory: 1 << 30,
        },
    );
    Arc::new(
        App::new(AppConfig {
            db,
            model: builtin("default"),
            forecast_model: builtin("case"),
            reader,
            limits,
        })
        .unwrap(),
    )
}

struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    /// A 400 whose JSON message starts with `start`.
    fn is_bad(&self, start: &str) {
        assert_eq!(self.status, StatusCode::BAD_REQUEST, "{}", self.body);
        let m = self.json()["error"].as_str().unwrap().to_string();
        assert!(m.starts_with(start), "{m:?} does not start with {start:?}");
    }
}

fn send(req: Request<Body>) -> Answer {
    send_to(app(), req)
}

fn send_to(app: Arc<App>, req: Request<Body>) -> Answer {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let res = imr::serve::router(app).oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        Answer {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    })
}

fn get(uri: &str) -> Answer {
    send(Request::get(uri).body(Body::empty()).unwrap())
}

fn post(uri: &str, content_type: &str, body: impl Into<Body>) -> Answer {
    send(
        Request::post(uri)
            .header("content-type", content_type)
            .body(body.into())
            .unwrap(),
    )
}

fn post_json(uri: &str, v: Value) -> Answer {
    post(uri, "application/json", v.to_string())
}

#[test]
fn about_names_the_database_and_models() {
    let a = get("/api/about").json();
    assert_eq!(a["letters"], 6);
    assert_eq!(a["items"], a["precedents"]);
    assert_eq!(a["model"], "default");
    assert_eq!(a["forecast_model"], "case");
}

#[test]
fn search_finds_counts_and_refuses() {
    let r = get("/api/search?q=trigger%20point&limit=3");
    assert_eq!(r.status, StatusCode::OK);
    let v = r.json();
    let hits = v["hits"].as_array().unwrap();
    assert_eq!(hits.len(), 3);
    let total = v["matches"]["items"].as_u64().unwrap();
    assert!(total >= 3);
    // The same search, through the store.
    let store = imr::store::Store::open_read_only(&tempdir_db()).unwrap();
    let filters = imr::store::Filters {
        words: Some("trigger point".parse().unwrap()),
        ..Default::default()
    };
    assert_eq!(store.matches(&filters).unwrap().items as u64, total);
    // Sources are file names, not the server's paths.
    assert!(hits
        .iter()
        .all(|h| !h["source"].as_str().unwrap().contains('/')));
    // The next page continues it.
    let next = get("/api/search?q=trigger%20point&limit=3&offset=3").json();
    let first: Vec<&Value> = hits.iter().collect();
    for h in next["hits"].as_array().unwrap() {
        assert!(!first.contains(&h));
    }
    // Filters narrow it.
    let v = get("/api/search?outcome=overturned").json();
    assert!(v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .all(|h| h["decision"] == "Overturned"));
    assert_eq!(v["overturn_rate"], 1.0);
    // Each filter is read under its output field's name too.
    let named = get("/api/search?decision=overturned").json();
    assert_eq!(named["hits"], v["hits"]);

    // Every match in order of P(Overturned), across pages.
    let a = get("/api/search?sort=overturned&limit=5").json();
    let b = get("/api/search?sort=overturned&limit=5&offset=5").json();
    let p: Vec<f64> = [a, b]
        .iter()
        .flat_map(|v| v["hits"].as_array().unwrap().clone())
        .map(|h| h["p_overturned"].as_f64().unwrap())
        .collect();
    assert_eq!(p.len(), 10);
    assert!(p.windows(2).all(|w| w[0] >= w[1]), "{p:?}");

    get("/api/search?outcome=maybe").is_bad("outcome");
    get("/api/search?sort=sideways").is_bad("sort");
    get("/api/search?q=%22unclosed").is_bad("q");
    // Every API error is JSON: a body over the limit (413), a method an endpoint does not take
    // (405).
    let big = post("/api/score", "application/json", vec![b'a'; 1_100_000]);
    assert_eq!(big.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", big.body);
    assert!(
        big.json()["error"].as_str().unwrap().contains("larger"),
        "{}",
        big.body
    );
    let delete = Request::builder()
        .method("DELETE")
        .uri("/api/about")
        .body(Body::empty())
        .unwrap();
    for (r, what) in [
        (send(delete), "/api/about does not take DELETE"),
        (get("/api/score"), "/api/score does not take GET"),
    ] {
        assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{}", r.body);
        assert!(
            r.json()["error"].as_str().unwrap().starts_with(what),
            "{}",
            r.body
        );
    }
    get("/api/search?q=mri%00").is_bad("q");
    get("/api/search?theme=nonsense").is_bad("theme");
    assert_eq!(
        get("/api/search?theme=Criteria%20Met").status,
        StatusCode::OK
    );
    get("/api/stats?by=category&q=a%00").is_bad("q");
    get("/api/search?limit=1000").is_bad("limit");
    get("/api/search?decided=2016-02-30").is_bad("decided");
    get("/api/search?by=category").is_bad("by");
    get("/api/search?colour=red").is_bad("colour: unknown parameter `colour`, expected one of `q`");
    get("/api/search?q=mri&&&&==&=").is_bad("a parameter without a name");
    get("/api/about?colour=red")
        .is_bad("colour: unknown parameter `colour`, it takes no parameters");
    get("/api/search?limit=5&limit=6").is_bad("duplicate parameter `limit`");

    let none = get("/api/search?q=zzyzxnotaword");
    assert_eq!(none.status, StatusCode::OK);
    let v = none.json();
    assert_eq!(v["matches"]["items"], 0);
    assert_eq!(v["hits"], Value::Array(vec![]));
    assert_eq!(v["overturn_rate"], Value::Null);
}

/// The database `app()` serves.
fn tempdir_db() -> std::path::PathBuf {
    app();
    fixture_path("serve-api").join("serve.db")
}

#[test]
fn a_letter_has_scores_highlights_and_precedents() {
    let r = get("/api/letters/004_4fa3c31427c968ed");
    assert_eq!(r.status, StatusCode::OK);
    let v = r.json();
    let letter = &v["letter"];
    let items = v["items"].as_array().unwrap();
    assert_eq!(items.len(), letter["items"].as_array().unwrap().len());
    for (it, view) in letter["items"].as_array().unwrap().iter().zip(items) {
        let rationale = it["rationale"].as_str().unwrap();
        let p = view["scores"]["p_overturned"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&p));
        let hl = view["highlights"].as_array().unwrap();
        assert!(!hl.is_empty());
        for h in hl {
            let (from, to) = (h["from"].as_u64().unwrap(), h["to"].as_u64().unwrap());
            let words = rationale
                .get(from as usize..to as usize)
                .expect("on characters");
            assert!(!words.trim().is_empty());
        }
        let similar = view["similar"].as_array().unwrap();
        assert!(!similar.is_empty());
        assert!(similar
            .iter()
            .all(|s| s["case_number"] != letter["case_number"]));
    }
    get("/api/letters/004_4fa3c31427c968ed?x=1").is_bad("x: unknown parameter `x`");
    let missing = get("/api/letters/CM99-0000000");
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.json()["error"]
        .as_str()
        .unwrap()
        .contains("CM99-0000000"));
    // A path in the case number is a case number that does not exist, nothing more.
    let r = get("/api/letters/..%2F..%2Fetc%2Fpasswd");
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(!r.body.contains("root:"));
}

#[test]
fn stats_count_every_item_once() {
    let v = get("/api/stats?by=category").json();
    assert_eq!(v["by"], serde_json::json!(["category"]));
    let rows = v["rows"].as_array().unwrap();
    let sum: u64 = rows.iter().map(|r| r["items"].as_u64().unwrap()).sum();
    assert_eq!(sum, get("/api/about").json()["items"].as_u64().unwrap());
    assert!(rows
        .iter()
        .all(|r| r["rate_low"].as_f64() <= r["rate"].as_f64()));
    let two = get("/api/stats?by=category,drug_class").json();
    assert_eq!(two["by"], serde_json::json!(["category", "drug_class"]));
    // The page's table shows each rate as `imr stats` prints it (one decimal).
    let page = get("/stats?by=category").body;
    for r in rows {
        let pct = |f: &str| format!("{:.1}%", 100.0 * r[f].as_f64().unwrap());
        let cells = format!("{}–{}", pct("rate_low"), pct("rate_high"));
        assert!(
            page.contains(&pct("rate")) && page.contains(&cells),
            "{cells}: {page}"
        );
        // A row's count leads to the search of its items, which finds as many.
        let id = r["category"].as_str().unwrap();
        let href = format!("href=\"/?category={id}\"");
        assert!(page.contains(&href), "{href}: {page}");
        let found = get(&format!("/api/search?category={id}&limit=1")).json();
        assert_eq!(found["matches"]["items"], r["items"], "{id}");
    }
    // A specialty's filter takes part of a name: its rows are not linked (it would find more).
    let by_specialty = get("/stats?by=specialty").body;
    assert!(
        !by_specialty.contains("href=\"/?specialty="),
        "{by_specialty}"
    );

    get("/api/stats?by=colour").is_bad("by");
    get("/api/stats?by=category&limit=3").is_bad("limit");
    let none = get("/api/stats?q=zzyzxnotaword").json();
    assert_eq!(none["rows"], Value::Array(vec![]));
    assert_eq!(none["matches"]["items"], 0);
}

#[test]
fn forecasts_give_a_number_a_base_rate_and_precedents() {
    let r = post_json(
        "/api/forecast",
        serde_json::json!({
            "title": "Trigger point injections to the thoracic spine",
            "summary": "Chronic pain with palpable trigger points after failed physical therapy.",
            "age": "45",
            "similar": "3",
        }),
    );
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let f = &r.json()["forecast"];
    let p = f["p_overturned"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&p));
    assert_eq!(f["category"], "injections");
    assert_eq!(f["category_base_rate"]["group"], "injections");
    assert_eq!(f["similar"].as_array().unwrap().len(), 3);
    // Numbers and booleans as JSON writes them are the same request.
    let typed = post_json(
        "/api/forecast",
        serde_json::json!({
            "title": "Trigger point injections to the thoracic spine",
            "summary": "Chronic pain with palpable trigger points after failed physical therapy.",
            "age": 45,
            "similar": 3,
            "partly_certified": false,
        }),
    );
    assert_eq!(typed.status, StatusCode::OK, "{}", typed.body);
    assert_eq!(typed.json()["forecast"], r.json()["forecast"]);
    // The outputs' names are the same request; the built-in model reads no facts, and says so.
    let named = post_json(
        "/api/forecast",
        serde_json::json!({
            "title": "Trigger point injections to the thoracic spine",
            "clinical_summary":
                "Chronic pain with palpable trigger points after failed physical therapy.",
            "age": 45,
            "similar": 3,
            "date_of_injury": "2014-03-02",
        }),
    );
    assert_eq!(named.status, StatusCode::OK, "{}", named.body);
    assert_eq!(named.json()["forecast"], r.json()["forecast"]);
    let note = named.json()["note"].as_str().unwrap().to_string();
    assert!(note.ends_with("age, date_of_injury left out"), "{note}");
    post_json("/api/forecast", serde_json::json!({"title": "x", "age": 7})).is_bad("age");
    let future = serde_json::json!({"title": "MRI", "injury_date": "2999-01-01"});
    post_json("/api/forecast", future).is_bad("date_of_injury 2999-01-01 is in the future");
    post_json(
        "/api/forecast",
        serde_json::json!({"title": "x", "age": [7]}),
    )
    .is_bad("the body: age: ");
    // A body that is no object, or names a field there is not, in the tool's words.
    post_json("/api/forecast", serde_json::json!([1])).is_bad("the body is not a JSON object");
    // A list as long as the request's fields is no request either (serde reads one in order).
    let fields: Vec<Value> = std::iter::once(Value::from("MRI of the knee"))
        .chain(std::iter::repeat_n(Value::Null, 13))
        .collect();
    post_json("/api/forecast", Value::Array(fields)).is_bad("the body is not a JSON object");
    post_json(
        "/api/score",
        serde_json::json!(["Not medically necessary."]),
    )
    .is_bad("the body is not a JSON object");
    post_json("/api/forecast", serde_json::json!({"title": "x", "foo": 1}))
        .is_bad("the body: foo: unknown field `foo`");
    // A field given twice is refused, not the last one taken; a field of the wrong kind is said
    // in JSON's words, not by a name of imr's code.
    let twice = r#"{"title": "MRI", "title": "CT"}"#;
    post("/api/forecast", "application/json", twice).is_bad("the body: duplicate field `title`");
    // Under the outputs' name, whichever name each was given under.
    let both = r#"{"title": "MRI", "summary": "a", "clinical_summary": "b"}"#;
    post("/api/forecast", "application/json", both)
        .is_bad("the body: duplicate field `clinical_summary`");
    // An imr output line is a body as it is: its schema_version and an old `number` are read.
    let line = r#"{"schema_version": 2, "case_number": "CM1", "number": "2", "title": "MRI"}"#;
    assert_eq!(
        post("/api/forecast", "application/json", line).status,
        StatusCode::OK
    );
    let patient = r#"{"title": "MRI", "patient": "x"}"#;
    post("/api/forecast", "application/json", patient)
        .is_bad("the body: patient: invalid type: string \"x\", expected a JSON object");

    post_json("/api/forecast", serde_json::json!({"summary": "no title"})).is_bad("title");
    post_json(
        "/api/forecast",
        serde_json::json!({"title": "x", "item": 0}),
    )
    .is_bad("item: 0");
    post_json(
        "/api/forecast",
        serde_json::json!({"title": "x", "age": "7"}),
    )
    .is_bad("age");
    post("/api/forecast", "application/json", "{not json").is_bad("the body is not valid JSON (");
    post("/api/forecast", "text/plain", "title=x").is_bad("the body: send it as JSON");
    // A line of a `forecast --items` file is a body as it is, and forecasts as it does there.
    let lines = std::fs::read_to_string(util::root().join("data/requests.jsonl")).unwrap();
    let cli = util::imr(&["forecast", "--items", "data/requests.jsonl", "--json"]);
    let cli = util::json_lines(&util::stdout(&cli));
    assert_eq!(cli.len(), lines.lines().count());
    for (line, want) in lines.lines().zip(&cli) {
        let r = post("/api/forecast", "application/json", line.to_string());
        assert_eq!(r.status, StatusCode::OK, "{line}: {}", r.body);
        let got = &r.json()["forecast"];
        for field in ["case_number", "item", "title", "p_overturned", "category"] {
            assert_eq!(got[field], want[field], "{field} of {line}");
        }
    }
    // A title the model has no word of: no number, a reason.
    let none = post_json("/api/forecast", serde_json::json!({"title": "zzyzx qwxv"})).json();
    assert_eq!(none["forecast"]["p_overturned"], Value::Null);
    assert!(none["forecast"]["abstention"].is_string());
}

#[test]
fn a_pasted_rationale_is_scored_with_its_evidence() {
    let text = "There is no documentation of objective functional improvement with prior \
                physical therapy. The request is not medically necessary.";
    let v = post_json("/api/score", serde_json::json!({ "rationale": text })).json();
    assert!(v["scores"]["p_overturned"].as_f64().unwrap() < 0.5);
    assert!(!v["highlights"].as_array().unwrap().is_empty());
    post_json("/api/score", serde_json::json!({ "rationale": "  " })).is_bad("rationale");
    let long = "word ".repeat(30_000);
    post_json("/api/score", serde_json::json!({ "rationale": long })).is_bad("rationale");
    let none = post_json(
        "/api/score",
        serde_json::json!({ "rationale": "zzyzx qwxv" }),
    )
    .json();
    assert_eq!(none["scores"]["p_overturned"], Value::Null);
}

#[test]
fn uploads_are_read_as_parse_reads_files() {
    let text = std::fs::read(root().join("data/letters/000_8fd8bbed53d6ca0b.txt")).unwrap();
    let r = post("/api/parse?name=mine.txt", "text/plain", text.clone());
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let v = r.json();
    assert_eq!(v["letter"]["source"], "mine.txt");
    assert!(!v["items"].as_array().unwrap().is_empty());
    // A form upload (curl -F, Python's files=) is read for its file, named by its file name.
    let b = "XyZ";
    let form = |parts: &str| format!("{parts}--{b}--\r\n");
    let part = |field: &str, file: Option<&str>, body: &str| {
        let file = file
            .map(|f| format!("; filename=\"{f}\""))
            .unwrap_or_default();
        format!("--{b}\r\nContent-Disposition: form-data; name=\"{field}\"{file}\r\n\r\n{body}\r\n")
    };
    let letter = String::from_utf8(text.clone()).unwrap();
    let kind = format!("multipart/form-data; boundary={b}");
    let r = post(
        "/api/parse",
        &kind,
        form(&part("letter", Some("mine.txt"), &letter)),
    );
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["letter"], v["letter"]);
    let upper = format!("Multipart/Form-Data; boundary={b}");
    let r = post(
        "/api/parse?name=",
        &upper,
        form(&part("letter", Some("mine.txt"), &letter)),
    );
    assert_eq!(r.json()["letter"], v["letter"], "{}", r.body);
    let two = part("a", Some("a.txt"), &letter) + &part("b", Some("b.txt"), &letter);
    post("/api/parse", &kind, form(&two)).is_bad("the form holds more than one file");
    post("/api/parse", &kind, form("")).is_bad("the form holds no file");
    // A name with a control character, or longer than a file name can be, is refused.
    post("/api/parse?name=%00x.txt", "text/plain", text.clone()).is_bad("name: holds a control");
    post("/api/parse?name=x%0Ay.txt", "text/plain", text.clone()).is_bad("name: holds a control");
    let long = format!("/api/parse?name={}.txt", "a".repeat(300));
    post(&long, "text/plain", text.clone()).is_bad("name: 304 bytes");
    // Not a letter, not a PDF, nothing, too much: a message each, and nothing written.
    post("/api/parse?name=notes.txt", "text/plain", "just some words").is_bad("notes.txt");
    post(
        "/api/parse?name=x.pdf",
        "application/pdf",
        "%PDF-1.4 garbage",
    )
    .is_bad("x.pdf");
    post("/api/parse", "text/plain", "").is_bad("upload.txt");
    // No name: a PDF header names it a PDF, whatever the type curl sent it as.
    post(
        "/api/parse",
        "application/x-www-form-urlencoded",
        "%PDF-1.4 garbage",
    )
    .is_bad("upload.pdf");
    let big = post("/api/parse", "text/plain", vec![b'a'; 300_000]);
    assert_eq!(big.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", big.body);
    assert!(
        big.json()["error"].as_str().unwrap().contains("larger"),
        "{}",
        big.body
    );
    // A body declared over the limit is refused before it is sent (not waited for).
    for uri in ["/api/parse", "/api/forecast"] {
        let declared = send(
            Request::post(uri)
                .header("content-type", "application/json")
                .header("content-length", "60000000")
                .body(Body::from("{}"))
                .unwrap(),
        );
        assert_eq!(declared.status, StatusCode::PAYLOAD_TOO_LARGE, "{uri}");
        assert!(declared.json()["error"]
            .as_str()
            .unwrap()
            .contains("larger"));
    }
    // A name with a path is only a name.
    let r = post(
        "/api/parse?name=../../etc/passwd.txt",
        "text/plain",
        text.clone(),
    );
    assert_eq!(r.json()["letter"]["source"], "passwd.txt");
    let r = post(
        "/api/parse?name=C:%5Cdocs%5Cx.txt",
        "text/plain",
        text.clone(),
    );
    assert_eq!(r.json()["letter"]["source"], "x.txt");
    // A blank name, or one that names no file, is no name: the upload is named by its kind.
    for name in ["", "..", "a/.."] {
        let r = post(
            &format!("/api/parse?name={name}"),
            "text/plain",
            text.clone(),
        );
        assert_eq!(
            r.json()["letter"]["source"],
            "upload.txt",
            "{name:?}: {}",
            r.body
        );
    }
}

/// Every kind of answer, checked against docs/schema.md; the objects an answer holds (a letter,
/// scores, groups) against the tables of the command-line outputs they repeat.
#[test]
fn every_api_answer_matches_the_schema() {
    let s = schema_doc::Schema::load();
    let check = |object: &str, v: &Value| {
        let errors = s.check_line(object, v);
        assert!(errors.is_empty(), "{object}: {errors:#?}");
    };
    // An object an answer holds, with the version its command-line form starts with.
    let inner = |object: &str, v: &Value| {
        let mut v = v.clone();
        v.as_object_mut()
            .unwrap()
            .insert("schema_version".into(), s.version.into());
        check(object, &v);
    };
    check("api_about", &get("/api/about").json());
    let found = get("/api/search?q=therapy&limit=3").json();
    check("api_search", &found);
    let case = found["hits"][0]["case_number"]
        .as_str()
        .unwrap()
        .to_string();
    let letter = get(&format!("/api/letters/{case}")).json();
    check("api_letter", &letter);
    inner("letter", &letter["letter"]);
    for it in letter["items"].as_array().unwrap() {
        inner("prediction", &it["scores"]);
    }
    let stats = get("/api/stats?by=category,month").json();
    check("api_stats", &stats);
    for row in stats["rows"].as_array().unwrap() {
        inner("group", row);
    }
    let forecast = post_json(
        "/api/forecast",
        serde_json::json!({"title": "Norco 10/325mg #60", "similar": "2"}),
    )
    .json();
    check("api_forecast", &forecast);
    inner("prediction", &forecast["forecast"]);
    let text = "Physical therapy is not medically necessary.";
    let score = post_json("/api/score", serde_json::json!({ "rationale": text })).json();
    check("api_score", &score);
    inner("prediction", &score["scores"]);
    let text = std::fs::read(root().join("data/letters/000_8fd8bbed53d6ca0b.txt")).unwrap();
    let parsed = post("/api/parse?name=mine.txt", "text/plain", text).json();
    check("api_letter", &parsed);
    inner("letter", &parsed["letter"]);
    check("api_error", &get("/api/search?limit=x").json());
    check("api_error", &get("/api/nothing").json());
    check("api_error", &get("/api/letters/NO-SUCH-CASE").json());
}

#[test]
fn unknown_endpoints_and_methods() {
    let r = get("/api/nothing");
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.json()["error"].as_str().unwrap().contains("/api/nothing"));
    assert_eq!(get("/api/forecast").status, StatusCode::METHOD_NOT_ALLOWED);
    let r = get("/assets/../Cargo.toml");
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(!r.body.contains("[package]"));
    // A parameter an endpoint does not take is refused, on the API and on the pages.
    let title = serde_json::json!({"title": "Norco 10/325mg #60"});
    post_json("/api/forecast?x=1", title.clone()).is_bad("x: unknown parameter `x`");
    post_json("/api/score?x=1", serde_json::json!({"rationale": "x"})).is_bad("x: unknown");
    assert_eq!(post_json("/api/forecast", title).status, StatusCode::OK);
    // Every error in the form of where it was asked: JSON under /api, a page elsewhere.
    let r = get("/api/letters/%FF");
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.json()["error"].as_str().unwrap().contains("UTF-8"),
        "{}",
        r.body
    );
    assert_eq!(get("/api/").status, StatusCode::NOT_FOUND);
    assert!(get("/api/").json()["error"].is_string());
    let r = get("/letter/%FF");
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.body.contains("<html") && r.body.contains("UTF-8"),
        "{}",
        r.body
    );
    // A page past the last match links back to the first.
    let r = get("/?q=trigger&offset=200");
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body.contains("rel=\"first\" href=\"/?q=trigger\""),
        "{}",
        r.body
    );
    // A page asked with a method it does not take says so on a page, not a blank one.
    let delete = Request::builder()
        .method("DELETE")
        .uri("/score")
        .body(Body::empty())
        .unwrap();
    let r = send(delete);
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(r.body.contains("does not take that method"), "{}", r.body);
    // An id is once on a page: the letter's items each list their precedents.
    let page = get("/letter/003_ef80428068f9a7a4");
    assert_eq!(page.status, StatusCode::OK);
    let ids: Vec<&str> = page
        .body
        .split("id=\"")
        .skip(1)
        .map(|s| &s[..s.find('"').unwrap()])
        .collect();
    let unique: std::collections::BTreeSet<&&str> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "{ids:?}");
    for page in ["/forecast?foo=1", "/letter/004_4fa3c31427c968ed?foo=1"] {
        let r = get(page);
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{page}");
        assert!(r.body.contains("foo"), "{page}: {}", r.body);
    }
}

#[test]
fn pages_escape_letter_text_and_carry_the_security_headers() {
    for uri in [
        "/",
        "/letter/hostile",
        "/stats",
        "/forecast",
        "/nowhere",
        "/api/about",
    ] {
        let r = get(uri);
        let csp = r.headers["content-security-policy"].to_str().unwrap();
        assert_eq!(csp, imr::serve::CONTENT_SECURITY_POLICY, "{uri}");
        assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe"));
        assert_eq!(r.headers["x-content-type-options"], "nosniff");
    }
    let page = get("/letter/hostile");
    assert_eq!(page.status, StatusCode::OK);
    let escaped = "&lt;script&gt;window.pwned=1;";
    assert!(page.body.matches(escaped).count() >= 2, "{}", page.body);
    assert!(!page.body.contains("<script>window"));
    assert!(!page.body.contains("<img src=x") && !page.body.contains("<img src=\"x\""));
    assert!(!page.body.contains("<b onmouseover"));
    // The page's only script is its own file.
    assert_eq!(page.body.matches("<script").count(), 1);
    // Words typed into the search come back escaped in the form and in the results.
    let r = get("/?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E");
    assert!(!r.body.contains("<script>alert"));
    // A bad parameter is a page saying what was wrong, with its status.
    let r = get("/?outcome=maybe");
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("outcome: unknown decision"));
    assert_eq!(get("/letter/CM99-0000000").status, StatusCode::NOT_FOUND);
    // The chart is an image, drawn from the counts.
    let chart = get("/stats/chart.svg?by=category");
    assert_eq!(chart.status, StatusCode::OK);
    assert_eq!(chart.headers["content-type"], "image/svg+xml");
    assert!(chart.body.contains("<svg"));
}

#[test]
fn forms_post_to_the_same_answers() {
    let r = post(
        "/forecast",
        "application/x-www-form-urlencoded",
        "title=Trigger+point+injections&summary=&age=&sex=female&partly_certified=true",
    );
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("id=\"forecast-p\""));
    // The result is in view (the form posts to its anchor), and the built-in model's page says
    // it leaves the facts out.
    assert!(
        r.body.contains("action=\"/forecast#forecast\""),
        "{}",
        r.body
    );
    assert!(
        r.body.contains("reads the request's words only"),
        "{}",
        r.body
    );
    assert!(r.body.contains("id=\"forecast-note\""), "{}", r.body);
    // A value the forecast cannot take: the form again, filled, with what was wrong.
    let r = post(
        "/forecast",
        "application/x-www-form-urlencoded",
        "title=Acupuncture+x6&age=7",
    );
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.body.contains("id=\"form-error\"") && r.body.contains("age"),
        "{}",
        r.body
    );
    assert!(r.body.contains("value=\"Acupuncture x6\""), "{}", r.body);
    let r = post(
        "/forecast",
        "application/x-www-form-urlencoded",
        "title=x&age=abc",
    );
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("age: "));
    // A date typed as the letters write it is shown back as a date input shows dates.
    let r = post(
        "/forecast",
        "application/x-www-form-urlencoded",
        "title=MRI&injury_date=12%2F09%2F2016&age=7",
    );
    assert!(r.body.contains("value=\"2016-12-09\""), "{}", r.body);
    // A field sent where a group of them is read is said without a name of imr's code.
    let r = post(
        "/forecast",
        "application/x-www-form-urlencoded",
        "title=x&patient=x",
    );
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.body.contains("expected a group of fields") && !r.body.contains("PatientFields"),
        "{}",
        r.body
    );
    // So do the search and the statistics, a bad date or key kept in the form.
    for uri in [
        "/?q=mri&decided=2016-2017",
        "/stats?by=category&then=category",
    ] {
        let r = get(uri);
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{uri}");
        assert!(r.body.contains("id=\"form-error\""), "{uri}: {}", r.body);
        assert!(r.body.contains("<form"), "{uri}");
    }
    assert!(get("/?q=mri&decided=2016-2017")
        .body
        .contains("value=\"2016-2017\""));
    // A result's address, reloaded or shared, leads back to its form.
    for uri in ["/upload", "/score"] {
        let r = get(uri);
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{uri}");
    }
    let r = post(
        "/score",
        "application/x-www-form-urlencoded",
        "rationale=No+documentation+of+functional+improvement.+Not+medically+necessary.",
    );
    assert!(r.body.contains("mark class=\"hl"));
    let boundary = "XyZ";
    let letter =
        std::fs::read_to_string(root().join("data/letters/000_8fd8bbed53d6ca0b.txt")).unwrap();
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"letter\"; filename=\"a.txt\"\r\n\
         Content-Type: text/plain\r\n\r\n{letter}\r\n--{boundary}--\r\n"
    );
    let r = post(
        "/upload",
        &format!("multipart/form-data; boundary={boundary}"),
        body.clone(),
    );
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("id=\"uploaded\""));
    // The letter's headings sit below the page's sections, in order.
    let uploaded = &r.body[r.body.find("id=\"uploaded\"").unwrap()..];
    assert!(
        uploaded.contains("<h3>Case ") && uploaded.contains("<h4>1. ") && !uploaded.contains("<h1"),
        "{uploaded}"
    );
    // A name that is a Windows path is its last part.
    let named = body.replace("filename=\"a.txt\"", "filename=\"C:\\docs\\b.txt\"");
    let kind = format!("multipart/form-data; boundary={boundary}");
    let r = post("/upload", &kind, named);
    assert!(
        r.body.contains("b.txt") && !r.body.contains("docs"),
        "{}",
        r.body
    );
    // Over the limit, as on /api/parse: a 413. Two files, or a body that is no form: a 400 in the
    // tool's words.
    let big = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"letter\"; filename=\"a.txt\"\r\n\
         \r\n{}\r\n--{boundary}--\r\n",
        "a".repeat(400_000)
    );
    assert_eq!(
        post("/upload", &kind, big).status,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    let part = &body[..body.len() - boundary.len() - 6];
    let r = post("/upload", &kind, format!("{part}{part}--{boundary}--\r\n"));
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body.contains("more than one file"), "{}", r.body);
    let r = post("/upload", "text/plain", letter.clone());
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body.contains("not a form upload"), "{}", r.body);
    // A file that is no letter, or a rationale that is none: said in its section, the page's
    // forms as they were (the rationale typed kept).
    let junk = body.replace(&letter, "\u{0}\u{1}junk");
    let r = post("/upload", &kind, junk);
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(
        r.body.contains("The letter could not be read: a.txt")
            && r.body.contains("id=\"upload-form\"")
            && r.body.contains("id=\"forecast-form\""),
        "{}",
        r.body
    );
    let long = "x".repeat(120_000);
    let r = post(
        "/score",
        "application/x-www-form-urlencoded",
        format!("rationale={long}"),
    );
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(
        r.body.contains("The rationale could not be scored") && r.body.contains(&long),
        "{}",
        &r.body[..r.body.len().min(2000)]
    );
}

/// The start page says what the decisions are and the ways in; a search that finds nothing says
/// what to try; a result leads to its item; a decided letter's page says what its scores are.
#[test]
fn pages_guide_a_newcomer() {
    let start = get("/").body;
    assert!(start.contains("id=\"intro\"") && start.contains("href=\"/forecast\""));
    assert!(!get("/?q=trigger").body.contains("id=\"intro\""));
    let none = get("/?q=zzzqqqxx").body;
    assert!(none.contains("id=\"no-match\""), "{none}");
    assert!(!get("/").body.contains("id=\"no-match\""));
    let hits = get("/?q=trigger").body;
    assert!(hits.contains("#item-1\""), "{hits}");
    assert!(
        hits.contains("<title>Search: trigger · imr</title>"),
        "{hits}"
    );
    let letter = get("/letter/004_4fa3c31427c968ed").body;
    assert!(letter.contains("not what IMR would decide"), "{letter}");
    // A marked word's note in words, not the model's own term code.
    assert!(letter.contains("to the log-odds\""), "{letter}");
    assert!(
        !letter.contains("): r:") && !letter.contains("): v:"),
        "{letter}"
    );
    // A field the letter does not give (the sample letters' dates) is left out, not empty.
    assert!(!letter.contains("<td></td>"), "{letter}");
    // Kinds by their labels, as the filters' lists name them, not by their ids.
    assert!(hits.contains("<td>Injections</td>"), "{hits}");
    assert!(!hits.contains("<td>injections</td>"), "{hits}");
    // A forecast's range in the units of its P, rounded outward.
    let r = post(
        "/forecast",
        "application/x-www-form-urlencoded",
        "title=Norco+10%2F325mg+%2360",
    );
    let at = r.body.find("(90% range ").expect("a range") + "(90% range ".len();
    let shown: String = r.body[at..].chars().take(9).collect();
    assert!(
        shown.starts_with("0.") && shown.contains('–') && !shown.contains('%'),
        "{shown}"
    );
    // Facts the forecast model does not read are folded away, said why.
    let form = get("/forecast").body;
    assert!(
        form.contains("<details class=\"facts wide\">") && form.contains("leaves them out"),
        "{form}"
    );
}

/// `imr serve` started on `db` with `args`, and the first line it writes on stderr.
struct Served {
    child: std::process::Child,
    lines: std::io::Lines<std::io::BufReader<std::process::ChildStderr>>,
    first: String,
    notes: Vec<String>,
}

impl Served {
    fn start(db: &Path, args: &[&str]) -> Served {
        use std::io::BufRead;
        let mut child = std::process::Command::new(crate::util::bin())
            .args(["serve", "--db", db.to_str().unwrap()])
            .args(args)
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
        // Notes before it (another model's stored scores) are kept apart.
        let mut notes = Vec::new();
        let first = loop {
            let line = lines.next().unwrap().unwrap();
            match line.starts_with("imr: note: ") {
                true => notes.push(line),
                false => break line,
            }
        };
        Served {
            child,
            lines,
            first,
            notes,
        }
    }

    /// Where it listens, from its "serving ... on http://ADDR" line.
    fn addr(&self) -> String {
        let serving = self.first.split("http://").nth(1).expect("a serving line");
        serving.split(' ').next().unwrap().to_string()
    }

    /// What it answers to `request`, sent whole (read until the answer's end, its close, or an
    /// `"error"` in it).
    fn answer(&self, request: &[u8]) -> String {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(self.addr()).unwrap();
        s.write_all(request).unwrap();
        s.set_read_timeout(Some(std::time::Duration::from_secs(20)))
            .unwrap();
        let (mut answer, mut buf) = (String::new(), [0u8; 4096]);
        while let Ok(n) = s.read(&mut buf) {
            if n == 0 || answer.contains("\"error\"") {
                break;
            }
            answer.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
        answer
    }
}

impl Served {
    /// What it answers to a GET of `path`.
    fn get(&self, path: &str) -> String {
        let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        self.answer(request.as_bytes())
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `imr serve` on an address other machines can reach says so; a host name is resolved.
#[test]
fn serve_warns_when_not_on_loopback() {
    let db = tempdir_db();
    let mut s = Served::start(&db, &["--addr", "0.0.0.0:0"]);
    let second = s.lines.next().unwrap().unwrap();
    assert!(s.first.contains("warning: --addr 0.0.0.0:0"), "{}", s.first);
    assert!(second.contains("serving"), "{second}");
    // A host name is taken with its port, and resolved: localhost is loopback, so no warning.
    let s = Served::start(&db, &["--addr", "localhost:0"]);
    assert!(
        s.first.contains("serving") && s.addr().starts_with("127.0.0.1:"),
        "{}",
        s.first
    );
    let out = imr(&[
        "serve",
        "--db",
        db.to_str().unwrap(),
        "--addr",
        "no-such-host.invalid:80",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("not an address or a known host name"),
        "{}",
        stderr(&out)
    );
}

/// A database deleted and indexed again under its name while served (its `-wal` and `-shm`
/// files left beside it) is served anew, not called damaged, and the new file stays whole.
#[test]
fn a_replaced_database_is_served_anew() {
    let dir = tempdir("serve-replaced");
    let (first, second) = (dir.join("first"), dir.join("second"));
    for (d, names) in [(&first, &["000", "001"][..]), (&second, &["003"][..])] {
        std::fs::create_dir_all(d).unwrap();
        for e in std::fs::read_dir(root().join("data/letters")).unwrap() {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            if names.iter().any(|n| name.starts_with(n)) {
                std::fs::copy(&p, d.join(&name)).unwrap();
            }
        }
    }
    let db = dir.join("x.db");
    let index = |letters: &Path| {
        let out = imr(&[
            "index",
            letters.to_str().unwrap(),
            "--db",
            db.to_str().unwrap(),
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
    };
    index(&first);
    let app = app_of(
        db.clone(),
        Limits::default(),
        std::time::Duration::from_secs(30),
    );
    let search = |app: &Arc<App>| {
        let r = send_to(
            app.clone(),
            Request::get("/api/search").body(Body::empty()).unwrap(),
        );
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.json()["matches"]["items"].as_u64().unwrap()
    };
    assert_eq!(search(&app), 4);
    std::fs::remove_file(&db).unwrap();
    index(&second);
    assert_eq!(search(&app), 5);
    assert_eq!(search(&app), 5);
    let check = rusqlite::Connection::open(&db).unwrap();
    let ok: String = check
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
}

/// A request over --request-timeout, a database without items or without a model: each answer
/// says what happened.
#[test]
fn serve_says_why_on_timeouts_and_empty_databases() {
    let db = tempdir_db();
    // A body that stops coming is a 408 that says so, in JSON under /api.
    let s = Served::start(&db, &["--addr", "127.0.0.1:0", "--request-timeout", "1"]);
    let answer = s.answer(
        b"POST /api/parse?name=a.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nCase",
    );
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        answer.contains("application/json") && answer.contains("--request-timeout"),
        "{answer}"
    );
    // Headers that never end: the connection is closed at the request time, not held (the
    // reader gives up after 20 s).
    let t0 = std::time::Instant::now();
    let answer = s.answer(b"GET /api/about HTTP/1.1\r\nHost: x\r\n");
    assert!(answer.is_empty(), "{answer}");
    assert!(
        t0.elapsed() < std::time::Duration::from_secs(10),
        "{:?}",
        t0.elapsed()
    );
    assert!(s.get("/api/about").starts_with("HTTP/1.1 200"));
    // A database without items (every file failed) is served, empty; indexed without a model,
    // it says why a theme filter finds nothing; `imr similar` on it says why it finds nothing.
    let dir = tempdir("serve-empty");
    let (empty, none) = (dir.join("e.db"), dir.join("none"));
    std::fs::create_dir_all(&none).unwrap();
    imr(&[
        "index",
        none.to_str().unwrap(),
        "--db",
        empty.to_str().unwrap(),
    ]);
    let s = Served::start(&empty, &["--addr", "127.0.0.1:0"]);
    assert!(s.first.contains("serving"), "{}", s.first);
    assert!(s.notes.is_empty(), "{:?}", s.notes);
    let answer = s.get("/api/search?theme=criteria_met");
    assert!(
        answer.contains("`imr index --db e.db --model default`"),
        "{answer}"
    );
    assert!(
        answer.contains("\"note\":\"no item of e.db has themes or scores"),
        "{answer}"
    );
    // Its forecasts draw on the model's own training items, whose letters it does not hold:
    // named, not linked to pages that are not there.
    let body = "title=MRI+of+the+lumbar+spine";
    let answer = s.answer(
        format!(
            "POST /forecast HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: \
             application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    );
    assert!(answer.contains("Similar past decisions"), "{answer}");
    assert!(!answer.contains("href=\"/letter/"), "{answer}");
    // Two files with one case number: each letter is reached by its file, and names the other.
    let two = dir.join("two");
    std::fs::create_dir_all(&two).unwrap();
    let sample = root().join("data/letters/004_4fa3c31427c968ed.txt");
    let text = format!(
        "Case Number: CM16-0000001\n{}",
        std::fs::read_to_string(sample).unwrap()
    );
    std::fs::write(two.join("a.txt"), &text).unwrap();
    std::fs::write(two.join("b.txt"), text.replacen("Upheld", "Overturned", 1)).unwrap();
    // And a third under a name the first has, in a folder of its own.
    std::fs::create_dir_all(two.join("more")).unwrap();
    std::fs::write(
        two.join("more/a.txt"),
        text.replacen("Upheld", "Overturned", 2),
    )
    .unwrap();
    let both = dir.join("two.db");
    let out = imr(&[
        "index",
        two.to_str().unwrap(),
        "--db",
        both.to_str().unwrap(),
    ]);
    assert!(stderr(&out).contains("all indexed"), "{}", stderr(&out));
    // Scores stored by another model than the page's are said at the start: one item would
    // show two numbers.
    let out = imr(&["index", "--db", both.to_str().unwrap(), "--model", "case"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let s = Served::start(&both, &["--addr", "127.0.0.1:0"]);
    assert!(
        s.notes.iter().any(|n| n.contains("its stored scores")
            && n.contains("are of case")
            && n.contains("--model default` stores its scores instead")),
        "{:?}",
        s.notes
    );
    let get = |path: &str| s.get(path);
    // Files of one name are told apart by as much of their folders as it takes.
    let first = get("/api/letters/CM16-0000001");
    assert!(
        first.contains("\"also_in\":[\"b.txt\",\"more/a.txt\"]"),
        "{first}"
    );
    assert!(first.contains("\"source\":\"two/a.txt\""), "{first}");
    let second = get("/api/letters/cm16-0000001?file=b.txt");
    assert!(
        second.contains("\"also_in\":[\"two/a.txt\",\"more/a.txt\"]"),
        "{second}"
    );
    assert!(second.contains("\"source\":\"b.txt\""), "{second}");
    let third = get("/api/letters/CM16-0000001?file=more/a.txt");
    assert!(third.contains("\"source\":\"more/a.txt\""), "{third}");
    assert!(get("/api/letters/CM16-0000001?file=c.txt").starts_with("HTTP/1.1 404"));
    // A file name two files have names neither: both are given to choose from.
    let either = get("/api/letters/CM16-0000001?file=a.txt");
    assert!(
        either.starts_with("HTTP/1.1 400")
            && either.contains("names 2 files")
            && either.contains("two/a.txt, more/a.txt"),
        "{either}"
    );
    // A blank file is no file asked for, as any blank parameter (an empty form field).
    let blank = get("/api/letters/CM16-0000001?file=%20");
    assert!(blank.contains("\"source\":\"two/a.txt\""), "{blank}");
    assert!(get("/letter/CM16-0000001?file=").starts_with("HTTP/1.1 200"));
    let page = get("/?case=CM16-0000001");
    assert!(
        page.contains("?file=two%2Fa.txt")
            && page.contains("?file=b.txt")
            && page.contains("?file=more%2Fa.txt"),
        "{page}"
    );
    drop(s);
    let out = imr(&[
        "similar",
        "--db",
        empty.to_str().unwrap(),
        "--title",
        "MRI knee",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("holds no items"), "{}", stderr(&out));
    // A database that is not there is an error before anything listens.
    let out = imr(&["serve", "--db", "/nonexistent/x.db"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("x.db"), "{}", stderr(&out));
    let _ = Path::new("");
}

/// A request that times out stops the PDF being read for it, and frees its place then, not at
/// the PDF time limit: with one place, the next request is answered.
#[test]
fn a_request_given_up_frees_its_place() {
    let dir = tempdir("serve-given-up");
    let limits = Limits {
        workers: 1,
        request_time: std::time::Duration::from_secs(1),
        ..Limits::default()
    };
    let app = app_of(
        serve_db(&dir, false),
        limits,
        std::time::Duration::from_secs(60),
    );
    // A PDF whose reading never ends (its forms drawn 2^40 times).
    let hangs = Request::post("/api/parse?name=hangs.pdf")
        .header("content-type", "application/pdf")
        .body(Body::from(super::hostile::form_fan(40)))
        .unwrap();
    let search = Request::get("/api/search?q=mri")
        .body(Body::empty())
        .unwrap();
    // One runtime for both (dropping one waits for its blocking work).
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let (first, then) = rt.block_on(async {
        let first = imr::serve::router(app.clone())
            .oneshot(hangs)
            .await
            .unwrap();
        let then = imr::serve::router(app).oneshot(search).await.unwrap();
        (first.status(), then.status())
    });
    assert_eq!(first, StatusCode::REQUEST_TIMEOUT);
    // Without its place freed, the search would wait past its own time limit (408).
    assert_eq!(then, StatusCode::OK);
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
}
