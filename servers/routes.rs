//! The HTTP service: one function from a request to a response, shared by
//! every server that is measured against another (hyper on corio, on tokio
//! current-thread, on tokio multi-thread), so that they differ only in the
//! runtime under hyper.
//!
//! | route              | answer                                                  |
//! |--------------------|---------------------------------------------------------|
//! | `GET /`            | 200, a short text ([`GREETING`])                        |
//! | `POST /echo`       | 200, the request's body                                 |
//! | `GET /sleep?ms=N`  | 200 after the runtime's timer slept N ms (N ≤ 60,000); 400 for a bad or missing N |
//! | anything else      | 404, or 405 on a known path with the wrong method       |
//!
//! The only runtime-specific step, `/sleep`'s timer, comes in as an
//! argument: `corio::time::sleep` on corio, `tokio::time::sleep` on tokio.

use std::future::Future;
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Bytes};
use hyper::{Method, Request, Response, StatusCode};

/// The body of `GET /`.
pub const GREETING: &str = "Hello from hyper!\n";

/// The longest `/sleep` a client may ask for, so that one request cannot
/// hold a connection (and a graceful shutdown) for long.
pub const MAX_SLEEP_MS: u64 = 60_000;

/// Answers one request. `sleep` is the runtime's timer, for `/sleep`.
///
/// # Errors
///
/// Only reading `POST /echo`'s body can fail (the client went away); the
/// error goes back to hyper, which closes the connection.
///
/// ```
/// use corio_servers::routes::{respond, GREETING};
/// use http_body_util::{BodyExt, Full};
/// use hyper::body::Bytes;
///
/// corio::run(async {
///     let request = hyper::Request::get("/").body(Full::new(Bytes::new())).unwrap();
///     let response = respond(request, corio::time::sleep).await.unwrap();
///     assert_eq!(response.status(), 200);
///     let body = response.into_body().collect().await.unwrap().to_bytes();
///     assert_eq!(body, GREETING);
/// });
/// ```
pub async fn respond<B, S, F>(
    request: Request<B>,
    sleep: S,
) -> Result<Response<Full<Bytes>>, B::Error>
where
    B: Body,
    S: FnOnce(Duration) -> F,
    F: Future<Output = ()>,
{
    let response = match (request.method(), request.uri().path()) {
        (&Method::GET, "/") => text(StatusCode::OK, GREETING),
        (&Method::POST, "/echo") => {
            // The whole body, however hyper received it (one chunk, several,
            // or chunked transfer-encoding), then sent back in one piece.
            let body = request.into_body().collect().await?.to_bytes();
            Response::new(Full::new(body))
        }
        (&Method::GET, "/sleep") => match sleep_millis(request.uri().query()) {
            Some(ms) => {
                sleep(Duration::from_millis(ms)).await;
                text(StatusCode::OK, format!("slept {ms} ms\n"))
            }
            None => text(
                StatusCode::BAD_REQUEST,
                format!("use /sleep?ms=N with N from 0 to {MAX_SLEEP_MS}\n"),
            ),
        },
        (_, "/" | "/echo" | "/sleep") => {
            text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n")
        }
        _ => text(StatusCode::NOT_FOUND, "not found\n"),
    };
    Ok(response)
}

/// N from a query string `ms=N` (other parameters ignored), if it is a whole
/// number of milliseconds no larger than [`MAX_SLEEP_MS`].
fn sleep_millis(query: Option<&str>) -> Option<u64> {
    let value = query?
        .split('&')
        .find_map(|pair| pair.strip_prefix("ms="))?;
    value.parse().ok().filter(|&ms| ms <= MAX_SLEEP_MS)
}

fn text(status: StatusCode, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::sleep_millis;

    #[test]
    fn sleep_millis_accepts_only_a_bounded_whole_number() {
        assert_eq!(sleep_millis(Some("ms=25")), Some(25));
        assert_eq!(sleep_millis(Some("x=1&ms=7")), Some(7));
        assert_eq!(sleep_millis(Some("ms=60000")), Some(60_000));
        assert_eq!(sleep_millis(Some("ms=60001")), None);
        assert_eq!(sleep_millis(Some("ms=-1")), None);
        assert_eq!(sleep_millis(Some("ms=abc")), None);
        assert_eq!(sleep_millis(Some("ms=")), None);
        assert_eq!(sleep_millis(Some("seconds=1")), None);
        assert_eq!(sleep_millis(None), None);
    }
}
