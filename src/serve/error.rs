//! What a request can get wrong, and what the server can: each a status and a message for the
//! person who sent it, never the server's internals.

use axum::http::StatusCode;

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// A parameter or body the request got wrong: 400, with what and why.
    #[error("{0}")]
    BadRequest(String),
    /// Nothing at that address: 404.
    #[error("{0}")]
    NotFound(String),
    /// An upload over the limit: 413.
    #[error("the upload is {size} bytes; the most this server takes is {limit}")]
    TooLarge { size: usize, limit: usize },
    /// A request body over the limit, refused before it was read whole: 413.
    #[error(
        "the request is larger than this server takes: 1 MiB for a form or a JSON body (a text \
         field holds up to 100,000 bytes), --max-file-size for a letter uploaded"
    )]
    BodyTooLarge,
    /// An endpoint asked with a method it does not take: 405.
    #[error("{0}")]
    MethodNotAllowed(String),
    /// A search stopped by its time budget, or the server shutting down: 503.
    #[error("{0}")]
    Unavailable(String),
    /// Anything else: 500. The cause goes to the server's log, not to the client.
    #[error("internal error")]
    Internal(String),
    /// An answer one of the server's layers gave without a body (a timeout's 408, a page's 405):
    /// its status, and what it means.
    #[error("{1}")]
    Status(StatusCode, String),
}

impl ServeError {
    pub fn status(&self) -> StatusCode {
        match self {
            ServeError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ServeError::NotFound(_) => StatusCode::NOT_FOUND,
            ServeError::TooLarge { .. } | ServeError::BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ServeError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ServeError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ServeError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ServeError::Status(status, _) => *status,
        }
    }

    /// The message the client sees; an internal error's cause is logged here, once.
    pub fn message(&self) -> String {
        if let ServeError::Internal(cause) = self {
            use std::io::Write as _;
            let _ = writeln!(std::io::stderr(), "imr serve: internal error: {cause}");
            return "internal error (the server's log has the cause)".into();
        }
        self.to_string()
    }
}

impl From<imr_error::Error> for ServeError {
    fn from(e: imr_error::Error) -> Self {
        use imr_error::Error as E;
        match e {
            // The words of a search the index cannot read, a date that is not one.
            E::Query { what } => ServeError::BadRequest(what),
            E::Interrupted { .. } => ServeError::Unavailable("the query was stopped".into()),
            // Letters that cannot be read (an upload) say why; the name is the client's own.
            e @ (E::Empty { .. }
            | E::Binary { .. }
            | E::NotUtf8 { .. }
            | E::SeveralLetters { .. }
            | E::Pdf { .. }
            | E::TimedOut { .. }
            | E::OutOfMemory { .. }
            | E::ReaderCrashed { .. }
            | E::TooLarge { .. }
            | E::NotALetter { .. }
            | E::UnsupportedFile { .. }
            | E::UnsupportedFormat { .. }
            | E::NoItems { .. }
            | E::BadItem { .. }) => ServeError::BadRequest(e.to_string()),
            other => ServeError::Internal(other.to_string()),
        }
    }
}

impl From<tokio::task::JoinError> for ServeError {
    fn from(e: tokio::task::JoinError) -> Self {
        ServeError::Internal(format!("a worker stopped: {e}"))
    }
}

/// `crate::error` under a name that does not clash with this module's.
mod imr_error {
    pub use crate::error::Error;
}

impl ServeError {
    /// A request axum's extractors refused: a body over the limit is a 413, the rest a 400.
    pub fn rejected(status: StatusCode, text: String) -> Self {
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            ServeError::BodyTooLarge
        } else {
            ServeError::BadRequest(text)
        }
    }
}
