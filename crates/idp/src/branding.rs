//! A realm's branding on its sign-in pages: an accent colour and a logo, set by an
//! administrator.
//!
//! Invariants, carried by the types:
//! - An [`Accent`] is a colour that the sign-in pages can use for links and for the primary
//!   button's background with white text at WCAG 2.2 AA (4.5:1 or more against the light pages'
//!   backgrounds). For the dark scheme the pages use [`Accent::on_dark`], the same hue lightened
//!   until it reaches 4.5:1 against the dark backgrounds, so a brand colour never makes a page
//!   unreadable in either scheme.
//! - A [`CheckedLogo`] is a PNG, JPEG or WebP image (recognised by its bytes, not by the name or
//!   type the browser sent) of at most [`MAX_LOGO_BYTES`]. SVG is refused: it can carry script.
//! - A change that changes nothing records nothing; every change is an `ADMIN` event that says
//!   what changed.

use crate::common::{Actor, Result, audit};
use crate::realms::realm_or_404;
use symbolon_store::IdpStore;
use symbolon_store::branding::{Branding, Logo};
use time::OffsetDateTime;

/// The largest logo accepted, in bytes.
pub const MAX_LOGO_BYTES: usize = 200 * 1024;

/// The minimum contrast of the accent against the pages' backgrounds (WCAG 2.2 AA, normal text).
pub const MIN_CONTRAST: f64 = 4.5;

/// The light scheme's backgrounds the accent is read on (the card and the page; the button's
/// white text is the card's colour). Mirrors `--card` and `--bg` in `symbolon.css`.
const LIGHT_BACKGROUNDS: [Rgb; 2] = [Rgb(0xff, 0xff, 0xff), Rgb(0xf4, 0xf6, 0xfa)];
/// The dark scheme's backgrounds (`--card` and `--bg` under `prefers-color-scheme: dark`).
const DARK_BACKGROUNDS: [Rgb; 2] = [Rgb(0x1b, 0x20, 0x29), Rgb(0x12, 0x15, 0x1b)];

/// Why a branding value was refused. The HTTP layer says it next to the field, in the page's
/// language.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BrandingError {
    #[error("the accent colour must be written #rrggbb (six hexadecimal digits)")]
    AccentFormat,
    /// The colour's contrast against the light backgrounds, rounded down to a tenth.
    #[error(
        "the accent colour has a contrast of {ratio:.1}:1 against the page; choose a darker colour (4.5:1 or more)"
    )]
    AccentContrast { ratio: f64 },
    #[error("the logo must be a PNG, JPEG or WebP image")]
    LogoType,
    #[error("the logo is larger than {max} KB", max = MAX_LOGO_BYTES / 1024)]
    LogoTooLarge,
}

/// An sRGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    /// `#rrggbb` (either case); anything else is `None`.
    pub fn parse(s: &str) -> Option<Rgb> {
        let hex = s.strip_prefix('#')?;
        if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let byte = |i: usize| {
            hex.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        };
        Some(Rgb(byte(0)?, byte(2)?, byte(4)?))
    }

    /// `#rrggbb`, lower case.
    pub fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }

    /// WCAG 2.2 relative luminance.
    pub fn luminance(self) -> f64 {
        let channel = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.04045 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(self.0) + 0.7152 * channel(self.1) + 0.0722 * channel(self.2)
    }

    /// WCAG 2.2 contrast ratio, 1 to 21.
    pub fn contrast(self, other: Rgb) -> f64 {
        let (a, b) = (self.luminance(), other.luminance());
        let (hi, lo) = if a >= b { (a, b) } else { (b, a) };
        (hi + 0.05) / (lo + 0.05)
    }

    /// This colour mixed with white: `share` of 255 parts white.
    fn toward_white(self, share: u8) -> Rgb {
        let mix = |c: u8| {
            let c = u16::from(c);
            let s = u16::from(share);
            // c + (255 - c) * s / 255, at most 255.
            u8::try_from(c + (255 - c) * s / 255).unwrap_or(u8::MAX)
        };
        Rgb(mix(self.0), mix(self.1), mix(self.2))
    }
}

fn worst_contrast(c: Rgb, backgrounds: &[Rgb]) -> f64 {
    backgrounds
        .iter()
        .map(|b| c.contrast(*b))
        .fold(f64::INFINITY, f64::min)
}

/// A brand colour the pages can use (see the module's invariants).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Accent(Rgb);

impl Accent {
    /// Check an administrator's colour: `#rrggbb`, readable on the light pages.
    pub fn parse(s: &str) -> std::result::Result<Accent, BrandingError> {
        let c = Rgb::parse(s.trim()).ok_or(BrandingError::AccentFormat)?;
        let ratio = worst_contrast(c, &LIGHT_BACKGROUNDS);
        if ratio < MIN_CONTRAST {
            return Err(BrandingError::AccentContrast {
                ratio: (ratio * 10.0).floor() / 10.0,
            });
        }
        Ok(Accent(c))
    }

    /// The colour, `#rrggbb`.
    pub fn hex(self) -> String {
        self.0.hex()
    }

    /// The colour on the light pages (links, the primary button under white text).
    pub fn on_light(self) -> Rgb {
        self.0
    }

    /// The same hue for the dark pages: lightened in steps until it reaches 4.5:1 against the
    /// dark backgrounds (white itself does, so there always is one).
    pub fn on_dark(self) -> Rgb {
        (0..=255u8)
            .step_by(5)
            .map(|s| self.0.toward_white(s))
            .find(|c| worst_contrast(*c, &DARK_BACKGROUNDS) >= MIN_CONTRAST)
            .unwrap_or(Rgb(0xff, 0xff, 0xff))
    }

    /// The text colour on a button of the dark variant: black or white, whichever reads better.
    pub fn text_on_dark(self) -> Rgb {
        let bg = self.on_dark();
        let (black, white) = (Rgb(0, 0, 0), Rgb(0xff, 0xff, 0xff));
        if bg.contrast(black) >= bg.contrast(white) {
            black
        } else {
            white
        }
    }
}

/// A logo whose bytes were recognised as a raster image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedLogo(Logo);

impl CheckedLogo {
    pub fn check(bytes: Vec<u8>) -> std::result::Result<CheckedLogo, BrandingError> {
        if bytes.len() > MAX_LOGO_BYTES {
            return Err(BrandingError::LogoTooLarge);
        }
        let content_type = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            "image/png"
        } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
            "image/jpeg"
        } else if bytes.len() >= 12
            && bytes.starts_with(b"RIFF")
            && bytes.get(8..12) == Some(b"WEBP".as_slice())
        {
            "image/webp"
        } else {
            return Err(BrandingError::LogoType);
        };
        Ok(CheckedLogo(Logo {
            content_type: content_type.into(),
            bytes,
        }))
    }
}

/// A short version of a logo's bytes (16 hex digits of its SHA-256), for its URL and ETag.
pub fn logo_version(logo: &Logo) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &logo.bytes);
    digest
        .as_ref()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What a branding edit does to the logo.
#[derive(Debug, Clone, Default)]
pub enum LogoChange {
    #[default]
    Keep,
    Remove,
    Set(CheckedLogo),
}

/// A branding edit: the accent (`None`: the product's own) and what to do with the logo.
#[derive(Debug, Clone, Default)]
pub struct BrandingChange {
    pub accent: Option<Accent>,
    pub logo: LogoChange,
}

/// The realm's branding, with the accent checked again (a value stored by an older version, or
/// written into the database by hand, that no longer passes is ignored, not shown).
pub async fn realm_branding<S: IdpStore>(
    store: &S,
    realm: &str,
) -> Result<(Option<Accent>, Option<Logo>)> {
    let b = store.branding(realm).await?;
    let accent = b.accent.as_deref().and_then(|a| Accent::parse(a).ok());
    Ok((accent, b.logo))
}

/// Apply a branding edit. Returns whether anything changed.
pub async fn update_branding<S: IdpStore>(
    store: &S,
    actor: &Actor,
    realm: &str,
    change: BrandingChange,
    now: OffsetDateTime,
) -> Result<bool> {
    realm_or_404(store, realm).await?;
    let before = store.branding(realm).await?;
    let accent = change.accent.map(Accent::hex);
    let logo = match change.logo {
        LogoChange::Keep => before.logo.clone(),
        LogoChange::Remove => None,
        LogoChange::Set(CheckedLogo(l)) => Some(l),
    };
    let mut changes = Vec::new();
    if accent != before.accent {
        changes.push(format!(
            "accent colour {} -> {}",
            before.accent.as_deref().unwrap_or("default"),
            accent.as_deref().unwrap_or("default")
        ));
    }
    if logo != before.logo {
        changes.push(match &logo {
            Some(l) => format!("logo set ({}, {} bytes)", l.content_type, l.bytes.len()),
            None => "logo removed".into(),
        });
    }
    if changes.is_empty() {
        return Ok(false);
    }
    let after = Branding {
        accent,
        logo,
        updated_at: None,
    };
    store.set_branding(realm, &after, now).await?;
    audit(
        store,
        realm,
        actor,
        None,
        format!("updated branding of realm {realm}: {}", changes.join(", ")),
        now,
    )
    .await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contrast_follows_wcag() {
        let (black, white) = (Rgb(0, 0, 0), Rgb(255, 255, 255));
        assert!((black.contrast(white) - 21.0).abs() < 1e-9);
        assert!((white.contrast(white) - 1.0).abs() < 1e-9);
        // The product's own light accent, #2f5fd0, is about 5.7:1 on white.
        let ours = Rgb::parse("#2f5fd0").unwrap();
        assert!(ours.contrast(white) > 5.5 && ours.contrast(white) < 6.0);
    }

    #[test]
    fn accents_must_be_written_as_six_hex_digits() {
        for bad in [
            "",
            "1a4d8f",
            "#1a4d8",
            "#1a4d8fe",
            "#1a4d8g",
            "red",
            "#ＡＡＡＡＡＡ",
            "#1a4d8f;",
        ] {
            assert_eq!(
                Accent::parse(bad),
                Err(BrandingError::AccentFormat),
                "{bad:?}"
            );
        }
        assert_eq!(Accent::parse(" #1A4D8F ").unwrap().hex(), "#1a4d8f");
    }

    #[test]
    fn a_light_accent_is_refused_with_its_ratio() {
        // Yellow on white is about 1.07:1.
        match Accent::parse("#ffff00") {
            Err(BrandingError::AccentContrast { ratio }) => assert!(ratio < 1.1, "{ratio}"),
            other => panic!("{other:?}"),
        }
        // The dark scheme's own accent is a light colour: not usable on the light pages.
        assert!(matches!(
            Accent::parse("#8fb0ff"),
            Err(BrandingError::AccentContrast { .. })
        ));
        // Just under and just over the line: #767676 is 4.54:1 on white but 4.2:1 on #f4f6fa.
        assert!(Accent::parse("#767676").is_err());
        assert!(Accent::parse("#6b6b6b").is_ok());
    }

    #[test]
    fn every_accepted_accent_reads_in_both_schemes() {
        // Every 17th step of each channel: 4,096 colours.
        for r in (0..=255u8).step_by(17) {
            for g in (0..=255u8).step_by(17) {
                for b in (0..=255u8).step_by(17) {
                    let Ok(a) = Accent::parse(&Rgb(r, g, b).hex()) else {
                        continue;
                    };
                    for bg in LIGHT_BACKGROUNDS {
                        assert!(a.on_light().contrast(bg) >= MIN_CONTRAST);
                    }
                    // White button text on the light accent.
                    assert!(a.on_light().contrast(Rgb(255, 255, 255)) >= MIN_CONTRAST);
                    for bg in DARK_BACKGROUNDS {
                        assert!(a.on_dark().contrast(bg) >= MIN_CONTRAST, "{}", a.hex());
                    }
                    assert!(a.on_dark().contrast(a.text_on_dark()) >= MIN_CONTRAST);
                }
            }
        }
    }

    #[test]
    fn logos_are_recognised_by_their_bytes() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        assert_eq!(CheckedLogo::check(png).unwrap().0.content_type, "image/png");
        let jpeg = vec![0xff, 0xd8, 0xff, 0xe0, 0, 16];
        assert_eq!(
            CheckedLogo::check(jpeg).unwrap().0.content_type,
            "image/jpeg"
        );
        let webp = b"RIFF\x10\0\0\0WEBPVP8 ".to_vec();
        assert_eq!(
            CheckedLogo::check(webp).unwrap().0.content_type,
            "image/webp"
        );
        for bad in [
            b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>".to_vec(),
            b"GIF89a".to_vec(),
            b"RIFF\0\0\0\0WAVE".to_vec(),
            b"RIFF".to_vec(),
            vec![],
            b"<html>\x89PNG\r\n\x1a\n".to_vec(),
        ] {
            assert_eq!(CheckedLogo::check(bad), Err(BrandingError::LogoType));
        }
        let mut big = b"\x89PNG\r\n\x1a\n".to_vec();
        big.resize(MAX_LOGO_BYTES + 1, 0);
        assert_eq!(CheckedLogo::check(big), Err(BrandingError::LogoTooLarge));
        let mut just = b"\x89PNG\r\n\x1a\n".to_vec();
        just.resize(MAX_LOGO_BYTES, 0);
        assert!(CheckedLogo::check(just).is_ok());
    }
}
