//! HTTP from the host: the gateway's health check never goes through a proxy, and the opt-in
//! OpenClaw release check in `sandbox doctor` asks the registry npm itself would ask
//! (`npm_config_registry`), at most once a day, and only when the profile opted in.

mod support;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use support::Env;

const PROXY_VARS: [&str; 8] = ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"];

/// A server on 127.0.0.1 that answers every connection with `response`, counting them and
/// keeping each request's first line.
struct Server {
    port: u16,
    hits: Arc<AtomicUsize>,
    lines: Arc<Mutex<Vec<String>>>,
}

fn serve(response: &'static str) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let hits = Arc::new(AtomicUsize::new(0));
    let lines = Arc::new(Mutex::new(Vec::new()));
    let (h, l) = (hits.clone(), lines.clone());
    std::thread::spawn(move || {
        for s in listener.incoming() {
            let Ok(mut s) = s else { break };
            h.fetch_add(1, Ordering::SeqCst);
            let mut buf = [0u8; 4096];
            let n = s.read(&mut buf).unwrap_or(0);
            l.lock().unwrap().push(String::from_utf8_lossy(&buf[..n]).lines().next().unwrap_or("").to_string());
            let _ = s.write_all(response.as_bytes());
        }
    });
    Server { port, hits, lines }
}

fn edit_profile(env: &Env, from: &str, to: &str) {
    let p = env.profile_path();
    let text = std::fs::read_to_string(&p).unwrap();
    assert!(text.contains(from), "{text}");
    std::fs::write(&p, text.replacen(from, to, 1)).unwrap();
}

#[test]
fn the_gateway_health_check_never_goes_through_a_proxy() {
    let env = Env::new();
    assert_eq!(env.init(&[]).code, 0);
    let gateway = serve("HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-type: application/json\r\n\r\n{\"ok\":true,\"status\":\"live\"}");
    let proxy = serve("HTTP/1.1 502 Bad Gateway\r\nconnection: close\r\n\r\n{\"ok\":false,\"via\":\"proxy\"}");
    edit_profile(&env, "gateway_port = 18789", &format!("gateway_port = {}", gateway.port));
    assert_eq!(env.run(&["up"]).code, 0);
    let mut c = env.command(&["status", "--json"]);
    for var in PROXY_VARS {
        c.env_remove(var);
    }
    for var in ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"] {
        c.env(var, format!("http://127.0.0.1:{}", proxy.port));
    }
    let r = env.run_cmd(c);
    assert_eq!(r.code, 0, "{}", r.all());
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["gateway"]["healthy"], true, "{}", r.stdout);
    assert_eq!(v["gateway"]["detail"], "{\"ok\":true,\"status\":\"live\"}");
    assert_eq!(proxy.hits.load(Ordering::SeqCst), 0, "the proxy saw {:?}", proxy.lines.lock().unwrap());
    assert_eq!(gateway.lines.lock().unwrap().as_slice(), ["GET /health HTTP/1.1"]);
}

#[test]
fn doctor_tells_of_a_newer_openclaw_only_when_asked_and_once_a_day() {
    let env = Env::new();
    assert_eq!(env.init(&[]).code, 0);
    let registry = serve("HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-type: application/json\r\n\r\n{\"latest\":\"2099.1.0\",\"next\":\"2099.2.0-rc.1\"}");
    let doctor = |args: &[&str]| {
        let mut c = env.command(args);
        for var in PROXY_VARS {
            c.env_remove(var);
        }
        c.env_remove("NPM_CONFIG_REGISTRY").env("npm_config_registry", format!("http://127.0.0.1:{}/npm/", registry.port));
        env.run_cmd(c)
    };
    // off by default: one line saying how to opt in, and not a single request
    let r = doctor(&["doctor"]);
    assert!(
        r.stdout
            .contains("[ok  ] openclaw release: not checked (off); to be told of newer OpenClaw releases, set check_openclaw_updates = true under [agent] in "),
        "{}",
        r.stdout
    );
    assert_eq!(registry.hits.load(Ordering::SeqCst), 0);
    // opted in: the registry is asked once, the answer reused
    edit_profile(&env, "[agent]\n", "[agent]\ncheck_openclaw_updates = true\n");
    let r = doctor(&["doctor"]);
    let profile = env.profile_path();
    assert!(
        r.stdout.contains("[warn] openclaw release: OpenClaw 2099.1.0 is available (the profile pins 2026.9.6); nothing is installed until you change the pin"),
        "{}",
        r.stdout
    );
    let fix = format!("       fix: set openclaw_version = \"2099.1.0\" under [agent] in {}, then run `sandbox up`, which installs it", profile.display());
    assert!(r.stdout.contains(&fix), "{}", r.stdout);
    assert_eq!(registry.lines.lock().unwrap().as_slice(), ["GET /npm/-/package/openclaw/dist-tags HTTP/1.1"]);
    let j = doctor(&["doctor", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&j.stdout).unwrap();
    let line = v.as_array().unwrap().iter().find(|c| c["name"] == "openclaw release").expect("a line in --json");
    assert_eq!(line["health"], "warn");
    assert!(line["fix"].as_str().unwrap().contains("https://www.npmjs.com/package/openclaw/v/2099.1.0"), "{line}");
    assert_eq!(registry.hits.load(Ordering::SeqCst), 1, "the second doctor used the day's cached answer");
    // a newer release does not fail the doctor: the exit code is the other checks'
    assert_eq!(r.code, j.code);
}

#[test]
fn the_release_check_goes_through_the_users_proxy() {
    let env = Env::new();
    assert_eq!(env.init(&[]).code, 0);
    edit_profile(&env, "[agent]\n", "[agent]\ncheck_openclaw_updates = true\n");
    // the proxy answers for the registry (a name that resolves nowhere: only the proxy can reach it)
    let proxy = serve("HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-type: application/json\r\n\r\n{\"latest\":\"2026.9.6\"}");
    let mut c = env.command(&["doctor"]);
    for var in PROXY_VARS {
        c.env_remove(var);
    }
    c.env("npm_config_registry", "http://registry.mirror.invalid/").env("http_proxy", format!("http://127.0.0.1:{}", proxy.port));
    let r = env.run_cmd(c);
    assert!(r.stdout.contains("[ok  ] openclaw release: the profile pins OpenClaw 2026.9.6; the registry's latest is 2026.9.6"), "{}", r.stdout);
    assert_eq!(proxy.lines.lock().unwrap().as_slice(), ["GET http://registry.mirror.invalid/-/package/openclaw/dist-tags HTTP/1.1"]);
}
