//! Lima: rendering lima.yaml from a profile and driving `limactl`.

/// Errors from driving `limactl`.
#[derive(Debug, thiserror::Error)]
pub enum LimaError {
    #[error("limactl was not found ({detail}). Install Lima (macOS: `brew install lima`) or set SANDBOX_LIMACTL to its path")]
    NotFound { detail: String },
}
