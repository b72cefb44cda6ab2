//! Placeholder for the menu-bar app (Tauri v2), which arrives with its own issue.
//! Until then it says so and points at the CLI, which drives the same core.

fn main() {
    eprintln!(
        "The OpenClaw Sandbox menu-bar app is not built yet. Use the `sandbox` CLI \
         (`scripts/run` starts the sandbox with it)."
    );
    std::process::exit(1);
}
