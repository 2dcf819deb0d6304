//! How `symbolon sp` commands name an account: by ID, or by its name when that is unique.

/// An account by ID or by name (whatever its case).
pub(crate) async fn account_id<S: symbolon_store::sp::SpStore>(
    s: &S,
    which: &str,
) -> Result<String, String> {
    let all = s.accounts().await.map_err(|e| e.to_string())?;
    if let Some(a) = all.iter().find(|a| a.id == which) {
        return Ok(a.id.clone());
    }
    // Names are unique whatever their case (older databases may hold twins until renamed).
    let key = symbolon_store::sp::account_name_key(which);
    let named: Vec<_> = all
        .iter()
        .filter(|a| symbolon_store::sp::account_name_key(&a.name) == key)
        .collect();
    match named.as_slice() {
        [a] => Ok(a.id.clone()),
        [] => Err(format!(
            "no account {which:?} (`symbolon sp account list` shows every account)"
        )),
        _ => Err(format!(
            "several accounts are named {which:?} (created before names were unique); use the account ID, or rename one of them"
        )),
    }
}
