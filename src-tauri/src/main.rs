fn main() {
    openclaw_sandbox_app::run();
}
