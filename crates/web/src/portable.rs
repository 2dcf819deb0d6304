//! What the two consoles' import pages share (the IdP's realm document, the SP's account
//! document): the multipart form read once, the report as the page shows it, and the download
//! response of an export. The form itself is `templates/import_form.html`, included by both
//! pages; its texts are the `port-*` messages.

use axum::extract::Multipart;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use symbolon_store::portable::{Action, IfExists, ImportReport};

/// The import form as posted: a file or pasted text, what to do with what exists, dry run.
#[derive(Debug, Default)]
pub struct ImportForm {
    pub csrf: Option<String>,
    /// The pasted text, shown again when the page comes back.
    pub pasted: String,
    /// The document: the file when one was chosen, else the pasted text.
    pub text: String,
    pub if_exists: IfExists,
    pub dry_run: bool,
}

impl ImportForm {
    /// Read the form's fields (`csrf`, `file`, `document`, `if_exists`, `dry_run`); unknown
    /// fields are ignored and reading stops at the first field that cannot be read.
    pub async fn read(mut mp: Multipart) -> ImportForm {
        let mut f = ImportForm::default();
        let mut file = Vec::new();
        while let Ok(Some(field)) = mp.next_field().await {
            let name = field.name().unwrap_or("").to_string();
            let Ok(bytes) = field.bytes().await else {
                break;
            };
            let text = || String::from_utf8_lossy(&bytes).into_owned();
            match name.as_str() {
                "csrf" => f.csrf = Some(text()),
                "file" => file = bytes.to_vec(),
                "document" => f.pasted = text(),
                "if_exists" => f.if_exists = IfExists::parse(&text()).unwrap_or_default(),
                "dry_run" => f.dry_run = !bytes.is_empty(),
                _ => {}
            }
        }
        f.text = if file.is_empty() {
            f.pasted.clone()
        } else {
            String::from_utf8_lossy(&file).into_owned()
        };
        f
    }

    /// The select's value for the form shown again.
    pub fn if_exists_value(&self) -> &'static str {
        match self.if_exists {
            IfExists::Fail => "fail",
            IfExists::Skip => "skip",
            IfExists::Overwrite => "overwrite",
        }
    }
}

/// An import's report as the page shows it.
#[derive(Debug)]
pub struct Shown {
    /// The summary, encoded for `t.msg`.
    pub summary: String,
    pub dry_run: bool,
    /// (action's message ID, resource type, name, detail)
    pub rows: Vec<(&'static str, String, String, String)>,
}

/// `r` as the page shows it.
pub fn shown_report(r: &ImportReport) -> Shown {
    let n = |v: u32| v.to_string();
    Shown {
        summary: crate::i18n::encode(
            "port-summary",
            &[
                ("added", &n(r.added)),
                ("overwritten", &n(r.overwritten)),
                ("unchanged", &n(r.unchanged)),
                ("skipped", &n(r.skipped)),
            ],
        ),
        dry_run: r.dry_run,
        rows: r
            .results
            .iter()
            .map(|i| {
                let id = match i.action {
                    Action::Added => "port-action-added",
                    Action::Skipped => "port-action-skipped",
                    Action::Overwritten => "port-action-overwritten",
                    Action::Unchanged => "port-action-unchanged",
                };
                (
                    id,
                    i.resource_type.clone(),
                    i.resource_name.clone(),
                    i.detail.clone().unwrap_or_default(),
                )
            })
            .collect(),
    }
}

/// `doc` as a JSON download named `file` (never cached: it names the tenant's users).
pub fn download<T: serde::Serialize>(doc: &T, file: &str) -> Response {
    let Ok(mut body) = serde_json::to_string_pretty(doc) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    body.push('\n');
    let mut r = (StatusCode::OK, body).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    // The name is ours, but a tenant's name may hold anything: keep it to safe characters.
    let safe: String = file
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{safe}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_rows_and_summary() {
        let mut r = ImportReport::default();
        r.push(Action::Added, "role", "auditor", None);
        r.push(
            Action::Unchanged,
            "identityProvider",
            "okta",
            Some("x".into()),
        );
        let s = shown_report(&r);
        assert!(s.summary.starts_with("port-summary"));
        assert_eq!(s.rows.len(), 2);
        assert_eq!(s.rows[0].0, "port-action-added");
        assert_eq!(s.rows[1].0, "port-action-unchanged");
        assert_eq!(s.rows[1].3, "x");
    }

    #[test]
    fn download_names_are_header_safe() {
        let r = download(&serde_json::json!({"a": 1}), "account-Ac\"me\r\n.json");
        let cd = r.headers()[header::CONTENT_DISPOSITION].to_str().unwrap();
        assert_eq!(cd, "attachment; filename=\"account-Ac_me__.json\"");
        assert_eq!(r.headers()[header::CACHE_CONTROL], "no-store");
    }
}
