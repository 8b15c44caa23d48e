//! `runbook list`: what a runbook offers.

use crate::harness::{Test, golden};

#[test]
fn list_text_and_json() {
    let quickstart = concat!(env!("CARGO_MANIFEST_DIR"), "/runbooks/quickstart.rb42");
    let out = Test::new().args(["list", quickstart]).run();
    out.code(0);
    golden("list-quickstart.txt", &out.stdout);
    let out = Test::new()
        .args(["list", quickstart, "--format", "json"])
        .run();
    out.code(0);
    let list: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    assert_eq!(list["procedures"][0]["id"], "deploy");
    assert_eq!(list["procedures"][0]["default"], true);
    assert_eq!(
        list["params"][3]["allowed"],
        serde_json::json!(["\"staging\"", "\"production\""])
    );
}

#[test]
fn list_names_the_owner_contacts_and_tags() {
    let out = Test::new()
        .runbook(
            r#"runbook "shop" {
  owner "ops@example.org"
  contact "DBA" "Claire - +33 6 00 00 00 00"
  contact "Astreinte"
  tags ["django", "postgres"]
  procedure ping { step one { log("ok"); } }
}"#,
        )
        .args(["list", "main.rb42"])
        .run();
    out.code(0)
        .stdout_has("owner: ops@example.org")
        .stdout_has("contact: DBA: Claire - +33 6 00 00 00 00")
        .stdout_has("contact: Astreinte\n")
        .stdout_has("tags: django, postgres");
}
