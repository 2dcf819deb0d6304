//! `symbolon apply DIR`: reconcile a directory of IdP realm and SP account documents with the
//! store, for GitOps; and what `idp realm export|import` and `sp account export|import` share
//! with it (reading and writing the documents, the report).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use serde::Serialize;
use symbolon_idp::Actor;
use symbolon_idp::realm_io::{IfExists, ImportOptions, ImportReport, RealmDoc};
use symbolon_sp::account_io::AccountDoc;
use time::OffsetDateTime;

#[derive(Args, Debug)]
pub struct ApplyArgs {
    #[command(flatten)]
    store: crate::db::StoreArgs,
    /// The directory: every `*.json` file in it (realm documents and account documents), in
    /// name order; realms are applied before accounts.
    dir: PathBuf,
    /// Say what would change; write nothing.
    #[arg(long)]
    dry_run: bool,
}

/// A document to write, as pretty JSON, to a file or standard output.
pub(crate) fn write_json<T: Serialize>(v: &T, out: Option<&Path>) -> Result<(), String> {
    let mut text = serde_json::to_string_pretty(v).map_err(|e| e.to_string())?;
    text.push('\n');
    match out {
        Some(p) => {
            std::fs::write(p, text).map_err(|e| format!("cannot write {}: {e}", p.display()))
        }
        None => {
            print!("{text}");
            Ok(())
        }
    }
}

/// A document from a file (`-`: standard input), at most 64 MiB.
pub(crate) fn read_json<T: serde::de::DeserializeOwned>(
    path: &str,
    what: &str,
) -> Result<T, String> {
    let bytes = crate::input::read_input(path).map_err(|f| f.1)?;
    if bytes.len() > 64 << 20 {
        return Err(format!("{path}: larger than 64 MiB"));
    }
    serde_json::from_slice(&bytes).map_err(|e| format!("{path}: not {what}: {e}"))
}

/// One document of a directory to apply.
enum Doc {
    Realm(RealmDoc),
    Account(AccountDoc),
}

/// A realm document (it has `realm`) or an account document (it has `account`).
fn read_doc(path: &str) -> Result<Doc, String> {
    let v: serde_json::Value = read_json(path, "JSON")?;
    let doc = if v.get("realm").is_some() {
        serde_json::from_value(v).map(Doc::Realm)
    } else if v.get("account").is_some() {
        serde_json::from_value(v).map(Doc::Account)
    } else {
        return Err(format!(
            "{path}: neither a realm document (\"realm\") nor an account document (\"account\")"
        ));
    };
    doc.map_err(|e| format!("{path}: {e}"))
}

pub(crate) async fn import_account<S: symbolon_store::sp::SpStore>(
    s: &S,
    doc: &AccountDoc,
    if_exists: IfExists,
    dry_run: bool,
) -> Result<ImportReport, String> {
    let opts = symbolon_sp::account_io::ImportOptions {
        if_exists,
        dry_run,
        check_url: &symbolon_web::fetch::url_check,
    };
    symbolon_sp::account_io::import_account(
        s,
        &symbolon_sp::Actor::cli(),
        doc,
        &opts,
        OffsetDateTime::now_utc(),
    )
    .await
    .map_err(|e| e.to_string())
}

pub(crate) async fn import_realm<S: symbolon_store::IdpStore>(
    s: &S,
    rep: &RealmDoc,
    if_exists: IfExists,
    dry_run: bool,
) -> symbolon_idp::Result<ImportReport> {
    let opts = ImportOptions {
        if_exists,
        dry_run,
        check_url: &symbolon_web::fetch::url_check,
    };
    symbolon_idp::realm_io::import_realm(
        s,
        &Actor("cli".into()),
        rep,
        &opts,
        OffsetDateTime::now_utc(),
    )
    .await
}

/// One line per resource added, overwritten or skipped (unchanged ones are counted only), and
/// a summary.
pub(crate) fn print_report(source: &str, r: &ImportReport) {
    for item in &r.results {
        if item.action == symbolon_idp::realm_io::Action::Unchanged {
            continue;
        }
        let detail = item
            .detail
            .as_deref()
            .map(|d| format!(": {d}"))
            .unwrap_or_default();
        println!(
            "{}{} {} {}{detail}",
            if r.dry_run { "would be " } else { "" },
            item.action.as_str().to_lowercase(),
            item.resource_type.to_lowercase().replace('_', " "),
            item.resource_name
        );
    }
    println!(
        "{source}: {} added, {} overwritten, {} unchanged, {} skipped{}",
        r.added,
        r.overwritten,
        r.unchanged,
        r.skipped,
        if r.dry_run {
            " (dry run: nothing written)"
        } else {
            ""
        }
    );
}

pub fn run(a: ApplyArgs) -> ExitCode {
    crate::block_on(false, run_async(a))
}

async fn run_async(a: ApplyArgs) -> Result<(), String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(&a.dir)
        .map_err(|e| format!("cannot read {}: {e}", a.dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json") && p.is_file())
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(format!("{}: no *.json documents", a.dir.display()));
    }
    // Every document is read and parsed before the first is applied.
    let mut docs = Vec::with_capacity(files.len());
    for f in &files {
        let name = f.display().to_string();
        docs.push((name.clone(), read_doc(&name)?));
    }
    // Realms first: an account's identity provider may be one of them.
    docs.sort_by_key(|(_, d)| matches!(d, Doc::Account(_)));
    let db = a.store.open(true).await?;
    crate::db::with_db!(db, s => apply_all(&s, &docs, a.dry_run).await)
}

async fn apply_all<S: symbolon_store::IdpStore + symbolon_store::sp::SpStore>(
    s: &S,
    docs: &[(String, Doc)],
    dry_run: bool,
) -> Result<(), String> {
    let mut changed = false;
    for (name, doc) in docs {
        let r = match doc {
            Doc::Realm(d) => import_realm(s, d, IfExists::Overwrite, dry_run)
                .await
                .map_err(|e| e.to_string()),
            Doc::Account(d) => import_account(s, d, IfExists::Overwrite, dry_run).await,
        }
        .map_err(|e| format!("{name}: {e}"))?;
        print_report(name, &r);
        changed |= r.changed();
    }
    match (changed, dry_run) {
        (false, _) => println!(
            "no changes: the store already matches {} document(s)",
            docs.len()
        ),
        (true, true) => println!("changes pending (dry run)"),
        (true, false) => println!("applied"),
    }
    Ok(())
}
