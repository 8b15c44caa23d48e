//! Static checks of where steps run: host declarations, groups, the inventory, and every
//! `on` target, each resolved against what the runbook declares and the inventory given on the
//! command line. Its findings join the language's own checks (`language::check::check`), which
//! never read an inventory themselves.

use super::inventory::Inventory;
use super::inventory_file;
use crate::diagnostic::source::SourceFile;
use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::language::ast::{HostDecl, LOCAL_TARGET, ParamType, Runbook, Target, Value, ValueAt};
use crate::language::check::Findings;
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

/// What the target checks found, and the parameters and secrets used by hosts, the inventory
/// or `on`. `given` is the inventory of the command line (`-i FILE`, as `ansible-playbook -i`):
/// it replaces the runbook's own, or gives targets to a runbook that declares none.
pub fn check(runbook: &Runbook, source: &Arc<SourceFile>, given: Option<&Path>) -> Findings {
    let mut checker = Checker {
        runbook,
        source,
        diagnostics: Vec::new(),
        names_read: BTreeSet::new(),
        inventory: None,
    };
    checker.inventory(given);
    checker.declarations();
    for procedure in &runbook.procedures {
        let steps = procedure.steps().filter_map(|s| s.target.as_ref());
        for target in procedure.target.iter().chain(steps) {
            checker.target(target);
        }
    }
    Findings {
        diagnostics: checker.diagnostics,
        names_read: checker.names_read,
    }
}

/// Whether the inventory's hosts are known at check time.
enum Known {
    Loaded(Inventory),
    /// Named by a parameter, or unreadable: any name may come from it.
    Later,
}

struct Checker<'a> {
    runbook: &'a Runbook,
    source: &'a Arc<SourceFile>,
    diagnostics: Vec<Diagnostic>,
    names_read: BTreeSet<String>,
    inventory: Option<Known>,
}

impl Checker<'_> {
    fn error(
        &mut self,
        at: &crate::diagnostic::source::Span,
        message: impl Into<String>,
    ) -> &mut Diagnostic {
        self.diagnostics
            .push(Diagnostic::error(message).at(self.source, *at));
        self.diagnostics
            .last_mut()
            .unwrap_or_else(|| unreachable!())
    }

    /// The runbook's `inventory` is checked even when `given` replaces it; only the file that
    /// is used is read.
    fn inventory(&mut self, given: Option<&Path>) {
        let declared = self.runbook.inventory.as_ref();
        let mut path = given.map(Path::to_path_buf);
        if let Some(value) = declared {
            match &value.value {
                Value::Text(file) => {
                    path.get_or_insert_with(|| self.source.dir().join(file));
                }
                Value::Int(_) => {
                    self.error(&value.span, "an inventory is a file path");
                }
                Value::Ref(_) => self.reference(value, false),
            }
        }
        self.inventory = match path {
            Some(path) => Some(match inventory_file::load(&path) {
                Ok(inventory) => Known::Loaded(inventory),
                Err(diagnostic) => {
                    self.diagnostics.push(diagnostic);
                    Known::Later
                }
            }),
            // Named by a parameter, or not a path: any name may come from it.
            None => declared.map(|_| Known::Later),
        };
    }

    fn declarations(&mut self) {
        let runbook = self.runbook;
        let mut seen = BTreeSet::new();
        let names = runbook
            .hosts
            .iter()
            .map(|h| &h.name)
            .chain(runbook.groups.iter().map(|g| &g.name));
        for name in names {
            if name.text == LOCAL_TARGET {
                self.error(
                    &name.span,
                    "`local` is this machine; a host cannot take its name",
                );
            } else if !seen.insert(name.text.as_str()) {
                self.error(
                    &name.span,
                    format!("`{}` is already declared as a host or group", name.text),
                );
            }
        }
        for host in &runbook.hosts {
            self.host(host);
        }
        for group in &runbook.groups {
            for member in &group.members {
                let known = runbook.hosts.iter().any(|h| h.name.text == member.text)
                    || self.in_inventory(&member.text);
                if !known {
                    let hosts = runbook.hosts.iter().map(|h| h.name.text.as_str());
                    let help =
                        did_you_mean(&member.text, hosts).map(|c| format!("did you mean `{c}`?"));
                    self.error(
                        &member.span,
                        format!(
                            "group `{}` lists an unknown host `{}`",
                            group.name.text, member.text
                        ),
                    )
                    .help = help;
                }
            }
        }
    }

    fn host(&mut self, host: &HostDecl) {
        match &host.address {
            None => {
                self.error(
                    &host.name.span,
                    format!("host `{}` has no address", host.name.text),
                )
                .help = Some(format!(
                    "write `host {} \"user@203.0.113.10\"` or `address` in its block",
                    host.name.text
                ));
            }
            Some(address) => self.reference(address, false),
        }
        for value in host.user.iter().chain(&host.jump) {
            self.reference(value, false);
        }
        if let Some(identity) = &host.identity {
            self.reference(identity, true);
        }
        for (_, value) in &host.options {
            self.reference(value, false);
        }
        if let Some(port) = &host.port {
            match &port.value {
                Value::Int(n) if (1..=65535).contains(n) => {}
                Value::Text(t) if t.parse::<u16>().is_ok_and(|p| p > 0) => {}
                Value::Ref(_) => self.reference(port, false),
                _ => {
                    self.error(&port.span, "a port is a number from 1 to 65535");
                }
            }
        }
    }

    /// A value naming a parameter (or, where a key may be secret, a secret) must exist.
    fn reference(&mut self, value: &ValueAt, secret_allowed: bool) {
        let Value::Ref(name) = &value.value else {
            return;
        };
        self.names_read.insert(name.clone());
        let runbook = self.runbook;
        let is_param = runbook.params.iter().any(|p| &p.name.text == name);
        let is_secret = runbook.secrets.iter().any(|s| &s.name.text == name);
        if is_param || (is_secret && secret_allowed) {
            return;
        }
        if is_secret {
            self.error(
                &value.span,
                format!("secret `{name}` can only give a host's identity (its key)"),
            );
            return;
        }
        let candidates = runbook.params.iter().map(|p| p.name.text.as_str());
        let help = match did_you_mean(name, candidates) {
            Some(close) => format!("did you mean `{close}`?"),
            None => format!("declare it with `param {name}: string`, or write a \"string\""),
        };
        self.error(&value.span, format!("unknown parameter `{name}`"))
            .help = Some(help);
    }

    fn in_inventory(&self, name: &str) -> bool {
        match &self.inventory {
            None => false,
            Some(Known::Later) => true,
            Some(Known::Loaded(inventory)) => inventory.resolve(name).is_some(),
        }
    }

    fn target(&mut self, target: &Target) {
        let name = target.name.text.as_str();
        let runbook = self.runbook;
        if name == LOCAL_TARGET
            || runbook.hosts.iter().any(|h| h.name.text == name)
            || runbook.groups.iter().any(|g| g.name.text == name)
            || self.in_inventory(name)
        {
            return;
        }
        if let Some(param) = runbook.params.iter().find(|p| p.name.text == name) {
            self.names_read.insert(name.to_string());
            if param.ty != ParamType::String {
                self.error(
                    &target.name.span,
                    format!(
                        "`on {name}`: parameter `{name}` must be a string naming a host, not {}",
                        param.ty.name()
                    ),
                );
            }
            return;
        }
        let mut candidates: Vec<&str> = runbook
            .hosts
            .iter()
            .map(|h| h.name.text.as_str())
            .chain(runbook.groups.iter().map(|g| g.name.text.as_str()))
            .chain(runbook.params.iter().map(|p| p.name.text.as_str()))
            .collect();
        if let Some(Known::Loaded(inventory)) = &self.inventory {
            candidates.extend(inventory.groups.keys().map(String::as_str));
            candidates.extend(inventory.hosts.iter().map(|h| h.name.as_str()));
        }
        let help = match did_you_mean(name, candidates) {
            Some(close) => format!("did you mean `{close}`?"),
            None if self.inventory.is_none() => format!(
                "declare it with `host {name} \"user@address\"`, a `group` or an `inventory`, \
                 or give an Ansible inventory with `-i FILE`"
            ),
            None => format!(
                "declare it with `host {name} \"user@address\"`, a `group`, or an `inventory`"
            ),
        };
        self.error(&target.name.span, format!("unknown target `{name}`"))
            .help = Some(help);
    }
}
