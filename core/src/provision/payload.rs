//! The provisioning payload: a shell preamble followed by a tar, one stream over stdin.
//!
//! `sudo bash -s` reads the preamble (bash reads a pipe byte by byte, so it never consumes
//! more than the preamble), and the preamble's `tar -x` reads the rest: apply.sh, the
//! manifest, the unit list, the env file and `files/<guest path>`. No temporary file on the
//! host, nothing in argv.

use super::{ProvisionError, Rendered};

const APPLY_SCRIPT: &str = include_str!("../../../provisioning/apply.sh");
const LIB_SCRIPT: &str = include_str!("../../../provisioning/lib/apply-files.sh");

/// The preamble: unpack the tar that follows into a private dir under /run, run apply.sh.
pub fn bootstrap() -> &'static str {
    "# OpenClaw Sandbox provisioning payload: this preamble, then a tar that `tar -x` reads.\n\
     main() {\n\
     \x20 set -euo pipefail\n\
     \x20 OPENCLAW_PAYLOAD_DIR=$(mktemp -d /run/openclaw-provision.XXXXXX)\n\
     \x20 trap 'rm -rf \"$OPENCLAW_PAYLOAD_DIR\"' EXIT\n\
     \x20 local d=$OPENCLAW_PAYLOAD_DIR\n\
     \x20 tar -x --no-same-owner -C \"$d\" -f -\n\
     \x20 bash \"$d/apply.sh\" \"$d\"\n\
     }\n\
     main; exit $?\n"
}

/// The payload for one rendered provisioning.
pub struct Payload<'a> {
    rendered: &'a Rendered,
    script: &'static str,
}

impl<'a> Payload<'a> {
    /// The sandbox's base provisioning (provisioning/apply.sh).
    pub fn new(rendered: &'a Rendered) -> Self {
        Payload { rendered, script: APPLY_SCRIPT }
    }

    /// Another apply script over the same machinery (e.g. the agent runtime's).
    pub fn with_script(rendered: &'a Rendered, script: &'static str) -> Self {
        Payload { rendered, script }
    }

    /// `MODE OWNER PATH UNITS…` per file.
    pub fn manifest(&self) -> String {
        self.rendered
            .files
            .iter()
            .map(|f| {
                let mut line = format!("{:04o} {} {}", f.mode, f.owner, f.path);
                for u in &f.restarts {
                    line.push(' ');
                    line.push_str(u);
                }
                line + "\n"
            })
            .collect()
    }

    /// The tar entries: (name, contents, mode).
    pub fn entries(&self) -> Vec<(String, Vec<u8>, u32)> {
        let mut out = vec![
            ("apply.sh".to_string(), self.script.as_bytes().to_vec(), 0o755),
            ("lib.sh".to_string(), LIB_SCRIPT.as_bytes().to_vec(), 0o644),
            ("manifest".to_string(), self.manifest().into_bytes(), 0o644),
            ("units".to_string(), self.rendered.units.iter().map(|u| format!("{u}\n")).collect::<String>().into_bytes(), 0o644),
            ("env".to_string(), self.rendered.env.clone().into_bytes(), 0o644),
        ];
        for f in &self.rendered.files {
            out.push((format!("files{}", f.path), f.contents.clone(), 0o600));
        }
        out
    }

    /// Preamble + tar.
    pub fn to_stream(&self) -> Result<Vec<u8>, ProvisionError> {
        let mut out = bootstrap().as_bytes().to_vec();
        for (name, contents, mode) in self.entries() {
            out.extend(ustar_header(&name, contents.len() as u64, mode)?);
            out.extend(&contents);
            out.resize(out.len() + (512 - contents.len() % 512) % 512, 0);
        }
        out.resize(out.len() + 1024, 0);
        Ok(out)
    }
}

fn octal(field: &mut [u8], value: u64) {
    let digits = field.len() - 1;
    let s = format!("{value:0digits$o}");
    field[..digits].copy_from_slice(s.as_bytes());
    field[digits] = 0;
}

/// A POSIX ustar header for a regular file owned by root, mtime 0 (the payload is
/// reproducible).
pub(crate) fn ustar_header(name: &str, size: u64, mode: u32) -> Result<[u8; 512], ProvisionError> {
    if name.is_empty() || name.len() > 100 || name.bytes().any(|b| b == 0) {
        return Err(ProvisionError::Render { detail: format!("the guest path in `{name}` is too long for the payload (100 bytes at most)") });
    }
    if size >= 1 << 33 {
        return Err(ProvisionError::Render { detail: format!("`{name}` is too large for the payload") });
    }
    let mut h = [0u8; 512];
    h[..name.len()].copy_from_slice(name.as_bytes());
    octal(&mut h[100..108], u64::from(mode));
    octal(&mut h[108..116], 0);
    octal(&mut h[116..124], 0);
    octal(&mut h[124..136], size);
    octal(&mut h[136..148], 0);
    h[156] = b'0';
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[265..269].copy_from_slice(b"root");
    h[297..301].copy_from_slice(b"root");
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    let s = format!("{sum:06o}\0 ");
    h[148..156].copy_from_slice(s.as_bytes());
    Ok(h)
}
