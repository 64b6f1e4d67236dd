//! The JSON API (docs/api.md): each endpoint answers one object, or `{"error": ...}` with a 4xx
//! or 5xx status; every answer starts with the `schema_version` of docs/schema.md.

use super::params::{ForecastRequest, ItemQuery, LetterQuery, NoParams, ScoreRequest};
use super::service::App;
use super::ServeError;
use crate::schema::Versioned;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use std::sync::Arc;

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/about", get(about))
        .route("/search", get(search))
        .route("/letters/{case}", get(letter))
        .route("/stats", get(stats))
        .route("/forecast", post(forecast))
        .route("/score", post(score))
        .fallback(no_endpoint)
        .method_not_allowed_fallback(no_method)
}

/// `POST /api/parse`, with the larger body limit of uploads.
pub fn upload_routes() -> Router<Arc<App>> {
    Router::new()
        .route("/api/parse", post(parse))
        .method_not_allowed_fallback(no_method)
}

/// An API error as JSON.
pub struct ApiError(ServeError);

impl<E: Into<ServeError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": self.0.message() });
        (self.0.status(), Json(Versioned::new(body))).into_response()
    }
}

impl From<QueryRejection> for ServeError {
    fn from(e: QueryRejection) -> Self {
        // In the tool's words: axum's "Failed to deserialize query string: " says nothing more.
        let text = e.body_text();
        let what = text
            .strip_prefix("Failed to deserialize query string: ")
            .unwrap_or(&text);
        // A query string's names are parameters, not a body's fields.
        let what = what
            .replace("unknown field", "unknown parameter")
            .replace("missing field", "missing parameter")
            .replace("duplicate field", "duplicate parameter")
            .replace("there are no fields", "it takes no parameters");
        // `a=1&=2` names no parameter: said so, not as an unknown one called "".
        if what.contains("unknown parameter ``") {
            return ServeError::BadRequest(
                "a parameter without a name (an `=` with nothing before it)".into(),
            );
        }
        ServeError::BadRequest(what)
    }
}

impl From<JsonRejection> for ServeError {
    fn from(e: JsonRejection) -> Self {
        // In the tool's words: the field at fault and why, without axum's preamble; a body that
        // is a list is read by serde as a struct's fields in order ("[0]: invalid type").
        if let JsonRejection::MissingJsonContentType(_) = e {
            return ServeError::BadRequest(
                "the body: send it as JSON, with the header content-type: application/json".into(),
            );
        }
        let text = e.body_text();
        let data = text.strip_prefix("Failed to deserialize the JSON body into the target type: ");
        let syntax = text.strip_prefix("Failed to parse the request body as JSON: ");
        let message = match (data, syntax) {
            (Some(w), _) if w.starts_with('[') => "the body is not a JSON object".to_string(),
            (Some(w), _) => format!("the body: {w}"),
            (_, Some(w)) => format!("the body is not valid JSON ({w})"),
            _ => text.clone(),
        };
        ServeError::rejected(e.status(), message)
    }
}

impl From<BytesRejection> for ServeError {
    fn from(e: BytesRejection) -> Self {
        ServeError::rejected(e.status(), e.body_text())
    }
}

type Answer<T> = Result<Json<Versioned<T>>, ApiError>;

/// An endpoint's answer.
fn answer<T>(value: T) -> Answer<T> {
    Ok(Json(Versioned::new(value)))
}

async fn about(
    State(app): State<Arc<App>>,
    q: Result<Query<NoParams>, QueryRejection>,
) -> Answer<super::service::About> {
    q?;
    answer(app.about().clone())
}

async fn search(
    State(app): State<Arc<App>>,
    q: Result<Query<ItemQuery>, QueryRejection>,
) -> Answer<super::service::SearchResult> {
    let Query(q) = q?;
    answer(app.run(move |a| a.search(&q)).await?)
}

async fn letter(
    State(app): State<Arc<App>>,
    Path(case): Path<String>,
    q: Result<Query<LetterQuery>, QueryRejection>,
) -> Answer<super::service::LetterView> {
    let Query(q) = q?;
    answer(app.run(move |a| a.letter(&case, q.file())).await?)
}

async fn stats(
    State(app): State<Arc<App>>,
    q: Result<Query<ItemQuery>, QueryRejection>,
) -> Answer<super::service::StatsResult> {
    let Query(q) = q?;
    answer(app.run(move |a| a.stats(&q)).await?)
}

async fn forecast(
    State(app): State<Arc<App>>,
    q: Result<Query<NoParams>, QueryRejection>,
    r: Result<Json<Box<serde_json::value::RawValue>>, JsonRejection>,
) -> Answer<super::service::ForecastView> {
    q?;
    let r: ForecastRequest = object_body(r)?;
    answer(app.run(move |a| a.forecast(&r)).await?)
}

async fn score(
    State(app): State<Arc<App>>,
    q: Result<Query<NoParams>, QueryRejection>,
    r: Result<Json<Box<serde_json::value::RawValue>>, JsonRejection>,
) -> Answer<super::service::ScoreView> {
    q?;
    let r: ScoreRequest = object_body(r)?;
    answer(app.run(move |a| a.score(&r)).await?)
}

/// A body's fields, read from a JSON object only: serde would read a list as a struct's fields in
/// order, so `["MRI", ...]` was a request. Read from its text, as an `--items` line is: a field
/// given twice is refused (through a JSON value, the last one was taken), and a field at fault is
/// named by its path.
fn object_body<T: serde::de::DeserializeOwned>(
    r: Result<Json<Box<serde_json::value::RawValue>>, JsonRejection>,
) -> Result<T, ServeError> {
    let Json(raw) = r?;
    if !raw.get().trim_start().starts_with('{') {
        return Err(ServeError::BadRequest(
            "the body is not a JSON object".into(),
        ));
    }
    let mut de = serde_json::Deserializer::from_str(raw.get());
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let at = e.path().to_string();
        let what = crate::input::in_words(e.inner());
        ServeError::BadRequest(match at.as_str() {
            "." => format!("the body: {what}"),
            _ => format!("the body: {at}: {what}"),
        })
    })
}

/// The letter file is the body; `?name=` names it (its extension says PDF or text). A form upload
/// (multipart/form-data, as `curl -F` and Python's `requests.post(files=...)` send one) is read
/// for its one file, named by the part's file name.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct UploadName {
    name: Option<String>,
}

async fn parse(
    State(app): State<Arc<App>>,
    q: Result<Query<UploadName>, QueryRejection>,
    request: axum::extract::Request,
) -> Answer<super::service::LetterView> {
    use axum::extract::FromRequest;
    let Query(q) = q?;
    let content_type = request
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .cloned();
    // Media types are read in any case.
    let is_form = content_type.as_ref().is_some_and(|t| {
        t.as_bytes()
            .to_ascii_lowercase()
            .starts_with(b"multipart/form-data")
    });
    let (body, part_name) = if is_form {
        let form = axum::extract::Multipart::from_request(request, &())
            .await
            .map_err(|e| ServeError::rejected(e.status(), e.body_text()))?;
        one_file(form).await?
    } else {
        let body: Result<Bytes, BytesRejection> = Bytes::from_request(request, &()).await;
        (body?, None)
    };
    // Without a name, the body's kind is said by its type, or by a PDF header, which the reader
    // goes by in any case (curl sends a PDF as a form unless told otherwise).
    // A blank name is no name, as a blank parameter is everywhere.
    let name = q
        .name
        .filter(|n| !n.trim().is_empty())
        .or(part_name)
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| {
            let pdf = crate::parse::looks_like_pdf(&body)
                || content_type
                    .as_ref()
                    .is_some_and(|t| t.as_bytes().starts_with(b"application/pdf"));
            if pdf { "upload.pdf" } else { "upload.txt" }.into()
        });
    answer(app.run(move |a| a.upload(&body, &name)).await?)
}

/// The one file of a form upload (the part with a file name, or the form's only part), and its
/// file name where the part gives one.
async fn one_file(
    mut form: axum::extract::Multipart,
) -> Result<(Bytes, Option<String>), ServeError> {
    let refused = |e: axum::extract::multipart::MultipartError| {
        ServeError::rejected(e.status(), e.body_text())
    };
    let mut parts: Vec<(Bytes, Option<String>)> = Vec::new();
    while let Some(part) = form.next_field().await.map_err(refused)? {
        let name = part.file_name().map(String::from);
        parts.push((part.bytes().await.map_err(refused)?, name));
    }
    let files = parts.iter().filter(|(_, n)| n.is_some()).count();
    let file = match (files, parts.len()) {
        (0, 1) => parts.pop(),
        (1, _) => parts.into_iter().find(|(_, n)| n.is_some()),
        (0, _) => None,
        _ => {
            return Err(ServeError::BadRequest(
                "the form holds more than one file; send one at a time".into(),
            ))
        }
    };
    let (bytes, name) =
        file.ok_or_else(|| ServeError::BadRequest("the form holds no file".into()))?;
    if bytes.is_empty() {
        return Err(ServeError::BadRequest("the form's file is empty".into()));
    }
    Ok((bytes, name))
}

#[derive(Serialize)]
struct NoEndpoint {
    error: String,
}

/// An endpoint asked with another method: a 405 in JSON, as every API error.
async fn no_method(method: axum::http::Method, uri: axum::extract::OriginalUri) -> ApiError {
    ApiError(ServeError::MethodNotAllowed(format!(
        "{} does not take {method} (docs/api.md says which method each endpoint takes)",
        uri.0.path()
    )))
}

async fn no_endpoint(uri: axum::extract::OriginalUri) -> Response {
    let body = NoEndpoint {
        error: format!("no API endpoint {} (docs/api.md lists them)", uri.0.path()),
    };
    (
        axum::http::StatusCode::NOT_FOUND,
        Json(Versioned::new(body)),
    )
        .into_response()
}
