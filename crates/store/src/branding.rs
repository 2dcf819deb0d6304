//! A realm's branding on its sign-in pages: an accent colour and a logo. The values are checked
//! by the domain (`symbolon_idp::branding`) before they are stored; the store keeps them as given.

use std::future::Future;

use time::OffsetDateTime;

use crate::Result;

/// A realm's branding. A realm without a row has neither (the product's own look).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Branding {
    /// `#rrggbb`, lower case.
    pub accent: Option<String>,
    pub logo: Option<Logo>,
    /// When it was last changed (`None` for a realm that was never branded). Written by the
    /// store; what pages link is versioned by content (`symbolon_idp::branding::logo_version`).
    pub updated_at: Option<OffsetDateTime>,
}

/// An uploaded logo: a raster image whose type was recognised from its bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct Logo {
    /// `image/png`, `image/jpeg` or `image/webp`.
    pub content_type: String,
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for Logo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Logo({}, {} bytes)", self.content_type, self.bytes.len())
    }
}

impl Branding {
    pub fn is_empty(&self) -> bool {
        self.accent.is_none() && self.logo.is_none()
    }
}

/// A realm's branding. Deleting the realm deletes it.
pub trait BrandingStore {
    /// The realm's branding; the default (nothing) when it has none.
    fn branding(&self, realm: &str) -> impl Future<Output = Result<Branding>> + Send;
    /// Replace the realm's branding (an empty one removes it). `NotFound` for an unknown realm.
    fn set_branding(
        &self,
        realm: &str,
        branding: &Branding,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<()>> + Send;
}
