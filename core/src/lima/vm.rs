//! [`LimaVm`]: the [`Vm`] trait over `limactl shell` / `limactl copy`.

use super::Limactl;
use crate::vm::{ExecOutput, OutputStream, Vm, VmError};
use async_trait::async_trait;
use std::path::Path;
use std::time::Duration;

/// A Lima instance as a [`Vm`].
#[derive(Debug, Clone)]
pub struct LimaVm {
    limactl: Limactl,
    name: String,
    timeout: Duration,
}

impl LimaVm {
    /// Commands time out after 10 minutes unless changed with [`LimaVm::with_timeout`].
    pub fn new(limactl: Limactl, name: impl Into<String>) -> Self {
        LimaVm { limactl, name: name.into(), timeout: Duration::from_secs(600) }
    }

    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    pub fn limactl(&self) -> &Limactl {
        &self.limactl
    }
}

#[async_trait]
impl Vm for LimaVm {
    fn name(&self) -> &str {
        &self.name
    }

    async fn exec(&self, argv: &[String], stdin: Option<Vec<u8>>) -> Result<ExecOutput, VmError> {
        match self.limactl.shell(&self.name, argv, stdin, self.timeout).await {
            Err(super::LimaError::Timeout { secs, .. }) => Err(VmError::Timeout { what: argv.join(" "), secs }),
            other => Ok(other?),
        }
    }

    async fn exec_to_file(&self, argv: &[String], stdout_to: &Path) -> Result<ExecOutput, VmError> {
        let file = std::fs::File::create(stdout_to).map_err(|e| VmError::Unsupported { what: format!("write {}: {e}", stdout_to.display()) })?;
        match self.limactl.shell_to_file(&self.name, argv, file, self.timeout).await {
            Err(super::LimaError::Timeout { secs, .. }) => Err(VmError::Timeout { what: argv.join(" "), secs }),
            other => Ok(other?),
        }
    }

    async fn exec_stream(&self, argv: &[String]) -> Result<OutputStream, VmError> {
        Ok(Box::new(self.limactl.shell_stream(&self.name, argv)?))
    }

    async fn exec_session(&self, argv: &[String]) -> Result<crate::vm::Session, VmError> {
        let (stdin, stdout) = self.limactl.shell_session(&self.name, argv)?;
        Ok(crate::vm::Session { stdin: Box::new(stdin), stdout: Box::new(stdout) })
    }

    async fn copy_in(&self, host: &Path, guest: &str) -> Result<(), VmError> {
        Ok(self.limactl.copy(&host.to_string_lossy(), &format!("{}:{guest}", self.name)).await?)
    }

    async fn copy_out(&self, guest: &str, host: &Path) -> Result<(), VmError> {
        Ok(self.limactl.copy(&format!("{}:{guest}", self.name), &host.to_string_lossy()).await?)
    }
}
