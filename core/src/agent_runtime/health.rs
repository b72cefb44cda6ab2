//! Is the gateway answering? `GET /health` on the host's forwarded port (the path the user's
//! clients take), with short timeouts. Plain HTTP/1.0 over a TCP socket: the gateway binds a
//! loopback forward only, so no TLS and no client library are needed.

use serde::Serialize;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The gateway as seen from the host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GatewayHealth {
    pub url: String,
    /// It answered `/health` with 200 and `"ok":true`.
    pub healthy: bool,
    /// What it answered, or why it did not ("connection refused", "timed out", the status line).
    pub detail: String,
}

/// Interpret an HTTP response to `GET /health`.
pub fn judge(response: &[u8]) -> (bool, String) {
    let text = String::from_utf8_lossy(response);
    let status_line = text.lines().next().unwrap_or("").trim().to_string();
    let code = status_line.split_whitespace().nth(1).unwrap_or("");
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    let compact: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    if code == "200" && compact.contains("\"ok\":true") {
        (true, compact.chars().take(200).collect())
    } else if status_line.is_empty() {
        (false, "no answer (connection closed)".into())
    } else {
        (false, format!("{status_line} {}", compact.chars().take(200).collect::<String>()).trim().to_string())
    }
}

/// Ask the gateway on 127.0.0.1:`port`.
pub async fn check(port: u16) -> GatewayHealth {
    let url = format!("http://127.0.0.1:{port}");
    let attempt = async {
        let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
        s.write_all(format!("GET /health HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nAccept: application/json\r\n\r\n").as_bytes()).await?;
        let mut buf = Vec::new();
        s.take(64 * 1024).read_to_end(&mut buf).await?;
        Ok::<_, std::io::Error>(buf)
    };
    let (healthy, detail) = match tokio::time::timeout(Duration::from_secs(5), attempt).await {
        Err(_) => (false, "timed out after 5 s".into()),
        Ok(Err(e)) => (false, e.to_string()),
        Ok(Ok(buf)) => judge(&buf),
    };
    GatewayHealth { url, healthy, detail }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn judges_answers() {
        assert!(judge(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n{\"ok\":true,\"status\":\"live\"}").0);
        assert!(judge(b"HTTP/1.1 200 OK\r\n\r\n{ \"ok\": true }").0);
        let (ok, d) = judge(b"HTTP/1.1 503 Service Unavailable\r\n\r\n{\"ok\":false}");
        assert!(!ok && d.starts_with("HTTP/1.1 503"), "{d}");
        assert!(!judge(b"HTTP/1.1 200 OK\r\n\r\n<html>").0);
        assert_eq!(judge(b"").1, "no answer (connection closed)");
        assert!(!judge(&[0xff, 0xfe, 0x00]).0);
    }

    #[tokio::test]
    async fn a_real_socket_is_asked_and_a_closed_port_is_reported() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut req = vec![0u8; 1024];
            let n = s.read(&mut req).await.unwrap();
            assert!(String::from_utf8_lossy(&req[..n]).starts_with("GET /health HTTP/1.0\r\n"));
            s.write_all(b"HTTP/1.1 200 OK\r\n\r\n{\"ok\":true,\"status\":\"live\"}").await.unwrap();
        });
        let h = check(port).await;
        server.await.unwrap();
        assert!(h.healthy, "{h:?}");
        assert_eq!(h.url, format!("http://127.0.0.1:{port}"));
        // nothing listens there any more
        let h = check(port).await;
        assert!(!h.healthy && !h.detail.is_empty(), "{h:?}");
    }
}
