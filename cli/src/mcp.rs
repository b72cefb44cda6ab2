//! `sandbox mcp`: an MCP server on stdio, for agents.
//!
//! It holds only a [`AgentApi`] — the agent-safe subset of core — so approving or applying
//! syncs, changing the firewall, reading secrets, destroying or resetting cannot be reached
//! from here. Tool failures are tool errors (`isError`) carrying the CLI's actionable text.

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResult, ContentBlock, Implementation, ProgressNotificationParam, ProgressToken, ServerCapabilities, ServerConfig};
use rmcp::service::RequestContext;
use rmcp::{schemars, tool, tool_handler, tool_router, ErrorData as McpError, RoleServer, ServerHandler, ServiceExt};
use sandbox_core::agent::{AgentApi, MAX_EXEC_SECS};
use sandbox_core::events::Event;
use serde::Deserialize;

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExecParams {
    /// Shell command, run with bash as the unprivileged agent user inside the VM.
    pub command: String,
    /// Kill the command after this many seconds (1-600, default 60).
    #[serde(default)]
    pub timeout_secs: Option<u64>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FirewallLogParams {
    /// How far back, in journalctl's words: "-1h" (default), "-10min", "today".
    #[serde(default)]
    pub since: Option<String>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SyncRequestParams {
    /// What you changed and why; shown to the user, who decides.
    pub message: String,
}

#[derive(Clone)]
pub struct SandboxMcp {
    api: AgentApi,
    tool_router: ToolRouter<Self>,
}

/// A tool result; every string in it passes core's redactor (the MCP client is a front end too).
fn ok(value: impl serde::Serialize) -> Result<CallToolResult, McpError> {
    let value = serde_json::to_value(value).map(|mut v| {
        sandbox_core::redact::door().redact_json(&mut v);
        v
    });
    match value {
        // Structured content must be an object: scalars and lists go under "result".
        Ok(v @ serde_json::Value::Object(_)) => Ok(CallToolResult::structured(v)),
        Ok(v) => Ok(CallToolResult::structured(serde_json::json!({ "result": v }))),
        Err(e) => Err(McpError::internal_error(format!("cannot encode the result: {e}"), None)),
    }
}

/// A tool error, through core's redactor (core errors can carry what the VM printed).
fn tool_error(message: impl std::fmt::Display) -> Result<CallToolResult, McpError> {
    Ok(CallToolResult::error(vec![ContentBlock::text(sandbox_core::redact::door().redact(&message.to_string()))]))
}

fn respond<T: serde::Serialize, E: std::fmt::Display>(r: Result<T, E>) -> Result<CallToolResult, McpError> {
    match r {
        Ok(v) => ok(v),
        Err(e) => tool_error(e),
    }
}

#[tool_router]
impl SandboxMcp {
    pub fn new(api: AgentApi) -> Self {
        SandboxMcp { api, tool_router: Self::tool_router() }
    }

    #[tool(description = "The sandbox VM's state (absent/stopped/running/broken…), mode, mounts (read-only or writable) and forwarded ports.")]
    async fn sandbox_status(&self) -> Result<CallToolResult, McpError> {
        respond(self.api.status().await)
    }

    #[tool(
        description = "Create or start the sandbox VM and provision it. Idempotent. Reports progress notifications when the request carries a progress token."
    )]
    async fn sandbox_up(&self, ctx: RequestContext<RoleServer>) -> Result<CallToolResult, McpError> {
        let token = ctx.meta.get_progress_token();
        let forward = token.map(|token| {
            let mut rx = self.api.bus().subscribe();
            let peer = ctx.peer.clone();
            tokio::spawn(async move {
                let mut n = 0.0;
                while let Ok(event) = rx.recv().await {
                    if let Event::Progress(p) = event {
                        n += 1.0;
                        let progress = p.fraction.map(|f| (f * 100.0) as f64).unwrap_or(n);
                        let param = ProgressNotificationParam::new(ProgressToken(token.0.clone()), progress).with_total(100.0).with_message(p.message);
                        if peer.notify_progress(param).await.is_err() {
                            break;
                        }
                    }
                }
            })
        });
        let result = self.api.up().await;
        if let Some(f) = forward {
            f.abort();
        }
        respond(result)
    }

    #[tool(description = "Stop the sandbox VM gracefully.")]
    async fn sandbox_down(&self) -> Result<CallToolResult, McpError> {
        respond(self.api.down().await)
    }

    #[tool(
        description = "Run a shell command as the unprivileged agent user inside the VM. Returns exit_code, stdout, stderr (each capped at 64 KiB), truncated and timed_out."
    )]
    async fn sandbox_exec(&self, Parameters(p): Parameters<ExecParams>) -> Result<CallToolResult, McpError> {
        let timeout = p.timeout_secs.unwrap_or(60);
        if timeout == 0 || timeout > MAX_EXEC_SECS {
            return tool_error(format!("timeout_secs is {timeout}; use 1 to {MAX_EXEC_SECS}"));
        }
        respond(self.api.exec(&p.command, timeout).await)
    }

    #[tool(description = "Check the sandbox profile; lists each problem with its field, line and fix.")]
    async fn sandbox_validate(&self) -> Result<CallToolResult, McpError> {
        ok(self.api.validate())
    }

    #[tool(description = "How to reach the VM over ssh (instance, port, ssh config path, command).")]
    async fn sandbox_ssh_info(&self) -> Result<CallToolResult, McpError> {
        respond(self.api.ssh_info().await)
    }

    #[tool(description = "Changes waiting for the user's review and how many workspace changes are not synced yet.")]
    async fn sandbox_sync_status(&self) -> Result<CallToolResult, McpError> {
        respond(self.api.sync_status().await)
    }

    #[tool(
        description = "Ask the user to review your changes in /workspace: they are checked (policy, secrets) and shown to the user with your message. Only the user can approve; nothing is applied by this call."
    )]
    async fn sandbox_sync_request(&self, Parameters(p): Parameters<SyncRequestParams>) -> Result<CallToolResult, McpError> {
        respond(self.api.sync_request(&p.message).await)
    }

    #[tool(
        description = "Recent connections the VM's firewall blocked and domain names its resolver refused, de-duplicated with counts. Read-only: only the user can allow anything."
    )]
    async fn sandbox_firewall_log(&self, Parameters(p): Parameters<FirewallLogParams>) -> Result<CallToolResult, McpError> {
        respond(self.api.firewall_log(p.since.as_deref().unwrap_or("-1h")).await.map(|alerts| serde_json::json!({ "alerts": alerts })))
    }

    #[tool(description = "The OpenClaw gateway's URL on the host and whether it answers.")]
    async fn sandbox_gateway_info(&self) -> Result<CallToolResult, McpError> {
        respond(self.api.gateway_info().await)
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for SandboxMcp {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build()).with_server_info(Implementation::from_build_env()).with_instructions(
            "OpenClaw Sandbox: inspect and start the agent VM, run commands in it as the agent user, \
                 and ask the user to review changes. Approving changes, network access and secrets are the user's alone."
                .to_string(),
        )
    }
}

/// Serve on stdin/stdout until the client closes stdin.
pub async fn serve(api: AgentApi) -> anyhow::Result<()> {
    let service = match SandboxMcp::new(api).serve(rmcp::transport::stdio()).await {
        Ok(s) => s,
        // The client went away before initializing: nothing to serve, not an error.
        Err(rmcp::service::ServerInitializeError::ConnectionClosed(_)) => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    service.waiting().await?;
    Ok(())
}
