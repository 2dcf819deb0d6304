//! `BrandingStore`: a realm's accent colour and logo, on both backends.

use symbolon_store::branding::{Branding, Logo};
use symbolon_store::*;
use time::OffsetDateTime;

fn t(s: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_700_000_000 + s).unwrap()
}

/// None until set; replaced whole; an empty branding removes the row; an unknown realm is
/// `NotFound` and writes nothing; one realm's branding never shows in another; gone with its realm.
pub async fn branding<S: IdpStore>(s: S) {
    for r in ["r", "q"] {
        s.create_realm(&Realm {
            name: r.into(),
            display_name: r.into(),
            enabled: true,
            assertion_lifespan_secs: 300,
            created_at: t(0),
        })
        .await
        .unwrap();
    }
    assert_eq!(s.branding("r").await.unwrap(), Branding::default());
    let logo = Logo {
        content_type: "image/png".into(),
        bytes: vec![0x89, b'P', b'N', b'G', 0, 1, 2, 255],
    };
    let b = Branding {
        accent: Some("#1a4d8f".into()),
        logo: Some(logo.clone()),
        updated_at: None,
    };
    s.set_branding("r", &b, t(10)).await.unwrap();
    let got = s.branding("r").await.unwrap();
    assert_eq!(got.accent.as_deref(), Some("#1a4d8f"));
    assert_eq!(got.logo.as_ref(), Some(&logo));
    assert_eq!(got.updated_at, Some(t(10)));
    assert_eq!(s.branding("q").await.unwrap(), Branding::default());

    // Replaced whole: the logo goes when the new branding has none.
    let accent_only = Branding {
        accent: Some("#224466".into()),
        logo: None,
        updated_at: None,
    };
    s.set_branding("r", &accent_only, t(20)).await.unwrap();
    let got = s.branding("r").await.unwrap();
    assert_eq!(got.accent.as_deref(), Some("#224466"));
    assert_eq!(got.logo, None);
    assert_eq!(got.updated_at, Some(t(20)));

    // Empty: back to the product's look.
    s.set_branding("r", &Branding::default(), t(30))
        .await
        .unwrap();
    assert_eq!(s.branding("r").await.unwrap(), Branding::default());

    // Unknown realm.
    assert!(matches!(
        s.set_branding("nope", &b, t(40)).await,
        Err(StoreError::NotFound("realm", _))
    ));
    assert_eq!(s.branding("nope").await.unwrap(), Branding::default());

    // Gone with its realm.
    s.set_branding("q", &b, t(50)).await.unwrap();
    s.delete_realm("q").await.unwrap();
    assert_eq!(s.branding("q").await.unwrap(), Branding::default());
    s.create_realm(&Realm {
        name: "q".into(),
        display_name: "q".into(),
        enabled: true,
        assertion_lifespan_secs: 300,
        created_at: t(60),
    })
    .await
    .unwrap();
    assert_eq!(s.branding("q").await.unwrap(), Branding::default());
}
