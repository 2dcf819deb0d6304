//! How `symbolon sp` commands name an account: by ID, or by its name when that is unique.

/// An account by ID or by (unique) name.
pub(crate) async fn account_id<S: symbolon_store::sp::SpStore>(
    s: &S,
    which: &str,
) -> Result<String, String> {
    let all = s.accounts().await.map_err(|e| e.to_string())?;
    if let Some(a) = all.iter().find(|a| a.id == which) {
        return Ok(a.id.clone());
    }
    let named: Vec<_> = all.iter().filter(|a| a.name == which).collect();
    match named.as_slice() {
        [a] => Ok(a.id.clone()),
        [] => Err(format!("no account {which:?}")),
        _ => Err(format!(
            "several accounts are named {which:?}; use the account ID"
        )),
    }
}
