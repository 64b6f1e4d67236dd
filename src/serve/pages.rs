//! The HTML pages, rendered on the server from the API's own answers ([`super::service`]). maud
//! escapes every value spliced into a page; nothing here opts out for text from a letter or a
//! request.

use super::params::{ForecastRequest, ItemQuery, LetterQuery, NoParams, ScoreRequest};
use super::service::{
    App, ForecastView, ItemView, LetterView, ScoreView, SearchResult, StatsResult,
};
use super::ServeError;
use crate::model::outcome::advice;
use crate::model::{Highlight, Prediction, Similar, TermWeight};
use crate::store::{Hit, Sort, StatsKey};
use crate::treatment::{Category, DrugClass};
use crate::Decision;
use axum::extract::multipart::{MultipartError, MultipartRejection};
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Multipart, Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use maud::{html, Markup, DOCTYPE};
use std::sync::Arc;

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/", get(search))
        .route("/letter/{case}", get(letter))
        .route("/stats", get(stats))
        .route("/stats/chart.svg", get(chart))
        .route("/forecast", get(forecast_form).post(forecast))
        // A result page's address, reloaded or shared, is the form it came from.
        .route("/score", get(to_forecast).post(score))
}

/// `POST /upload`, with the larger body limit of uploads.
pub fn upload_routes() -> Router<Arc<App>> {
    Router::new().route("/upload", get(to_forecast).post(upload))
}

async fn to_forecast() -> axum::response::Redirect {
    axum::response::Redirect::to("/forecast")
}

/// A page's error: the message in the site's own page, with its status.
pub struct PageError(ServeError);

impl<E: Into<ServeError>> From<E> for PageError {
    fn from(e: E) -> Self {
        PageError(e.into())
    }
}

impl From<FormRejection> for ServeError {
    fn from(e: FormRejection) -> Self {
        // axum's own lead-in names its function, not what was wrong with the form.
        let text = e.body_text();
        let text = text
            .strip_prefix("Failed to deserialize form body: ")
            .map_or(text.clone(), |t| format!("the form: {t}"));
        // No name of imr's code: a form field sent where a group of fields is read.
        let text = crate::input::no_type_names(text).replace("a JSON object", "a group of fields");
        ServeError::rejected(e.status(), text)
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let status = self.0.status();
        let message = self.0.message();
        // Headed in words, the status number kept beside them for whoever reports it.
        let heading = match status.as_u16() {
            400 => "That could not be read",
            404 => "Nothing here",
            405 => "This address does not take that",
            408 => "That took too long",
            413 => "That is too large",
            503 => "The server is busy or stopping",
            _ => "Something went wrong",
        };
        let body = layout(
            heading,
            None,
            html! {
                section.error {
                    h1 { (heading) " " small.status { "(" (status.as_u16()) ")" } }
                    p #error { (message) }
                    p { a href="/" { "Back to the search" } }
                }
            },
        );
        (status, body).into_response()
    }
}

pub async fn not_found(uri: axum::http::Uri) -> Response {
    PageError(ServeError::NotFound(format!("no page at {}", uri.path()))).into_response()
}

type Page = Result<Markup, PageError>;

fn layout(title: &str, about: Option<&super::service::About>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · imr" }
                link rel="stylesheet" href="/assets/style.css";
                script src="/assets/app.js" defer {}
            }
            body {
                header.site {
                    a.brand href="/" { "imr" }
                    span.tagline { "IMR decisions of the California DWC" }
                    nav {
                        a href="/" { "Search" }
                        a href="/stats" { "Statistics" }
                        a href="/forecast" { "Forecast" }
                    }
                }
                main { (body) }
                footer {
                    @if let Some(a) = about {
                        (a.letters) " letters, " (a.items) " items · scores: " (a.model)
                        " · forecasts: " (a.forecast_model) " · imr " (a.imr_version) " · "
                    }
                    a href="/api/about" { "API" }
                }
            }
        }
    }
}

/// A share or rate as a percentage: whole above 10%, one decimal below, so that a small group
/// does not read as none ("0.3%", not "0%").
fn percent(p: f64) -> String {
    let x = 100.0 * p;
    if x == 0.0 || x >= 9.95 {
        format!("{x:.0}%")
    } else {
        format!("{x:.1}%")
    }
}

/// A share or rate of the statistics table, with one decimal, as `imr stats` prints it: the
/// page and the command's table read the same.
fn percent_1(p: f64) -> String {
    format!("{:.1}%", 100.0 * p)
}

/// A P(Overturned)'s 90% range in the P's own units, as the command's table shows it.
fn range(p: &Prediction) -> Option<String> {
    let (low, high) = p.shown_range()?;
    Some(format!("{low:.2}–{high:.2}"))
}

fn decision_badge(d: Decision) -> Markup {
    let class = match d {
        Decision::Overturned => "badge over",
        Decision::Upheld => "badge up",
    };
    html! { span class=(class) { (d) } }
}

/// A form field's value as sent back into the form (empty where none was given).
fn filled(o: &Option<String>) -> String {
    o.clone().unwrap_or_default()
}

/// A date field's value as a date input shows it (`YYYY-MM-DD`), where it reads as a date in
/// any form the letters use ("12/09/2016"); as it was sent otherwise.
fn date_filled(o: &Option<String>) -> String {
    match o.as_deref().map(str::parse::<crate::Date>) {
        Some(Ok(d)) => d.to_string(),
        _ => filled(o),
    }
}

/// Whether a select's option `id` is the one the form was sent with.
fn chosen(o: &Option<String>, id: &str) -> bool {
    o.as_deref() == Some(id)
}

/// The filter fields of the search and stats forms, filled with `q`.
fn filter_fields(q: &ItemQuery) -> Markup {
    html! {
        label { "Words " input type="search" name="q" value=(filled(&q.q))
            placeholder="physical therapy, \"functional restoration\", acupunct*"; }
        label { "Decision "
            select name="outcome" {
                option value="" { "any" }
                option value="upheld" selected[chosen(&q.outcome, "upheld")] { "Upheld" }
                option value="overturned" selected[chosen(&q.outcome, "overturned")] { "Overturned" }
            }
        }
        label { "Category "
            select name="category" {
                option value="" { "any" }
                @for c in Category::ALL {
                    option value=(c.id()) selected[chosen(&q.category, c.id())] { (c.label()) }
                }
            }
        }
        label { "Drug class "
            select name="drug_class" {
                option value="" { "any" }
                @for c in DrugClass::ALL {
                    option value=(c.id()) selected[chosen(&q.drug_class, c.id())] { (c.label()) }
                }
            }
        }
        label { "Treatment " input type="text" name="treatment" value=(filled(&q.treatment))
            placeholder="MRI" title="Whole words of a treatment name: MRI finds every MRI, \
            hydrocodone finds hydrocodone/acetaminophen"; }
        label { "Specialty " input type="text" name="specialty" value=(filled(&q.specialty))
            placeholder="orthop"; }
        label { "Theme " input type="text" name="theme" value=(filled(&q.theme)); }
        label { "Guideline " input type="text" name="guideline" value=(filled(&q.guideline))
            placeholder="low back"; }
        label { "Decided " input type="text" name="decided" value=(filled(&q.decided))
            placeholder="2015..2016-06"; }
        label { "Injured " input type="text" name="injured" value=(filled(&q.injured))
            placeholder="..2010"; }
        label { "Case " input type="text" name="case" value=(filled(&q.case))
            placeholder="CM15-0000001"; }
    }
}

/// A form's page again with what was wrong beside the form, what was typed kept: a 400.
fn form_again(app: &App, title: &str, body: Markup) -> Response {
    let page = layout(title, Some(app.about()), body);
    (axum::http::StatusCode::BAD_REQUEST, page).into_response()
}

/// What a form's answer failed on, where it is the form's values (a 400): said beside the form.
fn form_mistake<T>(r: Result<T, ServeError>) -> Result<Result<T, String>, PageError> {
    match r {
        Ok(v) => Ok(Ok(v)),
        Err(ServeError::BadRequest(why)) => Ok(Err(why)),
        Err(e) => Err(e.into()),
    }
}

async fn search(
    State(app): State<Arc<App>>,
    q: Result<Query<ItemQuery>, QueryRejection>,
) -> Result<Response, PageError> {
    let Query(q) = q?;
    let shown = q.clone();
    let result = match form_mistake(app.run(move |a| a.search(&q)).await)? {
        Ok(r) => r,
        Err(why) => {
            let body = html! {
                h1 { "Search the decisions" }
                (search_form(&shown, shown.limit.as_deref().and_then(|l| l.parse().ok())
                    .unwrap_or(20)))
                // The form names its field "Words", the API `q`; the message names the words.
                p.error #form-error { (why.strip_prefix("q: ").unwrap_or(&why)) }
            };
            return Ok(form_again(&app, "Search", body));
        }
    };
    let start = shown == ItemQuery::default();
    // A search's words in its page's title, so that tabs and history tell searches apart.
    let title = match shown.q.as_deref().map(str::trim).filter(|w| !w.is_empty()) {
        Some(words) => format!("Search: {}", crate::report::clip(words, 60)),
        None => "Search".to_string(),
    };
    Ok(layout(
        &title,
        Some(app.about()),
        html! {
            h1 { "Search the decisions" }
            @if start { (intro()) }
            (search_form(&shown, result.limit))
            (search_results(&shown, &result))
        },
    )
    .into_response())
}

/// What the start page says first: what the decisions are, and the three ways in.
fn intro() -> Markup {
    html! {
        p.intro #intro {
            "Independent Medical Review (IMR) decides disputed treatment requests of California \
             workers' compensation: Upheld means the denial stands, Overturned that the \
             treatment is approved. Here you can "
            strong { "search past decisions" } " by words, treatment and outcome (below), and \
             open a letter to read each request's decision, the reviewer's reasons and the past \
             decisions most like it; "
            a href="/forecast" { "forecast a request" } " that IMR has not decided yet, or "
            a href="/forecast#read" { "read a letter of your own" } "; and "
            a href="/stats" { "count" } " how often each kind of treatment was overturned."
        }
    }
}

fn search_form(shown: &ItemQuery, limit: usize) -> Markup {
    html! {
        form.filters #search-form method="get" action="/" {
            (filter_fields(shown))
            label { "Order "
                select name="sort" {
                    @for (o, label) in SORTS {
                        option value=(o.name())
                            selected[shown.sort.as_deref() == Some(o.name())] { (label) }
                    }
                }
            }
            label { "Per page "
                select name="limit" {
                    @for n in per_page_choices(limit) {
                        option value=(n) selected[limit == n] { (n) }
                    }
                }
            }
            button type="submit" { "Search" }
        }
    }
}

/// The page sizes the form offers, with the one shown where a link asked for another, so that the
/// next search keeps it.
fn per_page_choices(shown: usize) -> Vec<usize> {
    let mut n = vec![20, 50, 100];
    if !n.contains(&shown) {
        n.push(shown);
        n.sort_unstable();
    }
    n
}

/// The orders of a search, as the form names them.
const SORTS: [(Sort, &str); 4] = [
    (Sort::Best, "best match, else newest"),
    (Sort::Newest, "newest decision"),
    (Sort::Oldest, "oldest decision"),
    (Sort::Overturned, "highest P(Overturned)"),
];

/// A column heading that orders the whole search (the others sort the page shown).
fn sort_link(q: &ItemQuery, label: &str, sort: Sort) -> Markup {
    let mut to = q.clone();
    to.sort = Some(sort.name().into());
    to.offset = None;
    let what = SORTS
        .iter()
        .find(|(s, _)| *s == sort)
        .map_or(sort.name(), |(_, l)| l);
    let says = format!("order every match: {what} first");
    html! { a.sort href={ "/?" (to.to_query()) } title=(says) aria-label=(says) { (label) } }
}

fn search_results(q: &ItemQuery, r: &SearchResult) -> Markup {
    let m = r.matches;
    let last = (r.offset + r.hits.len()).min(m.items);
    html! {
        p #match-count data-items=(m.items) data-overturned=(m.overturned) {
            strong { (m.items) } " matching items"
            @if let Some(rate) = r.overturn_rate {
                ", " (m.overturned) " overturned (" (percent(rate)) ")"
            }
            @if !r.hits.is_empty() { ". Showing " (r.offset + 1) "–" (last) "." }
        }
        @if let Some(note) = &r.note { p.note #search-note { (note) } }
        @if m.items == 0 && *q != ItemQuery::default() {
            p.hint #no-match {
                "Nothing matches. Try fewer words or filters, check the spelling, or put a \
                 brand name (Norco) in Words: the Treatment filter takes the generic name \
                 (hydrocodone)."
            }
        }
        @if !r.hits.is_empty() {
            table #results .sortable {
                thead { tr {
                    th { "Case" } th { "Item" } th { "Title" } th { "Category" }
                    th { "Treatment" } th { "Decision" }
                    th { "Decided " (sort_link(q, "↓", Sort::Newest)) (sort_link(q, "↑", Sort::Oldest)) }
                    th { "Specialty" }
                    th.num { "P(Overturned) " (sort_link(q, "↓", Sort::Overturned)) }
                    th { "Themes" }
                } }
                tbody { @for h in &r.hits { (hit_row(h)) } }
            }
            nav.pages {
                @if r.offset > 0 {
                    a rel="prev" href={ "/?" (q.with_offset(r.offset.saturating_sub(r.limit))) } {
                        "← previous" }
                }
                @if last < m.items {
                    a rel="next" href={ "/?" (q.with_offset(r.offset + r.limit)) } { "next →" }
                }
            }
        }
        // A page past the last match (an old link, a changed database): the way back to them.
        @if r.hits.is_empty() && m.items > 0 && r.offset > 0 {
            nav.pages {
                "This page is past the last of them. "
                a rel="first" href={ "/?" (q.with_offset(0)) } { "← the first page" }
            }
        }
    }
}

/// A category's label ("Diagnostic testing") by its id, as the filters' lists name it.
fn category_label(id: &str) -> String {
    id.parse::<crate::treatment::Category>()
        .map_or_else(|_| id.to_string(), |c| c.label().to_string())
}

/// A drug class's label by its id.
fn drug_class_label(id: &str) -> String {
    id.parse::<crate::treatment::DrugClass>()
        .map_or_else(|_| id.to_string(), |c| c.label().to_string())
}

fn letter_href(case: &str) -> String {
    format!("/letter/{}", utf8_percent(case))
}

/// The letter of `case` in the file named `file`: two files may hold one case number.
fn letter_file_href(case: &str, file: &str) -> String {
    format!("{}?file={}", letter_href(case), utf8_percent(file))
}

/// `s` as one path segment: every byte but unreserved ones percent-encoded.
fn utf8_percent(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn hit_row(h: &Hit) -> Markup {
    html! {
        tr.hit data-case=(h.case_number) data-item=(h.item) {
            td { a href={ (letter_file_href(&h.case_number, &h.source)) "#item-" (h.item) } {
                (h.case_number) } }
            td.num { (h.item) }
            td { (h.title) }
            td { (category_label(&h.category)) }
            td { (h.treatment) }
            td { (h.decision) }
            td { (h.decision_date.as_deref().unwrap_or("")) }
            td { (h.reviewer_specialty.join(", ")) }
            td.num { @if let Some(p) = h.p_overturned { (format!("{p:.2}")) } }
            td { (h.themes.join(", ")) }
        }
    }
}

async fn letter(
    State(app): State<Arc<App>>,
    Path(case): Path<String>,
    q: Result<Query<LetterQuery>, QueryRejection>,
) -> Page {
    let Query(q) = q?;
    let view = app.run(move |a| a.letter(&case, q.file())).await?;
    let title = format!("Case {}", view.letter.header.case_number);
    Ok(layout(
        &title,
        Some(app.about()),
        letter_body(&view, false, true),
    ))
}

/// A letter's page; `nested` within another page (an uploaded letter under "Read a letter"),
/// its headings a level below that page's sections; its precedents `linked` to their letters
/// (where the database holds them).
fn letter_body(v: &LetterView, nested: bool, linked: bool) -> Markup {
    let l = &v.letter;
    html! {
        @if nested { h3 { "Case " (l.header.case_number) } }
        @else { h1 { "Case " (l.header.case_number) } }
        @if !v.also_in.is_empty() {
            p.note #also-in {
                "This case number is in other files too (this is " (l.header.source) "): "
                @for (i, f) in v.also_in.iter().enumerate() {
                    @if i > 0 { ", " }
                    a href=(letter_file_href(&l.header.case_number, f)) { (f) }
                }
            }
        }
        table.fields {
            // A field the letter does not give is left out, not shown empty.
            @if let Some(d) = l.header.decision_date { tr { th { "Decided" } td { (d.to_string()) } } }
            @if let Some(d) = l.header.date_of_injury { tr { th { "Injured" } td { (d.to_string()) } } }
            @if let Some(d) = l.header.ur_denial_date {
                tr { th { "UR denial" } td { (d.to_string()) } }
            }
            @if let Some(p) = l.header.priority { tr { th { "Priority" } td { (format!("{p:?}")) } } }
            tr { th { "Reviewer" } td {
                (l.header.reviewer.specialty.join(", "))
                @if let Some(s) = &l.header.reviewer.subspecialty { " (" (s) ")" }
                @if !l.header.reviewer.licensure.is_empty() {
                    ", licensed in " (l.header.reviewer.licensure.join(", "))
                }
            } }
            tr { th { "Injured worker" } td {
                @if let Some(a) = l.header.patient.age { (a) " years" }
                @if let Some(s) = l.header.patient.sex { " " (format!("{s:?}").to_lowercase()) }
            } }
            tr { th { "File" } td { (l.header.source) } }
        }
        @if let Some(s) = &l.clinical_summary {
            details.summary {
                summary { "Clinical case summary" }
                p { (s) }
            }
        }
        p.legend {
            "Marked words drove the scores of the model (" (v.model) "): "
            mark.hl.over { "towards Overturned" } " "
            mark.hl.up { "towards Upheld" } " "
            mark.hl.theme { "towards a theme" }
            " (hover a word for its weight). "
            "These scores read the decided letter's own words, its rationale among them: they \
             say how its reasoning reads, not what IMR would decide (a letter the model was \
             trained on scores as it was decided). For a request not yet decided, use the "
            a href="/forecast" { "forecast" } "."
        }
        @for (it, view) in l.items.iter().zip(&v.items) {
            (item_section(it, view, nested, linked))
        }
    }
}

fn item_section(it: &crate::DisputedItem, v: &ItemView, nested: bool, linked: bool) -> Markup {
    let p = &v.scores;
    let heading = html! { (it.number) ". " (it.title) " " (decision_badge(it.decision)) };
    html! {
        section.item id={ "item-" (it.number) } {
            @if nested { h4 { (heading) } } @else { h2 { (heading) } }
            p.kind {
                (it.kind.category.label())
                @if let Some(d) = it.kind.drug_class { " · " (d.label()) }
                " · " (it.kind.treatment)
            }
            (score_line(p))
            @if let Some(g) = &it.claims_administrator_guideline {
                p.guideline { "Claims administrator cited: " (g) }
            }
            @if let Some(g) = &it.reviewer_guideline {
                p.guideline { "Reviewer relied on: " (g) }
            }
            @if nested { h5 { "Rationale" } } @else { h3 { "Rationale" } }
            p.rationale { (marked(&it.rationale, &v.highlights)) }
            (terms(p))
            (similar_list(&v.similar, nested, linked))
        }
    }
}

fn score_line(p: &Prediction) -> Markup {
    html! {
        p.score {
            @match p.p_overturned {
                Some(s) => {
                    "P(Overturned) " strong.p { (format!("{s:.2}")) }
                    @if let Some(r) = range(p) { " (90% range " (r) ")" }
                    @if let Some(d) = p.predicted { " · predicted " (decision_badge(d)) }
                },
                None => {
                    "No score: " (p.abstention.as_deref().unwrap_or("the model cannot read it"))
                },
            }
            @if !p.themes.is_empty() {
                " · themes: "
                @for (i, t) in p.themes.iter().enumerate() {
                    @if i > 0 { ", " }
                    span.theme title={ "P = " (format!("{:.2}", p.theme_scores.get(t)
                        .copied().flatten().unwrap_or(f64::NAN))) } { (t) }
                }
            }
        }
    }
}

/// `text` with the highlighted words marked; a highlight that does not fall on the text's
/// characters is left out.
fn marked(text: &str, highlights: &[Highlight]) -> Markup {
    // The text between highlights, each followed by the highlight it runs up to.
    let mut parts: Vec<(&str, Option<(&str, &Highlight)>)> = Vec::new();
    let mut at = 0;
    for h in highlights {
        if let (Some(before), Some(words)) = (text.get(at..h.from), text.get(h.from..h.to)) {
            parts.push((before, Some((words, h))));
            at = h.to;
        }
    }
    parts.push((text.get(at..).unwrap_or(""), None));
    html! {
        @for (before, mark) in parts {
            (before)
            @if let Some((words, h)) = mark {
                mark class={ "hl " (class_of(&h.toward)) } data-toward=(h.toward)
                    // In words: the model's own term (`r:not`, a field and a stem) means
                    // nothing to a reader; it stays in the API's highlights.
                    title={ "towards " (h.toward.replace('_', " ")) ": " (format!("{:+.2}", h.weight))
                        " to the log-odds" }
                    { (words) }
            }
        }
    }
}

fn class_of(toward: &str) -> &'static str {
    match toward {
        "Overturned" => "over",
        "Upheld" => "up",
        _ => "theme",
    }
}

fn terms(p: &Prediction) -> Markup {
    let list = |ts: &[TermWeight]| {
        html! {
            @for (i, t) in ts.iter().enumerate() {
                @if i > 0 { ", " }
                span.term title=(t.term) { (t.text) }
            }
        }
    };
    html! {
        @if !p.top_overturned.is_empty() || !p.top_upheld.is_empty() {
            p.terms { "Towards Overturned: " (list(&p.top_overturned)) }
            p.terms { "Towards Upheld: " (list(&p.top_upheld)) }
        }
    }
}

/// The past decisions most like an item; `nested` in a letter shown within another page; each
/// `linked` to its letter where the database holds it (an empty database's forecasts draw on
/// the model's own training items, which it does not).
fn similar_list(similar: &[Similar], nested: bool, linked: bool) -> Markup {
    html! {
        @if !similar.is_empty() {
            @if nested { h5 { "Similar past decisions" } } @else { h3 { "Similar past decisions" } }
            p.hint { "Ranked by how alike their titles and clinical summaries are, those of the \
                      same kind of treatment ranked higher; the similarity shown is the likeness \
                      alone." }
            ol.similar {
                @for s in similar {
                    li {
                        @if linked {
                            a href={ (letter_href(&s.case_number)) "#item-" (s.item) } {
                                (s.case_number) " item " (s.item)
                            }
                        } @else {
                            (s.case_number) " item " (s.item)
                        }
                        ": " (s.title) " (" (s.category.label()) ") " (decision_badge(s.decision))
                        @if let Some(d) = s.decision_date { " " (d.to_string()) }
                        " · similarity " (format!("{:.2}", s.similarity))
                        @if let Some(r) = &s.reason { br; q { (r) } }
                    }
                }
            }
        }
    }
}

async fn stats(
    State(app): State<Arc<App>>,
    q: Result<Query<ItemQuery>, QueryRejection>,
) -> Result<Response, PageError> {
    let Query(q) = q?;
    let shown = q.clone();
    let result = match form_mistake(app.run(move |a| a.stats(&q)).await)? {
        Ok(r) => r,
        Err(why) => {
            let keys = (shown.by.as_deref(), shown.then.as_deref());
            let body = html! {
                h1 { "Statistics" }
                (stats_form(&shown, keys))
                p.error #form-error { (why) }
            };
            return Ok(form_again(&app, "Statistics", body));
        }
    };
    let page = layout("Statistics", Some(app.about()), stats_body(&shown, &result));
    Ok(page.into_response())
}

/// The statistics form, its keys chosen (`by`, `then`).
fn stats_form(q: &ItemQuery, keys: (Option<&str>, Option<&str>)) -> Markup {
    let key_select = |name: &str, current: Option<&str>, none: bool| {
        html! {
            select name=(name) {
                @if none { option value="" { "(none)" } }
                @for k in crate::store::StatsKey::ALL {
                    option value=(k.name()) selected[current.map(str::trim) == Some(k.name())] {
                        (k.name())
                    }
                }
            }
        }
    };
    html! {
        form.filters method="get" action="/stats" #stats-form {
            label { "Count by " (key_select("by", keys.0, false)) }
            label { "then by " (key_select("then", keys.1, true)) }
            (filter_fields(q))
            button type="submit" { "Count" }
        }
    }
}

/// The search of a statistics row's items, where its keys filter exactly (a category, drug
/// class, theme, month or year); None where one does not (a treatment or specialty filter takes
/// part of a name, and would find more items than the row counts) or the row has no value.
fn row_search(q: &ItemQuery, keys: &[StatsKey], values: &[Option<String>]) -> Option<String> {
    let mut s = ItemQuery {
        by: None,
        then: None,
        offset: None,
        ..q.clone()
    };
    let mut month = false;
    for (k, v) in keys.iter().zip(values) {
        let v = v.clone()?;
        match k {
            StatsKey::Category => s.category = Some(v),
            StatsKey::DrugClass => s.drug_class = Some(v),
            StatsKey::Theme => s.theme = Some(v),
            StatsKey::Month => (s.decided, month) = (Some(v), true),
            // A month within it says more.
            StatsKey::Year if month => {}
            StatsKey::Year => s.decided = Some(v),
            _ => return None,
        }
    }
    Some(s.to_query())
}

fn stats_body(q: &ItemQuery, r: &StatsResult) -> Markup {
    let chart_query = |by: &str| {
        let mut c = q.clone();
        c.by = Some(by.into());
        c.then = None;
        c.to_query()
    };
    let keys = (
        r.keys.first().map(|k| k.name()),
        r.keys.get(1).map(|k| k.name()),
    );
    html! {
        h1 { "Statistics" }
        (stats_form(q, keys))
        p #match-count { strong { (r.matches.items) } " matching items, "
            (r.matches.overturned) " overturned" }
        @if let Some(note) = &r.note { p.note #stats-note { (note) } }
        @if !r.raw.is_empty() {
            figure.chart {
                img src={ "/stats/chart.svg?" (chart_query(r.keys[0].name())) }
                    alt={ "Chart by " (r.keys[0].name()) };
            }
            @if !r.keys.iter().any(|k| k.is_time()) {
                figure.chart {
                    img src={ "/stats/chart.svg?" (chart_query("month")) }
                        alt="Decisions by month";
                }
            }
            table #stats .sortable {
                thead { tr {
                    @for k in &r.keys { th { (k.column()) } }
                    th.num { "Items" } th.num { "Share" } th.num { "Overturned" }
                    th.num { "Rate" } th { "95% interval" }
                } }
                tbody {
                    @for row in &r.raw {
                        tr {
                            @for v in &row.values { td { (v.as_deref().unwrap_or("(none)")) } }
                            td.num {
                                @match row_search(q, &r.keys, &row.values) {
                                    Some(query) => a href={ "/?" (query) } { (row.items) },
                                    None => (row.items),
                                }
                            }
                            td.num { (percent_1(row.share)) }
                            td.num { (row.overturned) }
                            td.num { (percent_1(row.rate)) }
                            td { (percent_1(row.rate_low)) "–" (percent_1(row.rate_high)) }
                        }
                    }
                }
            }
        }
    }
}

async fn chart(
    State(app): State<Arc<App>>,
    q: Result<Query<ItemQuery>, QueryRejection>,
) -> Result<Response, PageError> {
    let Query(q) = q?;
    let svg = app.run(move |a| a.chart(&q)).await?;
    Ok(([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response())
}

async fn forecast_form(
    State(app): State<Arc<App>>,
    q: Result<Query<NoParams>, QueryRejection>,
) -> Page {
    q?;
    Ok(layout(
        "Forecast",
        Some(app.about()),
        forecast_body(&app, &ForecastRequest::default(), Tools::default()),
    ))
}

async fn forecast(
    State(app): State<Arc<App>>,
    r: Result<Form<ForecastRequest>, FormRejection>,
) -> Result<Response, PageError> {
    let Form(r) = r?;
    let shown = r.clone();
    let view = match form_mistake(app.run(move |a| a.forecast(&r)).await)? {
        Ok(v) => v,
        Err(why) => {
            let body = html! {
                p.error #form-error { "The forecast could not be made: " (why) }
                (forecast_body(&app, &shown, Tools::default()))
            };
            return Ok(form_again(&app, "Forecast", body));
        }
    };
    let tools = Tools {
        forecast: Some(&view),
        ..Tools::default()
    };
    let body = forecast_body(&app, &shown, tools);
    Ok(layout("Forecast", Some(app.about()), body).into_response())
}

async fn score(
    State(app): State<Arc<App>>,
    r: Result<Form<ScoreRequest>, FormRejection>,
) -> Result<Response, PageError> {
    let Form(r) = r?;
    let typed = r.rationale.clone().unwrap_or_default();
    let answer = form_mistake(app.run(move |a| a.score(&r)).await)?;
    let tools = match &answer {
        Ok(view) => Tools {
            scored: Some(view),
            ..Tools::default()
        },
        Err(why) => Tools {
            score_mistake: Some((&typed, why)),
            ..Tools::default()
        },
    };
    Ok(tools_page(&app, "Score a rationale", answer.is_ok(), tools))
}

/// The page of the tools before a decision once one of them answered, or with what was wrong
/// with what was sent to it said in its section, the forms as they were (a 400).
fn tools_page(app: &App, title: &str, answered: bool, tools: Tools<'_>) -> Response {
    let body = forecast_body(app, &ForecastRequest::default(), tools);
    match answered {
        true => layout(title, Some(app.about()), body).into_response(),
        false => form_again(app, title, body),
    }
}

async fn upload(
    State(app): State<Arc<App>>,
    form: Result<Multipart, MultipartRejection>,
) -> Result<Response, PageError> {
    let mut form = form.map_err(|_| {
        ServeError::BadRequest(
            "the body is not a form upload (multipart/form-data with the file as `letter`)".into(),
        )
    })?;
    // A body over the limit is a 413, as on /api/parse; the rest of what a form can get wrong, a
    // 400.
    let refused = |e: MultipartError| ServeError::rejected(e.status(), e.body_text());
    let mut file = None;
    while let Some(field) = form.next_field().await.map_err(refused)? {
        if field.name() == Some("letter") {
            if file.is_some() {
                return Err(ServeError::BadRequest(
                    "letter: more than one file was sent; send one at a time".into(),
                )
                .into());
            }
            let name = field.file_name().unwrap_or("upload").to_string();
            let bytes = field.bytes().await.map_err(refused)?;
            file = Some((name, bytes));
        }
    }
    let (name, bytes) =
        file.ok_or_else(|| ServeError::BadRequest("letter: no file was sent".into()))?;
    let read = match bytes.is_empty() {
        true => Err(ServeError::BadRequest(format!("{name}: the file is empty"))),
        false => app.run(move |a| a.upload(&bytes, &name)).await,
    };
    // What is wrong with the letter is said in its section, the page as it was.
    let answer = form_mistake(read)?;
    let (title, tools) = match &answer {
        Ok(view) => (
            "Uploaded letter",
            Tools {
                uploaded: Some(view),
                ..Tools::default()
            },
        ),
        Err(why) => (
            "Read a letter",
            Tools {
                upload_mistake: Some(why),
                ..Tools::default()
            },
        ),
    };
    Ok(tools_page(&app, title, answer.is_ok(), tools))
}

/// The forecast form's structured facts, said to be left out where the model reads none.
fn fact_fields(app: &App, r: &ForecastRequest) -> Markup {
    let fields = facts_inputs(r);
    html! {
        @if app.forecast_reads_facts() {
            (fields)
        } @else {
            // Folded away: fields a user fills for nothing are a trap.
            details.facts.wide {
                summary { "Structured facts (age, sex, priority, dates): this server's forecast \
                           model reads the request's words only, and leaves them out" }
                (fields)
            }
        }
    }
}

/// The inputs of the request's structured facts, as `r` filled them.
fn facts_inputs(r: &ForecastRequest) -> Markup {
    html! {
        label { "Age " input type="number" name="age" min="14" max="110"
            value=(filled(&r.age)); }
        label { "Sex "
            select name="sex" {
                option value="" { "unknown" }
                option value="female" selected[chosen(&r.sex, "female")] { "female" }
                option value="male" selected[chosen(&r.sex, "male")] { "male" }
            }
        }
        label { "Priority "
            select name="priority" {
                option value="" { "unknown" }
                option value="standard" selected[chosen(&r.priority, "standard")] {
                    "standard" }
                option value="expedited" selected[chosen(&r.priority, "expedited")] {
                    "expedited" }
            }
        }
        label { "Injured " input type="date" name="injury_date"
            value=(date_filled(&r.injury_date)); }
        label { "UR denial " input type="date" name="ur_date" value=(date_filled(&r.ur_date)); }
        label { input type="checkbox" name="partly_certified" value="true"
            checked[chosen(&r.partly_certified, "true")];
            " UR certified part of it" }
    }
}

/// What the page of the tools before a decision shows besides its forms: an answer of one of
/// them, or what was wrong with what was sent to it, said in its section with what was typed
/// kept.
#[derive(Default)]
struct Tools<'a> {
    forecast: Option<&'a ForecastView>,
    scored: Option<&'a ScoreView>,
    /// The rationale sent and why it could not be scored.
    score_mistake: Option<(&'a str, &'a str)>,
    uploaded: Option<&'a LetterView>,
    /// Why the letter sent could not be read.
    upload_mistake: Option<&'a str>,
}

fn forecast_body(app: &App, r: &ForecastRequest, t: Tools<'_>) -> Markup {
    let Tools {
        forecast,
        scored,
        score_mistake,
        uploaded,
        upload_mistake,
    } = t;
    // Precedents are the database's items where it holds any, else the model's own.
    let linked = app.about().items > 0;
    let typed = scored
        .map(|s| s.rationale.as_str())
        .or(score_mistake.map(|(text, _)| text));
    html! {
        h1 { "Before a decision" }
        section.tool {
            h2 { "Forecast a request" }
            p.hint { "What utilization review denied, as the IMR application states it. Only \
                      what exists before IMR decides is read." }
            form #forecast-form method="post" action="/forecast#forecast" {
                label.wide { "Request (title) " input type="text" name="title" required
                    value=(filled(&r.title)) placeholder="Norco 10/325mg #60"; }
                label.wide { "Clinical summary "
                    textarea name="summary" rows="6" { (filled(&r.summary)) } }
                label.wide { "Guideline the claims administrator cited "
                    input type="text" name="guideline" value=(filled(&r.guideline))
                    placeholder="MTUS Chronic Pain Medical Treatment Guidelines, Opioids"; }
                (fact_fields(app, r))
                button type="submit" { "Forecast" }
            }
            @if let Some(f) = forecast { (forecast_result(f, linked)) }
        }
        section.tool {
            h2 { "Score a rationale" }
            form #score-form method="post" action="/score#scored" {
                label.wide { "Rationale " textarea name="rationale" rows="6" required {
                    @if let Some(text) = typed { (text) } } }
                button type="submit" { "Score" }
            }
            @if let Some((_, why)) = score_mistake {
                p.error #scored { "The rationale could not be scored: " (why) }
            }
            @if let Some(s) = scored {
                div #scored {
                    (score_line(&s.scores))
                    p.rationale { (marked(&s.rationale, &s.highlights)) }
                    (terms(&s.scores))
                }
            }
        }
        section.tool #read {
            h2 { "Read a letter" }
            p.hint { "Read here only: the letter is not added to the database." }
            form #upload-form method="post" action="/upload#uploaded"
                enctype="multipart/form-data" {
                label.wide { "A Final Determination Letter (PDF or text) "
                    input type="file" name="letter" accept=".pdf,.txt,application/pdf,text/plain"
                    required; }
                button type="submit" { "Read" }
            }
            @if let Some(why) = upload_mistake {
                p.error #uploaded { "The letter could not be read: " (why) }
            }
            @if let Some(u) = uploaded { div #uploaded { (letter_body(u, true, linked)) } }
        }
    }
}

fn forecast_result(f: &ForecastView, linked: bool) -> Markup {
    let p = &f.forecast;
    html! {
        div #forecast {
            p.forecast {
                @match p.p_overturned {
                    Some(s) => {
                        "P(Overturned) " strong #forecast-p { (format!("{s:.2}")) }
                        @if let Some(r) = range(p) { " (90% range " (r) ")" }
                    },
                    None => {
                        "No forecast: " span #forecast-none {
                            (p.abstention.as_deref().unwrap_or("the model cannot read it")) }
                        @if let Some(advice) = p.abstention.as_deref().and_then(advice) {
                            br; span.hint { (advice) }
                        }
                    },
                }
            }
            @if let Some(n) = &f.note { p.note #forecast-note { (n) } }
            @if let Some(c) = p.category {
                p.kind { "Kind: " (c.label())
                    @if let Some(d) = p.drug_class { " · " (d.label()) }
                    @if let Some(t) = &p.treatment { " · " (t) }
                }
            }
            @for (b, group) in p.category_base_rate.iter().map(|b| (b, category_label(&b.group)))
                .chain(p.drug_class_base_rate.iter().map(|b| (b, drug_class_label(&b.group)))) {
                p.base-rate { "Base rate of " (group) ": " (b.overturned) " of " (b.items)
                    " overturned (" (percent(b.rate)) ", 95% " (percent(b.low)) "–"
                    (percent(b.high)) ")" }
            }
            (terms(p))
            (similar_list(p.similar.as_deref().unwrap_or_default(), false, linked))
            p.model { "Model: " (f.model) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_share_is_not_shown_as_none() {
        let shown: Vec<String> = [0.0, 0.003, 0.0994, 0.1, 0.5, 1.0]
            .into_iter()
            .map(percent)
            .collect();
        assert_eq!(shown, ["0%", "0.3%", "9.9%", "10%", "50%", "100%"]);
        // A page size a link asked for is offered, so the next search keeps it.
        assert_eq!(per_page_choices(30), [20, 30, 50, 100]);
        assert_eq!(per_page_choices(50), [20, 50, 100]);
    }
}
