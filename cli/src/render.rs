//! Rendering core events on the terminal: a progress bar on a TTY, plain lines otherwise.

use indicatif::{ProgressBar, ProgressStyle};
use sandbox_core::events::{Event, EventBus};
use std::io::IsTerminal;
use tokio::sync::broadcast::error::RecvError;
use tokio::task::JoinHandle;

/// Follow `bus` until the returned handle is aborted or the bus closes.
pub fn follow(bus: &EventBus) -> Follower {
    let mut rx = bus.subscribe();
    let tty = std::io::stderr().is_terminal();
    let bar = tty.then(|| {
        let b = ProgressBar::new(100);
        b.set_style(ProgressStyle::with_template("{spinner} [{bar:30}] {pos:>3}% {msg}").expect("valid template").progress_chars("=> "));
        b.enable_steady_tick(std::time::Duration::from_millis(120));
        b
    });
    let bar2 = bar.clone();
    let task = tokio::spawn(async move {
        loop {
            match rx.recv().await {
                Ok(event) => show(&event, bar2.as_ref()),
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => break,
            }
        }
    });
    Follower { task, bar }
}

pub struct Follower {
    task: JoinHandle<()>,
    bar: Option<ProgressBar>,
}

impl Follower {
    /// Let queued events print, then stop.
    pub async fn finish(self) {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        self.task.abort();
        if let Some(b) = self.bar {
            b.finish_and_clear();
        }
    }
}

fn show(event: &Event, bar: Option<&ProgressBar>) {
    let line = match event {
        Event::Progress(p) => {
            let pct = p.fraction.map(|f| (f * 100.0).round() as u64);
            if let Some(b) = bar {
                if let Some(pct) = pct {
                    b.set_position(pct);
                }
                b.set_message(p.message.clone());
                return;
            }
            match pct {
                Some(pct) => format!("[{pct:>3}%] {}", p.message),
                None => format!("[    ] {}", p.message),
            }
        }
        Event::StateChanged { instance, state } => {
            format!("{instance}: {}", serde_json::to_value(state).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default())
        }
        Event::Notice { message } => message.clone(),
        Event::Error { message } => format!("error: {message}"),
        other => serde_json::to_string(other).unwrap_or_default(),
    };
    match bar {
        Some(b) => b.println(line),
        None => eprintln!("{line}"),
    }
}
