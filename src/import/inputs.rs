//! What the draft declares for its commands to run: parameters (placeholders, addresses),
//! secrets (placeholders whose names say password, token or key), SSH hosts, and the stdlib
//! modules its calls use. One placeholder, one declaration, however often it appears.

use super::ids::{self, Unique};
use super::placeholders::{self, Hole};

/// `param name: string [= default] [env "VAR"] help "…"`.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    pub name: String,
    pub default: Option<String>,
    pub env: Option<String>,
    pub help: String,
}

/// `secret name from env "VAR"`.
#[derive(Debug, Clone, PartialEq)]
pub struct Secret {
    pub name: String,
    pub env: String,
}

/// `host id { address PARAM user … }`.
#[derive(Debug, Clone, PartialEq)]
pub struct Host {
    pub id: String,
    pub address: String,
    /// A user written in the source, or a parameter for a sample one.
    pub user: Option<UserValue>,
    /// The address as the source wrote it, to recognise it again.
    written: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum UserValue {
    Text(String),
    Param(String),
}

/// The stdlib modules a draft can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Module {
    Compose,
    Database,
}

impl Module {
    pub fn path(self) -> &'static str {
        match self {
            Module::Compose => "stdlib/compose.rhai",
            Module::Database => "stdlib/database.rhai",
        }
    }

    pub fn alias(self) -> &'static str {
        match self {
            Module::Compose => "compose",
            Module::Database => "database",
        }
    }
}

/// Everything declared so far.
#[derive(Debug)]
pub struct Inputs {
    pub params: Vec<Param>,
    pub secrets: Vec<Secret>,
    pub hosts: Vec<Host>,
    pub modules: Vec<Module>,
    names: Unique,
    host_ids: Unique,
}

impl Default for Inputs {
    fn default() -> Self {
        let reserved = crate::language::parser::keywords()
            .into_iter()
            .chain(
                crate::language::reserved_words::RHAI_RESERVED
                    .iter()
                    .map(|s| s.to_string()),
            )
            .chain(["compose", "database", "local"].map(String::from));
        Self {
            params: Vec::new(),
            secrets: Vec::new(),
            hosts: Vec::new(),
            modules: Vec::new(),
            names: Unique::reserving(reserved),
            host_ids: Unique::reserving(["local".to_string()]),
        }
    }
}

/// Whether a name says its value must stay secret.
pub fn is_secret_name(name: &str) -> bool {
    let n = name.to_lowercase();
    [
        "password",
        "passwd",
        "pwd",
        "secret",
        "token",
        "credential",
        "dsn",
        "private",
        "api_key",
        "apikey",
    ]
    .iter()
    .any(|w| n.contains(w))
        || n == "key"
        || n.ends_with("_key")
        || n.contains("_key_")
}

impl Inputs {
    /// The variable a placeholder becomes; `example` is the command it was found in.
    pub fn variable(&mut self, hole: &Hole, example: &str) -> String {
        let wanted = if hole.name.is_empty() {
            "value".to_string()
        } else {
            hole.name.clone()
        };
        if let Some(p) = self
            .params
            .iter()
            .find(|p| p.name == wanted || p.name == format!("{wanted}_value"))
        {
            return p.name.clone();
        }
        if let Some(s) = self
            .secrets
            .iter()
            .find(|s| s.name == wanted || s.name == format!("{wanted}_value"))
        {
            return s.name.clone();
        }
        let name = self.fresh(&wanted);
        if is_secret_name(&name) {
            let env = hole.env.clone().unwrap_or_else(|| name.to_uppercase());
            self.secrets.push(Secret {
                name: name.clone(),
                env,
            });
        } else {
            self.params.push(Param {
                name: name.clone(),
                default: hole.default.clone(),
                env: hole.env.clone(),
                help: format!(
                    "{} in the source, as in: {}",
                    hole.written,
                    one_line(example)
                ),
            });
        }
        name
    }

    /// A parameter with a help of its own (addresses, assignments' values).
    pub fn param(
        &mut self,
        wanted: &str,
        default: Option<String>,
        env: Option<String>,
        help: String,
    ) -> String {
        if let Some(p) = self.params.iter().find(|p| p.name == wanted) {
            return p.name.clone();
        }
        if let Some(s) = self.secrets.iter().find(|s| s.name == wanted) {
            return s.name.clone();
        }
        let name = self.fresh(wanted);
        if is_secret_name(&name) {
            let env = env.unwrap_or_else(|| name.to_uppercase());
            self.secrets.push(Secret {
                name: name.clone(),
                env,
            });
        } else {
            self.params.push(Param {
                name: name.clone(),
                default,
                env,
                help,
            });
        }
        name
    }

    /// The host the source reaches as `address` (`deploy@$VM_HOST`'s `$VM_HOST`,
    /// `production-server`), with the user it logs in as.
    pub fn host(&mut self, address: &str, user: Option<&str>) -> String {
        if let Some(h) = self.hosts.iter().find(|h| h.written == address) {
            return h.id.clone();
        }
        let (base, param) = match address.strip_prefix('$') {
            Some(var) => {
                let var = var.trim_start_matches('{').trim_end_matches('}');
                let base = var
                    .strip_suffix("_HOST")
                    .or_else(|| var.strip_suffix("_ADDR"))
                    .or_else(|| var.strip_suffix("_ADDRESS"))
                    .unwrap_or(var);
                let base = ids::slug(base);
                let param = self.param(
                    &ids::ident(var),
                    None,
                    Some(var.to_string()),
                    format!("address of host {base} (${var} in the source)"),
                );
                (base, param)
            }
            None => {
                let first = address.split('.').next().unwrap_or(address);
                let lower = first.to_lowercase();
                let first = ["your_", "your-", "votre_", "votre-"]
                    .iter()
                    .find_map(|p| lower.strip_prefix(p))
                    .unwrap_or(&lower);
                let base = ids::slug(first);
                let base = if base.is_empty() {
                    "server".to_string()
                } else {
                    base
                };
                let default = (!placeholders::is_sample_name(address)).then(|| address.to_string());
                let help = if address.starts_with('<') {
                    format!("address of the {base} the source runs these commands on")
                } else {
                    format!("address of host {base} ({address} in the source)")
                };
                let param = self.param(&format!("{}_host", ids::ident(&base)), default, None, help);
                (base, param)
            }
        };
        let id = self.host_ids.take(&base, "server", '-');
        let user = user.map(|u| {
            if placeholders::is_sample_name(u) || u.starts_with('$') {
                let env = u
                    .strip_prefix('$')
                    .map(|v| v.trim_matches(['{', '}']).to_string());
                UserValue::Param(self.param(
                    &format!("{}_user", ids::ident(&id)),
                    None,
                    env,
                    format!("SSH user on host {id} ({u} in the source)"),
                ))
            } else {
                UserValue::Text(u.to_string())
            }
        });
        self.hosts.push(Host {
            id: id.clone(),
            address: param,
            user,
            written: address.to_string(),
        });
        id
    }

    /// A name not yet given: a reserved word gets `_value` (`fn` → `fn_value`).
    fn fresh(&mut self, wanted: &str) -> String {
        let base = if self.names.is_taken(wanted) {
            format!("{wanted}_value")
        } else {
            wanted.to_string()
        };
        self.names.take(&base, "value", '_')
    }

    /// The host a sentence names without an address ("sur la VM"): the document's host when it
    /// has one, else a host whose address is a required parameter.
    pub fn named_host(&mut self, name: &str) -> String {
        match self.hosts.first() {
            Some(h) => h.id.clone(),
            None => self.host(&format!("<{name}>"), None),
        }
    }

    pub fn use_module(&mut self, module: Module) {
        if !self.modules.contains(&module) {
            self.modules.push(module);
            self.modules.sort();
        }
    }
}

/// A command on one line, cut to a length a help text can hold.
fn one_line(text: &str) -> String {
    let line = super::markdown::squeeze(text);
    if line.chars().count() <= 80 {
        line
    } else {
        let cut: String = line.chars().take(79).collect();
        format!("{cut}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::placeholders::Quoting;

    fn hole(written: &str, name: &str, env: Option<&str>) -> Hole {
        Hole {
            written: written.into(),
            name: name.into(),
            env: env.map(str::to_string),
            default: None,
            quoting: Quoting::Bare,
        }
    }

    #[test]
    fn placeholders_become_parameters_or_secrets_once() {
        let mut inputs = Inputs::default();
        assert_eq!(
            inputs.variable(&hole("$TAG", "tag", Some("TAG")), "git checkout $TAG"),
            "tag"
        );
        assert_eq!(inputs.variable(&hole("<tag>", "tag", None), "x"), "tag");
        assert_eq!(
            inputs.variable(
                &hole("$DB_PASSWORD", "db_password", Some("DB_PASSWORD")),
                "x"
            ),
            "db_password"
        );
        assert_eq!(inputs.variable(&hole("<fn>", "fn", None), "x"), "fn_value");
        assert_eq!(inputs.params.len(), 2);
        assert_eq!(
            inputs.secrets,
            [Secret {
                name: "db_password".into(),
                env: "DB_PASSWORD".into()
            }]
        );
        assert_eq!(inputs.params[0].env.as_deref(), Some("TAG"));
    }

    #[test]
    fn hosts_get_an_address_parameter() {
        let mut inputs = Inputs::default();
        assert_eq!(inputs.host("$VM_HOST", Some("deploy")), "vm");
        assert_eq!(
            inputs.host("production-server", Some("user")),
            "production-server"
        );
        assert_eq!(inputs.host("$VM_HOST", None), "vm");
        assert_eq!(
            inputs
                .params
                .iter()
                .map(|p| p.name.as_str())
                .collect::<Vec<_>>(),
            [
                "vm_host",
                "production_server_host",
                "production_server_user"
            ]
        );
        assert_eq!(inputs.params[1].default, None);
        assert_eq!(inputs.hosts[0].user, Some(UserValue::Text("deploy".into())));
    }
}
