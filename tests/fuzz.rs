//! Fuzzing the parser and checker in-process: inputs made from runbooks/ and the rhai modules by
//! a deterministic mutation engine never panic, never hang, never overflow the stack, and every
//! problem is a diagnostic pointing at a real `file:line:col`.
//!
//! `RUNBOOK_FUZZ_CASES=N` or `RUNBOOK_FUZZ_SECONDS=S` runs longer, with truncations at every
//! token (every eighth line otherwise); `RUNBOOK_FUZZ_SEED` picks another sequence (`scripts/fuzz.sh`).

pub(crate) mod mutator;

use mutator::Rng;
use runbook::diagnostic::Diagnostic;
use runbook::session::static_check::check_file;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A hang detector, not a timing assertion: a case that has not answered by then never will.
const WATCHDOG: Duration = Duration::from_secs(30);
/// The main thread's stack on Linux, where `runbook check` parses and checks.
const STACK: usize = 8 << 20;
/// The test process's peak resident memory stays below this (it was 75 MiB over 22,210 inputs).
const MAX_PEAK_MIB: u64 = 1024;
/// Mutated inputs in a default test run.
const DEFAULT_CASES: u64 = 500;

/// A runbook that loads the mutated module, so module text reaches the rhai compiler (`use`
/// compiles it; the step calls none of its functions, which `check` would hold to exist).
const MODULE_HOST: &str = r#"runbook "fuzz" {
  use "lib.rhai" as m
  procedure p { step s { log("loaded"); } }
}"#;

#[derive(Clone, Copy)]
enum Kind {
    Runbook,
    Module,
}

struct Seed {
    kind: Kind,
    text: Vec<u8>,
}

/// The real runbooks and every rhai module beside them or in the stdlib.
fn corpus() -> Vec<Seed> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut seeds = Vec::new();
    for (dir, ext, kind) in [
        ("runbooks", "rb42", Kind::Runbook),
        ("runbooks/000", "rhai", Kind::Module),
        ("stdlib", "rhai", Kind::Module),
    ] {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(root.join(dir))
            .expect("read corpus dir")
            .map(|e| e.expect("dir entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == ext))
            .collect();
        paths.sort();
        for path in paths {
            let text = std::fs::read(&path).expect("read corpus file");
            seeds.push(Seed { kind, text });
        }
    }
    seeds
}

/// Checks inputs one at a time in a directory laid out like runbooks/.
struct Checker {
    dir: tempfile::TempDir,
    runtime: tokio::runtime::Runtime,
}

impl Checker {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        copy_tree(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks"),
            dir.path(),
        );
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        Self { dir, runtime }
    }

    /// Parses and checks one input on a thread with the binary's stack, under the watchdog.
    /// A stack overflow aborts the test process; the input is then left in this directory.
    fn check(&self, kind: Kind, input: &[u8]) -> Result<Vec<Diagnostic>, String> {
        let path = self.dir.path().join("case.rb42");
        match kind {
            Kind::Runbook => std::fs::write(&path, input),
            Kind::Module => std::fs::write(self.dir.path().join("lib.rhai"), input)
                .and_then(|()| std::fs::write(&path, MODULE_HOST)),
        }
        .expect("write case");
        let (send, receive) = mpsc::channel();
        let handle = self.runtime.handle().clone();
        std::thread::Builder::new()
            .stack_size(STACK)
            .spawn(move || {
                let diagnostics = check_file(&path, None, &handle);
                let rendered = diagnostics.iter().map(|d| d.render(false)).collect();
                let _ = send.send((diagnostics, rendered));
            })
            .expect("spawn");
        let (diagnostics, rendered): (Vec<Diagnostic>, Vec<String>) =
            match receive.recv_timeout(WATCHDOG) {
                Ok(answer) => answer,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    return Err(format!("no answer in {WATCHDOG:?}: a hang"));
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => return Err("panicked".into()),
            };
        for (d, text) in diagnostics.iter().zip(&rendered) {
            placed(d, text).map_err(|why| format!("{why}:\n{text}"))?;
        }
        let is_text = !input.contains(&0) && std::str::from_utf8(input).is_ok();
        if !is_text && !diagnostics.iter().any(Diagnostic::is_error) {
            return Err("binary or invalid UTF-8 input accepted".into());
        }
        Ok(diagnostics)
    }

    /// Checks an input and panics with a reproducible report when it breaks a promise.
    fn assert_sound(&self, kind: Kind, input: &[u8], what: &str) -> Vec<Diagnostic> {
        self.check(kind, input).unwrap_or_else(|why| {
            let kept =
                std::env::temp_dir().join(format!("runbook-fuzz-{}.input", std::process::id()));
            let _ = std::fs::write(&kept, input);
            panic!("{what}: {why}\n(input kept in {})", kept.display())
        })
    }
}

/// Copies what the seeds use beside them (modules, templates), leaving out the runbooks.
fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("read dir") {
        let path = entry.expect("dir entry").path();
        let target = to.join(path.file_name().expect("file name"));
        if path.is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
            copy_tree(&path, &target);
        } else if path.extension().is_none_or(|e| e != "rb42") {
            std::fs::copy(&path, &target).expect("copy");
        }
    }
}

/// A diagnostic points at a line that exists and a column within it (or names its file).
fn placed(d: &Diagnostic, rendered: &str) -> Result<(), String> {
    let Some(place) = d.where_() else {
        return Err("a diagnostic without a file".into());
    };
    if let Some((source, span)) = &d.place {
        let Some(line) = source.line(span.start.line) else {
            return Err(format!("line {} does not exist", span.start.line));
        };
        let width = line.chars().count() + 1;
        if span.start.col == 0 || span.start.col > width {
            return Err(format!("column {} is outside the line", span.start.col));
        }
    }
    if !rendered.contains(&format!("--> {place}")) {
        return Err(format!("rendering lacks `--> {place}`"));
    }
    Ok(())
}

fn fuzz_budget() -> (u64, Option<Duration>) {
    let var = |name| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
    match (var("RUNBOOK_FUZZ_CASES"), var("RUNBOOK_FUZZ_SECONDS")) {
        (cases, Some(seconds)) => (
            cases.unwrap_or(u64::MAX),
            Some(Duration::from_secs(seconds)),
        ),
        (Some(cases), None) => (cases, None),
        (None, None) => (DEFAULT_CASES, None),
    }
}

#[test]
fn mutated_runbooks_and_modules_are_refused_with_a_placed_diagnostic_never_a_crash() {
    let checker = Checker::new();
    let seeds = corpus();
    let texts: Vec<Vec<u8>> = seeds.iter().map(|s| s.text.clone()).collect();
    let (cases, duration) = fuzz_budget();
    let long = cases != DEFAULT_CASES || duration.is_some();
    let started = Instant::now();
    let mut inputs = 0u64;
    // The seeds themselves check clean: the harness reaches the checker.
    for seed in &seeds {
        let found = checker.assert_sound(seed.kind, &seed.text, "seed");
        let errors: Vec<String> = found
            .iter()
            .filter(|d| d.is_error())
            .map(|d| d.render(false))
            .collect();
        assert!(errors.is_empty(), "a seed has errors:\n{}", errors.concat());
        for prefix in mutator::truncations(&seed.text, long) {
            // A timed run spends at most half its time on truncations.
            if duration.is_some_and(|d| started.elapsed() >= d / 2) {
                break;
            }
            checker.assert_sound(seed.kind, prefix, "truncation");
            inputs += 1;
        }
    }
    let seed = std::env::var("RUNBOOK_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(42);
    let mut rng = Rng::new(seed);
    for case in 0..cases {
        if duration.is_some_and(|d| started.elapsed() >= d) {
            break;
        }
        let origin = &seeds[rng.below(seeds.len())];
        let input = mutator::mutate(&mut rng, &texts, &origin.text);
        checker.assert_sound(origin.kind, &input, &format!("seed {seed}, case {case}"));
        inputs += 1;
    }
    let peak = peak_memory_mib();
    eprintln!(
        "fuzz: {inputs} inputs parsed and checked in {:.0} s (seed {seed}, peak memory {peak} MiB)",
        started.elapsed().as_secs_f64(),
    );
    // Megabyte inputs are made and checked one at a time: the whole process stays small.
    assert!(peak < MAX_PEAK_MIB, "peak memory {peak} MiB");
}

/// The process's peak resident memory, from /proc.
fn peak_memory_mib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(0, |kib| kib / 1024)
}

/// Inputs the fuzzer found, minimized: each once broke a promise.
#[test]
fn inputs_the_fuzzer_found_get_a_prompt_placed_diagnostic() {
    let checker = Checker::new();
    // A megabyte-long unknown name among 100 declared ones: "did you mean" measured the edit
    // distance to each, length × length (a hang).
    let params: String = (0..100)
        .map(|i| format!("  param p{i}: string = \"\"\n"))
        .collect();
    let long_name = format!(
        "runbook \"r\" {{\n{params}  procedure p {{ step s {{ log({}); }} }}\n}}\n",
        "p".repeat(1 << 20)
    );
    let found = checker.assert_sound(Kind::Runbook, long_name.as_bytes(), "a long unknown name");
    assert!(
        found
            .iter()
            .any(|d| d.message.starts_with("unknown variable `ppp")),
        "{found:?}"
    );
}

#[test]
fn a_module_with_a_nul_byte_is_refused_as_binary() {
    let found = Checker::new().assert_sound(Kind::Module, b"// restore\0r\nfn f() {}\n", "NUL");
    assert!(
        found.iter().any(|d| d.message.contains("binary file")),
        "{found:?}"
    );
}

#[test]
fn deep_nesting_in_a_body_or_a_module_is_refused_without_exhausting_the_stack() {
    let checker = Checker::new();
    for (open, close) in mutator::NESTERS {
        let nested = format!("{}{}", open.repeat(20_000), close.repeat(20_000));
        let body = format!(
            "runbook \"r\" {{\n  procedure p {{ step s {{ let a = 1; let x = [1]; {nested} }} }}\n}}\n"
        );
        let in_body = checker.assert_sound(Kind::Runbook, body.as_bytes(), open);
        let module = format!("fn f() {{ {nested} }}\n");
        let in_module = checker.assert_sound(Kind::Module, module.as_bytes(), open);
        // Nested comments hold no expression: rhai may accept them.
        if *open != "/*" {
            assert!(in_body.iter().any(Diagnostic::is_error), "{open}: accepted");
            assert!(
                in_module.iter().any(Diagnostic::is_error),
                "{open} in a module: accepted"
            );
        }
    }
}
