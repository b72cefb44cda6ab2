fn main() {
    #[cfg(target_os = "linux")]
    gl_probe_off();
    openclaw_sandbox_app::run();
}

/// Idle footprint on Linux (`scripts/bench app`): opening the X display, GTK 3 probes GLX to
/// pick its visuals, which loads the GL driver into a process that, at idle, draws nothing
/// (with Mesa: the llvmpipe driver and libLLVM, ≈ 50 MiB RSS of the 124 measured). The app's
/// windows don't use GDK's GL (WebKitGTK renders through its own EGL display), so switch the
/// probe off with GTK's `GDK_GL=disable`, unless the user set `GDK_GL` themselves. Called first
/// thing in `main`, while the process has a single thread.
#[cfg(target_os = "linux")]
fn gl_probe_off() {
    if std::env::var_os("GDK_GL").is_none() {
        std::env::set_var("GDK_GL", "disable");
    }
}
