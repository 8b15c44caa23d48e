//! Host declarations (`host NAME "address" { … }`), `on` targets with `forks` and
//! `tolerate`, and the values they take.

use super::Rule;
use super::tree_builder::{Builder, Built, kids, set_once};
use crate::diagnostic::source::Span;
use crate::language::ast::{HostDecl, Target, Tolerance, Value, ValueAt};
use pest::iterators::Pair;

impl Builder<'_> {
    pub(super) fn host(&self, pair: Pair<'_, Rule>) -> Built<HostDecl> {
        let mut inner = kids(&pair);
        let name = Self::name(
            &inner
                .next()
                .ok_or_else(|| self.error(&pair, "host without a name"))?,
        );
        let mut host = HostDecl {
            name,
            address: None,
            user: None,
            port: None,
            identity: None,
            jump: Vec::new(),
            options: Vec::new(),
        };
        for part in inner {
            if part.as_rule() != Rule::host_block {
                host.address = Some(self.value(&part)?);
                continue;
            }
            for setting in kids(&part) {
                let mut words = kids(&setting);
                let (Some(key), Some(value)) = (words.next(), words.next()) else {
                    return Err(self.error(&setting, "a host setting needs a value"));
                };
                let value = self.value(&value)?;
                let twice = || {
                    self.error(
                        &setting,
                        format!(
                            "`{}` is given twice on host `{}`",
                            key.as_str(),
                            host.name.text
                        ),
                    )
                };
                match (key.as_rule(), key.as_str()) {
                    (Rule::string, _) => host.options.push((self.string(&key)?, value)),
                    (_, "address") => set_once(&mut host.address, value, twice)?,
                    (_, "user") => set_once(&mut host.user, value, twice)?,
                    (_, "port") => set_once(&mut host.port, value, twice)?,
                    (_, "identity") => set_once(&mut host.identity, value, twice)?,
                    _ => host.jump.push(value),
                }
            }
        }
        Ok(host)
    }

    pub(super) fn value(&self, pair: &Pair<'_, Rule>) -> Built<ValueAt> {
        let value = match pair.as_rule() {
            Rule::string => Value::Text(self.string(pair)?),
            Rule::integer => Value::Int(
                pair.as_str()
                    .parse()
                    .map_err(|_| self.error(pair, "number too large"))?,
            ),
            _ => Value::Ref(pair.as_str().to_string()),
        };
        Ok(ValueAt {
            value,
            span: Span::of(pair),
        })
    }

    pub(super) fn target(&self, pair: &Pair<'_, Rule>) -> Built<Target> {
        let mut inner = kids(pair);
        let name = Self::name(
            &inner
                .next()
                .ok_or_else(|| self.error(pair, "`on` without a target"))?,
        );
        let mut target = Target {
            name,
            forks: None,
            tolerate: Tolerance::None,
        };
        for part in inner {
            let twice = |what: &str| self.error(&part, format!("`{what}` is given twice"));
            let number = kids(&part).next();
            match part.as_rule() {
                Rule::forks => {
                    let n = number.ok_or_else(|| twice("forks"))?;
                    let forks: u32 = n.as_str().parse().unwrap_or(0);
                    if forks == 0 {
                        return Err(self.error(&n, "forks must be a whole number from 1"));
                    }
                    set_once(&mut target.forks, forks, || twice("forks"))?;
                }
                _ => {
                    if target.tolerate != Tolerance::None {
                        return Err(twice("tolerate"));
                    }
                    target.tolerate = match number {
                        None => Tolerance::All,
                        Some(p) => match p.as_str().trim_end_matches('%').parse::<u8>() {
                            Ok(n) if n <= 100 => Tolerance::Percent(n),
                            _ => return Err(self.error(&p, "a percentage goes from 0% to 100%")),
                        },
                    };
                }
            }
        }
        Ok(target)
    }
}
