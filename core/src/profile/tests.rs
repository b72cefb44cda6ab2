use super::*;
use std::fs;

struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        for d in ["proj", "vault", "cfg", "agents", "data"] {
            fs::create_dir(dir.path().join(d)).unwrap();
        }
        Fixture { dir }
    }
    fn parse(&self, text: &str) -> Result<Profile, ProfileError> {
        Profile::parse(text, &self.dir.path().join("profile.toml"), self.dir.path())
    }
    fn problems(&self, text: &str) -> Vec<Problem> {
        match self.parse(text) {
            Err(ProfileError::Invalid { problems, .. }) => problems,
            other => panic!("expected invalid, got {other:?}"),
        }
    }
}

const MIN: &str = "[mounts]\nproject = \"proj\"\n";

#[test]
fn minimal_profile_gets_safe_defaults() {
    let f = Fixture::new();
    let p = f.parse(MIN).unwrap();
    assert_eq!(p.name, "openclaw-sandbox");
    assert_eq!(p.mode, Mode::Secure);
    assert_eq!(p.project().host, f.dir.path().join("proj"));
    assert_eq!(p.project().guest, "/mnt/openclaw");
    assert!(!p.project().writable);
    assert_eq!(p.resources, Resources::default());
    assert_eq!(p.gateway_port, 18789);
    assert!(p.features.docker && p.features.gh && !p.features.vault);
}

#[test]
fn full_profile_parses() {
    let f = Fixture::new();
    let text = r#"
version = 1
name = "my-box"
mode = "yolo"
[mounts]
project = "proj"
vault = "vault"
config = "cfg"
agent_data = "agents"
[[mounts.extra]]
path = "data"
mount_point = "/mnt/datasets"
[resources]
cpus = 2
memory = "6GiB"
disk = "40G"
[network]
gateway_port = 18800
allowed_domains = ["api.anthropic.com"]
[secrets]
names = ["ANTHROPIC_API_KEY", "GH_TOKEN"]
[features]
telegram = true
docker = false
[provisioning.vars]
openclaw_version = "1.2.3"
retries = 3
"#;
    let p = f.parse(text).unwrap();
    assert_eq!(p.name, "my-box");
    assert_eq!(p.mode, Mode::Yolo);
    let roles: Vec<_> = p.mounts.iter().map(|m| (m.role, m.guest.as_str(), m.writable)).collect();
    assert_eq!(
        roles,
        vec![
            (MountRole::Project, "/mnt/openclaw", false),
            (MountRole::Vault, "/mnt/obsidian", false),
            (MountRole::Config, "/mnt/openclaw-config", false),
            (MountRole::AgentData, "/mnt/openclaw-agents", true),
            (MountRole::Extra, "/mnt/datasets", false),
        ]
    );
    assert_eq!(p.resources, Resources { cpus: 2, memory: ByteSize::gib(6), disk: ByteSize::gib(40) });
    assert_eq!(p.gateway_port, 18800);
    assert_eq!(p.network.allowed_domains, vec!["api.anthropic.com"]);
    assert!(p.network_policy.domains.iter().any(|d| d.to_string() == "api.anthropic.com"));
    assert_eq!(p.secrets, vec!["ANTHROPIC_API_KEY", "GH_TOKEN"]);
    assert!(p.features.telegram && !p.features.docker && p.features.vault);
    assert_eq!(p.vars["retries"], toml::Value::Integer(3));
}

#[test]
fn yolo_unsafe_makes_host_mounts_writable_but_not_extras() {
    let f = Fixture::new();
    let p = f.parse("mode = \"yolo-unsafe\"\n[mounts]\nproject = \"proj\"\n[[mounts.extra]]\npath = \"data\"\n").unwrap();
    assert!(p.project().writable);
    assert_eq!(p.mounts[1].guest, "/mnt/extra/data");
    assert!(!p.mounts[1].writable);
}

#[test]
fn tilde_expands_to_home() {
    let home = dirs::home_dir().unwrap();
    assert_eq!(expand_path("~/x/y", Path::new("/base")).unwrap(), home.join("x/y"));
    assert_eq!(expand_path("a/../b", Path::new("/base")).unwrap(), PathBuf::from("/base/b"));
    assert!(expand_path("~bob/x", Path::new("/")).is_err());
}

#[test]
fn missing_project_is_named() {
    let f = Fixture::new();
    let p = f.problems("name = \"x\"\n");
    assert_eq!(p[0].field, "mounts.project");
    assert!(p[0].message.contains("[mounts]"));
}

#[test]
fn missing_folder_names_field_line_and_fix() {
    let f = Fixture::new();
    let p = f.problems("[mounts]\nproject = \"proj\"\nvault = \"nope\"\n");
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].field, "mounts.vault");
    assert_eq!(p[0].line, Some(3));
    assert!(p[0].message.contains("does not exist"), "{}", p[0].message);
    assert!(p[0].message.contains("create the folder"));
}

#[test]
fn each_invalid_field_is_reported_with_its_line() {
    let f = Fixture::new();
    let cases: &[(&str, &str, usize)] = &[
        ("version = 2\n[mounts]\nproject = \"proj\"\n", "version", 1),
        ("name = \"bad name!\"\n[mounts]\nproject = \"proj\"\n", "name", 1),
        ("mode = \"fast\"\n[mounts]\nproject = \"proj\"\n", "mode", 1),
        ("[mounts]\nproject = \"proj\"\n[resources]\ncpus = 0\n", "resources.cpus", 4),
        ("[mounts]\nproject = \"proj\"\n[resources]\nmemory = \"1GiB\"\n", "resources.memory", 4),
        ("[mounts]\nproject = \"proj\"\n[resources]\ndisk = \"lots\"\n", "resources.disk", 4),
        ("[mounts]\nproject = \"proj\"\n[secrets]\nnames = [\"ok_not\"]\n", "secrets.names[0]", 4),
        ("[mounts]\nproject = \"proj\"\n[secrets]\nnames = [\"A\", \"A\"]\n", "secrets.names[1]", 4),
        ("[mounts]\nproject = \"proj\"\n[[mounts.extra]]\npath = \"data\"\nmount_point = \"/etc\"\n", "mounts.extra[0].mount_point", 5),
        ("[mounts]\nproject = \"proj\"\n[[mounts.extra]]\npath = \"data\"\nmount_point = \"rel\"\n", "mounts.extra[0].mount_point", 5),
        ("[mounts]\nproject = \"proj\"\n[[mounts.extra]]\npath = \"data\"\nmount_point = \"/mnt/openclaw\"\n", "mounts.extra[0]", 3),
        ("[mounts]\nproject = \"proj\"\n[provisioning]\nca_certs = [\"nope.pem\"]\n", "provisioning.ca_certs[0]", 4),
        ("[mounts]\nproject = \"proj\"\n[provisioning]\nca_certs = [\"system\", \"nope.pem\"]\n", "provisioning.ca_certs[1]", 4),
        ("[mounts]\nproject = \"proj\"\n[provisioning]\nca_certs = [\"system\", \"system\"]\n", "provisioning.ca_certs[1]", 4),
        ("[mounts]\nproject = \"proj\"\n[network]\ngateway_port = 0\n", "network.gateway_port", 4),
        ("[mounts]\nproject = \"proj\"\n[sync]\nmax_file_bytes = 10\ndeny = [\"[\"]\n", "sync.deny[0]", 5),
        ("[mounts]\nproject = \"proj\"\n[network]\npresets = [\"llm\"]\nallowed_domains = [\"ok.example.com\", \"*\"]\n", "network.allowed_domains[1]", 5),
    ];
    for (text, field, line) in cases {
        let p = f.problems(text);
        assert_eq!(p.len(), 1, "{text}: {p:?}");
        assert_eq!(p[0].field, *field, "{text}");
        assert_eq!(p[0].line, Some(*line), "{text}: {:?}", p[0]);
        assert!(!p[0].message.is_empty());
    }
}

#[test]
fn feature_vault_without_mount_is_an_error() {
    let f = Fixture::new();
    let p = f.problems("[mounts]\nproject = \"proj\"\n[features]\nvault = true\n");
    assert_eq!(p[0].field, "features.vault");
}

#[test]
fn whole_home_is_refused_as_project() {
    let f = Fixture::new();
    let p = f.problems("[mounts]\nproject = \"~\"\n");
    assert_eq!(p[0].field, "mounts.project");
    assert!(p[0].message.contains("SSH keys"));
}

#[test]
fn several_problems_are_reported_together() {
    let f = Fixture::new();
    let p = f.problems("mode = \"x\"\n[mounts]\nproject = \"nope\"\n[resources]\ncpus = 999\n");
    let fields: Vec<_> = p.iter().map(|p| p.field.as_str()).collect();
    assert_eq!(fields, vec!["mode", "mounts.project", "resources.cpus"]);
}

#[test]
fn syntax_and_type_errors_give_line_and_column() {
    let f = Fixture::new();
    match f.parse("[mounts]\nproject = \"proj\"\n[resources]\ncpus = \"four\"\n") {
        Err(ProfileError::Syntax { line, message, .. }) => {
            assert_eq!(line, 4);
            assert!(message.contains("integer"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    match f.parse("[mounts\nproject = 1\n") {
        Err(ProfileError::Syntax { line, .. }) => assert_eq!(line, 1),
        other => panic!("{other:?}"),
    }
}

#[test]
fn unknown_fields_are_refused_with_their_line() {
    let f = Fixture::new();
    match f.parse("[mounts]\nproject = \"proj\"\nprojcet = \"x\"\n") {
        Err(ProfileError::Syntax { line, message, .. }) => {
            assert_eq!(line, 3);
            assert!(message.contains("projcet"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn error_display_lists_problems_with_lines() {
    let f = Fixture::new();
    let e = f.parse("mode = \"fast\"\n[mounts]\nproject = \"proj\"\n").unwrap_err();
    let s = e.to_string();
    assert!(s.contains("line 1: `mode` is `fast`; use \"secure\""), "{s}");
}

#[test]
fn load_reports_a_missing_file_with_the_fix() {
    let e = Profile::load(Path::new("/nonexistent/profile.toml")).unwrap_err();
    assert!(e.to_string().contains("sandbox init"), "{e}");
}

#[test]
fn draft_round_trips_through_validation() {
    let f = Fixture::new();
    let mut d = Draft::new(f.dir.path().join("proj"));
    d.name = "box-1".into();
    d.mode = Mode::YoloUnsafe;
    d.vault = Some(f.dir.path().join("vault"));
    d.resources.cpus = 3;
    d.secrets = vec!["GH_TOKEN".into()];
    d.vars.insert("x".into(), toml::Value::String("a \"quoted\" value".into()));
    let path = f.dir.path().join("out/profile.toml");
    d.write(&path, false).unwrap();
    let p = Profile::load(&path).unwrap();
    assert_eq!(p.name, "box-1");
    assert_eq!(p.mode, Mode::YoloUnsafe);
    assert_eq!(p.resources.cpus, 3);
    assert_eq!(p.mount(MountRole::Vault).unwrap().host, f.dir.path().join("vault"));
    assert_eq!(p.vars["x"].as_str(), Some("a \"quoted\" value"));
    assert_eq!(p.secrets, vec!["GH_TOKEN"]);
    // refuses to overwrite, then replaces with force
    assert!(matches!(d.write(&path, false), Err(ProfileError::Exists { .. })));
    d.name = "box-2".into();
    d.write(&path, true).unwrap();
    assert_eq!(Profile::load(&path).unwrap().name, "box-2");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }
}

#[test]
fn imports_a_reference_product_profile() {
    let f = Fixture::new();
    let reference = format!(
        r#"
[meta]
bootstrap_dir = "~/openclaw-sandbox"
[mounts]
openclaw = "{p}/proj"
config = "{p}/cfg"
agent_data = "{p}/agents"
secrets = "{p}/secrets.env"
vault = "{p}/vault"
buildlog_data = ""
[mode]
yolo = true
yolo_unsafe = false
no_docker = true
memgraph = true
[resources]
cpus = 6
memory = "12GiB"
disk = "80GiB"
[extra_vars]
openclaw_version = "2026.1.0"
[dashboard]
enabled = true
"#,
        p = f.dir.path().display()
    );
    let src = f.dir.path().join("sandbox-profile.toml");
    fs::write(&src, reference).unwrap();
    let out = import_reference(&src, None).unwrap();
    let d = &out.draft;
    assert_eq!(d.project, f.dir.path().join("proj"));
    assert_eq!(d.vault.as_deref(), Some(f.dir.path().join("vault").as_path()));
    assert_eq!(d.mode, Mode::Yolo);
    assert!(!d.docker);
    assert_eq!(d.resources, Resources { cpus: 6, memory: ByteSize::gib(12), disk: ByteSize::gib(80) });
    assert_eq!(d.vars["openclaw_version"].as_str(), Some("2026.1.0"));
    let notes = out.notes.join("\n");
    assert!(notes.contains("secrets import"), "{notes}");
    assert!(notes.contains("memgraph"), "{notes}");
    assert!(notes.contains("[dashboard]"), "{notes}");
    // and the written result is a valid profile of ours
    let path = f.dir.path().join("ours.toml");
    d.write(&path, false).unwrap();
    let p = Profile::load(&path).unwrap();
    assert_eq!(p.mode, Mode::Yolo);
    assert!(p.features.vault);
}

#[test]
fn import_without_project_says_what_to_pass() {
    let f = Fixture::new();
    let src = f.dir.path().join("ref.toml");
    fs::write(&src, "[resources]\ncpus = 2\n").unwrap();
    let e = import_reference(&src, None).unwrap_err();
    assert!(e.to_string().contains("--project"), "{e}");
    let ok = import_reference(&src, Some(f.dir.path().join("proj"))).unwrap();
    assert_eq!(ok.draft.resources.cpus, 2);
    fs::write(&src, "[resources]\ncpus = \"two\"\n").unwrap();
    assert!(import_reference(&src, Some(f.dir.path().into())).unwrap_err().to_string().contains("resources.cpus"));
}

#[test]
fn agent_table_is_validated_with_lines() {
    let f = Fixture::new();
    let p = f.problems("[mounts]\nproject = \"proj\"\n\n[agent]\nnode_version = \"24.21.0\"\nopenclaw_version = \"latest\"\n");
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(p[0].field, "agent.openclaw_version");
    assert_eq!(p[0].line, Some(6));
    let ok = f.parse("[mounts]\nproject = \"proj\"\n[agent]\nopenclaw_version = \"2026.10.1\"\ntelegram_allow_from = [\"42\"]\n").unwrap();
    assert_eq!(ok.agent.openclaw_version, "2026.10.1");
    assert_eq!(ok.agent.node_version, crate::profile::agent::DEFAULT_NODE_VERSION);
    assert_eq!(ok.agent.telegram_allow_from, ["42"]);
    assert!(!ok.agent.check_openclaw_updates, "the release check is off unless asked for");
}

#[test]
fn the_release_check_is_a_boolean_under_agent() {
    let f = Fixture::new();
    let on = f.parse("[mounts]\nproject = \"proj\"\n[agent]\ncheck_openclaw_updates = true\n").unwrap();
    assert!(on.agent.check_openclaw_updates);
    let e = f.parse("[mounts]\nproject = \"proj\"\n[agent]\ncheck_openclaw_updates = \"yes\"\n").unwrap_err().to_string();
    assert!(e.contains("line 4") && e.contains("expected true or false"), "{e}");
}

#[test]
fn ca_certs_accept_system_next_to_files() {
    let f = Fixture::new();
    fs::write(f.dir.path().join("corp.pem"), "x").unwrap();
    let p = f.parse("[mounts]\nproject = \"proj\"\n[provisioning]\nca_certs = [\"system\", \"corp.pem\"]\n").unwrap();
    assert_eq!(p.ca_certs, vec![crate::profile::CaCert::System, crate::profile::CaCert::File(f.dir.path().join("corp.pem"))]);
    // shown as written in `sandbox config`-style JSON
    assert_eq!(serde_json::to_value(&p.ca_certs).unwrap()[0], "system");
}
