//! The inventory parser's tests, by concept, through [`parse`] as a user meets it; `ansible`
//! compares whole inventories with what `ansible-inventory --list` makes of them.

mod ansible;
mod errors;
mod groups;
mod hostile;
mod patterns;
mod precedence;
mod site;
mod values;

use super::*;

/// A production-like inventory: every construct at least once.
const SITE: &str = include_str!("ansible/site.ini");

fn parsed(text: &str) -> Inventory {
    parse(text).unwrap_or_else(|error| panic!("{error}"))
}

fn error(text: &str) -> InventoryError {
    match parse(text) {
        Err(error) => error,
        Ok(inventory) => panic!("expected an error, parsed {inventory:?}"),
    }
}

/// The error's position, and a fragment its message must contain.
fn assert_error(text: &str, line: usize, column: usize, fragment: &str) {
    let error = error(text);
    assert_eq!((error.at.line, error.at.col), (line, column), "{error}");
    assert!(
        error.message.contains(fragment),
        "`{}` does not mention `{fragment}`",
        error.message
    );
}

fn host<'a>(inventory: &'a Inventory, name: &str) -> &'a InventoryHost {
    inventory
        .host(name)
        .unwrap_or_else(|| panic!("no host {name}"))
}

fn var<'a>(inventory: &'a Inventory, host_name: &str, key: &str) -> Option<&'a str> {
    host(inventory, host_name).vars.get(key).map(String::as_str)
}

fn group<'a>(inventory: &'a Inventory, name: &str) -> Vec<&'a str> {
    let hosts = inventory.groups.get(name);
    let hosts = hosts.unwrap_or_else(|| panic!("no group {name}"));
    hosts.iter().map(String::as_str).collect()
}

fn host_names(inventory: &Inventory) -> Vec<&str> {
    inventory.hosts.iter().map(|h| h.name.as_str()).collect()
}
