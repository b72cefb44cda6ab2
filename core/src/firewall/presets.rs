//! Named domain sets a profile can switch on with `network.presets = ["llm", "github"]`.

/// One preset: a name, what it is for, and the domain patterns it allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preset {
    pub name: &'static str,
    pub about: &'static str,
    pub domains: &'static [&'static str],
}

/// Package sources the VM's provisioning (root) installs from: the npm registry (Node.js,
/// npm, OpenClaw) and the distribution mirrors of Lima's Ubuntu image and the test bed's Debian.
pub const PROVISIONING_DOMAINS: &[&str] =
    &["registry.npmjs.org", "deb.debian.org", "security.debian.org", "archive.ubuntu.com", "security.ubuntu.com", "ports.ubuntu.com"];

/// Every preset, in the order `sandbox firewall presets` lists them.
pub const PRESETS: &[Preset] = &[
    Preset {
        name: "llm",
        about: "LLM APIs: Anthropic, OpenAI, Google Gemini, Mistral, OpenRouter, Groq",
        domains: &["api.anthropic.com", "api.openai.com", "generativelanguage.googleapis.com", "api.mistral.ai", "openrouter.ai", "api.groq.com"],
    },
    Preset {
        name: "github",
        about: "GitHub: web, API, git over HTTPS, raw files, release downloads, ghcr.io",
        domains: &["github.com", "api.github.com", "codeload.github.com", "*.githubusercontent.com", "ghcr.io"],
    },
    Preset { name: "npm", about: "the npm registry", domains: &["registry.npmjs.org", "registry.yarnpkg.com"] },
    Preset { name: "pypi", about: "the Python Package Index", domains: &["pypi.org", "files.pythonhosted.org"] },
    Preset { name: "telegram", about: "the Telegram Bot API", domains: &["api.telegram.org"] },
    Preset {
        name: "debian",
        about: "Debian package mirrors (plain-http sources also need port 80 in allowed_ports)",
        domains: &["deb.debian.org", "security.debian.org"],
    },
    Preset {
        name: "ubuntu",
        about: "Ubuntu package mirrors (plain-http sources also need port 80 in allowed_ports)",
        domains: &["archive.ubuntu.com", "*.archive.ubuntu.com", "security.ubuntu.com", "ports.ubuntu.com"],
    },
];

/// The preset called `name`.
pub fn find(name: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.name == name)
}

/// "llm, github, …" for error messages.
pub fn known_names() -> String {
    PRESETS.iter().map(|p| p.name).collect::<Vec<_>>().join(", ")
}

/// Time servers the resolver answers (resolution only: they never enter the allow sets;
/// NTP itself is allowed only for the time daemon's user).
pub const NTP_DOMAINS: &[&str] = &["*.pool.ntp.org", "ntp.ubuntu.com", "time.cloudflare.com"];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firewall::pattern::DomainPattern;

    #[test]
    fn every_preset_domain_is_a_valid_pattern() {
        for p in PRESETS {
            for d in p.domains {
                DomainPattern::parse(d).unwrap_or_else(|e| panic!("preset {}: {e}", p.name));
            }
        }
        for d in NTP_DOMAINS {
            DomainPattern::parse(d).unwrap();
        }
    }

    #[test]
    fn lookup_by_name() {
        assert_eq!(find("github").unwrap().name, "github");
        assert!(find("nope").is_none());
        assert!(known_names().contains("llm, github"));
    }
}
