//! Generates the sync benchmark input: `OUT/project` (the host project) and `OUT/upper.tar`
//! (an overlay upper dir as GNU tar would stream it) with FILES files totalling about MB
//! megabytes: 80% new files, 20% modifications of host files, plus whiteouts of 500 host files.
//!
//! cargo run --release -p sandbox-core --example sync_bench_gen -- OUT [FILES] [MB]
//!
//! `OUT deep DEPTH` instead writes an empty project and a stream holding one DEPTH-deep path
//! (every folder on the way, then a file at the bottom).

use std::io::Write;
use std::path::Path;

struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

const WORDS: &[&str] = &[
    "let", "fn", "struct", "impl", "return", "match", "value", "config", "request", "handler", "buffer", "index", "result", "error", "option", "stream",
    "parse", "render", "state", "event", "queue", "apply", "check", "path",
];

/// Source-like text of about `size` bytes.
fn text(rng: &mut Lcg, size: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(size + 80);
    while out.len() < size {
        let indent = (rng.next() % 3) as usize * 4;
        out.extend(std::iter::repeat_n(b' ', indent));
        for i in 0..(4 + rng.next() % 8) {
            if i > 0 {
                out.push(b' ');
            }
            out.extend_from_slice(WORDS[(rng.next() as usize) % WORDS.len()].as_bytes());
        }
        out.extend_from_slice(format!(" = {};\n", rng.next() % 100_000).as_bytes());
    }
    out.truncate(size);
    out.push(b'\n');
    out
}

/// A stream with one `depth`-deep path, as GNU tar writes it (PAX names past 100 bytes).
fn deep(out: &Path, depth: usize) -> std::io::Result<()> {
    std::fs::create_dir_all(out.join("project"))?;
    let mut tar = tar::Builder::new(std::io::BufWriter::new(std::fs::File::create(out.join("upper.tar"))?));
    let mut path = String::from(".");
    let header = |kind: tar::EntryType, size: usize| {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(kind);
        h.set_mode(if kind == tar::EntryType::Directory { 0o755 } else { 0o644 });
        h.set_size(size as u64);
        h.set_mtime(1_700_000_000);
        h
    };
    tar.append_data(&mut header(tar::EntryType::Directory, 0), "./", std::io::empty())?;
    for _ in 0..depth {
        path.push_str("/d");
        tar.append_data(&mut header(tar::EntryType::Directory, 0), format!("{path}/"), std::io::empty())?;
    }
    let leaf = b"at the bottom\n";
    tar.append_data(&mut header(tar::EntryType::Regular, leaf.len()), format!("{path}/leaf.txt"), &leaf[..])?;
    tar.into_inner()?.flush()?;
    eprintln!("generated one {depth}-deep path");
    Ok(())
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let out = Path::new(args.get(1).expect("usage: sync_bench_gen OUT [FILES] [MB] | OUT deep DEPTH"));
    if args.get(2).map(String::as_str) == Some("deep") {
        return deep(out, args.get(3).and_then(|s| s.parse().ok()).unwrap_or(4096));
    }
    let files: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let mb: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(200);
    let avg = mb * 1024 * 1024 / files;
    let project = out.join("project");
    std::fs::create_dir_all(&project)?;
    let mut rng = Lcg(42);
    let modified = files / 5;
    let deleted = 500.min(files / 10);
    let dirs = 100;
    let dir_of = |i: usize| format!("pkg{:03}", i % dirs);

    // Host project: the files that will be modified or deleted, plus some untouched ones.
    for i in 0..(modified + deleted + 1000) {
        let d = project.join(dir_of(i));
        std::fs::create_dir_all(&d)?;
        std::fs::write(d.join(format!("host{i:05}.rs")), text(&mut rng, avg))?;
    }

    let mut tar = tar::Builder::new(std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(out.join("upper.tar"))?));
    let dir_header = |tar: &mut tar::Builder<_>, name: &str| -> std::io::Result<()> {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Directory);
        h.set_mode(0o755);
        h.set_size(0);
        h.set_mtime(1_700_000_000);
        tar.append_data(&mut h, name, std::io::empty())
    };
    dir_header(&mut tar, "./")?;
    for d in 0..dirs {
        dir_header(&mut tar, &format!("./{}/", dir_of(d)))?;
    }
    let mut total = 0usize;
    for i in 0..files {
        let (name, size) = if i < modified {
            (format!("./{}/host{i:05}.rs", dir_of(i)), avg)
        } else {
            (format!("./{}/new{i:05}.rs", dir_of(i)), avg / 2 + (rng.next() as usize % avg.max(1)))
        };
        let data = text(&mut rng, size);
        total += data.len();
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Regular);
        h.set_mode(0o644);
        h.set_size(data.len() as u64);
        h.set_mtime(1_700_000_000);
        tar.append_data(&mut h, &name, &data[..])?;
    }
    for i in modified..modified + deleted {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Char);
        h.set_mode(0o644);
        h.set_size(0);
        h.set_device_major(0)?;
        h.set_device_minor(0)?;
        tar.append_data(&mut h, format!("./{}/host{i:05}.rs", dir_of(i)), std::io::empty())?;
    }
    tar.into_inner()?.flush()?;
    eprintln!("generated {files} files ({} MB of content), {modified} modified, {deleted} deleted", total / (1024 * 1024));
    Ok(())
}
