//! What an HTTP request from the host failed on, in the words of its cause (a leaf: used by the
//! gateway health check and the release check).

use std::time::Duration;

/// "timed out after 5 s", or the innermost cause ("Connection refused (os error 111)",
/// "end of file before message length reached") instead of reqwest's outer wording.
pub fn cause(e: &reqwest::Error, timeout: Duration) -> String {
    if e.is_timeout() {
        return format!("timed out after {} s", timeout.as_secs_f32());
    }
    let mut cause: &dyn std::error::Error = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    let text = cause.to_string();
    if text.is_empty() {
        e.to_string()
    } else {
        text
    }
}
