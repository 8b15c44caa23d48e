//! `runbook lsp`: the language server spoken to over its standard input and output, as an
//! editor does (Content-Length framed JSON-RPC).

use crate::fuzz::mutator::{Rng, mutate};
use crate::harness::Test;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

/// Long enough for any slow machine; only there to turn a hang into a failure.
const HANG: Duration = Duration::from_secs(30);

/// A runbook whose step body uses an unknown variable, after accents and an emoji (two UTF-16
/// code units) on the same line: `repertoire` is character 48, UTF-16 column 48 (0-based).
const BROKEN: &str = r#"runbook "démo" {
  use "stdlib/backup.rhai" as backup
  param app_dir: string = "/opt/app"
  secret token from env "TOKEN"
  procedure deployer {
    step verifier "Vérifier l'état" {
      log("état: déjà vu « ok » 😀"); sh(["ls", repertoire]);
    }
  }
}
"#;

struct Client {
    child: Child,
    stdin: Option<ChildStdin>,
    messages: Receiver<Value>,
    next_id: i64,
}

impl Client {
    fn start(test: &Test) -> Self {
        let mut child = test
            .command()
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start runbook lsp");
        let stdout = child.stdout.take().expect("stdout");
        let (sender, messages) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(message) = read_frame(&mut reader) {
                if sender.send(message).is_err() {
                    return;
                }
            }
        });
        let stdin = child.stdin.take();
        Self {
            child,
            stdin,
            messages,
            next_id: 0,
        }
    }

    fn send_raw(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(bytes).expect("write to the server");
        stdin.flush().expect("flush");
    }

    fn send(&mut self, message: &Value) {
        let body = message.to_string();
        self.send_raw(format!("Content-Length: {}\r\n\r\n{body}", body.len()).as_bytes());
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// Sends a request and returns its response, skipping notifications.
    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(&json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        self.response(&json!(id))
    }

    fn response(&mut self, id: &Value) -> Value {
        loop {
            let message = self.next();
            if message.get("method").is_none() && message["id"] == *id {
                return message;
            }
        }
    }

    fn next(&self) -> Value {
        self.messages
            .recv_timeout(HANG)
            .expect("the server answers within 30 s")
    }

    /// The next diagnostics published for `uri`.
    fn diagnostics(&mut self, uri: &str) -> Vec<Value> {
        loop {
            let message = self.next();
            if message["method"] == "textDocument/publishDiagnostics"
                && message["params"]["uri"] == uri
            {
                return message["params"]["diagnostics"]
                    .as_array()
                    .expect("a list")
                    .clone();
            }
        }
    }

    fn initialize(&mut self) -> Value {
        let response = self.request(
            "initialize",
            json!({ "processId": null, "capabilities": {} }),
        );
        self.notify("initialized", json!({}));
        response
    }

    /// A started and initialized server with `name` (in the test's directory) open as `text`;
    /// the server and the document's URI.
    fn opened(test: &Test, name: &str, text: &str) -> (Self, String) {
        let uri = uri_of(&test.path().join(name));
        let mut client = Client::start(test);
        client.initialize();
        client.open(&uri, text);
        (client, uri)
    }

    /// A request about the place at `line` and UTF-16 `character` of `uri`; its response.
    fn at(&mut self, method: &str, uri: &str, line: u32, character: u32) -> Value {
        self.request(
            method,
            json!({ "textDocument": { "uri": uri }, "position": { "line": line, "character": character } }),
        )
    }

    /// Replaces the whole text of `uri` (full sync).
    fn change(&mut self, uri: &str, version: u32, text: &str) {
        self.notify(
            "textDocument/didChange",
            json!({
                "textDocument": { "uri": uri, "version": version },
                "contentChanges": [{ "text": text }],
            }),
        );
    }

    fn open(&mut self, uri: &str, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri, "languageId": "rb42", "version": 1, "text": text } }),
        );
    }

    /// Closes the server's input and returns its exit code.
    fn wait(mut self) -> Option<i32> {
        drop(self.stdin.take());
        let (done, exited) = channel();
        std::thread::spawn(move || {
            let _ = done.send(self.child.wait().ok().and_then(|s| s.code()));
        });
        exited
            .recv_timeout(HANG)
            .expect("the server exits within 30 s")
    }
}

fn read_frame(reader: &mut impl BufRead) -> Option<Value> {
    let mut length = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(n) = line.strip_prefix("Content-Length: ") {
            length = n.parse().ok()?;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

fn uri_of(path: &std::path::Path) -> String {
    format!("file://{}", path.display())
}

#[test]
fn initialize_announces_every_capability() {
    let test = Test::new();
    let mut client = Client::start(&test);
    let response = client.initialize();
    let capabilities = &response["result"]["capabilities"];
    assert_eq!(capabilities["textDocumentSync"]["change"], 1, "{response}");
    assert_eq!(capabilities["textDocumentSync"]["openClose"], true);
    assert_eq!(capabilities["hoverProvider"], true);
    assert!(capabilities["completionProvider"].is_object());
    assert_eq!(capabilities["documentFormattingProvider"], true);
    assert_eq!(capabilities["documentSymbolProvider"], true);
    assert_eq!(capabilities["definitionProvider"], true);
    assert_eq!(response["result"]["serverInfo"]["name"], "runbook");
    assert_eq!(
        client.request("shutdown", Value::Null)["result"],
        Value::Null
    );
    client.notify("exit", Value::Null);
    assert_eq!(client.wait(), Some(0));
}

#[test]
fn diagnostics_follow_the_buffer_with_utf16_ranges() {
    let test = Test::new();
    let (mut client, uri) = Client::opened(&test, "main.rb42", BROKEN);
    let found = client.diagnostics(&uri);
    assert_eq!(
        found,
        vec![json!({
            "range": {
                "start": { "line": 6, "character": 48 },
                "end": { "line": 6, "character": 49 },
            },
            "severity": 1,
            "source": "runbook",
            "message": "unknown variable `repertoire`\nhelp: declare it with `param`, `secret` or `let`, or publish it from an earlier step",
        })]
    );
    // The buffer is checked, not the disk: there is no main.rb42 there.
    client.change(&uri, 2, &BROKEN.replace("repertoire", "app_dir"));
    assert_eq!(client.diagnostics(&uri), Vec::<Value>::new());
    client.notify(
        "textDocument/didSave",
        json!({ "textDocument": { "uri": uri } }),
    );
    assert_eq!(client.diagnostics(&uri), Vec::<Value>::new());
    assert_eq!(client.wait(), Some(0), "the end of input ends the server");
}

#[test]
fn modules_resolve_beside_the_document() {
    // The server runs in the test's directory; the runbook and its module are in ops/.
    let test = Test::new().file(
        "ops/helpers.rhai",
        "fn greet(name) { log(`bonjour ${name}`); }\n",
    );
    let text = r#"runbook "r" {
  use "helpers.rhai" as helpers
  procedure p { step s { helpers::greet("é"); } }
}
"#;
    let (mut client, uri) = Client::opened(&test, "ops/main.rb42", text);
    assert_eq!(client.diagnostics(&uri), Vec::<Value>::new());
    let completion = client.at("textDocument/completion", &uri, 2, 25);
    let labels = labels(&completion);
    assert!(labels.contains(&"helpers::greet".to_string()), "{labels:?}");
    client.open(&uri_of(&test.path().join("main.rb42")), text);
    let elsewhere = client.diagnostics(&uri_of(&test.path().join("main.rb42")));
    assert!(
        elsewhere[0]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("cannot read module")),
        "{elsewhere:?}"
    );
}

fn labels(completion: &Value) -> Vec<String> {
    completion["result"]
        .as_array()
        .expect("a list of items")
        .iter()
        .filter_map(|item| item["label"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn completion_offers_what_fits_where_the_cursor_is() {
    let text = r#"runbook "démo" {
  use "stdlib/backup.rhai" as backup
  param app_dir: string = "/opt/app"
  secret token from env "TOKEN"
  host vm { address "vm.example" }
  procedure deployer {
    step archive { publish("archive_path", "/tmp/a.tgz"); }
    step verifier "Vérifier l'état" {
      log("état: « ok » 😀"); sh(["ls", app_dir]);
    }
  }
}
"#;
    let test = Test::new();
    let (mut client, uri) = Client::opened(&test, "main.rb42", text);
    client.diagnostics(&uri);
    let at = |client: &mut Client, line: u32, character: u32| {
        labels(&client.at("textDocument/completion", &uri, line, character))
    };
    // In a body, after the emoji (UTF-16 column 28 is the `;` after it).
    let in_body = at(&mut client, 8, 28);
    for expected in [
        "http_get",
        "sh",
        "backup::archive",
        "let",
        "app_dir",
        "token",
        "archive_path",
    ] {
        assert!(
            in_body.contains(&expected.to_string()),
            "{expected}: {in_body:?}"
        );
    }
    for absent in ["rollback", "procedure", "vm"] {
        assert!(
            !in_body.contains(&absent.to_string()),
            "{absent}: {in_body:?}"
        );
    }
    assert!(
        !in_body.iter().any(|l| l.starts_with("checks::")),
        "{in_body:?}"
    );
    // Between the steps: the language's keywords and the hosts, no primitive.
    let between = at(&mut client, 9, 5);
    for expected in ["step", "rollback", "confirm", "vm"] {
        assert!(
            between.contains(&expected.to_string()),
            "{expected}: {between:?}"
        );
    }
    assert!(!between.contains(&"sh".to_string()), "{between:?}");
    // Inside a string: nothing.
    assert_eq!(at(&mut client, 8, 14), Vec::<String>::new());
    // While the text does not parse, the last version that did still gives the names.
    let half_typed = text.replace("sh([\"ls\", app_dir]);", "sh([\"ls\", ");
    client.change(&uri, 2, &half_typed);
    client.diagnostics(&uri);
    assert!(at(&mut client, 8, 28).contains(&"archive_path".to_string()));
}

#[test]
fn hover_on_a_primitive_shows_its_reference_row() {
    let test = Test::new();
    let (mut client, uri) = Client::opened(&test, "main.rb42", BROKEN);
    client.diagnostics(&uri);
    // `sh` on line 7, after the emoji: UTF-16 column 39 is its `h`.
    let hover = client.at("textDocument/hover", &uri, 6, 39);
    let text = hover["result"]["contents"]["value"].as_str().unwrap_or("");
    let reference = include_str!("../grammar/README.md");
    let row = reference
        .lines()
        .find(|l| l.starts_with("| `sh(cmd)`"))
        .expect("the reference row of sh");
    assert!(text.contains(row), "{hover}");
    // `log`'s string is not a primitive: no hover.
    let none = client.at("textDocument/hover", &uri, 6, 12);
    assert_eq!(none["result"], Value::Null, "{none}");
}

/// The constructs of the language show their reference passage on hover, a handle's method
/// its row, and a `let` value is completed with its expression.
#[test]
fn hover_and_completion_know_the_newer_constructs() {
    let text = r#"runbook "r" {
  let app = #{name: "shop"};
  procedure p {
    confirm "Relancer ${app.name} ?" if { app.name != "dev" }
    step restart optional {
      docker().wait_healthy("web", 60, #{keep_waiting: true});
      log(app.name);
    } rollback none "un redémarrage ne se défait pas"
  }
}
"#;
    let test = Test::new();
    let (mut client, uri) = Client::opened(&test, "main.rb42", text);
    client.diagnostics(&uri);
    let mut hover = |line: u32, character: u32| {
        let answer = client.at("textDocument/hover", &uri, line, character);
        answer["result"]["contents"]["value"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    for (line, character, starts) in [
        (1, 3, "**Values.**"),
        (3, 38, "**Conditional confirmations.**"),
        (4, 19, "* `optional`:"),
        (7, 16, "* `rollback none \"why\"`:"),
    ] {
        let shown = hover(line, character);
        assert!(shown.starts_with(starts), "{line}:{character}: {shown}");
    }
    let method = hover(5, 20);
    assert!(
        method.contains("`wait_healthy(name, secs, #{keep_waiting})`"),
        "{method}"
    );
    assert!(hover(6, 11).contains("let app = #{name: \"shop\"};"));
    let completion = client.at("textDocument/completion", &uri, 6, 6);
    assert!(labels(&completion).contains(&"app".to_string()));
    let between = client.at("textDocument/completion", &uri, 8, 2);
    for keyword in ["optional", "none", "let", "if"] {
        assert!(
            labels(&between).contains(&keyword.to_string()),
            "{keyword}: {between}"
        );
    }
}

#[test]
fn a_malformed_message_gets_an_error_and_the_server_goes_on() {
    let test = Test::new();
    let mut client = Client::start(&test);
    client.initialize();
    client.send_raw(b"Content-Length: 5\r\n\r\n{oops");
    let error = client.response(&Value::Null);
    assert_eq!(error["error"]["code"], -32700, "{error}");
    client.send(&json!({ "jsonrpc": "2.0", "id": 99, "params": {} }));
    assert_eq!(client.response(&json!(99))["error"]["code"], -32600);
    let unknown = client.request("textDocument/rename", json!({}));
    assert_eq!(unknown["error"]["code"], -32601, "{unknown}");
    let bad_params = client.request("textDocument/hover", json!({ "textDocument": {} }));
    assert_eq!(bad_params["error"]["code"], -32602, "{bad_params}");
    assert_eq!(
        client.request("shutdown", Value::Null)["result"],
        Value::Null
    );
    client.notify("exit", Value::Null);
    assert_eq!(client.wait(), Some(0));
}

#[test]
fn exit_without_shutdown_exits_1_as_the_protocol_asks() {
    let test = Test::new();
    let mut client = Client::start(&test);
    client.initialize();
    client.notify("exit", Value::Null);
    assert_eq!(client.wait(), Some(1));
}

#[test]
fn formatting_gives_the_layout_of_runbook_fmt_and_names_a_parse_error() {
    let untidy =
        "runbook \"démo\" {\nprocedure deployer {\n      step s \"Étape\" { log(\"😀\"); }\n}\n}\n";
    let test = Test::new();
    let (mut client, uri) = Client::opened(&test, "untidy.rb42", untidy);
    client.diagnostics(&uri);
    let formatting = |client: &mut Client| {
        client.request(
            "textDocument/formatting",
            json!({ "textDocument": { "uri": uri }, "options": { "tabSize": 2, "insertSpaces": true } }),
        )
    };
    let response = formatting(&mut client);
    let edits = response["result"].as_array().expect("edits");
    assert_eq!(edits.len(), 1, "{response}");
    assert_eq!(
        edits[0]["range"]["start"],
        json!({"line": 0, "character": 0})
    );
    assert_eq!(edits[0]["range"]["end"], json!({"line": 5, "character": 0}));
    let fmt = Test::new().args(["fmt", "-"]).stdin(untidy).run();
    fmt.code(0);
    assert_eq!(edits[0]["newText"].as_str(), Some(fmt.stdout.as_str()));
    // Laid out already: no edit.
    client.change(&uri, 2, &fmt.stdout);
    client.diagnostics(&uri);
    assert_eq!(formatting(&mut client)["result"], json!([]));
    // Text that does not parse: an error that says where, and the text is not touched.
    client.change(&uri, 3, "runbook \"r\" {\n  step 9 {\n");
    client.diagnostics(&uri);
    let refused = formatting(&mut client);
    assert_eq!(refused["error"]["code"], -32803, "{refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("untidy.rb42:2:")),
        "{refused}"
    );
}

#[test]
fn the_outline_lists_declarations_then_procedures_with_their_steps() {
    let test = Test::new();
    let (mut client, uri) = Client::opened(&test, "main.rb42", BROKEN);
    client.diagnostics(&uri);
    let response = client.request(
        "textDocument/documentSymbol",
        json!({ "textDocument": { "uri": uri } }),
    );
    let symbols = response["result"].as_array().expect("symbols");
    let names: Vec<&str> = symbols.iter().filter_map(|s| s["name"].as_str()).collect();
    assert_eq!(names, ["app_dir", "token", "deployer"], "{response}");
    let step = &symbols[2]["children"][0];
    assert_eq!(step["name"], "verifier");
    assert_eq!(step["detail"], "Vérifier l'état");
    assert_eq!(
        step["selectionRange"],
        json!({"start": {"line": 5, "character": 9}, "end": {"line": 5, "character": 17}})
    );
}

#[test]
fn definition_leads_from_a_use_to_the_declaration_or_the_publishing_step() {
    let text = r#"runbook "démo" {
  param app_dir: string = "/opt/app"
  host vm { address "vm.example" }
  procedure deployer on vm {
    step archive { publish("archive_path", `${app_dir}/é.tgz`); }
    step restore "Restaurer 😀" { sh(["tar", "-xzf", archive_path, "-C", app_dir]); }
  }
}
"#;
    let test = Test::new();
    let (mut client, uri) = Client::opened(&test, "main.rb42", text);
    client.diagnostics(&uri);
    let mut definition = |line: u32, character: u32| {
        client.at("textDocument/definition", &uri, line, character)["result"].clone()
    };
    let range = |line: u32, start: u32, end: u32| {
        json!({ "uri": uri, "range": {
            "start": { "line": line, "character": start },
            "end": { "line": line, "character": end },
        } })
    };
    // `archive_path` on line 6, after the emoji (UTF-16): to the name inside publish("…").
    assert_eq!(definition(5, 55), range(4, 28, 40));
    // `app_dir` at the end of line 6: to its parameter.
    assert_eq!(definition(5, 75), range(1, 8, 15));
    // `vm` after `on`: to its host.
    assert_eq!(definition(3, 25), range(2, 7, 9));
    // `sh` is a primitive, declared nowhere in the runbook.
    assert_eq!(definition(5, 35), Value::Null);
}

#[test]
fn before_initialize_requests_are_refused_and_notifications_dropped() {
    let test = Test::new();
    let uri = uri_of(&test.path().join("main.rb42"));
    let mut client = Client::start(&test);
    let early = client.request(
        "textDocument/documentSymbol",
        json!({ "textDocument": { "uri": uri } }),
    );
    assert_eq!(
        early["error"]["code"], -32002,
        "ServerNotInitialized: {early}"
    );
    client.open(&uri, BROKEN);
    client.initialize();
    // Messages are handled in order: anything published for the early didOpen comes first.
    client.next_id += 1;
    let id = client.next_id;
    client.send(
        &json!({ "jsonrpc": "2.0", "id": id, "method": "textDocument/documentSymbol",
                         "params": { "textDocument": { "uri": uri } } }),
    );
    loop {
        let message = client.next();
        assert_ne!(
            message["method"], "textDocument/publishDiagnostics",
            "{message}"
        );
        if message["id"] == id {
            assert_eq!(
                message["result"],
                json!([]),
                "the document was never opened"
            );
            break;
        }
    }
    let again = client.request(
        "initialize",
        json!({ "processId": null, "capabilities": {} }),
    );
    assert_eq!(again["error"]["code"], -32600, "{again}");
}

#[test]
fn after_shutdown_requests_are_refused_until_exit() {
    let test = Test::new();
    let (mut client, uri) = Client::opened(&test, "main.rb42", BROKEN);
    client.diagnostics(&uri);
    assert_eq!(
        client.request("shutdown", Value::Null)["result"],
        Value::Null
    );
    let late = client.at("textDocument/hover", &uri, 6, 39);
    assert_eq!(late["error"]["code"], -32600, "{late}");
    client.notify("exit", Value::Null);
    assert_eq!(client.wait(), Some(0));
}

#[test]
fn a_windows_drive_uri_is_checked_under_that_uri_as_a_buffer_without_a_path() {
    // On Unix `file:///C:/…` names no file: not the directory `/C:` of the root.
    let test = Test::new().file("C:/ops/helpers.rhai", "fn greet() { 1 }\n");
    let uri = "file:///C:/ops/main.rb42";
    let mut client = Client::start(&test);
    client.initialize();
    client.open(uri, BROKEN);
    let found = client.diagnostics(uri);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        found[0]["range"]["start"],
        json!({ "line": 6, "character": 48 })
    );
    let text = "runbook \"r\" {\n  use \"helpers.rhai\" as helpers\n  param dir: string = \"/x\"\n  procedure p { step s { log(dir); } }\n}\n";
    client.change(uri, 2, text);
    let found = client.diagnostics(uri);
    assert!(
        found[0]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("cannot read module")),
        "no file of this machine stands in for C:\\ops: {found:?}"
    );
    let definition = client.at("textDocument/definition", uri, 3, 29);
    assert_eq!(definition["result"]["uri"], uri, "{definition}");
    assert_eq!(
        definition["result"]["range"]["start"],
        json!({ "line": 2, "character": 8 })
    );
    client.change(uri, 3, "runbook \"r\" {\n  step\n");
    client.diagnostics(uri);
    let refused = client.request(
        "textDocument/formatting",
        json!({ "textDocument": { "uri": uri }, "options": { "tabSize": 2, "insertSpaces": true } }),
    );
    assert!(
        refused["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("C:/ops/main.rb42:2:")),
        "named by its URI: {refused}"
    );
}

#[test]
fn a_percent_encoded_uri_names_its_file_and_modules_resolve_beside_it() {
    let test = Test::new().file(
        "mes runbooks é/helpers.rhai",
        "fn greet(name) { log(name); }\n",
    );
    let path = test.path().join("mes runbooks é").join("main.rb42");
    let uri = url::Url::from_file_path(&path)
        .expect("an absolute path")
        .to_string();
    assert!(uri.contains("/mes%20runbooks%20%C3%A9/"), "{uri}");
    let text = "runbook \"r\" {\n  use \"helpers.rhai\" as helpers\n  procedure p { step s { helpers::greet(\"é\"); } }\n}\n";
    let mut client = Client::start(&test);
    client.initialize();
    client.open(&uri, text);
    assert_eq!(client.diagnostics(&uri), Vec::<Value>::new());
    let completion = client.at("textDocument/completion", &uri, 2, 25);
    assert!(labels(&completion).contains(&"helpers::greet".to_string()));
}

/// The hostile session `no_input_makes_the_server_panic` sends about the document `uri`: its
/// bytes, and the ids of the requests that must be answered, in order.
fn hostile_session(uri: &str) -> (Vec<u8>, Vec<i64>) {
    fn frame(body: &[u8]) -> Vec<u8> {
        [
            format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes(),
            body,
        ]
        .concat()
    }
    let request = |id: i64, method: &str, params: Value| {
        frame(
            json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params })
                .to_string()
                .as_bytes(),
        )
    };
    let notify = |method: &str, params: Value| {
        frame(
            json!({ "jsonrpc": "2.0", "method": method, "params": params })
                .to_string()
                .as_bytes(),
        )
    };
    let at = |line: i64, character: i64| json!({ "textDocument": { "uri": uri }, "position": { "line": line, "character": character } });
    let methods = [
        "textDocument/completion",
        "textDocument/hover",
        "textDocument/formatting",
        "textDocument/documentSymbol",
        "textDocument/definition",
    ];
    let mut input: Vec<Vec<u8>> = vec![
        b"hello\r\n\r\n".to_vec(),
        b"Content-Length: -1\r\n\r\n".to_vec(),
        b"Content-Length: 99999999999999999999999\r\n\r\n".to_vec(),
        frame(&[0xff, 0xfe, b'{']),
        frame(b"null"),
        frame(b"[]"),
        frame(b"{}"),
        frame(br#"{"jsonrpc":"2.0","id":{"a":1},"method":"initialize"}"#),
        frame(br#"{"jsonrpc":"2.0","id":4294967296,"method":"initialize"}"#),
        request(1, "initialize", json!("not an object")),
        notify("initialized", json!({})),
    ];
    let mut ids = vec![1];
    let mut next = 2;
    for params in [
        Value::Null,
        json!([]),
        json!({ "textDocument": { "uri": "not a URI at all" }, "position": { "line": 0, "character": 0 } }),
        at(-1, 0),
        at(0, 1 << 40),
        at(u32::MAX.into(), u32::MAX.into()),
    ] {
        for method in methods {
            input.push(request(next, method, params.clone()));
            ids.push(next);
            next += 1;
        }
    }
    for params in [
        Value::Null,
        json!({ "textDocument": { "uri": uri } }),
        json!({ "textDocument": { "uri": uri, "version": 2 }, "contentChanges": [] }),
    ] {
        for method in [
            "textDocument/didOpen",
            "textDocument/didChange",
            "textDocument/didSave",
            "textDocument/didClose",
            "$/cancelRequest",
            "$/unknown",
        ] {
            input.push(notify(method, params.clone()));
        }
    }
    let hostile_text =
        "runbook \"\0\" {\r\n  procedure p { step s { sh(`${`${x}`}`); } }\u{2028}😀\u{feff}\n"
            .repeat(50);
    input.push(notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": uri, "languageId": "rb42", "version": 1, "text": hostile_text } }),
    ));
    for character in [0, 1, 2, 60, 61, 62, 9999] {
        for method in methods {
            input.push(request(next, method, at(1, character)));
            ids.push(next);
            next += 1;
        }
    }
    input.push(request(next, "$/unknown", json!({})));
    ids.push(next);
    next += 1;
    input.push(request(next, "shutdown", Value::Null));
    ids.push(next);
    // The header announces a body larger than any the server holds, and never sends it.
    input.push(format!("Content-Length: {}\r\n\r\n", usize::MAX).into_bytes());

    (input.concat(), ids)
}

/// Frames that are not messages, messages of wrong shapes and params of wrong types, each
/// answered as JSON-RPC asks when it has an id; the server never panics and still serves.
#[test]
fn no_input_makes_the_server_panic() {
    let test = Test::new();
    let uri = uri_of(&test.path().join("main.rb42"));
    let (bytes, ids) = hostile_session(&uri);
    let mut child = test
        .command()
        .arg("lsp")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start runbook lsp");
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || stdin.write_all(&bytes));
    let out = child.wait_with_output().expect("the server ends");
    writer.join().expect("writer").expect("written");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");

    let mut reader = BufReader::new(&out.stdout[..]);
    let mut answered = Vec::new();
    let mut refused = Vec::new();
    while let Some(message) = read_frame(&mut reader) {
        if message.get("method").is_some() {
            continue;
        }
        match message["id"].as_i64() {
            Some(id) => answered.push(id),
            None => refused.push(message["error"]["code"].as_i64().unwrap_or(0)),
        }
    }
    assert_eq!(answered, ids, "each request answered once, in order");
    assert_eq!(
        refused,
        [
            -32700, -32700, -32700, -32700, -32600, -32600, -32600, -32600, -32600, -32700
        ],
        "the frames without a readable id, answered with a null id"
    );
}

/// Mutated sessions, served in-process: byte mutations of the whole stream (frames cut,
/// lengths wrong, invalid UTF-8) and of one body reframed (JSON and params of wrong shapes).
/// `serve` ends each without panicking or hanging. `RUNBOOK_FUZZ_CASES=N` runs more.
#[test]
fn mutated_sessions_end_without_a_panic_or_a_hang() {
    let cases: u64 = std::env::var("RUNBOOK_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100);
    let uri = "file:///nowhere/main.rb42";
    let document = json!({ "uri": uri });
    let at = json!({ "textDocument": document, "position": { "line": 6, "character": 39 } });
    let request = |id: u64, method: &str, params: &Value| json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params });
    let notify = |method: &str, params: Value| json!({ "jsonrpc": "2.0", "method": method, "params": params });
    let session: Vec<Vec<u8>> = [
        request(1, "initialize", &json!({ "processId": null, "capabilities": {} })),
        notify("initialized", json!({})),
        notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri, "languageId": "rb42", "version": 1, "text": BROKEN } }),
        ),
        request(2, "textDocument/completion", &at),
        request(3, "textDocument/hover", &at),
        request(4, "textDocument/definition", &at),
        request(5, "textDocument/documentSymbol", &json!({ "textDocument": document })),
        request(6, "textDocument/formatting", &json!({ "textDocument": document, "options": { "tabSize": 2, "insertSpaces": true } })),
        notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri, "version": 2 }, "contentChanges": [{ "text": BROKEN.replace("repertoire", "app_dir") }] }),
        ),
        notify("textDocument/didSave", json!({ "textDocument": document })),
        notify("textDocument/didClose", json!({ "textDocument": document })),
        request(7, "shutdown", &Value::Null),
        notify("exit", Value::Null),
    ]
    .iter()
    .map(|message| message.to_string().into_bytes())
    .collect();
    let framed = |bodies: &[Vec<u8>]| -> Vec<u8> {
        bodies
            .iter()
            .flat_map(|body| {
                [
                    format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes(),
                    body.clone(),
                ]
            })
            .flatten()
            .collect()
    };
    let corpus = vec![framed(&session)];
    let mut rng = Rng::new(0x15b);
    for case in 0..cases {
        let input = if case % 2 == 0 {
            mutate(&mut rng, &corpus, &corpus[0])
        } else {
            let mut bodies = session.clone();
            let which = rng.below(bodies.len());
            bodies[which] = mutate(&mut rng, &corpus, &bodies[which]);
            framed(&bodies)
        };
        let (done, finished) = channel();
        // The stack of the binary's main thread, where `runbook lsp` checks documents.
        std::thread::Builder::new()
            .stack_size(8 << 20)
            .spawn(move || {
                let code = runbook::lsp::serve(&input[..], std::io::sink());
                let _ = done.send(code);
            })
            .expect("a thread");
        match finished.recv_timeout(HANG) {
            Ok(code) => assert!(code == 0 || code == 1, "case {case}: exit code {code}"),
            Err(e) => panic!("case {case}: the server panicked or hung ({e})"),
        }
    }
}
