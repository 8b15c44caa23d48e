//! The editor files in `editors/`: the VS Code TextMate grammars, run by a Rust highlighter
//! (syntect, fed a sublime-syntax converted from the TextMate JSON), and the Vim syntax, run by
//! the real vim, give the expected scopes to a sample runbook and to every runbook of the
//! repository.

use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use syntect::parsing::{ParseState, ScopeStack, SyntaxDefinition, SyntaxSet, SyntaxSetBuilder};

/// An editor run in batch mode, stopped after two minutes: a highlighting rule that loops
/// fails the test instead of hanging it.
pub(crate) fn editor(program: &str) -> Command {
    let mut command = Command::new("timeout");
    command.args(["--kill-after=5", "120", program]);
    command
}

pub(crate) fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// A YAML single-quoted scalar: no escapes but `''`, so regexes pass through untouched.
fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// Converts TextMate grammars (`match`, `name`, `captures`, `begin`, `end`, `beginCaptures`,
/// `endCaptures`, `contentName`, `patterns`, `include`, `repository`) into one sublime-syntax
/// file: each grammar's repository entries become contexts named `PREFIX_ENTRY`, each
/// begin/end rule a context pushed by its begin and popped by its end.
struct Converter {
    /// Context name prefix by grammar scope name.
    prefixes: HashMap<String, String>,
    contexts: Vec<(String, Vec<String>)>,
    /// Begin/end rules converted so far, to name their contexts.
    rules: usize,
}

impl Converter {
    fn include(&self, prefix: &str, target: &str) -> String {
        match target {
            "$self" | "$base" => format!("{prefix}__main"),
            t if t.starts_with('#') => format!("{prefix}_{}", &t[1..]),
            t => format!("{}__main", self.prefixes[t]),
        }
    }

    /// `scope:` and `captures:` lines for a name and a captures map (capture 0 is the match).
    fn scopes(name: Option<&Value>, captures: Option<&Value>, lines: &mut Vec<String>) {
        let mut whole: Vec<&str> = name.and_then(Value::as_str).into_iter().collect();
        let mut groups = Vec::new();
        if let Some(Value::Object(map)) = captures {
            for (group, value) in map {
                let scope = value["name"].as_str().expect("capture name");
                if group == "0" {
                    whole.push(scope);
                } else {
                    groups.push(format!("    {group}: {}", quoted(scope)));
                }
            }
        }
        if !whole.is_empty() {
            lines.push(format!("  scope: {}", quoted(&whole.join(" "))));
        }
        if !groups.is_empty() {
            lines.push("  captures:".into());
            lines.extend(groups);
        }
    }

    fn rules(&mut self, prefix: &str, patterns: &[Value]) -> Vec<String> {
        let mut lines = Vec::new();
        for rule in patterns {
            if let Some(target) = rule["include"].as_str() {
                lines.push(format!("- include: {}", self.include(prefix, target)));
            } else if let Some(regex) = rule["match"].as_str() {
                lines.push(format!("- match: {}", quoted(regex)));
                Self::scopes(rule.get("name"), rule.get("captures"), &mut lines);
            } else if let Some(begin) = rule["begin"].as_str() {
                self.rules += 1;
                let context = format!("{prefix}__rule{}", self.rules);
                let mut inner = Vec::new();
                if let Some(name) = rule["name"].as_str() {
                    inner.push(format!("- meta_scope: {}", quoted(name)));
                }
                if let Some(name) = rule["contentName"].as_str() {
                    inner.push(format!("- meta_content_scope: {}", quoted(name)));
                }
                inner.push(format!(
                    "- match: {}",
                    quoted(rule["end"].as_str().expect("end"))
                ));
                let end_captures = rule.get("endCaptures").or(rule.get("captures"));
                Self::scopes(None, end_captures, &mut inner);
                inner.push("  pop: true".into());
                let nested = self.rules(prefix, rule["patterns"].as_array().unwrap_or(&Vec::new()));
                inner.extend(nested);
                self.contexts.push((context.clone(), inner));
                lines.push(format!("- match: {}", quoted(begin)));
                let begin_captures = rule.get("beginCaptures").or(rule.get("captures"));
                Self::scopes(None, begin_captures, &mut lines);
                lines.push(format!("  push: {context}"));
            } else if let Some(nested) = rule["patterns"].as_array() {
                let nested = self.rules(prefix, nested);
                lines.extend(nested);
            }
        }
        lines
    }

    fn grammar(&mut self, prefix: &str, grammar: &Value) {
        let main = self.rules(prefix, grammar["patterns"].as_array().expect("patterns"));
        self.contexts.push((format!("{prefix}__main"), main));
        for (name, rule) in grammar["repository"].as_object().expect("repository") {
            let lines = self.rules(prefix, std::slice::from_ref(rule));
            self.contexts.push((format!("{prefix}_{name}"), lines));
        }
    }
}

fn load(path: &str) -> Value {
    let text = std::fs::read_to_string(repository().join(path)).expect("grammar file");
    serde_json::from_str(&text).expect("grammar JSON")
}

/// The VS Code grammars as a syntect syntax set.
fn vscode_syntaxes() -> SyntaxSet {
    let rb42 = load("editors/vscode/syntaxes/rb42.tmLanguage.json");
    let rhai = load("editors/vscode/syntaxes/rhai.tmLanguage.json");
    let mut converter = Converter {
        prefixes: HashMap::from([
            ("source.rb42".to_string(), "rb42".to_string()),
            ("source.rhai".to_string(), "rhai".to_string()),
        ]),
        contexts: Vec::new(),
        rules: 0,
    };
    converter.grammar("rb42", &rb42);
    converter.grammar("rhai", &rhai);
    let mut yaml = String::from(
        "%YAML 1.2\n---\nname: rb42\nscope: source.rb42\nfile_extensions: [rb42]\ncontexts:\n  main:\n    - include: rb42__main\n",
    );
    for (name, lines) in &converter.contexts {
        yaml.push_str(&format!("  {name}:\n"));
        for line in lines {
            yaml.push_str(&format!("    {line}\n"));
        }
    }
    let definition =
        SyntaxDefinition::load_from_str(&yaml, true, None).expect("a valid sublime-syntax");
    let mut builder = SyntaxSetBuilder::new();
    builder.add(definition);
    builder.build()
}

/// Every character of a text with its scope stack (by line, by byte), and the stack after
/// the last line.
struct Highlighted {
    lines: Vec<(String, Vec<String>)>,
    end: String,
}

impl Highlighted {
    fn new(syntaxes: &SyntaxSet, text: &str) -> Self {
        let syntax = syntaxes.find_syntax_by_name("rb42").expect("rb42 syntax");
        let mut state = ParseState::new(syntax);
        let mut stack = ScopeStack::new();
        let mut lines = Vec::new();
        for line in text.lines() {
            let line = format!("{line}\n");
            let ops = state.parse_line(&line, syntaxes).expect("parses the line");
            let mut scopes = Vec::with_capacity(line.len());
            let mut ops = ops.into_iter().peekable();
            for at in 0..line.len() {
                while let Some((_, op)) = ops.next_if(|(i, _)| *i <= at) {
                    stack.apply(&op).expect("scope op");
                }
                scopes.push(stack_text(&stack));
            }
            for (_, op) in ops {
                stack.apply(&op).expect("scope op");
            }
            lines.push((line, scopes));
        }
        Self {
            lines,
            end: stack_text(&stack),
        }
    }

    /// The scopes at the `nth` occurrence of `needle` in the 1-based line `line`.
    fn at(&self, line: usize, needle: &str) -> &str {
        let (text, scopes) = &self.lines[line - 1];
        let at = text
            .find(needle)
            .unwrap_or_else(|| panic!("no {needle:?} in line {line}: {text:?}"));
        &scopes[at]
    }

    /// Asserts the scopes at `needle` in `line` include `scope` (and, with a `!` prefix, not).
    fn assert(&self, line: usize, needle: &str, expected: &[&str]) {
        let scopes = self.at(line, needle);
        for scope in expected {
            match scope.strip_prefix('!') {
                Some(absent) => assert!(
                    !scopes.contains(absent),
                    "line {line}, {needle:?}: {scopes} has {absent}"
                ),
                None => assert!(
                    scopes.contains(scope),
                    "line {line}, {needle:?}: {scopes} lacks {scope}"
                ),
            }
        }
    }
}

fn stack_text(stack: &ScopeStack) -> String {
    stack
        .as_slice()
        .iter()
        .map(|s| s.build_string())
        .collect::<Vec<_>>()
        .join(" ")
}

pub(crate) const SAMPLE: &str = r#"// A sample: comments, strings, durations and rhai bodies.
runbook "sample {not a block}" {
  param wait: duration = 1m30s help "Attente \"max\"\n"
  secret token from env "TOKEN" optional
  host vm { address "vm.example"  port 2222 }
  guard "Outils" { sh("command -v tar").ok }

  procedure deploy "Déployer" default on vm {
    step rollback "Un id qui est un mot-clé" retry 3 every 5s timeout 10m {
      let s = "}{";  // a brace in a string
      let t = `${app::name(s)} en été { }`;
      log(t); /* a block
      comment */ publish("x", 0x1F);
    } rollback always {
      sh(["rm", "-f", t]);
    }

    confirm "Continuer ?"

    step two when { wait > 1 } { if true { sleep(1); } log("fin"); }
  }
}
"#;

#[test]
fn the_vscode_grammar_scopes_a_sample_runbook() {
    let syntaxes = vscode_syntaxes();
    let h = Highlighted::new(&syntaxes, SAMPLE);
    h.assert(1, "//", &["comment.line.double-slash.rb42"]);
    h.assert(2, "runbook", &["keyword.control.runbook.rb42"]);
    h.assert(2, "{not", &["string.quoted.double.rb42"]);
    h.assert(3, "param", &["keyword.control", "!source.rhai"]);
    h.assert(3, "duration", &["storage.type.rb42"]);
    h.assert(3, "1m30s", &["constant.numeric.duration.rb42"]);
    h.assert(3, "\\\"", &["constant.character.escape.rb42"]);
    h.assert(3, "\\n", &["constant.character.escape.rb42"]);
    h.assert(4, "optional", &["keyword.other.rb42"]);
    h.assert(
        5,
        "address",
        &["keyword.other.host-setting.rb42", "!source.rhai"],
    );
    h.assert(5, "2222", &["constant.numeric.rb42"]);
    h.assert(6, "guard", &["keyword.control.rb42"]);
    h.assert(6, "sh(", &["source.rhai", "support.function.rb42.rhai"]);
    h.assert(6, "command", &["string.quoted.double.rhai"]);
    h.assert(8, "procedure", &["keyword.control.procedure.rb42"]);
    h.assert(8, "deploy", &["entity.name.function.procedure.rb42"]);
    h.assert(8, "default", &["keyword.control.rb42"]);
    h.assert(9, "step", &["keyword.control.step.rb42", "!source.rhai"]);
    h.assert(9, "rollback", &["entity.name.function.step.rb42"]);
    h.assert(9, "5s", &["constant.numeric.duration.rb42"]);
    h.assert(9, "10m", &["constant.numeric.duration.rb42"]);
    h.assert(10, "let", &["source.rhai", "storage.type.rhai"]);
    h.assert(10, "}{", &["string.quoted.double.rhai"]);
    h.assert(10, "// a", &["comment.line.double-slash.rhai"]);
    h.assert(11, "`", &["string.interpolated.rhai"]);
    h.assert(
        11,
        "app",
        &["meta.interpolation.rhai", "entity.name.namespace.rhai"],
    );
    h.assert(11, "name", &["entity.name.function.rhai"]);
    h.assert(
        11,
        "en été",
        &["string.interpolated.rhai", "!meta.interpolation"],
    );
    h.assert(12, "log", &["support.function.rb42.rhai"]);
    h.assert(13, "comment */", &["comment.block.rhai"]);
    h.assert(13, "publish", &["support.function.rb42.rhai", "!comment"]);
    h.assert(13, "0x1F", &["constant.numeric.hex.rhai"]);
    h.assert(14, "rollback", &["keyword.control.rb42", "!source.rhai"]);
    h.assert(14, "always", &["keyword.control.rb42", "!source.rhai"]);
    h.assert(15, "sh", &["source.rhai", "support.function.rb42.rhai"]);
    h.assert(18, "confirm", &["keyword.control.rb42", "!source.rhai"]);
    h.assert(20, "when", &["keyword.control.rb42", "!source.rhai"]);
    h.assert(20, "wait", &["source.rhai"]);
    h.assert(20, "sleep", &["support.function.rb42.rhai"]);
    h.assert(20, "log", &["source.rhai", "support.function.rb42.rhai"]);
    assert_eq!(h.end, "source.rb42", "a scope is left open at the end");
}

/// The runbooks of the repository, with their text.
pub(crate) fn seed_runbooks() -> Vec<(PathBuf, String)> {
    let mut runbooks: Vec<(PathBuf, String)> = std::fs::read_dir(repository().join("runbooks"))
        .expect("runbooks/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "rb42"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("readable");
            (p, text)
        })
        .collect();
    runbooks.sort();
    assert!(runbooks.len() >= 8, "the seed runbooks are missing");
    runbooks
}

#[test]
fn the_vscode_grammar_scopes_every_seed_runbook() {
    let syntaxes = vscode_syntaxes();
    for (path, text) in seed_runbooks() {
        let h = Highlighted::new(&syntaxes, &text);
        let name = path.display();
        let mut steps = 0;
        for (i, line) in text.lines().enumerate() {
            let number = i + 1;
            let trimmed = line.trim_start();
            let (_, scopes) = &h.lines[i];
            let first = line.len() - trimmed.len();
            let keyword = trimmed.split([' ', '"']).next().unwrap_or("");
            // A `let` in a runbook or procedure block (indented at most two levels) declares a
            // value; deeper, it is rhai's, inside a body.
            let declaration = keyword == "let" && first <= 4;
            match keyword {
                "step" | "procedure" | "param" | "secret" | "guard" | "confirm" | "use" => {
                    assert!(
                        scopes[first].contains("keyword.control")
                            && !scopes[first].contains("source.rhai"),
                        "{name}:{number}: `{keyword}` has {}",
                        scopes[first]
                    );
                    steps += usize::from(keyword == "step");
                }
                "let" if declaration => assert!(
                    scopes[first].contains("keyword.control")
                        && !scopes[first].contains("source.rhai"),
                    "{name}:{number}: a value's `let` has {}",
                    scopes[first]
                ),
                "}" if trimmed.starts_with("} rollback {") => assert!(
                    scopes[first + 2].contains("keyword.control.rb42"),
                    "{name}:{number}: `rollback` has {}",
                    scopes[first + 2]
                ),
                // Code inside bodies: calls and `let`.
                "let" => assert!(
                    scopes[first].contains("source.rhai")
                        && scopes[first].contains("storage.type.rhai"),
                    "{name}:{number}: `let` has {}",
                    scopes[first]
                ),
                _ if trimmed.starts_with("log(") || trimmed.starts_with("sh(") => assert!(
                    scopes[first].contains("support.function.rb42.rhai"),
                    "{name}:{number}: a primitive has {}",
                    scopes[first]
                ),
                _ if trimmed.starts_with("//") => assert!(
                    scopes[first].contains("comment.line"),
                    "{name}:{number}: a comment has {}",
                    scopes[first]
                ),
                _ => {}
            }
            // A double-quoted string ends on its line unless its quotes say it goes on: a line
            // ends inside a string when it starts in one or opens one, not both.
            let quotes = line
                .replace("\\\\", "")
                .replace("\\\"", "")
                .matches('"')
                .count();
            let starts_inside = scopes[0].contains("string.quoted.double");
            let ends_inside = scopes[scopes.len() - 1].contains("string.quoted.double");
            assert_eq!(
                ends_inside,
                starts_inside != (quotes % 2 == 1),
                "{name}:{number}: the line ends in {}",
                scopes[scopes.len() - 1]
            );
        }
        assert!(steps > 0, "{name}: no step found");
        assert_eq!(
            h.end, "source.rb42",
            "{name}: a scope is left open at the end"
        );
    }
}

/// The Vim syntax group at each (line, column) of a file, asked of the real vim.
fn vim_groups(text: &str, positions: &[(usize, usize)]) -> Vec<String> {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("sample.rb42");
    std::fs::write(&file, text).expect("write");
    let out_file = dir.path().join("groups.txt");
    let editors = repository().join("editors/vim");
    let mut script = format!(
        "set nocompatible\nset runtimepath^={}\nfiletype on\nsyntax on\nedit {}\nlet g:out = [&filetype]\n",
        editors.display(),
        file.display()
    );
    for (line, col) in positions {
        script.push_str(&format!(
            "call add(g:out, synIDattr(synID({line}, {col}, 1), 'name'))\n"
        ));
    }
    script.push_str(&format!(
        "call writefile(g:out, '{}')\nqall!\n",
        out_file.display()
    ));
    let script_file = dir.path().join("script.vim");
    std::fs::write(&script_file, script).expect("write");
    let status = editor("vim")
        .args(["-u", "NONE", "-i", "NONE", "-N", "-es", "-S"])
        .arg(&script_file)
        .status()
        .expect("run vim (scripts/test.sh installs it)");
    assert!(status.success() || out_file.exists(), "vim failed");
    std::fs::read_to_string(&out_file)
        .expect("vim wrote the groups")
        .lines()
        .map(str::to_string)
        .collect()
}

/// The 1-based column of `needle` in the 1-based line `line` of `text`.
pub(crate) fn column(text: &str, line: usize, needle: &str) -> (usize, usize) {
    let at = text.lines().nth(line - 1).and_then(|l| l.find(needle));
    (
        line,
        at.unwrap_or_else(|| panic!("no {needle:?} in line {line}")) + 1,
    )
}

#[test]
fn the_vim_syntax_highlights_a_sample_runbook() {
    let expected: &[(usize, &str, &str)] = &[
        (1, "//", "rb42Comment"),
        (2, "runbook", "rb42Keyword"),
        (2, "{not", "rb42String"),
        (3, "param", "rb42Keyword"),
        (3, "duration", "rb42Type"),
        (3, "1m30s", "rb42Duration"),
        (3, "\\\"", "rb42Escape"),
        (5, "address", "rb42HostSetting"),
        (6, "sh(", "rhaiPrimitive"),
        (6, "command", "rhaiString"),
        (8, "procedure", "rb42Keyword"),
        (9, "step", "rb42Keyword"),
        (9, "5s", "rb42Duration"),
        (10, "let", "rhaiKeyword"),
        (10, "}{", "rhaiString"),
        (10, "// a", "rhaiComment"),
        (11, "`", "rhaiBacktick"),
        (11, "name", "rhaiFunction"),
        (12, "log", "rhaiPrimitive"),
        (13, "comment */", "rhaiComment"),
        (13, "publish", "rhaiPrimitive"),
        (14, "rollback", "rb42Keyword"),
        (14, "always", "rb42Keyword"),
        (15, "sh", "rhaiPrimitive"),
        (18, "confirm", "rb42Keyword"),
        (20, "when", "rb42Keyword"),
        (20, "sleep", "rhaiPrimitive"),
        (20, "log", "rhaiPrimitive"),
    ];
    let positions: Vec<(usize, usize)> = expected
        .iter()
        .map(|(line, needle, _)| column(SAMPLE, *line, needle))
        .collect();
    let groups = vim_groups(SAMPLE, &positions);
    assert_eq!(groups[0], "rb42", "ftdetect did not set the filetype");
    for ((line, needle, group), actual) in expected.iter().zip(&groups[1..]) {
        assert_eq!(actual, group, "line {line}, {needle:?}");
    }
}

/// What a line of a runbook starts with, for the highlighting tests of every seed.
#[derive(Debug, Clone, Copy)]
pub(crate) enum LineStart {
    Keyword,
    RhaiKeyword,
    Primitive,
    Comment,
}

/// Where the lines of `text` start with a keyword, a primitive or a comment: (line, column,
/// what), 1-based.
pub(crate) fn line_starts(text: &str) -> Vec<(usize, usize, LineStart)> {
    let mut found = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        let col = line.len() - trimmed.len() + 1;
        let start = match trimmed.split([' ', '(']).next().unwrap_or("") {
            "step" | "procedure" | "param" | "secret" | "guard" | "confirm" => LineStart::Keyword,
            // A value's `let` in a runbook or procedure block, two levels deep at most.
            "let" if col <= 5 => LineStart::Keyword,
            "let" => LineStart::RhaiKeyword,
            "log" | "sh" => LineStart::Primitive,
            _ if trimmed.starts_with("//") => LineStart::Comment,
            _ => continue,
        };
        found.push((i + 1, col, start));
    }
    found
}

#[test]
fn the_vim_syntax_highlights_every_seed_runbook() {
    for (path, text) in seed_runbooks() {
        let starts = line_starts(&text);
        let positions: Vec<(usize, usize)> = starts.iter().map(|&(l, c, _)| (l, c)).collect();
        let groups = vim_groups(&text, &positions);
        for ((line, _, start), actual) in starts.iter().zip(&groups[1..]) {
            let group = match start {
                LineStart::Keyword => "rb42Keyword",
                LineStart::RhaiKeyword => "rhaiKeyword",
                LineStart::Primitive => "rhaiPrimitive",
                LineStart::Comment => "rb42Comment|rhaiComment",
            };
            assert!(
                group.split('|').any(|g| g == actual),
                "{}:{line}: {actual}, expected {group}",
                path.display()
            );
        }
    }
}

/// A snippet's body with every placeholder replaced by its default (`$0` by `end`).
fn expand_snippet(snippets: &Value, name: &str, end: &str) -> String {
    let lines: Vec<&str> = snippets[name]["body"]
        .as_array()
        .unwrap_or_else(|| panic!("no snippet {name}"))
        .iter()
        .map(|l| l.as_str().expect("a line"))
        .collect();
    let mut text = lines.join("\n").replace("$0", end);
    // `${N:default}`, innermost first: a default may hold another placeholder.
    while let Some(start) = text.rfind("${") {
        let close = start + text[start..].find('}').expect("a closed placeholder");
        let inner = &text[start + 2..close];
        let default = inner.split_once(':').map_or("", |(_, d)| d).to_string();
        text.replace_range(start..=close, &default);
    }
    text
}

#[test]
fn the_vscode_extension_files_hold_together_and_its_snippets_check() {
    let root = repository().join("editors/vscode");
    let package: Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("package.json")).expect("package.json"),
    )
    .expect("package.json is JSON");
    let language = &package["contributes"]["languages"][0];
    assert_eq!(language["id"], "rb42");
    assert_eq!(language["extensions"][0], ".rb42");
    let contributes = &package["contributes"];
    let mut files: Vec<&str> = Vec::new();
    for list in ["languages", "grammars", "snippets"] {
        for entry in contributes[list].as_array().expect(list) {
            files.extend(
                ["configuration", "path"]
                    .iter()
                    .filter_map(|k| entry[*k].as_str()),
            );
        }
    }
    assert!(files.len() >= 5, "{files:?}");
    for file in files {
        let text = std::fs::read_to_string(root.join(file))
            .unwrap_or_else(|e| panic!("package.json names {file}: {e}"));
        serde_json::from_str::<Value>(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
    }
    assert_eq!(contributes["grammars"][0]["scopeName"], "source.rb42");

    let snippets: Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("snippets/rb42.json")).expect("snippets"),
    )
    .expect("snippets are JSON");
    let whole = expand_snippet(&snippets, "runbook", "log(app_dir);");
    let parts = format!(
        "runbook \"snippets\" {{\n{}\n{}\nprocedure q {{\n{}\n{}\n}}\n}}\n",
        expand_snippet(&snippets, "guard", ""),
        expand_snippet(&snippets, "procedure", "log(\"x\");"),
        expand_snippet(&snippets, "confirm", ""),
        expand_snippet(&snippets, "step with rollback", ""),
    );
    for runbook in [whole, parts] {
        crate::harness::Test::new()
            .runbook(&runbook)
            .args(["check", "--deny-warnings", "main.rb42"])
            .run()
            .code(0);
    }
}
