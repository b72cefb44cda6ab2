//! Redaction wired into logging: a [`SharedRedactor`] the app updates as secrets are loaded,
//! and [`RedactingMakeWriter`], a `tracing_subscriber` writer wrapper that redacts every
//! formatted log line before it reaches the terminal or a log file.
//!
//! ```no_run
//! use sandbox_core::secrets::redact_log::{RedactingMakeWriter, SharedRedactor};
//! let redactor = SharedRedactor::default();
//! tracing_subscriber::fmt()
//!     .with_writer(RedactingMakeWriter::new(std::io::stderr, redactor.clone()))
//!     .init();
//! ```

use super::{SecretName, SecretValue};
use std::io::{self, Write};
use tracing_subscriber::fmt::MakeWriter;

pub use crate::redact::SharedRedactor;

impl SharedRedactor {
    /// Learn a typed secret; `false` when it is too short to redact (see [`super::redact`]).
    pub fn add(&self, name: &SecretName, value: &SecretValue) -> bool {
        self.learn(name.as_str(), value.expose())
    }
}

/// Send this process's log to stderr through the door ([`crate::redact::door`]): every line
/// is redacted before it is written. Level from `SANDBOX_LOG` (`error`, `warn` — the default —,
/// `info`, `debug`, `trace`). Front ends call it once at start; a second call changes nothing.
pub fn init_stderr() {
    let level = match std::env::var("SANDBOX_LOG").unwrap_or_default().to_ascii_lowercase().as_str() {
        "error" => tracing::Level::ERROR,
        "info" => tracing::Level::INFO,
        "debug" => tracing::Level::DEBUG,
        "trace" => tracing::Level::TRACE,
        _ => tracing::Level::WARN,
    };
    let _ = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_target(false)
        .without_time()
        .with_ansi(false)
        .with_writer(RedactingMakeWriter::new(std::io::stderr, crate::redact::door().clone()))
        .try_init();
}

/// Wraps any `MakeWriter` so that what each log event writes is redacted first.
#[derive(Debug, Clone)]
pub struct RedactingMakeWriter<M> {
    inner: M,
    redactor: SharedRedactor,
}

impl<M> RedactingMakeWriter<M> {
    pub fn new(inner: M, redactor: SharedRedactor) -> Self {
        RedactingMakeWriter { inner, redactor }
    }
}

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for RedactingMakeWriter<M> {
    type Writer = RedactingWriter<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        RedactingWriter::new(self.inner.make_writer(), self.redactor.clone())
    }

    fn make_writer_for(&'a self, meta: &tracing::Metadata<'_>) -> Self::Writer {
        RedactingWriter::new(self.inner.make_writer_for(meta), self.redactor.clone())
    }
}

/// Buffers one event's output; redacts and writes it on flush or drop. (The fmt layer writes
/// each event through a fresh writer, so a value is never split across two redaction passes.)
pub struct RedactingWriter<W: Write> {
    inner: W,
    buf: Vec<u8>,
    redactor: SharedRedactor,
}

impl<W: Write> RedactingWriter<W> {
    pub fn new(inner: W, redactor: SharedRedactor) -> Self {
        RedactingWriter { inner, buf: Vec::new(), redactor }
    }

    fn emit(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let text = self.redactor.redact_bytes(&self.buf);
        zeroize::Zeroize::zeroize(&mut self.buf);
        self.buf.clear();
        self.inner.write_all(text.as_bytes())?;
        self.inner.flush()
    }
}

impl<W: Write> Write for RedactingWriter<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.emit()
    }
}

impl<W: Write> Drop for RedactingWriter<W> {
    fn drop(&mut self) {
        let _ = self.emit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::validate_name;
    use std::sync::{Arc, Mutex};

    /// A `MakeWriter` collecting everything into one buffer.
    #[derive(Clone, Default)]
    struct Collect(Arc<Mutex<Vec<u8>>>);
    struct CollectWriter(Arc<Mutex<Vec<u8>>>);
    impl Write for CollectWriter {
        fn write(&mut self, d: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(d);
            Ok(d.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    impl<'a> MakeWriter<'a> for Collect {
        type Writer = CollectWriter;
        fn make_writer(&'a self) -> CollectWriter {
            CollectWriter(self.0.clone())
        }
    }

    #[test]
    fn every_log_line_is_redacted() {
        let canary = "canary-log-5b1f0c2e";
        let redactor = SharedRedactor::default();
        let out = Collect::default();
        let subscriber = tracing_subscriber::fmt().with_ansi(false).with_writer(RedactingMakeWriter::new(out.clone(), redactor.clone())).finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing::warn!("before the value is known: {canary}");
            assert!(redactor.add(&validate_name("MY_TOKEN").unwrap(), &SecretValue::from(canary)));
            tracing::info!(token = canary, "message with {canary} inside");
            tracing::error!(error = %format!("limactl said: {canary}"), "push failed");
            tracing::info!("a github token ghp_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789 leaked");
        });
        let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4, "{text}");
        // The first line was logged before the value was known: it shows why values must be
        // loaded into the redactor before anything logs them.
        assert!(lines[0].contains(canary));
        for line in &lines[1..3] {
            assert!(!line.contains(canary), "{line}");
            assert!(line.contains("[REDACTED:MY_TOKEN]"), "{line}");
        }
        assert!(lines[3].contains("[REDACTED]") && !lines[3].contains("ghp_"), "{}", lines[3]);
    }
}
