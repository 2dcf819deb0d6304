//! The product's words in English and Japanese: one Fluent catalogue per language
//! (`i18n/en.ftl`, `i18n/ja.ftl`, compiled into the binary) shared by both servers, and how a
//! request's language is chosen.
//!
//! The language of a page is, in order: the person's explicit choice (the `?lang=` switcher,
//! remembered in a cookie), the user's own `locale` attribute where the server knows the user,
//! the browser's `Accept-Language`, else English. [`scope`], a middleware every server gets from
//! `front::harden`, keeps the request's [`Prefs`] for everything that renders text while
//! answering it (so no handler can forget them) and turns `?lang=ja` into the cookie.
//!
//! Invariants: a message missing from a catalogue renders as its ID (never a panic, never an
//! empty page), and a unit test proves every ID exists in both languages and every ID the
//! templates and sources name exists; translations are plain text (templates escape them).

use axum::extract::Request;
use axum::http::{HeaderValue, header, request::Parts};
use axum::middleware::Next;
use axum::response::Response;
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};
use std::sync::LazyLock;

/// The languages of the product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    En,
    Ja,
}

/// Every language, in the order the switcher lists them.
pub const LANGS: [Lang; 2] = [Lang::En, Lang::Ja];

/// The cookie that remembers an explicit choice.
pub const COOKIE: &str = "symbolon_lang";

/// The query parameter of the switcher (`?lang=ja`).
pub const QUERY: &str = "lang";

impl Lang {
    /// The BCP 47 tag pages carry in `<html lang>`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ja => "ja",
        }
    }

    /// The language's own name, as the switcher shows it.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Ja => "日本語",
        }
    }

    /// A language tag as browsers, SAML attributes and SCIM send it (`ja`, `ja-JP`, `ja_JP`,
    /// `en-US`); `None` for a language the product does not speak.
    pub fn parse(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next().unwrap_or("");
        if primary.eq_ignore_ascii_case("ja") {
            Some(Lang::Ja)
        } else if primary.eq_ignore_ascii_case("en") {
            Some(Lang::En)
        } else {
            None
        }
    }

    /// The most preferred language of an `Accept-Language` header that the product speaks
    /// (q-values honoured, ties in header order; at most the first 32 entries are read).
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut best: Option<(u16, Lang)> = None;
        for item in header.split(',').take(32) {
            let mut parts = item.split(';');
            let Some(lang) = Lang::parse(parts.next().unwrap_or("")) else {
                continue;
            };
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .map_or(Some(1000), quality);
            let Some(q) = q.filter(|q| *q > 0) else {
                continue;
            };
            if best.is_none_or(|(b, _)| q > b) {
                best = Some((q, lang));
            }
        }
        best.map(|(_, l)| l)
    }

    /// The catalogue of this language.
    pub fn tr(self) -> Tr {
        Tr(self)
    }
}

/// A q-value (`0`, `0.5`, `1.000`) in thousandths; `None` when malformed.
fn quality(q: &str) -> Option<u16> {
    let (int, frac) = q.trim().split_once('.').unwrap_or((q.trim(), ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole = match int {
        "0" => 0u16,
        "1" => 1000,
        _ => return None,
    };
    let mut thousandths = 0u16;
    for (i, b) in frac.bytes().enumerate() {
        let place = [100u16, 10, 1].get(i).copied().unwrap_or(0);
        thousandths = thousandths.saturating_add(u16::from(b - b'0').saturating_mul(place));
    }
    let q = whole.saturating_add(thousandths);
    (q <= 1000).then_some(q)
}

/// A request's language preferences: an explicit choice (this request's `?lang=`, else the
/// cookie) and what the browser accepts. Extracting it never fails.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Prefs {
    pub chosen: Option<Lang>,
    pub accepted: Option<Lang>,
}

impl Prefs {
    /// The preferences a request states.
    pub fn of(parts: &Parts) -> Prefs {
        Prefs::with_choice(parts, parts.uri.query().and_then(query_choice))
    }

    /// The preferences of a request whose `?lang=` choice (if any) was already read.
    fn with_choice(parts: &Parts, from_query: Option<Lang>) -> Prefs {
        let from_cookie = crate::request::cookie(&parts.headers, COOKIE)
            .as_deref()
            .and_then(Lang::parse);
        let accepted = parts
            .headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .and_then(Lang::from_accept_language);
        Prefs {
            chosen: from_query.or(from_cookie),
            accepted,
        }
    }

    /// The language for someone the server does not know yet.
    pub fn lang(self) -> Lang {
        self.chosen.or(self.accepted).unwrap_or_default()
    }

    /// The language for a known user whose `locale` attribute (if any) is given: an explicit
    /// choice still wins, the attribute comes before the browser.
    pub fn for_user(self, locale: Option<&str>) -> Lang {
        self.chosen
            .or_else(|| locale.and_then(Lang::parse))
            .or(self.accepted)
            .unwrap_or_default()
    }

    /// The catalogue for someone the server does not know yet.
    pub fn tr(self) -> Tr {
        self.lang().tr()
    }
}

/// The language a query string's `lang=` names, if it names one the product speaks.
fn query_choice(query: &str) -> Option<Lang> {
    query
        .split('&')
        .take(64)
        .find_map(|kv| kv.strip_prefix(QUERY).and_then(|r| r.strip_prefix('=')))
        .and_then(Lang::parse)
}

tokio::task_local! {
    static SCOPE: Scope;
}

/// What the request being answered states about language, for code that renders text (error
/// pages, the page chrome); the URI gives the switcher's links and the navigation's mark.
#[derive(Debug, Clone, Default)]
struct Scope {
    prefs: Prefs,
    uri: axum::http::Uri,
    /// A GET, whose URI a link may fetch again (a page answering a POST gets no switcher).
    get: bool,
}

/// The language preferences of the request being answered (default outside [`scope`]).
pub fn prefs() -> Prefs {
    SCOPE.try_with(|s| s.prefs).unwrap_or_default()
}

/// The catalogue for the request being answered, for someone the server does not know yet.
pub fn tr() -> Tr {
    prefs().tr()
}

/// The catalogue for a known user with this `locale` attribute (see [`Prefs::for_user`]).
pub fn tr_for_user(locale: Option<&str>) -> Tr {
    prefs().for_user(locale).tr()
}

/// Middleware: the request's language preferences for everything that answers it, and a
/// `?lang=en|ja` choice stored in a cookie (a year, the whole site, `SameSite=Lax`,
/// `HttpOnly`) so that later pages and the next visit speak it.
pub async fn scope(req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let choice = parts.uri.query().and_then(query_choice);
    let scope = Scope {
        prefs: Prefs::with_choice(&parts, choice),
        uri: parts.uri.clone(),
        get: parts.method == axum::http::Method::GET,
    };
    let req = Request::from_parts(parts, body);
    let mut resp = SCOPE.scope(scope, next.run(req)).await;
    if let Some(lang) = choice {
        let cookie = format!(
            "{COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly",
            lang.code()
        );
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            resp.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    resp
}

/// The catalogue of one language, for templates and handlers: `t.t("login-title")`,
/// `t.t1("login-heading", "realm", name)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tr(pub Lang);

static EN_FTL: &str = include_str!("../i18n/en.ftl");
static JA_FTL: &str = include_str!("../i18n/ja.ftl");

struct Catalogues {
    en: FluentBundle<FluentResource>,
    ja: FluentBundle<FluentResource>,
}

fn bundle(lang: Lang, source: &str) -> FluentBundle<FluentResource> {
    // A resource with syntax errors keeps the messages that parsed (a test keeps both clean).
    let resource = FluentResource::try_new(source.to_string()).unwrap_or_else(|(r, _)| r);
    let id = match lang {
        Lang::En => unic_langid::langid!("en"),
        Lang::Ja => unic_langid::langid!("ja"),
    };
    let mut b = FluentBundle::new_concurrent(vec![id]);
    // Plain text into HTML: no Unicode isolation marks around arguments.
    b.set_use_isolating(false);
    let _ = b.add_resource(resource);
    b
}

static CATALOGUES: LazyLock<Catalogues> = LazyLock::new(|| Catalogues {
    en: bundle(Lang::En, EN_FTL),
    ja: bundle(Lang::Ja, JA_FTL),
});

impl Tr {
    fn bundle(self) -> &'static FluentBundle<FluentResource> {
        match self.0 {
            Lang::En => &CATALOGUES.en,
            Lang::Ja => &CATALOGUES.ja,
        }
    }

    /// The language's tag (`en`, `ja`) for `<html lang>`.
    pub fn code(&self) -> &'static str {
        self.0.code()
    }

    /// Message `id`, or the ID itself when the catalogue lacks it.
    pub fn t(&self, id: &str) -> String {
        self.format(id, None)
    }

    /// Message `id` with one argument.
    pub fn t1(&self, id: &str, name: &str, value: &str) -> String {
        let mut args = FluentArgs::new();
        args.set(name.to_string(), value.to_string());
        self.format(id, Some(&args))
    }

    /// Message `id` with two arguments.
    pub fn t2(&self, id: &str, a: &str, a_value: &str, b: &str, b_value: &str) -> String {
        let mut args = FluentArgs::new();
        args.set(a.to_string(), a_value.to_string());
        args.set(b.to_string(), b_value.to_string());
        self.format(id, Some(&args))
    }

    /// Message `id` with a number (plural forms choose by it).
    pub fn n<N: Into<fluent_bundle::FluentValue<'static>>>(
        &self,
        id: &str,
        name: &str,
        count: N,
    ) -> String {
        let mut args = FluentArgs::new();
        args.set(name.to_string(), count);
        self.format(id, Some(&args))
    }

    fn format(&self, id: &str, args: Option<&FluentArgs>) -> String {
        let b = self.bundle();
        let Some(pattern) = b.get_message(id).and_then(|m| m.value()) else {
            return id.to_string();
        };
        let mut errors = Vec::new();
        b.format_pattern(pattern, args, &mut errors).into_owned()
    }

    /// A message as [`encode`] carries it (an ID and its arguments), a bare ID, or text that
    /// is not in the catalogue, which is shown as it is.
    pub fn msg(&self, carried: &str) -> String {
        let mut parts = carried.split(SEP);
        let id = parts.next().unwrap_or_default();
        let mut args = FluentArgs::new();
        let mut any = false;
        for kv in parts.take(8) {
            if let Some((k, v)) = kv.split_once('=') {
                args.set(k.to_string(), v.to_string());
                any = true;
            }
        }
        if !any {
            return self.t(carried);
        }
        self.format(id, Some(&args))
    }

    /// Whether the catalogue has message `id`.
    pub fn has(&self, id: &str) -> bool {
        self.bundle().has_message(id)
    }

    /// Whether a navigation link to `href` leads to the page being answered or one below it
    /// (`aria-current="page"` in the consoles' navigation); `exact` for a link whose path is a
    /// prefix of its siblings' (a console's start page).
    pub fn is_current(&self, href: &str, exact: bool) -> bool {
        SCOPE
            .try_with(|s| {
                let href = href.trim_end_matches('/');
                let path = s.uri.path().trim_end_matches('/');
                path == href
                    || (!exact
                        && path
                            .strip_prefix(href)
                            .is_some_and(|rest| rest.starts_with('/')))
            })
            .unwrap_or(false)
    }

    /// The switcher's links on the page answering the current GET request (none for a page
    /// answering a POST): each other language with the URL that switches to it.
    pub fn switch_here(&self) -> Vec<(Lang, String)> {
        SCOPE
            .try_with(|s| {
                s.get
                    .then(|| s.uri.path_and_query().map(|p| self.switcher(p.as_str())))
                    .flatten()
            })
            .ok()
            .flatten()
            .unwrap_or_default()
    }

    /// The switcher's links for a page at `path` (with its query, without `lang=`): each other
    /// language with the URL that switches to it.
    pub fn switcher(&self, path_and_query: &str) -> Vec<(Lang, String)> {
        let (path, query) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        let kept: Vec<&str> = query
            .split('&')
            .filter(|kv| !kv.is_empty() && !kv.starts_with("lang="))
            .collect();
        LANGS
            .iter()
            .filter(|l| **l != self.0)
            .map(|l| {
                let mut q = kept.clone();
                let choice = format!("{QUERY}={}", l.code());
                q.push(&choice);
                (*l, format!("{path}?{}", q.join("&")))
            })
            .collect()
    }
}

/// Separates an ID from its arguments in an [`encode`]d message (a control character no form
/// field or name carries; removed from values).
const SEP: char = '\u{1f}';

/// A message with arguments as one string, for what travels as text (a notice through the flash
/// store and a redirect) and is rendered later in the viewer's language by [`Tr::msg`].
pub fn encode(id: &str, args: &[(&str, &str)]) -> String {
    let mut out = id.to_string();
    for (k, v) in args {
        out.push(SEP);
        out.push_str(k);
        out.push('=');
        out.extend(v.chars().filter(|c| *c != SEP));
    }
    out
}

/// The message IDs a catalogue source defines (for the parity test).
#[cfg(test)]
fn message_ids(lang: Lang) -> Vec<String> {
    let source = match lang {
        Lang::En => EN_FTL,
        Lang::Ja => JA_FTL,
    };
    let resource = FluentResource::try_new(source.to_string()).unwrap_or_else(|(r, _)| r);
    resource
        .entries()
        .filter_map(|e| match e {
            fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_string()),
            _ => None,
        })
        .collect()
}

/// The prefixes of catalogue IDs.
const PREFIXES: [&str; 9] = [
    "common-", "console-", "err-", "idp-", "idpc-", "acc-", "sp-", "spc-", "js-",
];

/// The catalogue IDs a source text names (quoted strings with an ID prefix, on lines that are not
/// `const` declarations: those name state namespaces) that the catalogues lack. Each server's
/// tests run it over its templates and sources, so a typo in an ID fails a test, not a page.
pub fn unknown_ids(source: &str) -> Vec<String> {
    let en = Lang::En.tr();
    let mut unknown = Vec::new();
    for line in source.lines() {
        if line.trim_start().starts_with("const ") || line.contains(" const ") {
            continue;
        }
        for (i, quoted) in line.split('"').enumerate() {
            let is_id = i % 2 == 1
                && PREFIXES.iter().any(|p| quoted.starts_with(p))
                && !quoted.ends_with('-')
                && quoted
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if is_id && !en.has(quoted) {
                unknown.push(quoted.to_string());
            }
        }
    }
    unknown
}

/// [`unknown_ids`] over a server crate's templates, sources and static scripts (each HTTP crate's
/// test calls it with its `CARGO_MANIFEST_DIR`).
pub fn unknown_ids_in_crate(manifest_dir: &std::path::Path) -> Vec<String> {
    let mut unknown = unknown_ids_in(&manifest_dir.join("templates"), &["html"]);
    unknown.extend(unknown_ids_in(&manifest_dir.join("src"), &["rs"]));
    unknown.extend(unknown_ids_in(&manifest_dir.join("static"), &["js"]));
    unknown
}

/// [`unknown_ids`] over every file under `dir` with one of `extensions` (for tests).
pub fn unknown_ids_in(dir: &std::path::Path, extensions: &[&str]) -> Vec<String> {
    let mut unknown = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p
                .extension()
                .and_then(|x| x.to_str())
                .is_some_and(|x| extensions.contains(&x))
                && let Ok(text) = std::fs::read_to_string(&p)
            {
                unknown.extend(
                    unknown_ids(&text)
                        .into_iter()
                        .map(|id| format!("{}: {id}", p.display())),
                );
            }
        }
    }
    unknown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_honours_quality_and_order() {
        assert_eq!(Lang::from_accept_language("ja-JP,ja;q=0.9"), Some(Lang::Ja));
        assert_eq!(
            Lang::from_accept_language("en-US;q=0.5, ja;q=0.8"),
            Some(Lang::Ja)
        );
        assert_eq!(
            Lang::from_accept_language("fr-FR, ja;q=0.1, en;q=0.2"),
            Some(Lang::En)
        );
        assert_eq!(Lang::from_accept_language("fr, de"), None);
        assert_eq!(Lang::from_accept_language("ja;q=0"), None);
        assert_eq!(Lang::from_accept_language("ja;q=2"), None);
        assert_eq!(Lang::from_accept_language("ja;q=0.0001"), None);
        assert_eq!(Lang::from_accept_language(""), None);
        assert_eq!(Lang::from_accept_language(&"x,".repeat(10_000)), None);
        assert_eq!(Lang::parse("ja_JP"), Some(Lang::Ja));
        assert_eq!(Lang::parse("EN-gb"), Some(Lang::En));
        assert_eq!(Lang::parse("jav"), None);
    }

    #[test]
    fn an_explicit_choice_wins_then_the_users_locale_then_the_browser() {
        let p = Prefs {
            chosen: None,
            accepted: Some(Lang::En),
        };
        assert_eq!(p.for_user(Some("ja-JP")), Lang::Ja);
        assert_eq!(p.for_user(None), Lang::En);
        assert_eq!(p.lang(), Lang::En);
        let p = Prefs {
            chosen: Some(Lang::En),
            accepted: Some(Lang::Ja),
        };
        assert_eq!(p.for_user(Some("ja")), Lang::En);
        assert_eq!(Prefs::default().lang(), Lang::En);
        let parts = axum::http::Request::builder()
            .uri("/x?a=1&lang=ja")
            .header(header::COOKIE, "symbolon_lang=en")
            .header(header::ACCEPT_LANGUAGE, "en")
            .body(())
            .map(|r| r.into_parts().0);
        let Ok(parts) = parts else {
            unreachable!("a valid request")
        };
        assert_eq!(Prefs::of(&parts).lang(), Lang::Ja);
    }

    #[test]
    fn both_catalogues_parse_and_define_the_same_messages() {
        for (lang, src) in [(Lang::En, EN_FTL), (Lang::Ja, JA_FTL)] {
            if let Err((_, errors)) = FluentResource::try_new(src.to_string()) {
                unreachable!("{lang:?} catalogue does not parse: {errors:?}");
            }
        }
        let mut en = message_ids(Lang::En);
        let mut ja = message_ids(Lang::Ja);
        en.sort();
        ja.sort();
        let missing_ja: Vec<_> = en.iter().filter(|i| !ja.contains(i)).collect();
        let missing_en: Vec<_> = ja.iter().filter(|i| !en.contains(i)).collect();
        assert!(missing_ja.is_empty(), "missing in ja.ftl: {missing_ja:?}");
        assert!(missing_en.is_empty(), "missing in en.ftl: {missing_en:?}");
        let mut dedup = en.clone();
        dedup.dedup();
        assert_eq!(dedup.len(), en.len(), "an ID defined twice in en.ftl");
        // Every message formats without an error in both languages, given every variable the
        // catalogues name.
        let mut variables: Vec<String> = EN_FTL
            .split('$')
            .skip(1)
            .map(|rest| {
                rest.chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
                    .collect()
            })
            .collect();
        variables.sort();
        variables.dedup();
        for id in &en {
            for lang in LANGS {
                let b = lang.tr().bundle();
                let Some(pattern) = b.get_message(id).and_then(|m| m.value()) else {
                    unreachable!("{id} has no value in {lang:?}");
                };
                let mut args = FluentArgs::new();
                for name in &variables {
                    if name == "count" {
                        args.set(name.clone(), 2);
                    } else {
                        args.set(name.clone(), "x");
                    }
                }
                let mut errors = Vec::new();
                let _ = b.format_pattern(pattern, Some(&args), &mut errors);
                assert!(errors.is_empty(), "{id} in {lang:?}: {errors:?}");
            }
        }
    }

    #[test]
    fn ids_named_by_the_shared_templates_exist() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        assert!(unknown_ids(r#"t.t("idp-no-such")"#) == vec!["idp-no-such".to_string()]);
        assert!(unknown_ids(r#"const X: &str = "sp-state";"#).is_empty());
        let unknown = unknown_ids_in(&dir.join("templates"), &["html"]);
        assert!(unknown.is_empty(), "{unknown:?}");
        let unknown = unknown_ids_in(&dir.join("src"), &["rs"]);
        assert!(
            unknown.iter().all(|u| u.contains("idp-no-such")),
            "{unknown:?}"
        );
    }

    #[test]
    fn encoded_messages_carry_their_arguments() {
        let m = encode("err-no-realm", &[("name", "a\u{1f}b")]);
        assert_eq!(Lang::En.tr().msg(&m), "There is no realm “ab” here.");
        assert_eq!(Lang::Ja.tr().msg(&m), "レルム「ab」はここにはありません。");
        assert_eq!(Lang::Ja.tr().msg("err-busy-title"), "混み合っています");
        assert_eq!(Lang::Ja.tr().msg("Plain text."), "Plain text.");
    }

    #[test]
    fn switcher_keeps_the_query_and_replaces_the_choice() {
        let t = Lang::En.tr();
        assert_eq!(
            t.switcher("/realms/r/account?flow=abc&lang=en"),
            vec![(Lang::Ja, "/realms/r/account?flow=abc&lang=ja".to_string())]
        );
        assert_eq!(
            Lang::Ja.tr().switcher("/"),
            vec![(Lang::En, "/?lang=en".to_string())]
        );
        assert_eq!(t.t("no-such-message"), "no-such-message");
    }
}
