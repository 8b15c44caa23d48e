//! `runbook plan`: a dry-run folded into a plan, as text, Markdown or JSON; with `--base`, what
//! a change to the runbook changes in it.

use super::{PlanArgs, PlanFormat, Target, param_pairs_or_exit, print_diagnostics};
use crate::context::confirmation_gate::ConfirmationGate;
use crate::context::event::{EventSink, Mode};
use crate::engine::plan_collector::PlanCollector;
use crate::exit_code;
use crate::language::ast::Procedure;
use crate::output::style::Style;
use crate::render::flow_diagram::Flow;
use crate::render::plan::{render_json, render_markdown, render_text};
use crate::render::plan_diff::PlanDiff;
use crate::session::Session;
use crate::session::doc_trace::{self as trace, TraceInputs};
use crate::session::git_revision::git_show;
use std::io::Write;
use std::sync::Arc;

pub fn run(args: &PlanArgs) -> i32 {
    if args.base.is_some() || args.base_ref.is_some() {
        return diff(args);
    }
    plan(&args.target, args.probe, args.format)
}

/// `--base OLD` or `--base-ref REF`: both versions traced as `doc` traces them (every step,
/// the same `-p` values, secrets never read), then compared step by step.
fn diff(args: &PlanArgs) -> i32 {
    let target = &args.target;
    let params = match param_pairs_or_exit(&target.params) {
        Ok(pairs) => pairs,
        Err(code) => return code,
    };
    let inputs = TraceInputs {
        params,
        inventory: target.ssh.inventory.clone(),
    };
    let only = target.procedure.as_deref();
    let head_label = target.file.display().to_string();
    let (base, base_label) = match (&args.base, &args.base_ref) {
        (Some(path), _) => (
            trace::trace_file(path, &inputs, None),
            path.display().to_string(),
        ),
        (None, Some(reference)) => match git_show(reference, &target.file) {
            Ok(text) => (
                trace::trace_text(&target.file, text, &inputs, None),
                format!("{reference}:{head_label}"),
            ),
            Err(e) => {
                eprintln!("error: {e}");
                return exit_code::USAGE;
            }
        },
        (None, None) => return exit_code::USAGE,
    };
    let base = match base {
        Ok(b) => b,
        Err(diagnostics) => {
            eprintln!("error: the base version ({base_label}) does not load:");
            print_diagnostics(&diagnostics);
            return exit_code::USAGE;
        }
    };
    let head = match trace::trace_file(&target.file, &inputs, only) {
        Ok(h) => h,
        Err(diagnostics) => {
            print_diagnostics(&diagnostics);
            return exit_code::USAGE;
        }
    };
    let mut diff = PlanDiff::new(&base, &head, &base_label, &head_label);
    if let Some(id) = only {
        diff.procedures.retain(|p| p.id == id);
    }
    let text = match args.format {
        PlanFormat::Text => diff.render_text(Style::for_stdout()),
        PlanFormat::Markdown => diff.render_markdown(),
        PlanFormat::Json => diff.render_json(),
    };
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
    exit_code::SUCCESS
}

/// The planned procedure's flow, with the hosts its targets resolved to.
fn flow_diagram(session: &Session) -> String {
    let hosts = session.ctx.hosts();
    Flow {
        procedure: session.procedure(),
        runbook_guards: &session.runbook.guards,
        hosts: &|name| {
            hosts
                .target(name)
                .map(<[String]>::to_vec)
                .unwrap_or_default()
        },
        anchor: None,
    }
    .mermaid()
}

pub fn plan(target: &Target, probe: bool, format: PlanFormat) -> i32 {
    let mut collector = None;
    let request = target.request(Mode::DryRun, probe, ConfirmationGate::default());
    let session = Session::open(&request, |p: &Procedure| {
        let sink = Arc::new(PlanCollector::new(p, probe));
        collector = Some(Arc::clone(&sink));
        sink as Arc<dyn EventSink>
    });
    let session = match session {
        Ok(s) => s,
        Err(diagnostics) => {
            print_diagnostics(&diagnostics);
            return exit_code::USAGE;
        }
    };
    // Made by the closure, which every opened session calls.
    let Some(collector) = collector else {
        return exit_code::USAGE;
    };
    session.execute();
    let plan = collector.finish();
    let text = match format {
        PlanFormat::Text => render_text(&plan, Style::for_stdout()),
        PlanFormat::Markdown => render_markdown(&plan, &flow_diagram(&session)),
        PlanFormat::Json => render_json(&plan),
    };
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
    // A plan that predicts a failure is still a plan: the failure is in it.
    exit_code::SUCCESS
}
