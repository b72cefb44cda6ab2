//! Is a newer OpenClaw out? The opt-in check (`check_openclaw_updates = true` under `[agent]`
//! in the profile, off by default) behind `sandbox doctor`'s "openclaw release" line and the
//! menu's line. It only reads the npm registry and says so; it never installs anything: the
//! profile pins `openclaw_version`, and `sandbox up` installs exactly that.
//!
//! - **Endpoint**: `GET <registry>/-/package/openclaw/dist-tags`, the one `npm dist-tag ls`
//!   asks (npm/cli `lib/commands/dist-tag.js`: `GET /-/package/${spec.escapedName}/dist-tags`),
//!   answered with `{"latest": "2026.9.6", …}`; we read `latest` only. About 20 bytes, where the
//!   package document (`GET /openclaw`, npm/registry `docs/responses/package-metadata.md`) is
//!   ~10 MB even abbreviated (`Accept: application/vnd.npm.install-v1+json`; 133 versions) and
//!   `GET /openclaw/latest` (that version's manifest) ~130 KB, as measured on 2026-12-05.
//! - **Registry**: npm's own setting (a corporate npm mirror), looked up as npm does for a user
//!   outside a project (npm's `docs/lib/content/configuring-npm/npmrc.md`; its precedence: the
//!   environment, then the per-user file): `npm_config_registry` / `NPM_CONFIG_REGISTRY`, else
//!   `registry = …` in the user's npmrc — `$HOME/.npmrc`, or the file `npm_config_userconfig`
//!   names — an ini file whose `#`/`;` lines are comments, whose last `registry` wins and whose
//!   values may name `${VARIABLES}`; else `https://registry.npmjs.org/`. Not read: npm's global
//!   file (`$PREFIX/etc/npmrc`: finding the prefix means running npm) and scoped registries
//!   (`@scope:registry`: `openclaw` is unscoped).
//! - **TLS**: reqwest with `native-tls`, i.e. the OS's own TLS and trust store: Security.framework
//!   on macOS (Keychain trust settings, so a corporate proxy's CA installed by MDM or "Always
//!   Trust" is honoured), OpenSSL with the system CA bundle on Linux. Chosen over rustls because
//!   it adds 4 small crates to the build (native-tls, hyper-tls, tokio-native-tls,
//!   openssl-probe) and no crypto to compile, where rustls needs a crypto provider (ring or
//!   aws-lc-rs, C builds) plus the platform verifier to see the same trust settings.
//! - **Proxy**: `HTTPS_PROXY` / `HTTP_PROXY` / `NO_PROXY` from the environment, and when none is
//!   set, on macOS the system's proxy settings (System Settings → Network → Proxies, read through
//!   SystemConfiguration: reqwest's `system-proxy` feature, hyper-util's `Matcher::from_system`,
//!   `src/client/proxy/matcher.rs`; a PAC file is not evaluated). The gateway's health check, on
//!   the forwarded localhost port, uses no proxy at all (`agent_runtime::health`).
//! - **Cost**: at most one request a day: the answer is cached for 24 h in the data folder
//!   (`openclaw-release.json`); 5 s at most per request; errors are not cached, and any
//!   failure is [`ReleaseStatus::Unknown`] with the reason, never a panic or a hang.

use crate::events::ReleaseStatus;
use crate::profile::Profile;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The npm package the sandbox installs.
pub const PACKAGE: &str = "openclaw";
/// The public npm registry.
pub const DEFAULT_REGISTRY: &str = "https://registry.npmjs.org/";
/// A request gives up after this long.
pub const TIMEOUT: Duration = Duration::from_secs(5);
/// How long an answer is reused without asking again.
pub const CACHE_FOR: Duration = Duration::from_secs(24 * 60 * 60);
/// The cache file, in the data folder.
pub const CACHE_FILE: &str = "openclaw-release.json";
/// The dist-tags document is tiny; anything bigger is not it.
const MAX_BODY: usize = 64 * 1024;

/// Why the registry's answer is unknown.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ReleaseError {
    #[error("{source_} is `{value}`, not an http(s) URL; fix it (it is npm's registry setting) or remove it")]
    BadRegistry { source_: String, value: String },
    #[error("cannot reach {url}: {detail}")]
    Request { url: String, detail: String },
    #[error("{url} answered {status}")]
    Status { url: String, status: String },
    #[error("{url} did not answer with the npm registry's dist-tags ({detail})")]
    Body { url: String, detail: String },
}

/// The registry to ask: a base URL ending in `/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registry(String);

impl Registry {
    /// npm's own setting (see the module's doc): the environment (`npm_config_registry`, then
    /// `NPM_CONFIG_REGISTRY`: npm reads its `npm_config_*` variables case-insensitively), then
    /// the user's npmrc, else the public registry.
    pub fn from_env() -> Result<Registry, ReleaseError> {
        Self::from_sources(|k| std::env::var(k).ok(), |p| std::fs::read_to_string(p).ok())
    }

    fn from_sources(env: impl Fn(&str) -> Option<String>, read: impl Fn(&Path) -> Option<String>) -> Result<Registry, ReleaseError> {
        let set = |k: &str| env(k).filter(|v| !v.trim().is_empty());
        for var in ["npm_config_registry", "NPM_CONFIG_REGISTRY"] {
            if let Some(v) = set(var) {
                return Registry::parse(&v).ok_or(ReleaseError::BadRegistry { source_: var.into(), value: v });
            }
        }
        let userconfig = set("npm_config_userconfig")
            .or_else(|| set("NPM_CONFIG_USERCONFIG"))
            .map(PathBuf::from)
            .or_else(|| set("HOME").map(|h| Path::new(&h).join(".npmrc")));
        if let Some(file) = userconfig {
            if let Some(v) = read(&file).and_then(|text| npmrc_registry(&text, &env)) {
                return Registry::parse(&v).ok_or(ReleaseError::BadRegistry { source_: format!("`registry` in {}", file.display()), value: v });
            }
        }
        Ok(Registry(DEFAULT_REGISTRY.into()))
    }

    /// `url` when it is http(s) with a host.
    pub fn parse(url: &str) -> Option<Registry> {
        let url = url.trim();
        let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"))?;
        let ok = !rest.is_empty() && !rest.starts_with('/') && !url.chars().any(|c| c.is_whitespace() || c.is_control());
        ok.then(|| Registry(format!("{}/", url.trim_end_matches('/'))))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn dist_tags_url(&self) -> String {
        format!("{}-/package/{PACKAGE}/dist-tags", self.0)
    }
}

/// The last `registry = VALUE` of an npmrc (ini: `#` and `;` start comments, values may be
/// quoted), with `${NAME}` replaced from `env` (left as written when unset, as npm does); `None`
/// when the file sets no registry.
fn npmrc_registry(text: &str, env: &impl Fn(&str) -> Option<String>) -> Option<String> {
    let mut found = None;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else { continue };
        if key.trim() != "registry" {
            continue;
        }
        let value = value.trim();
        let value = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(value);
        found = Some(value.to_string());
    }
    let value = found.filter(|v| !v.is_empty())?;
    // @npmcli/config lib/env-replace.js: `${NAME}` → the variable, or left as written when unset
    let (mut out, mut rest) = (String::new(), value.as_str());
    while let Some(start) = rest.find("${") {
        let Some(len) = rest[start..].find('}') else { break };
        let (name, whole) = (&rest[start + 2..start + len], &rest[start..start + len + 1]);
        out.push_str(&rest[..start]);
        out.push_str(&env(name).unwrap_or_else(|| whole.to_string()));
        rest = &rest[start + len + 1..];
    }
    out.push_str(rest);
    Some(out)
}

/// What the cache file holds: the registry's answer, not the comparison (the pin may change).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Cached {
    registry: String,
    latest: String,
    /// Seconds since the Unix epoch.
    checked_at: u64,
}

fn unix(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

fn read_cache(file: &Path, registry: &Registry, now: SystemTime) -> Option<String> {
    let c: Cached = serde_json::from_slice(&std::fs::read(file).ok()?).ok()?;
    let (now, at) = (unix(now), c.checked_at);
    // a time in the future (clock changed) is stale too
    let fresh = at <= now && now - at < CACHE_FOR.as_secs();
    (fresh && c.registry == registry.as_str()).then_some(c.latest)
}

fn write_cache(file: &Path, registry: &Registry, latest: &str, now: SystemTime) {
    let c = Cached { registry: registry.as_str().into(), latest: latest.into(), checked_at: unix(now) };
    let write = || -> std::io::Result<()> {
        if let Some(dir) = file.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = file.with_extension("json.tmp");
        std::fs::write(&tmp, serde_json::to_vec(&c).unwrap_or_default())?;
        std::fs::rename(&tmp, file)
    };
    if let Err(e) = write() {
        tracing::debug!("the release check's answer is not cached ({}): {e}", file.display());
    }
}

/// Which proxy variable the request went through, if any (by name: its value may hold a
/// password).
fn proxy_note(url: &str) -> String {
    let vars: [&str; 4] = if url.starts_with("https:") {
        ["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"]
    } else {
        ["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"]
    };
    vars.iter().find(|v| std::env::var_os(v).is_some_and(|x| !x.is_empty())).map(|v| format!(" (through the proxy in {v})")).unwrap_or_default()
}

/// The registry's `latest` for [`PACKAGE`], asked over the network (no cache).
async fn fetch_latest(registry: &Registry, timeout: Duration) -> Result<String, ReleaseError> {
    let url = registry.dist_tags_url();
    let request_error =
        |e: reqwest::Error| ReleaseError::Request { url: url.clone(), detail: format!("{}{}", crate::http_error::cause(&e, timeout), proxy_note(&url)) };
    let client = reqwest::Client::builder()
        .connect_timeout(timeout.min(Duration::from_secs(3)))
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::limited(3))
        .user_agent(concat!("openclaw-sandbox/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(request_error)?;
    let mut resp = client.get(&url).header(reqwest::header::ACCEPT, "application/json").send().await.map_err(request_error)?;
    if !resp.status().is_success() {
        return Err(ReleaseError::Status { url, status: resp.status().to_string() });
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(request_error)? {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_BODY {
            return Err(ReleaseError::Body { url, detail: format!("more than {} KiB", MAX_BODY / 1024) });
        }
    }
    let bad = |detail: String| ReleaseError::Body { url: url.clone(), detail };
    let v: serde_json::Value = serde_json::from_slice(&body).map_err(|e| bad(format!("not JSON: {e}")))?;
    match v.get("latest").and_then(|l| l.as_str()) {
        Some(l) if semver::Version::parse(l).is_ok() => Ok(l.to_string()),
        Some(l) => Err(bad(format!("`latest` is `{}`, not a version", l.chars().take(40).collect::<String>()))),
        None => Err(bad("no `latest` tag".into())),
    }
}

/// The registry's `latest`: from the cache in `data_dir` when it is under 24 h old and from
/// the same registry, else asked (and cached).
pub async fn latest(registry: &Registry, data_dir: &Path) -> Result<String, ReleaseError> {
    latest_with(registry, data_dir, SystemTime::now(), TIMEOUT).await
}

async fn latest_with(registry: &Registry, data_dir: &Path, now: SystemTime, timeout: Duration) -> Result<String, ReleaseError> {
    let file = cache_file(data_dir);
    if let Some(l) = read_cache(&file, registry, now) {
        return Ok(l);
    }
    let l = fetch_latest(registry, timeout).await?;
    write_cache(&file, registry, &l, now);
    Ok(l)
}

/// Where the answer is cached.
pub fn cache_file(data_dir: &Path) -> PathBuf {
    data_dir.join(CACHE_FILE)
}

/// The pin against the registry's `latest` (semver order: a pre-release sorts before its
/// release; a pin newer than `latest`, such as a beta, is up to date).
pub fn compare(current: &str, latest: &str) -> ReleaseStatus {
    let unknown = |why: String| ReleaseStatus::Unknown { current: current.into(), why };
    let cur = match semver::Version::parse(current) {
        Ok(v) => v,
        Err(e) => return unknown(format!("the profile's openclaw_version `{current}` is not a semantic version ({e})")),
    };
    match semver::Version::parse(latest) {
        Ok(l) if l > cur => ReleaseStatus::Newer { current: current.into(), latest: latest.into() },
        Ok(_) => ReleaseStatus::UpToDate { current: current.into(), latest: latest.into() },
        Err(e) => unknown(format!("the registry's latest `{latest}` is not a semantic version ({e})")),
    }
}

/// Whether the profile asks for the check: opted in, and a gateway to check.
pub fn wanted(profile: &Profile) -> bool {
    profile.agent.check_openclaw_updates && profile.features.gateway
}

/// The check for `profile`: [`ReleaseStatus::Off`] without a single request unless it opted
/// in; else the pin against the registry's `latest` (cached a day in `data_dir`).
pub async fn check(profile: &Profile, data_dir: &Path) -> ReleaseStatus {
    if !wanted(profile) {
        return ReleaseStatus::Off;
    }
    check_pin(&profile.agent.openclaw_version, Registry::from_env(), data_dir, SystemTime::now(), TIMEOUT).await
}

async fn check_pin(current: &str, registry: Result<Registry, ReleaseError>, data_dir: &Path, now: SystemTime, timeout: Duration) -> ReleaseStatus {
    let latest = match registry {
        Ok(r) => latest_with(&r, data_dir, now, timeout).await,
        Err(e) => Err(e),
    };
    match latest {
        Ok(l) => compare(current, &l),
        Err(e) => ReleaseStatus::Unknown { current: current.into(), why: e.to_string() },
    }
}

/// The release's page on npmjs.com.
pub fn release_url(version: &str) -> String {
    format!("https://www.npmjs.com/package/{PACKAGE}/v/{version}")
}

/// What the user does about a newer release (there is no upgrade command: the profile pins
/// the version, `sandbox up` installs the pin).
pub fn upgrade_hint(latest: &str, profile_file: Option<&Path>) -> String {
    let file = profile_file.map(|p| format!(" in {}", p.display())).unwrap_or_default();
    format!("set openclaw_version = \"{latest}\" under [agent]{file}, then run `sandbox up`, which installs it; release notes: {}", release_url(latest))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A local registry: answers every connection with `response` after `delay`, counting them.
    struct Server {
        registry: Registry,
        hits: Arc<AtomicUsize>,
        paths: Arc<std::sync::Mutex<Vec<String>>>,
    }

    async fn serve(response: &'static str, delay: Duration) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let hits = Arc::new(AtomicUsize::new(0));
        let paths = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (h, p) = (hits.clone(), paths.clone());
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                h.fetch_add(1, Ordering::SeqCst);
                let p = p.clone();
                tokio::spawn(async move {
                    let mut req = vec![0u8; 4096];
                    let n = s.read(&mut req).await.unwrap_or(0);
                    let line = String::from_utf8_lossy(&req[..n]).lines().next().unwrap_or("").to_string();
                    p.lock().unwrap().push(line);
                    tokio::time::sleep(delay).await;
                    let _ = s.write_all(response.as_bytes()).await;
                    let _ = s.shutdown().await;
                });
            }
        });
        Server { registry: Registry::parse(&format!("http://127.0.0.1:{port}")).unwrap(), hits, paths }
    }

    const TAGS: &str = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n{\"latest\":\"2026.10.1\",\"beta\":\"2026.11.0-beta.1\",\"_etag\":\"W/x\"}";
    const NOW: Duration = Duration::from_secs(1_800_000_000);

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + NOW + Duration::from_secs(secs)
    }

    async fn run(s: &Server, dir: &Path, now: SystemTime) -> ReleaseStatus {
        check_pin("2026.9.6", Ok(s.registry.clone()), dir, now, Duration::from_secs(2)).await
    }

    #[tokio::test]
    async fn a_newer_release_is_found_and_the_answer_reused_for_a_day() {
        let s = serve(TAGS, Duration::ZERO).await;
        let dir = tempfile::tempdir().unwrap();
        let newer = ReleaseStatus::Newer { current: "2026.9.6".into(), latest: "2026.10.1".into() };
        assert_eq!(run(&s, dir.path(), at(0)).await, newer);
        assert_eq!(s.paths.lock().unwrap()[0], "GET /-/package/openclaw/dist-tags HTTP/1.1");
        // within 24 h: from the cache, no request
        assert_eq!(run(&s, dir.path(), at(23 * 3600)).await, newer);
        assert_eq!(s.hits.load(Ordering::SeqCst), 1);
        // a pin at the latest release is up to date (the comparison is not cached)
        let same = check_pin("2026.10.1", Ok(s.registry.clone()), dir.path(), at(60), TIMEOUT).await;
        assert_eq!(same, ReleaseStatus::UpToDate { current: "2026.10.1".into(), latest: "2026.10.1".into() });
        assert_eq!(s.hits.load(Ordering::SeqCst), 1);
        // a day later, or another registry, or a clock set back: asked again
        assert_eq!(run(&s, dir.path(), at(24 * 3600)).await, newer);
        assert_eq!(s.hits.load(Ordering::SeqCst), 2);
        assert_eq!(run(&s, dir.path(), at(0)).await, newer);
        assert_eq!(s.hits.load(Ordering::SeqCst), 3);
        let other = serve(TAGS, Duration::ZERO).await;
        assert_eq!(run(&other, dir.path(), at(24 * 3600 + 1)).await, newer);
        assert_eq!((s.hits.load(Ordering::SeqCst), other.hits.load(Ordering::SeqCst)), (3, 1));
    }

    #[tokio::test]
    async fn bad_answers_are_unknown_with_the_reason_and_not_cached() {
        let dir = tempfile::tempdir().unwrap();
        for (response, expect) in [
            ("HTTP/1.1 404 Not Found\r\nconnection: close\r\n\r\n{\"error\":\"Not found\"}", "answered 404 Not Found"),
            ("HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n<html>proxy login</html>", "not JSON"),
            ("HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n{\"next\":\"1.0.0\"}", "no `latest` tag"),
            ("HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n{\"latest\":\"soon\"}", "`latest` is `soon`, not a version"),
            ("HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n[1,2", "not JSON"),
        ] {
            let s = serve(response, Duration::ZERO).await;
            match run(&s, dir.path(), at(0)).await {
                ReleaseStatus::Unknown { current, why } => {
                    assert_eq!(current, "2026.9.6");
                    assert!(why.contains(expect) && why.contains(s.registry.as_str()), "{why}");
                }
                other => panic!("{response}: {other:?}"),
            }
            assert!(!cache_file(dir.path()).exists(), "a failure is not cached");
        }
    }

    #[tokio::test]
    async fn a_slow_or_absent_registry_is_unknown_within_the_timeout() {
        let dir = tempfile::tempdir().unwrap();
        let s = serve(TAGS, Duration::from_secs(30)).await;
        let started = std::time::Instant::now();
        let r = check_pin("2026.9.6", Ok(s.registry.clone()), dir.path(), at(0), Duration::from_millis(300)).await;
        assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
        assert!(matches!(&r, ReleaseStatus::Unknown { why, .. } if why.contains("timed out after 0.3 s")), "{r:?}");
        // nothing listens
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let r = check_pin("2026.9.6", Ok(Registry::parse(&format!("http://127.0.0.1:{port}/")).unwrap()), dir.path(), at(0), TIMEOUT).await;
        assert!(matches!(&r, ReleaseStatus::Unknown { why, .. } if why.contains("cannot reach") && why.to_lowercase().contains("refused")), "{r:?}");
        assert!(TIMEOUT <= Duration::from_secs(5));
    }

    #[tokio::test]
    async fn opted_out_asks_nothing() {
        let s = serve(TAGS, Duration::ZERO).await;
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("proj")).unwrap();
        let path = dir.path().join("profile.toml");
        let load = |text: &str| {
            std::fs::write(&path, text).unwrap();
            Profile::load(&path).unwrap()
        };
        let off = load("[mounts]\nproject = \"proj\"\n");
        let no_gateway = load("[mounts]\nproject = \"proj\"\n[features]\ngateway = false\n[agent]\ncheck_openclaw_updates = true\n");
        for p in [off, no_gateway] {
            assert!(!wanted(&p));
            assert_eq!(check(&p, dir.path()).await, ReleaseStatus::Off);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(s.hits.load(Ordering::SeqCst), 0);
        assert!(!cache_file(dir.path()).exists());
        assert!(wanted(&load("[mounts]\nproject = \"proj\"\n[agent]\ncheck_openclaw_updates = true\n")));
    }

    #[test]
    fn versions_compare_as_semver() {
        let c = |a, b| compare(a, b);
        assert!(matches!(c("2026.9.6", "2026.10.0"), ReleaseStatus::Newer { .. }), "10 > 9, not as text");
        assert!(matches!(c("2026.9.6", "2026.9.6"), ReleaseStatus::UpToDate { .. }));
        assert!(matches!(c("2026.11.0-beta.1", "2026.10.0"), ReleaseStatus::UpToDate { .. }));
        assert!(matches!(c("2026.10.0-beta.1", "2026.10.0"), ReleaseStatus::Newer { .. }));
        assert!(matches!(c("1.2.3-a..b", "2.0.0"), ReleaseStatus::Unknown { why, .. } if why.contains("openclaw_version")));
    }

    #[test]
    fn the_registry_is_npms_own_setting() {
        let env = |pairs: &'static [(&'static str, &'static str)]| move |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string());
        let no_file = |_: &Path| None;
        let npmrc = |pairs: &'static [(&'static str, &'static str)]| {
            let e = env(pairs);
            move |vars: &'static [(&'static str, &'static str)]| Registry::from_sources(env(vars), |p: &Path| e(p.to_str().unwrap()))
        };
        assert_eq!(Registry::from_sources(env(&[]), no_file).unwrap().as_str(), DEFAULT_REGISTRY);
        assert_eq!(
            Registry::from_sources(env(&[("NPM_CONFIG_REGISTRY", "https://npm.corp.example/api/npm")]), no_file).unwrap().as_str(),
            "https://npm.corp.example/api/npm/"
        );
        let both = env(&[("npm_config_registry", "http://mirror:4873/"), ("NPM_CONFIG_REGISTRY", "https://other/")]);
        assert_eq!(Registry::from_sources(both, no_file).unwrap().dist_tags_url(), "http://mirror:4873/-/package/openclaw/dist-tags");
        assert_eq!(Registry::from_sources(env(&[("npm_config_registry", " ")]), no_file).unwrap().as_str(), DEFAULT_REGISTRY);
        let e = Registry::from_sources(env(&[("npm_config_registry", "registry.npmjs.org")]), no_file).unwrap_err().to_string();
        assert!(e.contains("npm_config_registry is `registry.npmjs.org`, not an http(s) URL"), "{e}");
        // the user's npmrc: $HOME/.npmrc, the last `registry` wins, comments and quotes as ini has them
        let user = npmrc(&[("/home/u/.npmrc", "; mirror\n# registry=https://commented.example/\nregistry = https://first.example/\n@corp:registry=https://scoped.example/\nregistry=\"https://npm.corp.example/${NPM_PATH}/\"\n")]);
        assert_eq!(user(&[("HOME", "/home/u"), ("NPM_PATH", "api/npm")]).unwrap().as_str(), "https://npm.corp.example/api/npm/");
        // the environment beats the file; npm_config_userconfig names another file
        assert_eq!(user(&[("HOME", "/home/u"), ("npm_config_registry", "https://env.example")]).unwrap().as_str(), "https://env.example/");
        assert_eq!(user(&[("HOME", "/home/u")]).unwrap().as_str(), "https://npm.corp.example/${NPM_PATH}/", "unset: left as written");
        let other = npmrc(&[("/etc/team.npmrc", "registry=http://verdaccio:4873")]);
        assert_eq!(other(&[("HOME", "/home/u"), ("npm_config_userconfig", "/etc/team.npmrc")]).unwrap().as_str(), "http://verdaccio:4873/");
        assert_eq!(npmrc(&[("/home/u/.npmrc", "always-auth=true\n")])(&[("HOME", "/home/u")]).unwrap().as_str(), DEFAULT_REGISTRY);
        let e = npmrc(&[("/home/u/.npmrc", "registry=npm.corp.example\n")])(&[("HOME", "/home/u")]).unwrap_err().to_string();
        assert!(e.contains("`registry` in /home/u/.npmrc is `npm.corp.example`, not an http(s) URL"), "{e}");
        assert!(Registry::parse("https:///x").is_none() && Registry::parse("ftp://x").is_none());
    }

    #[test]
    fn the_hint_names_the_setting_and_the_command() {
        let h = upgrade_hint("2026.10.1", Some(Path::new("/p/profile.toml")));
        assert!(h.starts_with("set openclaw_version = \"2026.10.1\" under [agent] in /p/profile.toml, then run `sandbox up`"), "{h}");
        assert!(h.ends_with("https://www.npmjs.com/package/openclaw/v/2026.10.1"), "{h}");
    }
}
