//! HMAC-SHA256 request signing (fact sheet §4).
//!
//! REST: the payload is the query string concatenated (no separator) with the body, exactly
//! as transmitted. WebSocket API: the parameters sorted by name (`apiKey` included,
//! `signature` excluded) joined as `k=v&k=v`. The signature is lower-case hex.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::error::VenueError;

use super::VENUE;

/// Lower-case hex HMAC-SHA256 of `payload` under `secret`.
pub fn hmac_hex(secret: &str, payload: &str) -> Result<String, VenueError> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).map_err(|e| {
        VenueError::Config {
            venue: VENUE,
            message: format!("unusable secret key for HMAC-SHA256: {e}"),
        }
    })?;
    mac.update(payload.as_bytes());
    Ok(hex::encode(mac.finalize().into_bytes()))
}

/// The REST signature: HMAC over `query` immediately followed by `body` (either may be
/// empty), both exactly as sent.
pub fn sign_rest(secret: &str, query: &str, body: &str) -> Result<String, VenueError> {
    let mut payload = String::with_capacity(query.len() + body.len());
    payload.push_str(query);
    payload.push_str(body);
    hmac_hex(secret, &payload)
}

/// The WebSocket API payload: `params` sorted by name, `signature` left out, joined as
/// `k=v&k=v` (values as they are sent in the JSON request).
pub fn ws_api_payload(params: &[(&str, String)]) -> String {
    let mut sorted: Vec<&(&str, String)> =
        params.iter().filter(|(k, _)| *k != "signature").collect();
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    sorted
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// The WebSocket API signature over [`ws_api_payload`].
pub fn sign_ws_api(secret: &str, params: &[(&str, String)]) -> Result<String, VenueError> {
    hmac_hex(secret, &ws_api_payload(params))
}

/// Percent-encodes everything but the RFC 3986 unreserved characters (UTF-8, upper-case hex),
/// so that non-ASCII values are signed the way they travel.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `k=v&k=v` in the given order, values percent-encoded.
pub fn encode_params(params: &[(&str, String)]) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{k}={}", percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    const API_KEY: &str = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A";
    const SECRET: &str = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";

    fn order_params(symbol: &str) -> Vec<(&'static str, String)> {
        vec![
            ("symbol", symbol.to_string()),
            ("side", "BUY".into()),
            ("type", "LIMIT".into()),
            ("timeInForce", "GTC".into()),
            ("quantity", "1".into()),
            ("price", "0.1".into()),
            ("recvWindow", "5000".into()),
            ("timestamp", "1499827319559".into()),
        ]
    }

    #[test]
    fn vector_1_query_only() {
        let query = encode_params(&order_params("LTCBTC"));
        assert_eq!(
            query,
            "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559"
        );
        assert_eq!(
            sign_rest(SECRET, &query, "").unwrap(),
            "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"
        );
    }

    #[test]
    fn vector_2_query_and_body() {
        let params = order_params("LTCBTC");
        let query = encode_params(&params[..4]);
        let body = encode_params(&params[4..]);
        assert_eq!(
            sign_rest(SECRET, &query, &body).unwrap(),
            "0fd168b8ddb4876a0358a8d14d0c9f3da0e9b20c5d52b2a00fcf7d1c602f9a77"
        );
    }

    #[test]
    fn vector_3_non_ascii_symbol_is_percent_encoded() {
        let query = encode_params(&order_params("１２３４５６"));
        assert!(query
            .starts_with("symbol=%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96&side=BUY"));
        assert_eq!(
            sign_rest(SECRET, &query, "").unwrap(),
            "e1353ec6b14d888f1164ae9af8228a3dbd508bc82eb867db8ab6046442f33ef3"
        );
    }

    #[test]
    fn vector_4_websocket_api_sorted_with_api_key() {
        let params = vec![
            ("symbol", "BTCUSDT".to_string()),
            ("side", "SELL".into()),
            ("type", "LIMIT".into()),
            ("timeInForce", "GTC".into()),
            ("quantity", "0.01000000".into()),
            ("price", "52000.00".into()),
            ("recvWindow", "100".into()),
            ("timestamp", "1645423376532".into()),
            ("apiKey", API_KEY.into()),
            ("signature", "ignored".into()),
        ];
        assert_eq!(
            ws_api_payload(&params),
            format!(
                "apiKey={API_KEY}&price=52000.00&quantity=0.01000000&recvWindow=100&side=SELL&symbol=BTCUSDT&timeInForce=GTC&timestamp=1645423376532&type=LIMIT"
            )
        );
        assert_eq!(
            sign_ws_api(SECRET, &params).unwrap(),
            "aa1b5712c094bc4e57c05a1a5c1fd8d88dcd628338ea863fec7b88e59fe2db24"
        );
    }
}
