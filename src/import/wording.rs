//! What a sentence of a runbook asks of the operator: an instruction ("Vérifier les logs",
//! "Restart the pods"), a condition ("Si la base est down :"), a label ("Logs :") or a
//! description ("Le pipeline arrête les conteneurs"). French runbooks give instructions in the
//! infinitive and describe in the third person, English ones give them in the imperative; the
//! words below are the verbs operations documents use.

/// The language of the source: it decides how instructions read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Language {
    French,
    #[default]
    English,
}

/// French infinitives of instructions that do not end in `-er` (those are recognised by their
/// ending).
const FRENCH_VERBS: &[&str] = &[
    "ouvrir",
    "remplir",
    "construire",
    "lire",
    "résoudre",
    "réduire",
    "définir",
    "choisir",
    "produire",
    "reconstruire",
    "mettre",
    "remettre",
    "faire",
    "refaire",
    "prendre",
    "attendre",
    "suivre",
    "rétablir",
    "établir",
    "servir",
    "fournir",
    "obtenir",
    "se",
    "s'assurer",
    "assurer",
    "garantir",
    "réagir",
    "agir",
    "écrire",
    "inscrire",
    "voir",
    "revoir",
    "recevoir",
    "relire",
    "décrire",
    "interrompre",
    "reprendre",
    "répondre",
];

/// Words ending in `-er` that are not verbs an instruction starts with.
const NOT_FRENCH_VERBS: &[&str] = &[
    "docker",
    "cluster",
    "premier",
    "dernier",
    "fichier",
    "dossier",
    "server",
    "manager",
    "worker",
    "user",
    "header",
    "container",
    "master",
    "poller",
    "helper",
    "scheduler",
    "beer",
    "laser",
    "chantier",
    "métier",
    "quartier",
    "clavier",
    "cahier",
    "papier",
    "janvier",
    "février",
    "hier",
    "cher",
    "fier",
    "super",
    "hyper",
    "inter",
    "buffer",
    "router",
    "trigger",
    "timer",
    "layer",
];

/// English imperatives that start instructions in operations runbooks.
const ENGLISH_VERBS: &[&str] = &[
    "add",
    "announce",
    "apply",
    "ask",
    "back",
    "build",
    "bump",
    "call",
    "cancel",
    "check",
    "clean",
    "clear",
    "close",
    "compare",
    "configure",
    "confirm",
    "connect",
    "copy",
    "cordon",
    "create",
    "declare",
    "delete",
    "deploy",
    "describe",
    "disable",
    "document",
    "download",
    "drain",
    "edit",
    "enable",
    "ensure",
    "escalate",
    "export",
    "fail",
    "find",
    "fix",
    "flush",
    "freeze",
    "generate",
    "get",
    "go",
    "identify",
    "import",
    "inform",
    "inspect",
    "install",
    "issue",
    "kill",
    "let",
    "list",
    "log",
    "login",
    "look",
    "make",
    "mark",
    "merge",
    "migrate",
    "monitor",
    "move",
    "note",
    "notify",
    "open",
    "page",
    "pause",
    "point",
    "post",
    "promote",
    "pull",
    "purge",
    "push",
    "put",
    "read",
    "reboot",
    "record",
    "redeploy",
    "reindex",
    "reload",
    "remove",
    "renew",
    "replace",
    "rerun",
    "restart",
    "restore",
    "resume",
    "retry",
    "revert",
    "review",
    "revoke",
    "roll",
    "rollback",
    "rotate",
    "run",
    "save",
    "scale",
    "search",
    "send",
    "set",
    "sign",
    "snapshot",
    "start",
    "stop",
    "submit",
    "switch",
    "tag",
    "take",
    "tell",
    "test",
    "trigger",
    "uncordon",
    "unfreeze",
    "update",
    "upgrade",
    "upload",
    "validate",
    "verify",
    "wait",
    "watch",
    "write",
];

/// Words that open a condition.
const CONDITIONS: &[&str] = &[
    "si", "s'il", "en cas", "lorsque", "quand", "if", "when", "in case", "should", "unless",
];

/// Words that open a description: articles and pronouns.
const DESCRIPTIVE_STARTS: &[&str] = &[
    "le", "la", "les", "l'", "un", "une", "des", "ce", "cet", "cette", "ces", "il", "elle", "ils",
    "on", "nous", "the", "a", "an", "this", "these", "it", "we", "our", "they", "its",
];

/// Guesses the language of a document from its most common short words.
pub fn language(text: &str) -> Language {
    let (mut french, mut english) = (0, 0);
    for word in text
        .split(|c: char| !c.is_alphabetic() && c != '\'')
        .map(str::to_lowercase)
    {
        match word.as_str() {
            "le" | "la" | "les" | "des" | "est" | "pour" | "une" | "dans" | "avec" | "sur" => {
                french += 1
            }
            "the" | "and" | "is" | "for" | "with" | "to" | "of" | "on" | "are" => english += 1,
            _ => {}
        }
    }
    if french > english {
        Language::French
    } else {
        Language::English
    }
}

/// `(label, rest)` of `Label: rest` (or `Label : rest`), when the label is short and holds no
/// code.
pub fn split_label(text: &str) -> Option<(&str, &str)> {
    let colon = text.find(':')?;
    let (label, rest) = (text[..colon].trim(), text[colon + 1..].trim());
    // `http://…` and `a:b` are not labels.
    let after = text[colon + 1..].chars().next();
    let unbalanced = label.matches('(').count() != label.matches(')').count();
    if label.is_empty()
        || label.contains('`')
        || unbalanced
        || label.chars().count() > 60
        || after.is_some_and(|c| !c.is_whitespace())
    {
        return None;
    }
    Some((label, rest))
}

/// Whether the text is a label announcing what follows ("Logs :", "Solution :").
pub fn is_label(text: &str) -> bool {
    let t = text.trim().trim_end_matches(['*', '_']).trim_end();
    t.ends_with(':') && t.chars().count() <= 100
}

/// The condition a text starts with ("Si surcharge ou bug"), up to its colon or comma.
pub fn condition(text: &str) -> Option<String> {
    let lower = first_words(text);
    let opens = CONDITIONS.iter().any(|c| {
        lower == *c || lower.starts_with(&format!("{c} ")) || lower.starts_with(&format!("{c}'"))
    });
    if !opens {
        return None;
    }
    let end = text.find([':', ',', '→']).unwrap_or(text.len());
    Some(text[..end].trim().trim_end_matches('?').trim().to_string())
}

/// Whether a sentence asks the operator to do or check something.
pub fn is_instruction(text: &str, language: Language) -> bool {
    let text = text.trim();
    // "Then tell the team…", "Puis relancer…".
    let lower = text.to_lowercase();
    let text = ["then ", "next, ", "puis ", "ensuite ", "ensuite, "]
        .iter()
        .find_map(|w| lower.starts_with(w).then(|| &text[w.len()..]))
        .unwrap_or(text);
    if text.is_empty() {
        return false;
    }
    // A question ("DB up ?", "Secret ok ? (NAME)") is a check to make.
    if condition(text).is_some()
        || text.ends_with('?')
        || text.contains(" ? ")
        || text.contains("? (")
    {
        return true;
    }
    let starts_with_verb = |t: &str| {
        let word = first_word(t);
        match language {
            Language::French => is_french_infinitive(&word),
            Language::English => ENGLISH_VERBS.contains(&word.as_str()),
        }
    };
    if starts_with_verb(text) {
        return true;
    }
    match split_label(text) {
        Some((label, rest)) => starts_with_verb(label) || starts_with_verb(rest),
        None => false,
    }
}

/// Whether a sentence opens like a description (an article or a pronoun).
pub fn is_descriptive(text: &str) -> bool {
    let word = first_word(text);
    DESCRIPTIVE_STARTS.contains(&word.as_str())
        || text.trim_start().to_lowercase().starts_with("l'")
        || text.trim_start().to_lowercase().starts_with("l’")
}

fn is_french_infinitive(word: &str) -> bool {
    if FRENCH_VERBS.contains(&word) {
        return true;
    }
    word.chars().count() > 4 && word.ends_with("er") && !NOT_FRENCH_VERBS.contains(&word)
}

/// The first word, lowercased, without markup or punctuation around it.
fn first_word(text: &str) -> String {
    text.trim_start_matches(|c: char| !c.is_alphanumeric())
        .split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '\''))
        .next()
        .unwrap_or("")
        .to_lowercase()
}

/// The start of the text, lowercased, without markup.
fn first_words(text: &str) -> String {
    text.trim_start_matches(|c: char| !c.is_alphanumeric())
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instructions_and_descriptions_are_told_apart() {
        let fr = Language::French;
        assert!(is_instruction("Vérifier les logs", fr));
        assert!(is_instruction("**Évaluer l'impact** : Service down", fr));
        assert!(is_instruction(
            "Redémarrer API: `docker-compose restart api`",
            fr
        ));
        assert!(is_instruction(
            "Si DB non prête: activer le fallback CSV",
            fr
        ));
        assert!(is_instruction("Santé: container “healthy” ?", fr));
        assert!(!is_instruction("Arrête tous les conteneurs", fr));
        assert!(!is_instruction(
            "**Checkout** : Récupération du code source",
            fr
        ));
        assert!(!is_instruction("Docker Desktop / Docker Engine", fr));
        assert!(is_instruction("Drain the node", Language::English));
        assert!(!is_instruction("The pods restart", Language::English));
        assert!(is_descriptive("Le déploiement sauvegarde `/opt/brokerx`"));
        assert_eq!(
            condition("Si surcharge ou bug:").as_deref(),
            Some("Si surcharge ou bug")
        );
        assert_eq!(split_label("Logs: `x`"), Some(("Logs", "`x`")));
        assert_eq!(split_label("http://x"), None);
    }

    #[test]
    fn the_language_is_guessed_from_short_words() {
        assert_eq!(
            language("Vérifier les logs de la base pour une erreur"),
            Language::French
        );
        assert_eq!(
            language("Check the logs of the database for an error"),
            Language::English
        );
    }
}
