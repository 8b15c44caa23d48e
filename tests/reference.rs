//! The reference in grammar/README.md keeps up with the code: every primitive is in
//! `primitives::NAMES` and documented as a call, every method of the `docker()` and `host()`
//! handles is documented, every public function of a stdlib module is in the stdlib table, and
//! the rhai traps it warns about are what a run does.

use crate::harness::Test;
use crate::http_env::HttpServer;
use rhai::Dynamic;
use runbook::context::confirmation_gate::ConfirmationGate;
use runbook::context::event::{Discard, Mode};
use runbook::context::run_context::RunContext;
use runbook::context::unknown_value::Unknown;
use runbook::engine::script_engine;
use runbook::primitives::NAMES;
use runbook::primitives::docker::DockerHandle;
use runbook::primitives::remote::RemoteHost;
use runbook::ssh::pool::SshSettings;
use std::any::TypeId;
use std::collections::BTreeSet;
use std::sync::Arc;

fn reference() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/grammar/README.md");
    std::fs::read_to_string(path).expect("grammar/README.md")
}

/// Whether the reference shows `name` as a call: `` `name( ``.
fn documented(text: &str, name: &str) -> bool {
    text.contains(&format!("`{name}("))
}

/// What the rhai engine of a run registers besides rhai's own packages: the free functions
/// (primitives) and the methods of the handles, by name.
fn registered() -> (BTreeSet<String>, BTreeSet<String>) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let ctx = Arc::new(RunContext::new(
        Mode::DryRun,
        false,
        std::env::temp_dir(),
        runtime.handle().clone(),
        ConfirmationGate::default(),
        SshSettings::default(),
        Arc::new(Discard),
    ));
    let engine = script_engine::build(&ctx);
    let handles = [TypeId::of::<DockerHandle>(), TypeId::of::<RemoteHost>()];
    let found = engine.collect_fn_metadata(
        None,
        |info| {
            let f = info.metadata;
            // A dry-run's unknown values stop the plan on any use: not calls to document.
            if f.param_types.contains(&TypeId::of::<Unknown>()) {
                return None;
            }
            let method = f.param_types.first().is_some_and(|t| handles.contains(t));
            // (A function of no argument is no such fallback: `memory()` beside `h.memory()`.)
            let any = !f.param_types.is_empty()
                && f.param_types.iter().all(|t| *t == TypeId::of::<Dynamic>());
            Some((f.name.to_string(), method, any))
        },
        false,
    );
    let mut functions = BTreeSet::new();
    let mut methods = BTreeSet::new();
    let mut untyped = Vec::new();
    for (name, method, any) in found {
        // Property getters (`d.name`) and the string conversion are not calls to document.
        if name.starts_with("get$") || name.starts_with("set$") || name == "to_string" {
            continue;
        }
        if method {
            methods.insert(name);
        } else if any {
            untyped.push(name);
        } else {
            functions.insert(name);
        }
    }
    // A function taking anything: a primitive, or the fallback of a method for an unknown
    // argument (`d.inspect(⟨…⟩)`), which is the method's.
    functions.extend(untyped.into_iter().filter(|name| !methods.contains(name)));
    (functions, methods)
}

#[test]
fn every_registered_function_is_a_primitive_in_names() {
    let (functions, methods) = registered();
    assert!(functions.contains("sh") && methods.contains("wait_healthy"));
    let names: BTreeSet<String> = NAMES.iter().map(|n| n.to_string()).collect();
    let missing: Vec<&String> = functions.difference(&names).collect();
    assert!(
        missing.is_empty(),
        "registered in the engine but missing from primitives::NAMES: {missing:?}"
    );
    let stale: Vec<&String> = names.difference(&functions).collect();
    assert!(
        stale.is_empty(),
        "in primitives::NAMES but not registered in the engine: {stale:?}"
    );
}

#[test]
fn every_primitive_and_method_is_in_the_reference() {
    let text = reference();
    let (_, methods) = registered();
    let missing: Vec<&str> = NAMES
        .iter()
        .copied()
        .chain(methods.iter().map(String::as_str))
        .filter(|name| !documented(&text, name))
        .collect();
    assert!(
        missing.is_empty(),
        "grammar/README.md shows no `name(…)` call for: {missing:?}"
    );
}

#[test]
fn every_public_stdlib_function_is_in_the_stdlib_table() {
    let text = reference();
    let mut engine = rhai::Engine::new_raw();
    engine.set_max_expr_depths(0, 0);
    let mut missing = Vec::new();
    for (path, source) in runbook::stdlib::MODULES {
        let row = text
            .lines()
            .find(|line| line.starts_with(&format!("| `{path}` |")))
            .unwrap_or_else(|| panic!("grammar/README.md has no stdlib table row for `{path}`"));
        let ast = engine
            .compile(source)
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        for f in ast.iter_functions() {
            // Closures are compiled into functions named `anon$…`.
            let public = f.access == rhai::FnAccess::Public && !f.name.starts_with("anon$");
            if public && !documented(row, f.name) {
                missing.push(format!("{path}: {}", f.name));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "public stdlib functions not shown as `name(…)` in their row of the stdlib table \
         (document them, or make helpers `private fn`): {missing:?}"
    );
}

/// The rhai traps the reference warns about (section 6) are what a run really does: if rhai
/// changes one, the warning must change too.
#[test]
fn the_rhai_traps_in_the_reference_are_real() {
    let text = reference();
    for trap in [
        "Backtick strings do not process escapes",
        "`trim()` trims the string in place and returns `()`",
        "trailing newline included",
        "`parse_json(text)`",
        "A map sorts its keys",
    ] {
        assert!(
            text.contains(trap),
            "grammar/README.md no longer says: {trap}"
        );
    }
    let server = HttpServer::start();
    let out = Test::new()
        .runbook(&format!(
            r#"runbook "traps" {{
  procedure p {{
    step a {{
      log(`tab: a\tb`);
      let input = "  padded  ";
      let name = input.trim();
      log(`trim returned [${{name}}], input is [${{input}}], type ${{type_of(name)}}`);
      log(`json: ${{parse_json(`{{"items": [{{"name": "x"}}]}}`).items[0].name}}`);
      log(`sh: [${{sh("echo hi").stdout}}]`);
      log(`http: [${{http_get("{url}").text}}]`);
      log(`map: ${{#{{zeta: 1, alpha: 2}}}}`);
    }}
  }}
}}"#,
            url = server.url("/line")
        ))
        .args(["run", "main.rb42"])
        .run();
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    for line in [
        r"tab: a\tb",
        "trim returned [], input is [padded], type ()",
        "json: x",
        "sh: [hi]",
        "http: [ok\n]",
        r#"map: #{"alpha": 2, "zeta": 1}"#,
    ] {
        assert!(out.stdout.contains(line), "no `{line}` in:\n{}", out.stdout);
    }
}
