//! What every live venue client shares: the TLS set-up, an HTTP client, WebSocket connects
//! (`ws://` and `wss://`), and reconnect back-off with jitter.

mod backoff;
mod frames;

pub use backoff::Backoff;
pub use frames::Frames;

use std::time::Duration;

use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{HeaderName, HeaderValue};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::error::VenueError;

/// A client WebSocket (plain on loopback, TLS to the real hosts).
pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Installs rustls's `ring` crypto provider as the process default (once; later calls do
/// nothing). Both reqwest (built with `rustls-no-provider`) and tungstenite need it before
/// their first TLS connection.
pub fn install_crypto() {
    // Err only means a provider is installed already, which is what we want.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// An HTTP client for a venue's REST API: rustls with the system's CA store, the given
/// request timeout, connection reuse.
pub fn http_client(venue: &'static str, timeout: Duration) -> Result<reqwest::Client, VenueError> {
    install_crypto();
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .user_agent(concat!("ploutos/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| VenueError::Config {
            venue,
            message: format!("cannot build the HTTP client: {e}"),
        })
}

/// Checks that `url` is an `http(s)://` (REST) or `ws(s)://` (stream) URL, as configured.
pub fn check_url(venue: &'static str, url: &str, websocket: bool) -> Result<(), VenueError> {
    let ok = if websocket {
        url.starts_with("ws://") || url.starts_with("wss://")
    } else {
        url.starts_with("http://") || url.starts_with("https://")
    };
    if ok {
        Ok(())
    } else {
        Err(VenueError::Config {
            venue,
            message: format!(
                "{url:?} is not a {} URL",
                if websocket {
                    "ws:// or wss://"
                } else {
                    "http:// or https://"
                }
            ),
        })
    }
}

/// Opens a WebSocket to `url` with extra upgrade `headers`, within `timeout`. A refused
/// upgrade (HTTP 4xx) is [`VenueError::Fatal`]: retrying the same request cannot help.
pub async fn ws_connect(
    venue: &'static str,
    url: &str,
    headers: &[(&str, &str)],
    timeout: Duration,
) -> Result<Ws, VenueError> {
    install_crypto();
    check_url(venue, url, true)?;
    let mut req = url.into_client_request().map_err(|e| VenueError::Config {
        venue,
        message: format!("bad WebSocket URL {url:?}: {e}"),
    })?;
    for (k, v) in headers {
        let name = HeaderName::from_bytes(k.as_bytes()).map_err(|e| VenueError::Config {
            venue,
            message: format!("bad header name {k:?}: {e}"),
        })?;
        let value = HeaderValue::from_str(v).map_err(|e| VenueError::Config {
            venue,
            message: format!("bad value for header {k}: {e}"),
        })?;
        req.headers_mut().insert(name, value);
    }
    let connect = tokio_tungstenite::connect_async(req);
    match tokio::time::timeout(timeout, connect).await {
        Err(_) => Err(VenueError::Connection {
            venue,
            message: format!("connecting to {url} timed out after {timeout:?}"),
        }),
        Ok(Ok((ws, _response))) => Ok(ws),
        Ok(Err(tokio_tungstenite::tungstenite::Error::Http(resp))) => {
            let status = resp.status();
            let body = resp
                .body()
                .as_ref()
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .unwrap_or_default();
            if status.is_client_error() {
                Err(VenueError::Fatal {
                    venue,
                    message: format!("{url} refused the WebSocket upgrade: HTTP {status} {body}"),
                })
            } else {
                Err(VenueError::Connection {
                    venue,
                    message: format!("{url} answered the upgrade with HTTP {status} {body}"),
                })
            }
        }
        Ok(Err(e)) => Err(VenueError::Connection {
            venue,
            message: format!("{url}: {e}"),
        }),
    }
}

/// `s` shortened to at most `max` characters for error messages.
pub fn excerpt(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max).collect();
        out.push('…');
        out
    }
}
