//! The user's profile: TOML on disk → validated `Profile`.
