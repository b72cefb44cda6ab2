//! Scanner bench driver (run by `scripts/bench scan`).
//!
//! scan_bench gen DIR [--per-kind N] [--bulk-mb M] [--seed S]   write a labelled corpus
//! scan_bench run DIR [--runs R] [--threads T] [--verbose] [--config GITLEAKS_TOML]
//!                    [--findings OUT.tsv] [--max-decode-depth D]  scan it, print figures
//! scan_bench extract-config GITLEAKS_BIN OUT.toml               gitleaks' embedded default config
//! scan_bench compare DIR OURS.tsv GITLEAKS.json                 findings side by side (file, line)
//! scan_bench profile DIR GITLEAKS_TOML [--top N]                 slowest rules of a config on DIR
//!
//! `run` scores file-level recall/precision when DIR has labels.tsv (overall, tune split,
//! holdout split) and reports MB/s and files/s as the median of R runs. With `--config` it
//! uses that gitleaks config (inline `gitleaks:allow` honoured, as gitleaks does by default).

use sandbox_core::scan::{scan_paths, InlineAllow, ScanLimits, Scanner, WalkOptions};
use scan_corpus::{self as corpus, score};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

fn arg<T: std::str::FromStr>(args: &[String], name: &str, default: T) -> T {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn gen(dir: &Path, args: &[String]) -> std::io::Result<()> {
    let seed: u64 = arg(args, "--seed", 20261127);
    let per_kind: usize = arg(args, "--per-kind", 40);
    let bulk_mb: usize = arg(args, "--bulk-mb", 200);
    let _ = std::fs::remove_file(dir.join("labels.tsv"));
    let files = corpus::generate(seed, per_kind);
    corpus::write(dir, &files)?;
    let mut written = 0usize;
    // Bulk in chunks so memory stays bounded.
    let chunk = 20 * 1024 * 1024;
    let mut part = 0u64;
    while written < bulk_mb * 1024 * 1024 {
        let want = chunk.min(bulk_mb * 1024 * 1024 - written);
        let mut files = corpus::bulk(seed.wrapping_add(part), want);
        for f in &mut files {
            f.path = format!("bulk{part:02}/{}", f.path.trim_start_matches("bulk/"));
        }
        written += files.iter().map(|f| f.content.len()).sum::<usize>();
        corpus::write(dir, &files)?;
        part += 1;
    }
    eprintln!("corpus written to {} ({} labelled files + {} MB bulk)", dir.display(), per_kind, written >> 20);
    Ok(())
}

/// This process's user+system CPU seconds (Linux `/proc/self/stat`, 100 ticks/s), so the
/// figure can be read apart from how busy the shared machine is.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = after.split_whitespace().collect();
    let utime: f64 = f.get(11)?.parse().ok()?;
    let stime: f64 = f.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    v[v.len() / 2]
}

fn run(dir: &Path, args: &[String]) -> std::io::Result<()> {
    if !dir.is_dir() {
        return Err(std::io::Error::new(std::io::ErrorKind::NotFound, format!("{} is not a directory", dir.display())));
    }
    let runs: usize = arg(args, "--runs", 3).max(1);
    let threads: usize = arg(args, "--threads", 0);
    let verbose = args.iter().any(|a| a == "--verbose");
    let config: Option<PathBuf> = args.iter().position(|a| a == "--config").and_then(|i| args.get(i + 1)).map(PathBuf::from);
    let findings_out: Option<PathBuf> = args.iter().position(|a| a == "--findings").and_then(|i| args.get(i + 1)).map(PathBuf::from);
    let scanner = match &config {
        Some(path) => Scanner::from_gitleaks_config(path)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()))?
            .with_inline_allow(InlineAllow::Honoured)
            .with_limits(ScanLimits { per_file: usize::MAX / 8, per_request: usize::MAX / 8 }),
        None => Scanner::builtin(),
    };
    let scanner = match args.iter().position(|a| a == "--max-decode-depth").and_then(|i| args.get(i + 1)) {
        Some(d) => {
            scanner.with_max_decode_depth(d.parse().map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidInput, "--max-decode-depth takes a number"))?)
        }
        None => scanner,
    };
    println!("rules:           {} ({})", scanner.rules().len(), config.as_ref().map_or("built-in".to_string(), |p| p.display().to_string()));
    let opts = WalkOptions { threads, ..WalkOptions::default() };
    let mut mbps = Vec::new();
    let mut walls = Vec::new();
    let mut fps = Vec::new();
    let mut per_cpu = Vec::new();
    let mut last = None;
    for i in 0..runs {
        let cpu0 = cpu_seconds();
        let t = Instant::now();
        let out = scan_paths(&scanner, &[dir.to_path_buf()], &opts);
        let secs = t.elapsed().as_secs_f64();
        let mb = out.bytes_scanned as f64 / 1e6;
        eprintln!("run {}: {} files, {:.1} MB in {:.2}s", i + 1, out.files_scanned, mb, secs);
        mbps.push(mb / secs);
        walls.push(secs);
        if let (Some(a), Some(b)) = (cpu0, cpu_seconds()) {
            if b > a {
                per_cpu.push(mb / (b - a));
            }
        }
        fps.push(out.files_scanned as f64 / secs);
        last = Some(out);
    }
    let out = last.expect("at least one run");
    if let Some(path) = &findings_out {
        let prefix = format!("{}/", dir.display());
        let mut text = String::new();
        for f in &out.findings {
            text.push_str(&format!("{}\t{}\t{}\n", f.path.strip_prefix(&prefix).unwrap_or(&f.path), f.start_line, f.rule_id));
        }
        std::fs::write(path, text)?;
    }
    println!("files scanned:   {}", out.files_scanned);
    println!("bytes scanned:   {:.1} MB", out.bytes_scanned as f64 / 1e6);
    println!("findings:        {}", out.findings.len());
    println!("throughput:      {:.0} MB/s, {:.0} files/s (wall clock, median of {runs} runs)", median(mbps), median(fps));
    println!("median wall:     {:.3} s", median(walls));
    if !per_cpu.is_empty() {
        println!("cpu efficiency:  {:.0} MB per CPU-second (median; x cores = throughput on an idle machine)", median(per_cpu));
    }
    if let Ok(labels) = corpus::read_labels(dir) {
        let prefix = format!("{}/", dir.display());
        let flagged: HashSet<String> = out.findings.iter().map(|f| f.path.strip_prefix(&prefix).unwrap_or(&f.path).to_string()).collect();
        let s = score::score(&labels, &flagged);
        let line = |name: &str, sc: &corpus::Score| {
            println!("{name:<9} recall {:.3}  precision {:.3}  (tp {} fp {} fn {} tn {})", sc.recall(), sc.precision(), sc.tp, sc.fp, sc.fn_, sc.tn)
        };
        line("all", &s.all);
        line("tune", &s.tune);
        line("holdout", &s.holdout);
        if verbose {
            for (k, sc) in &s.by_kind {
                println!("  {k:<28} tp {:>4} fp {:>4} fn {:>4} tn {:>5}", sc.tp, sc.fp, sc.fn_, sc.tn);
            }
            for m in &s.missed {
                println!("  MISSED {m}");
            }
            for m in &s.false_alarms {
                let rules: Vec<&str> =
                    out.findings.iter().filter(|f| m.starts_with(f.path.strip_prefix(&prefix).unwrap_or(&f.path))).map(|f| f.rule_id.as_str()).collect();
                println!("  FALSE ALARM {m} {rules:?}");
            }
        }
    }
    Ok(())
}

/// gitleaks embeds its default config (go:embed): from its first line to the NUL after it.
fn extract_config(bin: &Path, out: &Path) -> std::io::Result<()> {
    let data = std::fs::read(bin)?;
    let head = b"# This file has been auto-generated. Do not edit manually.";
    let bad = |m: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, format!("{}: {m}", bin.display()));
    let start = memchr_find(&data, head).ok_or_else(|| bad("no embedded gitleaks config found"))?;
    let len = data[start..].iter().position(|&b| b == 0).ok_or_else(|| bad("embedded config has no end"))?;
    let text = std::str::from_utf8(&data[start..start + len]).map_err(|_| bad("embedded config is not UTF-8"))?;
    std::fs::write(out, text)
}

fn memchr_find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Findings as (file, line, rule), ours from `run --findings`, gitleaks' from its JSON report.
fn compare(dir: &Path, ours: &Path, theirs: &Path) -> std::io::Result<()> {
    use std::collections::BTreeSet;
    let ours_text = std::fs::read_to_string(ours)?;
    let ours: BTreeSet<(String, usize, String)> = ours_text
        .lines()
        .filter_map(|l| {
            let mut p = l.splitn(3, '\t');
            Some((p.next()?.to_string(), p.next()?.parse().ok()?, p.next()?.to_string()))
        })
        .collect();
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(theirs)?).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()))?;
    let prefix = format!("{}/", dir.display());
    let theirs: BTreeSet<(String, usize, String)> = report
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| {
            let file = f["File"].as_str()?;
            let file = file.strip_prefix(&prefix).unwrap_or(file).to_string();
            Some((file, f["StartLine"].as_u64()? as usize, f["RuleID"].as_str()?.to_string()))
        })
        .collect();
    let both = ours.intersection(&theirs).count();
    let only_ours: Vec<_> = ours.difference(&theirs).collect();
    let only_theirs: Vec<_> = theirs.difference(&ours).collect();
    println!("parity (file, line, rule): {both} in both, {} only ours, {} only gitleaks", only_ours.len(), only_theirs.len());
    for (f, l, r) in only_ours.iter().take(15) {
        println!("  only ours:     {f}:{l} {r}");
    }
    for (f, l, r) in only_theirs.iter().take(15) {
        println!("  only gitleaks: {f}:{l} {r}");
    }
    Ok(())
}

/// Each rule alone over DIR's files (read once): where the time of a config goes.
fn profile(dir: &Path, args: &[String]) -> std::io::Result<()> {
    let config = args.first().map(PathBuf::from).ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "profile needs a config"))?;
    let top: usize = arg(args, "--top", 15);
    let cfg = sandbox_core::scan::gitleaks_config::load_file(&config).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()))?;
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d)? {
            let p = e?.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                files.push((p.display().to_string(), std::fs::read(&p)?));
            }
        }
    }
    let mut times: Vec<(f64, String)> = Vec::new();
    for rule in cfg.rules {
        let id = rule.id.clone();
        let s = Scanner::from_rules(vec![rule], Vec::new());
        let t = Instant::now();
        for (p, d) in &files {
            std::hint::black_box(s.scan_bytes(p, d));
        }
        times.push((t.elapsed().as_secs_f64(), id));
    }
    let total: f64 = times.iter().map(|t| t.0).sum();
    times.sort_by(|a, b| b.0.partial_cmp(&a.0).unwrap_or(std::cmp::Ordering::Equal));
    println!("{} rules, {:.2}s in all (one thread)", times.len(), total);
    for (secs, id) in times.iter().take(top) {
        println!("  {secs:>7.3}s  {:>5.1}%  {id}", 100.0 * secs / total);
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(cmd), Some(dir)) = (args.first(), args.get(1)) else {
        eprintln!("usage: scan_bench gen|run|extract-config|compare ... (see the file's header)");
        return ExitCode::from(2);
    };
    let dir = PathBuf::from(dir);
    let res = match cmd.as_str() {
        "gen" => gen(&dir, &args[2..]),
        "run" => run(&dir, &args[2..]),
        "extract-config" => match args.get(2) {
            Some(out) => extract_config(&dir, Path::new(out)),
            None => Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, "extract-config needs GITLEAKS_BIN OUT.toml")),
        },
        "profile" => profile(&dir, &args[2..]),
        "compare" => match (args.get(2), args.get(3)) {
            (Some(o), Some(t)) => compare(&dir, Path::new(o), Path::new(t)),
            _ => Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, "compare needs DIR OURS.tsv GITLEAKS.json")),
        },
        _ => {
            eprintln!("usage: scan_bench gen|run DIR [options]");
            return ExitCode::from(2);
        }
    };
    match res {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}
