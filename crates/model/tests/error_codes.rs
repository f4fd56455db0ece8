//! Every error code and field is listed for API clients and translated by the web client.
//!
//! `docs/error-codes.json` (read by the web client's tests) and the table in `docs/http.md` are
//! written from [`ProblemCode::ALL`] and [`Field::ALL`]: run with `GIAOBAN_BLESS=1` to rewrite
//! them after adding a code. The web catalogues must carry `api.<code>` and `field.<name>` in
//! Vietnamese and in English; `tests/web/problems.test.js` checks their parameters.

use std::path::{Path, PathBuf};

use giaoban_model::{Field, ProblemCode};
use serde_json::json;

const TABLE_START: &str = "<!-- error-codes:start -->";
const TABLE_END: &str = "<!-- error-codes:end -->";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn bless() -> bool {
    std::env::var_os("GIAOBAN_BLESS").is_some()
}

fn read(path: &str) -> String {
    std::fs::read_to_string(repo().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// `docs/error-codes.json` as it should read.
fn code_list() -> String {
    let codes: Vec<_> = ProblemCode::ALL
        .iter()
        .map(|c| json!({"code": c.as_str(), "params": c.params(), "english": c.english()}))
        .collect();
    let fields: Vec<_> = Field::ALL
        .iter()
        .map(|f| json!({"field": f.as_str(), "english": f.english()}))
        .collect();
    let list = json!({"codes": codes, "fields": fields});
    serde_json::to_string_pretty(&list).expect("JSON values serialise") + "\n"
}

/// The table of `docs/http.md`, markers included.
fn code_table() -> String {
    let mut table = format!(
        "{TABLE_START}\n| code | parameters | English message (`message`) |\n|---|---|---|\n"
    );
    for code in ProblemCode::ALL {
        let params: Vec<String> = code.params().iter().map(|p| format!("`{p}`")).collect();
        let english = code.english().replace('|', "\\|");
        table.push_str(&format!(
            "| `{}` | {} | {} |\n",
            code.as_str(),
            params.join(", "),
            english
        ));
    }
    table.push_str(TABLE_END);
    table
}

#[test]
fn the_code_list_for_clients_is_up_to_date() {
    let expected = code_list();
    let path = repo().join("docs/error-codes.json");
    if bless() {
        std::fs::write(&path, &expected).unwrap();
    }
    assert!(
        read("docs/error-codes.json") == expected,
        "docs/error-codes.json is out of date: run GIAOBAN_BLESS=1 cargo test -p giaoban-model"
    );
}

#[test]
fn the_http_reference_lists_every_code() {
    let doc = read("docs/http.md");
    let (Some(start), Some(end)) = (doc.find(TABLE_START), doc.find(TABLE_END)) else {
        panic!("docs/http.md has no {TABLE_START} … {TABLE_END} table");
    };
    let current = &doc[start..end + TABLE_END.len()];
    let expected = code_table();
    if bless() && current != expected {
        let updated = doc.replace(current, &expected);
        std::fs::write(repo().join("docs/http.md"), updated).unwrap();
        return;
    }
    assert!(
        current == expected,
        "the error code table of docs/http.md is out of date: run GIAOBAN_BLESS=1 cargo test \
         -p giaoban-model"
    );
}

#[test]
fn the_web_client_translates_every_code_and_field() {
    for lang in ["vi", "en"] {
        let catalogue = read(&format!("web/js/lang/{lang}.js"));
        let missing: Vec<String> = ProblemCode::ALL
            .iter()
            .map(|c| format!("api.{}", c.as_str()))
            .chain(Field::ALL.iter().map(|f| format!("field.{}", f.as_str())))
            .filter(|key| !catalogue.contains(&format!("'{key}':")))
            .collect();
        assert!(
            missing.is_empty(),
            "web/js/lang/{lang}.js does not translate {missing:?}"
        );
    }
}
