//! Is the gateway answering? `GET /health` on the host's forwarded port (the path the user's
//! clients take), with short timeouts. reqwest, with no proxy (an `HTTP_PROXY` in the user's
//! environment must never see, or break, a loopback call) and no redirects (the gateway's
//! `/health` answers itself; a redirect means something else listens there).

use serde::Serialize;
use std::time::Duration;

/// The gateway as seen from the host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GatewayHealth {
    pub url: String,
    /// It answered `/health` with 200 and `"ok":true`.
    pub healthy: bool,
    /// What it answered (the body, or the status and the body's start), or why it did not
    /// ("Connection refused (os error 111)", "timed out after 5 s").
    pub detail: String,
}

/// How long `sandbox status` waits for the gateway.
pub const TIMEOUT: Duration = Duration::from_secs(5);
/// The most of the body that is read (and at most 200 characters of it are shown).
const MAX_BODY: usize = 64 * 1024;

/// Interpret an answer to `GET /health`: `status` (e.g. "200 OK", from the status line) and
/// the body.
pub fn judge(status: &str, body: &[u8]) -> (bool, String) {
    let text = String::from_utf8_lossy(body);
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let excerpt: String = compact.chars().take(200).collect();
    if status.split_whitespace().next() == Some("200") && compact.contains("\"ok\":true") {
        (true, excerpt)
    } else {
        (false, format!("HTTP {status} {excerpt}").trim().to_string())
    }
}

/// Ask the gateway on 127.0.0.1:`port` (at most [`TIMEOUT`]).
pub async fn check(port: u16) -> GatewayHealth {
    check_within(port, TIMEOUT).await
}

/// Ask the gateway on 127.0.0.1:`port`, giving up after `timeout`.
pub async fn check_within(port: u16, timeout: Duration) -> GatewayHealth {
    let url = format!("http://127.0.0.1:{port}");
    let (healthy, detail) = match ask(&format!("{url}/health"), timeout).await {
        Ok((status, body)) => judge(&status, &body),
        Err(e) => (false, crate::http_error::cause(&e, timeout)),
    };
    GatewayHealth { url, healthy, detail }
}

async fn ask(url: &str, timeout: Duration) -> Result<(String, Vec<u8>), reqwest::Error> {
    let client = loopback_client()?;
    let mut resp = client.get(url).header(reqwest::header::ACCEPT, "application/json").timeout(timeout).send().await?;
    let status = resp.status().to_string();
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await? {
        body.extend_from_slice(&chunk);
        if body.len() >= MAX_BODY {
            break;
        }
    }
    Ok((status, body))
}

/// One client for the process: building one loads the TLS library's trust store (~35 ms on
/// Linux, where OpenSSL reads the system CA bundle; the exchange itself takes ~0.4 ms), which
/// a loopback call never needs. No idle connections are kept, so no connection outlives the
/// runtime that opened it.
fn loopback_client() -> Result<&'static reqwest::Client, reqwest::Error> {
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    if let Some(c) = CLIENT.get() {
        return Ok(c);
    }
    let c = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(2))
        .pool_max_idle_per_host(0)
        .build()?;
    Ok(CLIENT.get_or_init(|| c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[test]
    fn judges_answers() {
        assert_eq!(judge("200 OK", b"{\"ok\":true,\"status\":\"live\"}"), (true, "{\"ok\":true,\"status\":\"live\"}".into()));
        assert!(judge("200 OK", b"{ \"ok\": true }").0);
        assert_eq!(judge("503 Service Unavailable", b"{\"ok\":false}"), (false, "HTTP 503 Service Unavailable {\"ok\":false}".into()));
        assert!(!judge("200 OK", b"<html>").0);
        assert_eq!(judge("204 No Content", b""), (false, "HTTP 204 No Content".into()));
        assert!(!judge("200 OK", &[0xff, 0xfe, 0x00]).0);
        let long = format!("{{\"ok\":false,\"x\":\"{}\"}}", "a".repeat(500));
        assert_eq!(judge("500 Internal Server Error", long.as_bytes()).1.len(), "HTTP 500 Internal Server Error ".len() + 200);
    }

    /// A one-connection server on 127.0.0.1 that sends `response` (after `delay`) and returns
    /// the request it got.
    async fn serve_once(response: &'static str, delay: Duration) -> (u16, tokio::task::JoinHandle<String>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut req = vec![0u8; 4096];
            let n = s.read(&mut req).await.unwrap();
            tokio::time::sleep(delay).await;
            let _ = s.write_all(response.as_bytes()).await;
            let _ = s.shutdown().await;
            String::from_utf8_lossy(&req[..n]).into_owned()
        });
        (port, server)
    }

    #[tokio::test]
    async fn a_real_socket_is_asked_and_a_closed_port_is_reported() {
        let (port, server) = serve_once("HTTP/1.1 200 OK\r\ncontent-length: 27\r\n\r\n{\"ok\":true,\"status\":\"live\"}", Duration::ZERO).await;
        let h = check(port).await;
        let req = server.await.unwrap();
        assert!(req.starts_with("GET /health HTTP/1.1\r\n"), "{req}");
        assert!(req.to_lowercase().contains(&format!("host: 127.0.0.1:{port}\r\n")), "{req}");
        assert_eq!(h, GatewayHealth { url: format!("http://127.0.0.1:{port}"), healthy: true, detail: "{\"ok\":true,\"status\":\"live\"}".into() });
        // nothing listens there any more
        let h = check(port).await;
        assert!(!h.healthy && h.detail.to_lowercase().contains("refused"), "{h:?}");
    }

    #[tokio::test]
    async fn failures_say_what_came_back() {
        // an unhealthy gateway: status and body
        let (port, _s) =
            serve_once("HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\n\r\n{\"ok\": false, \"status\": \"starting\"}", Duration::ZERO).await;
        let h = check(port).await;
        assert_eq!((h.healthy, h.detail.as_str()), (false, "HTTP 503 Service Unavailable {\"ok\":false,\"status\":\"starting\"}"));
        // a redirect is not followed
        let (port, _s) = serve_once("HTTP/1.1 302 Found\r\nlocation: http://example.com/\r\ncontent-length: 0\r\n\r\n", Duration::ZERO).await;
        let h = check(port).await;
        assert_eq!((h.healthy, h.detail.as_str()), (false, "HTTP 302 Found"));
        // not HTTP at all
        let (port, _s) = serve_once("SSH-2.0-OpenSSH_9.2\r\n", Duration::ZERO).await;
        let h = check(port).await;
        assert!(!h.healthy && !h.detail.is_empty() && !h.detail.contains("error sending request"), "{h:?}");
        // too slow
        let (port, _s) = serve_once("HTTP/1.1 200 OK\r\n\r\n{\"ok\":true}", Duration::from_secs(30)).await;
        let started = std::time::Instant::now();
        let h = check_within(port, Duration::from_millis(300)).await;
        assert_eq!((h.healthy, h.detail.as_str()), (false, "timed out after 0.3 s"));
        assert!(started.elapsed() < Duration::from_secs(3));
    }
}
