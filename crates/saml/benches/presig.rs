//! Worst-case cost of the work done before a signature verifies (security.md rule 15): decode,
//! parse, ID uniqueness, structure checks, SignedInfo canonicalisation with whatever PrefixList
//! the message names, base64 of DigestValue and SignatureValue. Each hostile ~2 MiB document is
//! timed against a normal, validly signed response of the same size (full validation: parse,
//! both c14n passes, digest, RSA verify), interleaved, by this thread's CPU time
//! (`/proc/thread-self/schedstat`), and reported as a ratio.
//!
//!     cargo bench -p symbolon-saml --bench presig
//!
//! Without `--bench` (as `cargo test --all-targets` runs it) every document is validated once
//! (no panic; the control accepted): no timing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "../tests/common/mod.rs"]
mod common;

use common::*;
use symbolon_saml::Expectation;
use symbolon_xml::Limits;

const TARGET: usize = 2 * 1024 * 1024 - 64 * 1024;

fn cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

/// A normal response of about `TARGET` bytes: many ordinary attributes, Assertion signed.
fn control() -> String {
    let one = r#"<saml:Attribute Name="groups" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic"><saml:AttributeValue>/org/engineering/platform/team-0000</saml:AttributeValue></saml:Attribute>"#;
    let n = TARGET / one.len();
    Fixture {
        attributes: one.repeat(n),
        ..Fixture::default()
    }
    .signed_assertion()
}

/// The fixture, signed, with `f` applied to the signed text (so the signature no longer holds, or
/// never did), padded to about `TARGET` bytes with `filler` inside the Response envelope.
fn hostile(f: impl Fn(&str) -> String, filler: &str) -> String {
    let signed = Fixture::default().signed_assertion();
    let doc = f(&signed);
    let pad = filler.repeat(TARGET.saturating_sub(doc.len()) / filler.len().max(1));
    doc.replacen("</samlp:Status>", &format!("</samlp:Status>{pad}"), 1)
}

fn cases() -> Vec<(&'static str, String)> {
    let c14n_marker = r#"Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>"#;
    let prefix_list = |list: &str| {
        let list = list.to_string();
        move |s: &str| {
            s.replacen(
                c14n_marker,
                &format!(r#"Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"><ec:InclusiveNamespaces xmlns:ec="http://www.w3.org/2001/10/xml-exc-c14n#" PrefixList="{list}"/></ds:CanonicalizationMethod>"#),
                1,
            )
        }
    };
    let decls: String = (0..60)
        .map(|i| format!(r#" xmlns:n{i}="urn:n:{i}""#))
        .collect();
    let listed: Vec<String> = (0..32).map(|i| format!("n{i}")).collect();
    let many_ns = {
        let decls = decls.clone();
        move |s: &str| s.replacen("<samlp:Response ", &format!("<samlp:Response{decls} "), 1)
    };
    let big_list = "p ".repeat(900_000);
    vec![
        (
            "PrefixList of 900,000 entries (the review's case)",
            hostile(prefix_list(&big_list), "<x/>"),
        ),
        (
            "32 listed prefixes, 60 namespaces in scope, 150,000 elements inside SignedInfo's parameter",
            hostile(
                |s| {
                    let body = "<eeeeeeeeee/>".repeat(150_000);
                    many_ns(s).replacen(
                        c14n_marker,
                        &format!(
                            r#"Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"><ec:InclusiveNamespaces xmlns:ec="http://www.w3.org/2001/10/xml-exc-c14n#" PrefixList="{}">{body}</ec:InclusiveNamespaces></ds:CanonicalizationMethod>"#,
                            listed.join(" ")
                        ),
                        1,
                    )
                },
                "",
            ),
        ),
        (
            "60 namespaces in scope, 150,000 empty elements",
            hostile(&many_ns, "<eeeeeeeeeeee/>"),
        ),
        (
            "100,000 unique IDs (uniqueness sort)",
            hostile(|s| s.to_string(), "<eeeeee ID=\"_xxxxxxx\"/>")
                .split("_xxxxxxx")
                .enumerate()
                .map(|(i, part)| {
                    if i == 0 {
                        part.to_string()
                    } else {
                        format!("_{i:07}{part}")
                    }
                })
                .collect(),
        ),
        (
            "elements with 250 attributes each",
            hostile(
                |s| s.to_string(),
                &format!(
                    "<e {}/>",
                    (0..250)
                        .map(|i| format!("a{i}=\"\""))
                        .collect::<Vec<_>>()
                        .join(" ")
                ),
            ),
        ),
        (
            "nesting 128 deep, repeated",
            hostile(
                |s| s.to_string(),
                &format!("{}{}", "<d>".repeat(120), "</d>".repeat(120)),
            ),
        ),
        (
            "2 MiB SignatureValue (base64 decoded before the check)",
            hostile(
                |s| {
                    let a = s.find("<ds:SignatureValue>").unwrap() + "<ds:SignatureValue>".len();
                    format!(
                        "{}{}{}",
                        &s[..a],
                        "QUFB".repeat(TARGET / 4 - 2_000),
                        &s[a..]
                    )
                },
                "",
            ),
        ),
        (
            "comments and processing instructions",
            hostile(|s| s.to_string(), "<!-- comment --><?pi some value?>"),
        ),
    ]
}

fn main() {
    let timing = std::env::args().any(|a| a == "--bench");
    let limits = Limits::default();
    let idp = idp();
    let sp = sp();
    let expect = Expectation::at(NOW);
    let run = |doc: &str| {
        symbolon_saml::validate_response_xml(doc.as_bytes(), &limits, &idp, &sp, &expect)
    };
    let control = control();
    run(&control).expect("the control is a valid response");
    let cases = cases();
    for (name, doc) in &cases {
        assert!(doc.len() <= limits.max_bytes, "{name}: {} bytes", doc.len());
        let _ = run(doc);
    }
    if !timing {
        println!(
            "presig: {} hostile documents validated without panic, control accepted",
            cases.len()
        );
        return;
    }
    let rounds = 7;
    println!("| hostile input (about 2 MiB) | size | CPU ms | control CPU ms | ratio | outcome |");
    println!("|---|---|---|---|---|---|");
    for (name, doc) in &cases {
        let (mut hostile_ns, mut control_ns) = (Vec::new(), Vec::new());
        for _ in 0..rounds {
            let t = cpu_ns();
            let _ = run(doc);
            hostile_ns.push(cpu_ns() - t);
            let t = cpu_ns();
            let _ = run(&control);
            control_ns.push(cpu_ns() - t);
        }
        hostile_ns.sort_unstable();
        control_ns.sort_unstable();
        let (h, c) = (hostile_ns[rounds / 2], control_ns[rounds / 2]);
        let why = match run(doc) {
            Ok(_) => "accepted: only the signed assertion is read".to_string(),
            Err(e) => format!("refused: `{}`", e.code()),
        };
        println!(
            "| {name} | {} KiB | {:.2} | {:.2} | {:.2} | {why} |",
            doc.len() / 1024,
            h as f64 / 1e6,
            c as f64 / 1e6,
            h as f64 / c.max(1) as f64
        );
    }
    println!(
        "control: {} KiB, validly signed, fully validated",
        control.len() / 1024
    );
}
