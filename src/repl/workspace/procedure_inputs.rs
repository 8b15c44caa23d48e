//! `:params` and `:set`, and what a procedure needs before it runs: its parameters, its
//! secrets (a prompt asked the first time), its hosts and the secret mask.

use super::{Workspace, header, inputs, out, problem, report, resolve_params};
use crate::context::secret_mask::MASK;
use crate::diagnostic::did_you_mean;
use crate::engine::run_values::{ParamValue, SecretValue};
use crate::language::ast::SecretSource;
use crate::language::needs;
use crate::session::host_resolution::resolve_hosts;
use crate::session::masking::secret_mask;
use crate::session::secrets;
use crate::value_table::table;
use std::collections::BTreeSet;

impl Workspace {
    /// `:params`: every parameter with its value, then the secrets (never their values).
    pub fn params(&self) {
        let Some(loaded) = self.loaded() else { return };
        let rows: Vec<Vec<String>> = loaded
            .runbook
            .params
            .iter()
            .map(|p| {
                let value = loaded
                    .params
                    .iter()
                    .find(|v| v.name == p.name.text)
                    .map_or_else(|| "(required, not set)".to_string(), |v| v.shown.clone());
                vec![
                    p.name.text.clone(),
                    p.ty.name().to_string(),
                    self.ctx.mask(&value),
                    p.help.clone().unwrap_or_default(),
                ]
            })
            .collect();
        if rows.is_empty() {
            out("no parameters");
        } else {
            out(&table(
                &header(&["parameter", "type", "value", "help"]),
                rows,
            ));
        }
        if loaded.runbook.secrets.is_empty() {
            return;
        }
        let rows = loaded
            .runbook
            .secrets
            .iter()
            .map(|s| {
                let from = match &s.source {
                    SecretSource::Env(var) => format!("environment variable {var}"),
                    SecretSource::File(path) => format!("file {path}"),
                    SecretSource::Prompt(_) => "prompt".to_string(),
                    SecretSource::Command { argv, .. } => format!("command {}", argv.join(" ")),
                };
                let read = loaded.secrets.iter().any(|v| v.name == s.name.text);
                let state = if read { MASK } else { "(not read)" };
                vec![s.name.text.clone(), from, state.to_string()]
            })
            .collect();
        out(&table(&header(&["secret", "from", "value"]), rows));
    }

    /// `:set NAME VALUE` for a parameter; `:set NAME` reads a secret again from its source.
    pub fn set(&mut self, name: &str, value: Option<&str>) {
        let Some(loaded) = self.loaded() else { return };
        let is_param = loaded.runbook.params.iter().any(|p| p.name.text == name);
        let secret = loaded.runbook.secrets.iter().find(|s| s.name.text == name);
        match (is_param, secret, value) {
            (true, _, Some(value)) => self.set_param(name, value),
            (true, _, None) => problem(&format!("`:set {name} VALUE`: a value is needed")),
            (false, Some(_), Some(_)) => problem(&format!(
                "`{name}` is a secret: it is never typed on a line (lines are kept in the history); \
                 `:set {name}` reads it again from where the runbook says"
            )),
            (false, Some(_), None) => self.reread_secret(name),
            (false, None, _) => {
                let known = self.input_names();
                let hint = did_you_mean(name, known.iter().map(String::as_str))
                    .map_or_else(String::new, |c| format!(" (did you mean `{c}`?)"));
                problem(&format!("no parameter `{name}` in this runbook{hint}"));
            }
        }
    }

    fn set_param(&mut self, name: &str, value: &str) {
        let Some(loaded) = self.loaded.as_mut() else {
            return;
        };
        let before = loaded.given.clone();
        loaded.given.retain(|(n, _)| n != name);
        loaded.given.push((name.to_string(), value.to_string()));
        match resolve_params(loaded, &BTreeSet::new()) {
            Ok(params) => {
                let shown = params
                    .iter()
                    .find(|p| p.name == name)
                    .map_or_else(String::new, |p| p.shown.clone());
                loaded.params = params;
                out(&self.ctx.mask(&format!("{name} = {shown}")));
                self.after_inputs_changed();
            }
            Err(problems) => {
                loaded.given = before;
                report(&problems);
            }
        }
    }

    fn reread_secret(&mut self, name: &str) {
        let Some(loaded) = self.loaded.as_mut() else {
            return;
        };
        let one = BTreeSet::from([name.to_string()]);
        let prompter = self.ctx.gate.prompter.clone();
        match secrets::resolve(
            &loaded.runbook,
            &loaded.source,
            &inputs(loaded),
            prompter.as_deref(),
            false,
            &one,
        ) {
            Ok(found) => {
                loaded.secrets.retain(|s| s.name != name);
                loaded.secrets.extend(found);
                out(&format!("secret `{name}` read"));
                self.after_inputs_changed();
            }
            Err(problems) => report(&problems),
        }
    }

    /// Parameters and secrets `procedure` needs, its hosts resolved and the mask set; none
    /// (problems printed) when something is missing. A dry-run fills missing secrets with
    /// placeholders.
    pub(super) fn prepare(
        &mut self,
        procedure: &str,
        dry: bool,
    ) -> Option<(Vec<ParamValue>, Vec<SecretValue>)> {
        let loaded = self.loaded.as_mut()?;
        let selected = loaded.runbook.procedure(procedure)?;
        let needed = needs::names(&loaded.runbook, selected, &loaded.compiled);
        let params = match resolve_params(loaded, &needed) {
            Ok(params) => params,
            Err(problems) => {
                report(&problems);
                return None;
            }
        };
        let missing: BTreeSet<String> = loaded
            .runbook
            .secrets
            .iter()
            .map(|s| s.name.text.clone())
            .filter(|n| needed.contains(n) && !loaded.secrets.iter().any(|s| &s.name == n))
            .collect();
        let mut placeholders = Vec::new();
        if !missing.is_empty() {
            let prompter = if dry {
                None
            } else {
                self.ctx.gate.prompter.clone()
            };
            match secrets::resolve(
                &loaded.runbook,
                &loaded.source,
                &inputs(loaded),
                prompter.as_deref(),
                dry,
                &missing,
            ) {
                Ok(found) => {
                    let (fake, real): (Vec<_>, Vec<_>) =
                        found.into_iter().partition(|s| s.placeholder);
                    loaded.secrets.extend(real);
                    placeholders = fake;
                }
                Err(problems) => {
                    report(&problems);
                    return None;
                }
            }
        }
        let hosts = resolve_hosts(
            &loaded.runbook,
            Some(selected),
            &loaded.source,
            self.options.inventory.as_deref(),
            &params,
            &loaded.secrets,
        );
        match hosts {
            Ok(hosts) => self.ctx.set_hosts(hosts),
            Err(problems) => {
                report(&problems);
                return None;
            }
        }
        self.ctx.set_mask(secret_mask(&params, &loaded.secrets));
        let mut all: Vec<SecretValue> = loaded
            .secrets
            .iter()
            .map(|s| SecretValue {
                name: s.name.clone(),
                value: s.value.clone(),
                placeholder: false,
            })
            .collect();
        all.extend(placeholders);
        Some((params, all))
    }
}
