//! Entry points shared by the fuzz targets (`fuzz/`) and the corpus replay tests.

use symbolon_store::sp::SpStore;
use time::macros::datetime;

use crate::{AcsMode, AcsPolicy, Actor};

/// The service provider the ACS target plays: its base URL, and the fixed `now`.
pub const BASE_URL: &str = "https://sp.example.test";
pub const NOW: time::OffsetDateTime = datetime!(2025-01-01 12:00:00 UTC);

/// Two accounts that trust the identity provider of `idp_metadata` (the fuzz seeds' test IdP),
/// with a group mapping and a SAML account each, as a real deployment has.
pub async fn seed<S: SpStore>(store: &S, idp_metadata: &[u8]) -> crate::Result<()> {
    let actor = Actor::cli();
    for name in ["Acme", "Other"] {
        let a = crate::create_account(store, &actor, name, NOW).await?;
        crate::add_idp(store, &actor, &a.id, "MPAS", None, idp_metadata, NOW).await?;
    }
    Ok(())
}

/// The ACS as a whole: bytes as posted (base64 or XML) through decoding, validation against
/// every account that trusts the issuer, replay, traces and the account/role pairs. Must never
/// panic; returns whether anyone was signed in.
pub async fn acs<S: SpStore>(store: &S, data: &[u8]) -> bool {
    let Ok(xml) = symbolon_saml::binding::xml_or_base64(data) else {
        return false;
    };
    let sp = crate::sp_settings(BASE_URL);
    let cache = crate::AcsCache::default();
    let policy = AcsPolicy::default();
    let acs = crate::Acs {
        store,
        cache: &cache,
        keys: &crate::SpKeys::default(),
        sp: &sp,
        policy: &policy,
    };
    crate::consume_response(&acs, &xml, None, NOW, AcsMode::SignIn, "fuzz", |_| None)
        .await
        .is_ok_and(|s| !s.pairs.is_empty() || !s.name_id.is_empty())
}
