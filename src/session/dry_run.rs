//! `runbook plan` and `run --dry-run`: a session opened in dry-run mode, its procedure run with
//! every side effect described instead of done, and the events folded into a plan.

use super::Session;
use super::request::Request;
use crate::context::event::EventSink;
use crate::diagnostic::Diagnostic;
use crate::engine::plan::{Plan, PlannedItem};
use crate::engine::plan_collector::PlanCollector;
use crate::language::ast::{Item, Procedure, Step};
use crate::render::flow_diagram::Flow;
use std::collections::HashMap;
use std::sync::Arc;

/// A planned procedure.
pub struct Planned {
    pub plan: Plan,
    /// The procedure's flow as a Mermaid diagram, with the hosts its targets resolved to.
    pub flow: String,
}

/// Plans the procedure `request` names (its mode is a dry-run). A plan that predicts a
/// failure is still a plan: the failure is in it.
pub fn plan(request: &Request) -> Result<Planned, Vec<Diagnostic>> {
    let mut collector = None;
    let session = Session::open(request, |p: &Procedure| {
        let sink = Arc::new(PlanCollector::new(p, request.probe));
        collector = Some(Arc::clone(&sink));
        sink as Arc<dyn EventSink>
    })?;
    // Made by the closure, which every opened session calls.
    let collector = collector.unwrap_or_else(|| unreachable!("made when the session opened"));
    session.execute();
    let plan = collector.finish();
    let flow = flow_diagram(&session, &filled_texts(&session, &plan));
    Ok(Planned { plan, flow })
}

/// Each guard and step title and confirmation message as written, as the plan shows it
/// (`${name}` filled in by the run): titles by step id, guards in order, confirmations in
/// order before the step they come before. A text the plan never reached is not in it.
fn filled_texts(session: &Session, plan: &Plan) -> HashMap<String, String> {
    let procedure = session.procedure();
    let mut texts = HashMap::new();
    let mut learn = |written: &str, shown: &str| {
        texts
            .entry(written.to_string())
            .or_insert_with(|| shown.to_string());
    };
    let guards = session.runbook.guards.iter().chain(&procedure.guards);
    for (guard, planned) in guards.zip(&plan.guards) {
        learn(&guard.title, &planned.title);
    }
    // Found by id, not by a search per planned step: a plan of thousands of steps.
    let steps: HashMap<&str, &Step> = procedure.steps().map(|s| (s.id.text.as_str(), s)).collect();
    let mut asked: HashMap<&str, Vec<&str>> = HashMap::new();
    for item in &plan.items {
        match item {
            PlannedItem::Step(planned) => {
                if let Some(step) = steps.get(planned.id.as_str()) {
                    learn(step.title(), &planned.title);
                }
            }
            PlannedItem::Confirmation { id, message } => {
                asked.entry(id).or_default().push(message);
            }
        }
    }
    let mut gates: Vec<&str> = Vec::new();
    for item in &procedure.items {
        match item {
            Item::Gate(gate) => gates.push(&gate.message),
            Item::Step(step) => {
                let mut written = std::mem::take(&mut gates);
                written.extend(step.confirm.as_deref());
                let shown = asked
                    .get(step.id.text.as_str())
                    .cloned()
                    .unwrap_or_default();
                for (written, shown) in written.iter().zip(shown) {
                    learn(written, shown);
                }
            }
        }
    }
    texts
}

/// The planned procedure's flow, with the hosts its targets resolved to and its texts as the
/// plan shows them.
fn flow_diagram(session: &Session, texts: &HashMap<String, String>) -> String {
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
        text: &|written| {
            texts
                .get(written)
                .cloned()
                .unwrap_or_else(|| written.to_string())
        },
    }
    .mermaid()
}
