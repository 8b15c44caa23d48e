//! Names for what the draft declares, made from the source's words: procedure and step ids
//! (`Démarrage en production` → `demarrage-en-production`) and parameter names
//! (`<BACKUP_FILE>` → `backup_file`), unique where the language wants them unique.

use std::collections::HashSet;

/// Ids stay short enough to type: at most this many characters, cut at a word.
const MAX_ID: usize = 40;

/// A procedure or step id: ASCII letters, digits and `-`, starting with a letter.
pub fn slug(text: &str) -> String {
    words(text, '-')
}

/// A parameter, secret or host-setting name: ASCII letters, digits and `_`.
pub fn ident(text: &str) -> String {
    words(text, '_')
}

fn words(text: &str, separator: char) -> String {
    let mut out = String::new();
    for word in text
        .split(|c: char| !c.is_alphanumeric())
        .map(ascii)
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() && out.len() + 1 + word.len() > MAX_ID {
            break;
        }
        if !out.is_empty() {
            out.push(separator);
        }
        out.push_str(&word);
    }
    out.truncate(MAX_ID);
    // Numbering ("3. Démarrage") is the document's, not the name's.
    let trimmed = out.trim_start_matches(|c: char| c.is_ascii_digit() || c == separator);
    if trimmed.is_empty() {
        return String::new();
    }
    trimmed.to_string()
}

/// A word lowercased in ASCII: accents dropped (`é` → `e`, `œ` → `oe`), other letters left out.
fn ascii(word: &str) -> String {
    let mut out = String::new();
    for c in word.chars().flat_map(char::to_lowercase) {
        match c {
            'a'..='z' | '0'..='9' => out.push(c),
            'à' | 'â' | 'ä' | 'á' | 'ã' | 'å' => out.push('a'),
            'ç' => out.push('c'),
            'é' | 'è' | 'ê' | 'ë' => out.push('e'),
            'î' | 'ï' | 'í' | 'ì' => out.push('i'),
            'ô' | 'ö' | 'ó' | 'ò' | 'õ' => out.push('o'),
            'û' | 'ü' | 'ú' | 'ù' => out.push('u'),
            'ÿ' => out.push('y'),
            'ñ' => out.push('n'),
            'œ' => out.push_str("oe"),
            'æ' => out.push_str("ae"),
            'ß' => out.push_str("ss"),
            _ => {}
        }
    }
    out
}

/// Hands out names unique among those already given: `name`, `name-2`, `name-3`…
#[derive(Debug, Default)]
pub struct Unique {
    taken: HashSet<String>,
}

impl Unique {
    /// Names that can never be handed out (the language's keywords, rhai's reserved words).
    pub fn reserving(names: impl IntoIterator<Item = String>) -> Self {
        Self {
            taken: names.into_iter().collect(),
        }
    }

    pub fn is_taken(&self, name: &str) -> bool {
        self.taken.contains(name)
    }

    /// `wanted` (or `fallback` when it is empty), made unique with `separator` and a number.
    pub fn take(&mut self, wanted: &str, fallback: &str, separator: char) -> String {
        let base = if wanted.is_empty() { fallback } else { wanted };
        let mut name = base.to_string();
        let mut n = 2;
        while self.taken.contains(&name) {
            name = format!("{base}{separator}{n}");
            n += 1;
        }
        self.taken.insert(name.clone());
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_ascii_words_without_numbering() {
        assert_eq!(
            slug("3. Démarrage / Arrêt (Docker Compose)"),
            "demarrage-arret-docker-compose"
        );
        assert_eq!(slug("Procédure d'urgence"), "procedure-d-urgence");
        assert_eq!(
            slug("B) API renvoie 500 sur /api/produits/:id"),
            "b-api-renvoie-500-sur-api-produits-id"
        );
        assert_eq!(ident("<repository-url>"), "repository_url");
        assert_eq!(slug("🚀"), "");
        assert!(slug(&"mot ".repeat(100)).len() <= MAX_ID);
    }

    #[test]
    fn names_are_made_unique() {
        let mut unique = Unique::reserving(["step".to_string()]);
        assert_eq!(unique.take("logs", "x", '-'), "logs");
        assert_eq!(unique.take("logs", "x", '-'), "logs-2");
        assert_eq!(unique.take("", "step", '-'), "step-2");
    }
}
