//! The menu-bar process's context — the app state over core, its window processes and its
//! notifications — and its event loop: tao on the main thread (GTK on Linux, AppKit on macOS)
//! for the tray and dialogs, a small tokio runtime for core's work.

use crate::notify_actions::Notifier;
use crate::single_instance::{self, Instance};
use crate::state::AppState;
use crate::windows::{self, WindowProcesses};
use crate::{autostart, ipc_names, notify_desktop, tray, window_link};
use sandbox_core::events::Event;
use std::future::Future;
use std::sync::{Arc, Mutex};
use tao::event::{Event as LoopEvent, StartCause};
use tao::event_loop::{ControlFlow, EventLoopBuilder, EventLoopProxy};

/// What other threads ask of the main thread.
pub enum UserEvent {
    /// The model changed: re-render the tray.
    Render,
    /// A tray menu item was clicked (its id).
    Menu(String),
    /// Run this on the main thread (toolkit calls: dialogs).
    Run(Box<dyn FnOnce() + Send>),
    /// End the process.
    Quit,
}

/// The process's shared context (cheap to clone as [`App`]).
pub struct MenuBar {
    pub state: AppState,
    pub windows: WindowProcesses,
    pub notifier: Notifier,
    runtime: tokio::runtime::Handle,
    proxy: Mutex<EventLoopProxy<UserEvent>>,
}

pub type App = Arc<MenuBar>;

impl MenuBar {
    /// Run `task` on the runtime.
    pub fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) {
        self.runtime.spawn(task);
    }

    /// Run `f` on the main thread, soon.
    pub fn on_main(&self, f: impl FnOnce() + Send + 'static) {
        self.send(UserEvent::Run(Box::new(f)));
    }

    pub fn send(&self, event: UserEvent) {
        // Fails only once the loop has ended, when nothing is left to do.
        let _ = self.proxy.lock().unwrap_or_else(|e| e.into_inner()).send_event(event);
    }

    /// Tell the user (the tray's status, an error notification) that `message` went wrong.
    pub fn error(&self, message: String) {
        self.state.bus.publish(Event::Error { message });
    }
}

/// Run the menu-bar process until the user quits it. Returns early only with a set-up error,
/// or when another instance took the request (a second launch).
pub fn run(show: Vec<String>, args: Vec<String>) -> Result<(), String> {
    let state = sandbox_desk::core_state();
    let handover = match single_instance::acquire(&state.paths.data_dir, &args)? {
        Instance::First(h) => h,
        Instance::Second => return Ok(()),
    };
    // Two workers: core's work is I/O-bound waiting on limactl and files.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("menubar-core")
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    // Lives as long as the process: the event loop below never returns.
    let runtime: &'static tokio::runtime::Runtime = Box::leak(Box::new(runtime));
    std::mem::forget(runtime.enter());

    #[allow(unused_mut)]
    let mut event_loop = build_event_loop()?;
    // Menu bar only: no Dock icon, no app menu (the bundle's LSUIElement says the same).
    #[cfg(target_os = "macos")]
    {
        use tao::platform::macos::{ActivationPolicy, EventLoopExtMacOS};
        event_loop.set_activation_policy(ActivationPolicy::Accessory);
    }
    let app: App = Arc::new(MenuBar {
        state,
        windows: WindowProcesses::default(),
        notifier: Notifier::default(),
        runtime: runtime.handle().clone(),
        proxy: Mutex::new(event_loop.create_proxy()),
    });
    let clicks = app.clone();
    tray_icon::menu::MenuEvent::set_event_handler(Some(move |e: tray_icon::menu::MenuEvent| clicks.send(UserEvent::Menu(e.id.0))));
    let second = app.clone();
    handover.serve(move |args| second_launch(&second, &args));

    let mut tray = None;
    let mut show = Some(show);
    event_loop.run(move |event, _, control_flow| {
        *control_flow = ControlFlow::Wait;
        match event {
            LoopEvent::NewEvents(StartCause::Init) => match setup(&app, show.take().unwrap_or_default()) {
                Ok(t) => tray = Some(t),
                Err(e) => {
                    tracing::error!("the app could not start: {e}");
                    eprintln!("OpenClaw Sandbox could not start: {e}");
                    std::process::exit(1);
                }
            },
            LoopEvent::UserEvent(UserEvent::Render) => {
                if let Some(t) = &tray {
                    tray::render(t, &app.state.model().tray());
                }
            }
            LoopEvent::UserEvent(UserEvent::Menu(id)) => tray::on_click(&app, &id),
            LoopEvent::UserEvent(UserEvent::Run(f)) => f(),
            LoopEvent::UserEvent(UserEvent::Quit) => {
                tray = None;
                *control_flow = ControlFlow::Exit;
            }
            _ => {}
        }
    })
}

/// The toolkit's event loop, or a sentence when there is no desktop session to open: tao
/// panics when GTK cannot start (no `DISPLAY`, a display that refuses the connection); that
/// panic is caught here, quietly, and said the user's way.
fn build_event_loop() -> Result<tao::event_loop::EventLoop<UserEvent>, String> {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let built = std::panic::catch_unwind(|| EventLoopBuilder::<UserEvent>::with_user_event().build());
    std::panic::set_hook(hook);
    built.map_err(|panic| {
        let why = panic.downcast_ref::<String>().map(String::as_str).or_else(|| panic.downcast_ref::<&str>().copied()).unwrap_or("unknown reason");
        let var = |k: &str| std::env::var(k).map(|v| format!("{k}={v:?}")).unwrap_or_else(|_| format!("{k} unset"));
        format!(
            "cannot open the desktop session ({}, {}): {}. The menu-bar app needs a graphical session; without one, use the `sandbox` command (`sandbox up`, `sandbox status`)",
            var("DISPLAY"),
            var("WAYLAND_DISPLAY"),
            why.split(": BoolError").next().unwrap_or(why).trim_end_matches('!')
        )
    })
}

/// Put the tray up and start following core. Runs on the main thread once the loop runs.
fn setup(app: &App, mut show: Vec<String>) -> Result<tray_icon::TrayIcon, String> {
    let autostart = autostart::is_enabled();
    app.state.update(|m| {
        m.autostart = autostart;
        false
    });
    let tray = tray::create(&app.state.paths, &app.state.model().tray())?;
    let handle = app.clone();
    app.state.set_renderer(move |m| {
        handle.send(UserEvent::Render);
        windows::model_changed(&handle, m);
    });
    notify_desktop::register(app);
    forward_events(app);
    let handle = app.clone();
    app.spawn(async move { handle.state.follow_vm().await });
    if !app.state.model().profile_present && !show.iter().any(|s| s == ipc_names::WINDOW_ONBOARDING) {
        show.insert(0, ipc_names::WINDOW_ONBOARDING.into());
    }
    for label in show {
        windows::show(app, &label).map_err(|e| format!("cannot open the {label} window: {e}"))?;
    }
    Ok(tray)
}

/// Forward every core event to the window processes and fold it into the model (which
/// re-renders the tray). This task sleeps until core publishes: no timers, no polling.
fn forward_events(app: &App) {
    let app = app.clone();
    let mut rx = app.state.bus.subscribe();
    let task = app.clone();
    task.spawn(async move {
        use tokio::sync::broadcast::error::RecvError;
        loop {
            match rx.recv().await {
                Ok(event) => {
                    if let Event::StateChanged { state, .. } = &event {
                        if let Some(follower) = app.state.alerts_on_state(*state) {
                            let app = app.clone();
                            app.clone().spawn(async move { app.state.run_alerts(follower).await });
                        }
                    }
                    app.windows.broadcast(&window_link::ToWindow::Event { event: event.clone() });
                    app.state.apply(&event);
                    notify_desktop::on_event(&app, &event);
                }
                Err(RecvError::Lagged(n)) => tracing::warn!("the app missed {n} core events"),
                Err(RecvError::Closed) => break,
            }
        }
    });
}

/// A second launch focuses the running app (and shows what it asked for, or Settings).
fn second_launch(app: &App, args: &[String]) {
    let mut show = windows::requested(args, None);
    if show.is_empty() {
        let present = app.state.model().profile_present;
        show.push(if present { ipc_names::WINDOW_SETTINGS } else { ipc_names::WINDOW_ONBOARDING }.into());
    }
    for label in show {
        if let Err(e) = windows::show(app, &label) {
            tracing::warn!("cannot open the {label} window: {e}");
        }
    }
}
