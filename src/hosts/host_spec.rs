//! One machine as SSH needs it: address, user, port, key, bastions, extra options.

use std::collections::BTreeMap;
use std::path::PathBuf;

/// How the client proves who it is, besides ssh-agent.
#[derive(Debug, Clone, PartialEq)]
pub enum Identity {
    /// A private key file.
    File(PathBuf),
    /// The private key itself (from a secret); written to a private file for ssh.
    Key(String),
}

/// A host ready to connect to.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HostSpec {
    /// What runbooks call it (`on web1`, events, summaries).
    pub name: String,
    /// Host name or IP address given to ssh (aliases of `~/.ssh/config` work).
    pub address: String,
    pub user: Option<String>,
    pub port: Option<u16>,
    pub identity: Option<Identity>,
    /// Bastions, `[user@]host[:port]`, in order.
    pub jump: Vec<String>,
    /// Extra `ssh_config` options, as written.
    pub options: Vec<(String, String)>,
    /// Inventory variables.
    pub vars: BTreeMap<String, String>,
}

impl HostSpec {
    /// A host from `[user@]address[:port]` (IPv6 in brackets when a port follows).
    pub fn from_address(name: &str, text: &str) -> Result<Self, String> {
        let (user, rest) = match text.rsplit_once('@') {
            Some((user, rest)) if !user.is_empty() => (Some(user.to_string()), rest),
            Some(_) => return Err(format!("`{text}`: empty user before `@`")),
            None => (None, text),
        };
        let (address, port) = split_port(rest).map_err(|e| format!("`{text}`: {e}"))?;
        if address.is_empty() || address.chars().any(char::is_whitespace) {
            return Err(format!("`{text}` is not a host address"));
        }
        Ok(Self {
            name: name.to_string(),
            address: address.to_string(),
            user,
            port,
            ..Self::default()
        })
    }

    /// `user@address:port` as an operator reads it.
    pub fn destination(&self) -> String {
        let mut out = String::new();
        if let Some(user) = &self.user {
            out.push_str(user);
            out.push('@');
        }
        match (self.port, self.address.contains(':')) {
            (Some(port), true) => out.push_str(&format!("[{}]:{port}", self.address)),
            (Some(port), false) => out.push_str(&format!("{}:{port}", self.address)),
            (None, _) => out.push_str(&self.address),
        }
        out
    }
}

fn split_port(text: &str) -> Result<(&str, Option<u16>), String> {
    if let Some(inner) = text.strip_prefix('[') {
        let (address, after) = inner
            .split_once(']')
            .ok_or("an opening `[` is never closed")?;
        return match after.strip_prefix(':') {
            Some(port) => Ok((address, Some(parse_port(port)?))),
            None if after.is_empty() => Ok((address, None)),
            None => Err(format!("unexpected `{after}` after `]`")),
        };
    }
    match text.split_once(':') {
        // Several colons and no brackets: a bare IPv6 address.
        Some((_, rest)) if rest.contains(':') => Ok((text, None)),
        Some((address, port)) => Ok((address, Some(parse_port(port)?))),
        None => Ok((text, None)),
    }
}

fn parse_port(text: &str) -> Result<u16, String> {
    match text.parse::<u16>() {
        Ok(port) if port > 0 => Ok(port),
        _ => Err(format!("`{text}` is not a port (1 to 65535)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_user_address_and_port() {
        let h = HostSpec::from_address("vm", "deploy@10.0.0.5:2222").unwrap();
        assert_eq!(
            (h.user.as_deref(), h.address.as_str(), h.port),
            (Some("deploy"), "10.0.0.5", Some(2222))
        );
        assert_eq!(h.destination(), "deploy@10.0.0.5:2222");
        let h = HostSpec::from_address("v6", "[::1]:22").unwrap();
        assert_eq!((h.address.as_str(), h.port), ("::1", Some(22)));
        assert_eq!(h.destination(), "[::1]:22");
        let h = HostSpec::from_address("v6", "fe80::1").unwrap();
        assert_eq!((h.address.as_str(), h.port), ("fe80::1", None));
        assert_eq!(
            HostSpec::from_address("x", "db.example.org")
                .unwrap()
                .address,
            "db.example.org"
        );
    }

    #[test]
    fn refuses_what_is_not_an_address() {
        for bad in [
            "@host",
            "host:0",
            "host:99999",
            "host:ssh",
            "[::1",
            "",
            "a b",
        ] {
            assert!(HostSpec::from_address("x", bad).is_err(), "{bad}");
        }
    }
}
