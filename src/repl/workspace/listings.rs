//! `:list`, `:vars` and `:hosts`: what the session knows, as tables.

use super::{Workspace, header, out, report};
use crate::output::style::Style;
use crate::render::listing;
use crate::value_table::{inline, table};

impl Workspace {
    /// `:list`.
    pub fn list(&self) {
        if let Some(loaded) = self.loaded() {
            let text = listing::render_text(&loaded.runbook, Style::for_stdout());
            out(text.trim_end());
        }
    }

    /// `:vars`: the session's own variables (`:params` shows parameters and secrets).
    pub fn vars(&self) {
        let inputs = self.input_names();
        let mut rows: Vec<Vec<String>> = self
            .scope
            .iter_raw()
            .filter(|(name, _, _)| !inputs.contains(*name))
            .map(|(name, constant, value)| {
                let kind = if constant { "const" } else { "let" };
                vec![
                    name.to_string(),
                    kind.to_string(),
                    value.type_name().to_string(),
                    self.ctx.mask(&inline(value)),
                ]
            })
            .collect();
        rows.sort();
        if rows.is_empty() {
            out("no variables yet");
        } else {
            out(&table(&header(&["name", "", "type", "value"]), rows));
        }
    }

    /// `:hosts`: what steps may target, and which connections are open; what keeps a host
    /// of the runbook from resolving (a parameter not set yet).
    pub fn hosts(&self) {
        if let Some(loaded) = &self.loaded
            && let Err(problems) = self.runbook_hosts(loaded)
        {
            report(&problems);
        }
        let hosts = self.ctx.hosts();
        let connected = self.ctx.ssh.connected();
        let rows: Vec<Vec<String>> = hosts
            .specs()
            .map(|spec| {
                let open = if connected.contains(&spec.name) {
                    "connected"
                } else {
                    ""
                };
                vec![spec.name.clone(), spec.destination(), open.to_string()]
            })
            .collect();
        if rows.is_empty() {
            out("no hosts (declare them in the runbook, or set the parameters they read)");
        } else {
            out(&table(&header(&["host", "destination", ""]), rows));
        }
    }
}
