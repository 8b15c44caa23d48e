//! Parameter and secret declarations (`param NAME: TYPE …`, `secret NAME from …`).

use super::Rule;
use super::tree_builder::{Builder, Built, kids, set_once};
use crate::diagnostic::Diagnostic;
use crate::language::ast::{Param, ParamType, Secret, SecretSource};
use pest::iterators::Pair;

impl Builder<'_> {
    pub(super) fn param(&self, pair: Pair<'_, Rule>) -> Built<Param> {
        let mut inner = kids(&pair);
        let name = Self::name(
            &inner
                .next()
                .ok_or_else(|| Diagnostic::error("param without a name"))?,
        );
        let ty_pair = inner
            .next()
            .ok_or_else(|| Diagnostic::error("param without a type"))?;
        let ty = match ty_pair.as_str() {
            "string" => ParamType::String,
            "int" => ParamType::Int,
            "bool" => ParamType::Bool,
            "duration" => ParamType::Duration,
            _ => ParamType::List,
        };
        let mut param = Param {
            name,
            ty,
            default: None,
            allowed: None,
            env: None,
            help: None,
        };
        for part in inner {
            match part.as_rule() {
                Rule::allowed => {
                    let list = kids(&part)
                        .next()
                        .ok_or_else(|| self.error(&part, "expected a list"))?;
                    let values = kids(&list)
                        .map(|p| self.literal(&p))
                        .collect::<Built<_>>()?;
                    set_once(&mut param.allowed, values, || {
                        self.error(&part, "`one of` is given twice")
                    })?;
                }
                Rule::from_env => set_once(&mut param.env, self.only_string(&part)?, || {
                    self.error(&part, "`env` is given twice")
                })?,
                Rule::help => set_once(&mut param.help, self.only_string(&part)?, || {
                    self.error(&part, "`help` is given twice")
                })?,
                _ => param.default = Some(self.literal(&part)?),
            }
        }
        Ok(param)
    }

    pub(super) fn secret(&self, pair: Pair<'_, Rule>) -> Built<Secret> {
        let mut inner = kids(&pair);
        let name = Self::name(
            &inner
                .next()
                .ok_or_else(|| Diagnostic::error("secret without a name"))?,
        );
        let source_pair = inner
            .next()
            .ok_or_else(|| Diagnostic::error("secret without a source"))?;
        let source = match source_pair.as_rule() {
            Rule::secret_command => self.secret_command(&source_pair)?,
            Rule::secret_env => SecretSource::Env(self.only_string(&source_pair)?),
            Rule::secret_file => SecretSource::File(self.only_string(&source_pair)?),
            _ => SecretSource::Prompt(self.only_string(&source_pair)?),
        };
        let optional = inner.next().is_some();
        Ok(Secret {
            name,
            source,
            optional,
        })
    }

    /// `command ["argv", …] [timeout D]`.
    fn secret_command(&self, pair: &Pair<'_, Rule>) -> Built<SecretSource> {
        let mut inner = kids(pair);
        let list = inner
            .next()
            .ok_or_else(|| self.error(pair, "command without a list"))?;
        let argv: Vec<String> = kids(&list).map(|p| self.string(&p)).collect::<Built<_>>()?;
        if argv.first().is_none_or(String::is_empty) {
            return Err(self.error(&list, "a secret's command needs a program: [\"pass\", …]"));
        }
        let timeout = inner
            .next()
            .and_then(|t| kids(&t).next())
            .map(|d| self.duration(&d))
            .transpose()?;
        Ok(SecretSource::Command { argv, timeout })
    }
}
