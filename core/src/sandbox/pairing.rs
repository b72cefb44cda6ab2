//! Telegram pairing use cases: list the pending requests, approve one (the user's decision
//! only, never offered to agents), and announce new ones while the VM runs.

use super::{Sandbox, SandboxError};
use crate::agent_runtime::pairing::{approve, event, list, PairingCode, PairingError, PairingRequest, Seen, POLL_EVERY};
use crate::events::Event;

impl Sandbox {
    fn require_telegram(&self) -> Result<(), SandboxError> {
        if !self.profile().features.telegram {
            Err(PairingError::TelegramOff.into())
        } else if !self.profile().features.gateway {
            Err(PairingError::GatewayOff.into())
        } else {
            Ok(())
        }
    }

    /// Pending Telegram pairing requests in the running VM.
    pub async fn pairing_requests(&self) -> Result<Vec<PairingRequest>, SandboxError> {
        self.require_telegram()?;
        let vm = self.require_vm().await?;
        Ok(list(&vm).await?)
    }

    /// Approve a pairing code: the user's decision only (never offered to agents). Audited.
    pub async fn pairing_approve(&self, code: &str, notify: bool) -> Result<(), SandboxError> {
        self.require_telegram()?;
        let code = PairingCode::parse(code)?;
        let vm = self.require_vm().await?;
        Ok(approve(&vm, &code, notify, &self.audit_log(), &self.profile().name).await?)
    }

    /// While `stop` is pending: every [`POLL_EVERY`], list the pending pairing requests and
    /// publish `PairingRequested` for each new one. Returns at once when Telegram is off. A
    /// stopped VM is skipped quietly; a failing list is reported once per distinct message.
    pub async fn pairing_loop(&self, stop: impl std::future::Future<Output = ()>) -> Result<(), SandboxError> {
        if !self.profile().features.telegram || !self.profile().features.gateway {
            return Ok(());
        }
        let mut seen = Seen::default();
        let mut last_error: Option<String> = None;
        tokio::pin!(stop);
        loop {
            if let Some(vm) = self.running_vm().await? {
                match list(&vm).await {
                    Ok(current) => {
                        last_error = None;
                        for r in seen.fresh(&current) {
                            self.bus().publish(event(&r));
                        }
                    }
                    Err(e) => {
                        let message = format!("cannot list Telegram pairing requests: {e}");
                        if last_error.as_deref() != Some(message.as_str()) {
                            self.bus().publish(Event::Error { message: message.clone() });
                            last_error = Some(message);
                        }
                    }
                }
            }
            tokio::select! {
                _ = &mut stop => return Ok(()),
                _ = tokio::time::sleep(POLL_EVERY) => {}
            }
        }
    }
}
