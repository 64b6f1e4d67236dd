//! `imr serve`: the decision database as a web page, and the JSON API the page is built on.
//!
//! One process, nothing else to run: axum on tokio, HTML made by [`maud`] (every value escaped
//! unless a template says otherwise, and none does for letter text), the stylesheet and script
//! compiled in, charts drawn by the server as SVG. The database is opened read-only; every
//! request value is parsed into a typed query ([`params`]) before it reaches the store, where it
//! is a bound SQL value. Work that reads the database or scores text runs on blocking threads,
//! as many at once as [`Limits::workers`].
//!
//! Routes: pages `/` (search), `/letter/{case}`, `/stats`, `/forecast`; the API under `/api/`
//! (docs/api.md).

mod api;
mod assets;
mod error;
mod pages;
pub mod params;
pub mod service;

pub use error::ServeError;
pub use service::App;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue};
use axum::Router;
use std::sync::Arc;
use std::time::Duration;
use tower_http::set_header::SetResponseHeaderLayer;

/// What one request may cost.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// The largest request body (forms, JSON), in bytes.
    pub body: usize,
    /// The largest uploaded letter, in bytes.
    pub upload: usize,
    /// How long a request may take before it is answered 408.
    pub request_time: Duration,
    /// The most results one page of a search shows.
    pub page: usize,
    /// Requests that read the database or score text at once; the others wait their turn.
    pub workers: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            // A form's 100,000-byte fields, each character of another script sent as up to
            // nine (percent-encoded UTF-8), fit.
            body: 1024 * 1024,
            upload: 10 * 1024 * 1024,
            request_time: Duration::from_secs(30),
            page: 100,
            workers: 8,
        }
    }
}

/// The Content-Security-Policy of every response: the page's own script and stylesheet, images
/// from itself (the charts) and nothing else; no inline script or style, no frames, no plugins,
/// forms posted only to itself.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; \
     frame-ancestors 'none'; base-uri 'none'";

/// The routes of the page and the API over `app`, with the limits and security headers.
pub fn router(app: Arc<App>) -> Router {
    let limits = app.limits();
    let upload = Router::new()
        .merge(pages::upload_routes())
        .merge(api::upload_routes())
        .layer(DefaultBodyLimit::max(limits.upload + 64 * 1024))
        .layer(axum::middleware::from_fn_with_state(
            limits.upload + 64 * 1024,
            declared_over,
        ));
    Router::new()
        .merge(pages::routes())
        .nest("/api", api::routes())
        .layer(DefaultBodyLimit::max(limits.body))
        .layer(axum::middleware::from_fn_with_state(
            limits.body,
            declared_over,
        ))
        .merge(upload)
        .merge(assets::routes())
        .fallback(pages::not_found)
        .with_state(app)
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            limits.request_time,
        ))
        .layer(axum::middleware::from_fn(explain_bare_errors))
        .layer(header_layer(
            header::CONTENT_SECURITY_POLICY,
            CONTENT_SECURITY_POLICY,
        ))
        .layer(header_layer(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(header_layer(header::REFERRER_POLICY, "no-referrer"))
        .layer(header_layer(header::X_FRAME_OPTIONS, "DENY"))
}

/// A body whose declared length (Content-Length) is over the `limit` is a 413 at once: read, it
/// would be refused only once it had come, and a client that declares it and waits would wait the
/// whole request time for a 408.
async fn declared_over(
    axum::extract::State(limit): axum::extract::State<usize>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    match declared {
        Some(n) if n > limit as u64 => axum::response::IntoResponse::into_response((
            axum::http::StatusCode::PAYLOAD_TOO_LARGE,
            ServeError::BodyTooLarge.to_string(),
        )),
        _ => next.run(request).await,
    }
}

/// Every error answer in the form of where it was asked: JSON under /api, a page elsewhere. One
/// a layer or an extractor gave otherwise (a timeout's empty 408, a page's empty 405, axum's
/// plain-text 400 for a path that is not UTF-8, the pages' 404 for `/api/`) is given again so,
/// with its text where it had one.
async fn explain_bare_errors(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::StatusCode;
    use axum::response::IntoResponse;
    let api = req.uri().path() == "/api" || req.uri().path().starts_with("/api/");
    let res = next.run(req).await;
    let status = res.status();
    let kind = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let expected = if api { "application/json" } else { "text/html" };
    if !(status.is_client_error() || status.is_server_error()) || kind.starts_with(expected) {
        return res;
    }
    let text = match kind.starts_with("text/plain") {
        true => axum::body::to_bytes(res.into_body(), 64 * 1024)
            .await
            .map(|b| String::from_utf8_lossy(&b).trim().to_string())
            .unwrap_or_default(),
        false => String::new(),
    };
    let message = match status {
        _ if !text.is_empty() => text,
        StatusCode::REQUEST_TIMEOUT => {
            "the request took longer than this server allows (imr serve --request-timeout)".into()
        }
        StatusCode::METHOD_NOT_ALLOWED => "this address does not take that method".into(),
        StatusCode::NOT_FOUND => "nothing at this address".into(),
        s => s.canonical_reason().unwrap_or("error").to_string(),
    };
    let e = ServeError::Status(status, message);
    match api {
        true => api::ApiError::from(e).into_response(),
        false => pages::PageError::from(e).into_response(),
    }
}

fn header_layer(
    name: header::HeaderName,
    value: &'static str,
) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::overriding(name, HeaderValue::from_static(value))
}

/// Whether `addr` is reachable only from this machine.
pub fn is_loopback(addr: &std::net::SocketAddr) -> bool {
    addr.ip().is_loopback()
}

/// Serves `app` on `listener` until Ctrl-C (or SIGTERM), then lets the requests in flight end.
/// As axum's own server does, with one difference: a request's headers must all come within the
/// request time (`Limits::request_time`), else its connection is closed; axum's server sets no
/// timer, so a client that never ends its headers held a connection for good.
pub async fn serve(listener: tokio::net::TcpListener, app: Arc<App>) -> std::io::Result<()> {
    let header_time = app.limits().request_time;
    let router = router(app);
    // Each connection's task holds a receiver: the sender's `closed()` says all have ended.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(());
    let mut stopping = std::pin::pin!(shutdown());
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    accept_failed(&e).await;
                    continue;
                }
            },
            _ = &mut stopping => break,
        };
        let service = hyper_util::service::TowerToHyperService::new(router.clone());
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            let mut builder =
                hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
            builder
                .http1()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(header_time);
            let io = hyper_util::rt::TokioIo::new(stream);
            let mut conn = std::pin::pin!(builder.serve_connection_with_upgrades(io, service));
            let mut stopped = false;
            loop {
                tokio::select! {
                    _ = conn.as_mut() => break,
                    _ = stop.changed(), if !stopped => {
                        stopped = true;
                        conn.as_mut().graceful_shutdown();
                    }
                }
            }
        });
    }
    drop(stop_rx);
    // Tell each connection to finish its request and close, then wait for them all, as long as a
    // request may take: a connection that outlives it is not waited for.
    let _ = stop_tx.send(());
    let _ = tokio::time::timeout(header_time, stop_tx.closed()).await;
    Ok(())
}

/// An error accepting a connection: one client's (reset, aborted) is passed over; others (too many
/// open files) wait a moment, as axum's server does, rather than spin.
async fn accept_failed(e: &std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if !matches!(
        e.kind(),
        ConnectionRefused | ConnectionAborted | ConnectionReset
    ) {
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
