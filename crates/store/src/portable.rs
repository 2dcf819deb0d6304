//! What importing a document (an IdP realm, an SP account) does with each resource: the
//! choice for what exists (Keycloak's `ifResourceExists`) and the report (Keycloak's
//! `PartialImportResults`). Shared by both domains, which import their own documents.

use serde::{Deserialize, Serialize};

/// What to do with a resource that already exists (Keycloak's `ifResourceExists`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum IfExists {
    /// Refuse the whole import, writing nothing.
    #[default]
    Fail,
    /// Leave it as it is.
    Skip,
    /// Make it what the file says.
    Overwrite,
}

impl IfExists {
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "fail" => Some(IfExists::Fail),
            "skip" => Some(IfExists::Skip),
            "overwrite" => Some(IfExists::Overwrite),
            _ => None,
        }
    }
}

/// What happened to one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum Action {
    Added,
    Skipped,
    Overwritten,
    /// Symbolon: it exists and already matches the file; nothing written.
    Unchanged,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Added => "ADDED",
            Action::Skipped => "SKIPPED",
            Action::Overwritten => "OVERWRITTEN",
            Action::Unchanged => "UNCHANGED",
        }
    }
}

/// One resource's outcome (Keycloak's `PartialImportResult`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImportItem {
    pub action: Action,
    /// At the IdP `REALM`, `REALM_ROLE`, `GROUP`, `USER`, `CLIENT`, `KEY`; at the SP `ACCOUNT`,
    /// `ROLE`, `IDENTITY_PROVIDER`, `SAML_ACCOUNT`, `USER`.
    pub resource_type: String,
    pub resource_name: String,
    /// What changed, or why it was skipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// The outcome of an import (Keycloak's `PartialImportResults`, with `unchanged` and `dryRun`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImportReport {
    pub added: u32,
    pub skipped: u32,
    pub overwritten: u32,
    pub unchanged: u32,
    /// Nothing was written: the report says what an import would do.
    pub dry_run: bool,
    pub results: Vec<ImportItem>,
}

impl ImportReport {
    pub fn push(&mut self, action: Action, kind: &str, name: &str, detail: Option<String>) {
        let n = match action {
            Action::Added => &mut self.added,
            Action::Skipped => &mut self.skipped,
            Action::Overwritten => &mut self.overwritten,
            Action::Unchanged => &mut self.unchanged,
        };
        *n = n.saturating_add(1);
        self.results.push(ImportItem {
            action,
            resource_type: kind.into(),
            resource_name: name.into(),
            detail,
        });
    }

    /// Whether the import changed (or would change) anything.
    pub fn changed(&self) -> bool {
        self.added > 0 || self.overwritten > 0
    }
}

/// How to import.
pub struct ImportOptions<'a> {
    pub if_exists: IfExists,
    /// Check and report, write nothing.
    pub dry_run: bool,
    /// The fetcher's check of a metadata URL in the document.
    pub check_url: &'a crate::UrlCheck,
}

impl std::fmt::Debug for ImportOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImportOptions")
            .field("if_exists", &self.if_exists)
            .field("dry_run", &self.dry_run)
            .finish_non_exhaustive()
    }
}
