//! `runbook plan` and `run --dry-run`: a session opened in dry-run mode, its procedure run with
//! every side effect described instead of done, and the events folded into a plan.

use super::Session;
use super::request::Request;
use crate::context::event::EventSink;
use crate::diagnostic::Diagnostic;
use crate::engine::plan::Plan;
use crate::engine::plan_collector::PlanCollector;
use crate::language::ast::Procedure;
use crate::render::flow_diagram::Flow;
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
    Ok(Planned {
        plan: collector.finish(),
        flow: flow_diagram(&session),
    })
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
