//! The importer end to end on small documents: the draft's text as `runbook fmt` lays it out.

use super::*;

fn draft(markdown: &str) -> Draft {
    import("doc.md", markdown.as_bytes()).expect("imports")
}

#[test]
fn a_numbered_list_becomes_steps_with_their_commands() {
    let d = draft("# Ops\n\n## Start\n\n1. Lancer: `docker compose up -d`\n2. Vérifier les logs\n");
    assert!(d.text.contains("procedure start \"Start\" {"), "{}", d.text);
    assert!(d.text.contains("step lancer \"Lancer\" {"), "{}", d.text);
    assert!(d.text.contains("compose::up(#{});"), "{}", d.text);
    assert!(
        d.text.contains("// TODO(import): Vérifier les logs"),
        "{}",
        d.text
    );
    assert_eq!(d.summary.steps, 2);
    assert_eq!((d.summary.code, d.summary.todo), (1, 0));
}

#[test]
fn labelled_blocks_side_by_side_are_procedures_of_their_own() {
    let d = draft(
        "# Ops\n\n## Compose\n\nDémarrer :\n```bash\ndocker compose up -d\n```\n\nArrêter :\n```bash\ndocker compose down\n```\n",
    );
    assert!(
        d.text.contains("procedure demarrer \"Démarrer\" {"),
        "{}",
        d.text
    );
    assert!(
        d.text.contains("procedure arreter \"Arrêter\" {"),
        "{}",
        d.text
    );
    assert!(d.text.contains("description \"Compose\""), "{}", d.text);
    assert_eq!(d.summary.procedures, 2);
}

#[test]
fn ssh_commands_run_on_a_declared_host_whose_address_is_a_parameter() {
    let d = draft(
        "# Ops\n\n## Deploy\n\n```bash\nssh deploy@$VM_HOST << EOF\n  cd /opt/app\n  docker compose up -d\nEOF\nssh deploy@$VM_HOST 'systemctl status app'\n```\n",
    );
    assert!(
        d.text.contains("param vm_host: string env \"VM_HOST\""),
        "{}",
        d.text
    );
    assert!(
        d.text
            .contains("host vm { address vm_host  user \"deploy\" }"),
        "{}",
        d.text
    );
    assert!(d.text.contains("on vm {"), "{}", d.text);
    assert!(
        d.text.contains("compose::up(#{dir: \"/opt/app\"});"),
        "{}",
        d.text
    );
    assert!(
        d.text
            .contains("run(\"systemctl status app\", #{read: true});"),
        "{}",
        d.text
    );
    assert_eq!(d.summary.hosts, 1);
}

#[test]
fn placeholders_become_parameters_and_secrets_spliced_with_quote() {
    let d = draft(
        "# Ops\n\n## Backup\n\n```bash\npg_dump -U $DB_USER \"$DB_NAME\" > <BACKUP_FILE>\ncurl -H \"Authorization: Bearer $API_TOKEN\" https://api/x\n```\n",
    );
    assert!(
        d.text.contains("param db_user: string env \"DB_USER\""),
        "{}",
        d.text
    );
    assert!(
        d.text.contains("secret api_token from env \"API_TOKEN\""),
        "{}",
        d.text
    );
    assert!(
        d.text.contains(
            "sh(`pg_dump -U ${quote(db_user)} ${quote(db_name)} > ${quote(backup_file)}`);"
        ),
        "{}",
        d.text
    );
    // The value ended the quoted word: the quote after it is not opened again.
    assert!(
        d.text
            .contains("\"Authorization: Bearer \"${quote(api_token)} https://api/x"),
        "{}",
        d.text
    );
    assert_eq!((d.summary.params, d.summary.secrets), (3, 1));
}

#[test]
fn a_condition_asks_the_operator_and_an_interactive_command_is_a_todo() {
    let d = draft(
        "# Ops\n\n## Incident\n\nLa reprise de la base pour les erreurs de la semaine.\n\n- Si surcharge : `docker compose restart api`\n- Logs : `docker compose logs -f api`\n",
    );
    assert!(d.text.contains("confirm \"Si surcharge ?\""), "{}", d.text);
    assert!(
        d.text
            .contains("TODO(import): it follows the logs until stopped (-f)"),
        "{}",
        d.text
    );
    assert_eq!((d.summary.code, d.summary.todo), (1, 1));
}

#[test]
fn bad_input_is_refused_with_a_reason() {
    assert!(matches!(
        import("x.md", b"no heading here"),
        Err(ImportError::NoHeading)
    ));
    assert!(matches!(
        import("x.md", b"# A\n\0"),
        Err(ImportError::Binary { offset: 4 })
    ));
    assert!(matches!(
        import("x.md", b"# A\n\n\xff"),
        Err(ImportError::NotUtf8 { line: 3 })
    ));
    assert!(matches!(
        import("x.md", b"# A\n## B\nprose"),
        Err(ImportError::NoProcedure)
    ));
    let huge = vec![b'a'; MAX_BYTES + 1];
    assert!(matches!(
        import("x.md", &huge),
        Err(ImportError::TooLarge { .. })
    ));
}
