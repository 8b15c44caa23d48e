//! `${name}` references in the texts an operator reads at run time: confirmation messages and
//! guard titles. `confirm "Restaurer ${dump_file} sur ${ssh_host} ?"` names a parameter, a secret,
//! a `let` value or a value published by an earlier step, and `${app.name}` a field of one; `engine::message_filling` fills them in (for `run`,
//! `plan` and `doc` alike), the checker warns about names that are none of these.

/// The references `${name}` or `${name.field}` in `text`, in order, as written.
pub fn references(text: &str) -> Vec<&str> {
    pieces(text)
        .filter_map(|piece| match piece {
            Piece::Reference(name) => Some(name),
            Piece::Text(_) => None,
        })
        .collect()
}

/// `text` with each `${name}` replaced by `value(name)`; a reference `value` does not know
/// reads `⟨name⟩`, as every value only a real run knows does.
pub fn expand(text: &str, value: impl Fn(&str) -> Option<String>) -> String {
    pieces(text)
        .map(|piece| match piece {
            Piece::Text(t) => t.to_string(),
            Piece::Reference(name) => value(name).unwrap_or_else(|| format!("⟨{name}⟩")),
        })
        .collect()
}

enum Piece<'t> {
    Text(&'t str),
    Reference(&'t str),
}

/// The name a reference starts with: `app` of `app.name`.
pub fn root(reference: &str) -> &str {
    reference.split('.').next().unwrap_or(reference)
}

/// The fields a reference reads after its name: `["name"]` of `app.name`.
pub fn fields(reference: &str) -> impl Iterator<Item = &str> {
    reference.split('.').skip(1)
}

/// Splits `text` into plain text and `${identifier}` or `${identifier.field…}` references;
/// anything else (an unclosed `${`, `${ x }`, `${a.}`) is plain text.
fn pieces(text: &str) -> impl Iterator<Item = Piece<'_>> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let mut search = 0;
        while let Some(found) = rest[search..].find("${") {
            let start = search + found;
            let after = &rest[start + 2..];
            let name_len = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
                .unwrap_or(after.len());
            let name = &after[..name_len];
            let is_reference = after[name_len..].starts_with('}')
                && name
                    .split('.')
                    .all(|part| part.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_'));
            if !is_reference {
                search = start + 2;
                continue;
            }
            if start > 0 {
                let text = &rest[..start];
                rest = &rest[start..];
                return Some(Piece::Text(text));
            }
            rest = &after[name_len + 1..];
            return Some(Piece::Reference(name));
        }
        let text = rest;
        rest = "";
        Some(Piece::Text(text))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(name: &str) -> Option<String> {
        match name {
            "host" => Some("vm-1".into()),
            "dump_file" => Some("/backups/db.dump".into()),
            _ => None,
        }
    }

    #[test]
    fn references_are_found_in_order() {
        assert_eq!(
            references("Restaurer ${dump_file} sur ${host} ?"),
            ["dump_file", "host"]
        );
        assert!(references("Prix : 5 $ {x} ${ y } ${a.} ${a..b} ${").is_empty());
        assert_eq!(references("Relancer ${app.name} ?"), ["app.name"]);
        assert_eq!(root("app.name"), "app");
        assert_eq!(fields("app.dir.path").collect::<Vec<_>>(), ["dir", "path"]);
    }

    #[test]
    fn known_references_are_filled_in_and_others_unknown() {
        assert_eq!(
            expand("Restaurer ${dump_file} sur ${host} (${other}) ?", known),
            "Restaurer /backups/db.dump sur vm-1 (⟨other⟩) ?"
        );
        assert_eq!(expand("${host}${host}", known), "vm-1vm-1");
        assert_eq!(expand("$${host}}", known), "$vm-1}");
        assert_eq!(expand("rien à remplacer", known), "rien à remplacer");
        assert_eq!(expand("coût ${", known), "coût ${");
    }
}
