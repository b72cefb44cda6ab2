//! Scanner bench driver (run by `scripts/bench scan`).
//!
//! scan_bench gen DIR [--per-kind N] [--bulk-mb M] [--seed S]   write a labelled corpus
//! scan_bench run DIR [--runs R] [--threads T] [--verbose]       scan it, print figures
//!
//! `run` scores file-level recall/precision when DIR has labels.tsv (overall, tune split,
//! holdout split) and reports MB/s and files/s as the median of R runs.

use sandbox_core::scan::corpus::{self, score};
use sandbox_core::scan::{scan_paths, Scanner, WalkOptions};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

fn arg<T: std::str::FromStr>(args: &[String], name: &str, default: T) -> T {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
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
    let scanner = Scanner::builtin();
    let opts = WalkOptions { threads, ..WalkOptions::default() };
    let mut mbps = Vec::new();
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
        if let (Some(a), Some(b)) = (cpu0, cpu_seconds()) {
            if b > a {
                per_cpu.push(mb / (b - a));
            }
        }
        fps.push(out.files_scanned as f64 / secs);
        last = Some(out);
    }
    let out = last.expect("at least one run");
    println!("files scanned:   {}", out.files_scanned);
    println!("bytes scanned:   {:.1} MB", out.bytes_scanned as f64 / 1e6);
    println!("findings:        {}", out.findings.len());
    println!("throughput:      {:.0} MB/s, {:.0} files/s (wall clock, median of {runs} runs)", median(mbps), median(fps));
    if !per_cpu.is_empty() {
        println!("cpu efficiency:  {:.0} MB per CPU-second (median; x cores = throughput on an idle machine)", median(per_cpu));
    }
    if let Ok(labels) = corpus::read_labels(dir) {
        let prefix = format!("{}/", dir.display());
        let flagged: HashSet<String> = out
            .findings
            .iter()
            .map(|f| f.path.strip_prefix(&prefix).unwrap_or(&f.path).to_string())
            .collect();
        let s = score::score(&labels, &flagged);
        let line = |name: &str, sc: &corpus::Score| {
            println!(
                "{name:<9} recall {:.3}  precision {:.3}  (tp {} fp {} fn {} tn {})",
                sc.recall(), sc.precision(), sc.tp, sc.fp, sc.fn_, sc.tn
            )
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
                let rules: Vec<&str> = out
                    .findings
                    .iter()
                    .filter(|f| m.starts_with(f.path.strip_prefix(&prefix).unwrap_or(&f.path)))
                    .map(|f| f.rule_id.as_str())
                    .collect();
                println!("  FALSE ALARM {m} {rules:?}");
            }
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(cmd), Some(dir)) = (args.first(), args.get(1)) else {
        eprintln!("usage: scan_bench gen|run DIR [options]");
        return ExitCode::from(2);
    };
    let dir = PathBuf::from(dir);
    let res = match cmd.as_str() {
        "gen" => gen(&dir, &args[2..]),
        "run" => run(&dir, &args[2..]),
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
