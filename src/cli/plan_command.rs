//! `runbook plan`: a dry-run folded into a plan, as text, Markdown or JSON; with `--base`, what
//! a change to the runbook changes in it.

use super::{PlanArgs, PlanFormat, Target, param_pairs_or_exit, print, print_diagnostics};
use crate::context::confirmation_gate::ConfirmationGate;
use crate::context::event::Mode;
use crate::exit_code;
use crate::output::console::errln;
use crate::output::style::Style;
use crate::render::plan::{render_json, render_markdown, render_text};
use crate::session::doc_trace::TraceInputs;
use crate::session::dry_run;
use crate::session::plan_comparison::{Base, ComparisonProblem, compare};

pub fn run(args: &PlanArgs) -> i32 {
    let base = match (&args.base, &args.base_ref) {
        (Some(path), _) => Base::File(path.clone()),
        (None, Some(reference)) => Base::GitRevision(reference.clone()),
        (None, None) => return plan(&args.target, args.probe, args.format),
    };
    diff(&args.target, &base, args.format)
}

/// `--base OLD` or `--base-ref REF`: what the change alters in what would run.
fn diff(target: &Target, base: &Base, format: PlanFormat) -> i32 {
    let params = match param_pairs_or_exit(&target.params) {
        Ok(pairs) => pairs,
        Err(code) => return code,
    };
    let inputs = TraceInputs {
        params,
        inventory: target.ssh.inventory.clone(),
    };
    let diff = match compare(&target.file, target.procedure.as_deref(), base, &inputs) {
        Ok(diff) => diff,
        Err(ComparisonProblem::Git(why)) => {
            errln!("error: {why}");
            return exit_code::USAGE;
        }
        Err(ComparisonProblem::Base { label, diagnostics }) => {
            errln!("error: the base version ({label}) does not load:");
            print_diagnostics(&diagnostics);
            return exit_code::USAGE;
        }
        Err(ComparisonProblem::Head(diagnostics)) => {
            print_diagnostics(&diagnostics);
            return exit_code::USAGE;
        }
    };
    let text = match format {
        PlanFormat::Text => diff.render_text(Style::for_stdout()),
        PlanFormat::Markdown => diff.render_markdown(),
        PlanFormat::Json => diff.render_json(),
    };
    print(&text, exit_code::SUCCESS)
}

pub fn plan(target: &Target, probe: bool, format: PlanFormat) -> i32 {
    let request = target.request(Mode::DryRun, probe, ConfirmationGate::default());
    let planned = match dry_run::plan(&request) {
        Ok(planned) => planned,
        Err(diagnostics) => {
            print_diagnostics(&diagnostics);
            return exit_code::USAGE;
        }
    };
    let text = match format {
        PlanFormat::Text => render_text(&planned.plan, Style::for_stdout()),
        PlanFormat::Markdown => render_markdown(&planned.plan, &planned.flow),
        PlanFormat::Json => render_json(&planned.plan),
    };
    // A plan that predicts a failure is still a plan: the failure is in it.
    print(&text, exit_code::SUCCESS)
}
