//! A software WebAuthn authenticator for tests and benches: one resident P-256 credential
//! (aws-lc-rs), CBOR and authenticator data built by hand, attestation "none". Its origin, RP ID,
//! flags and counter can be set to play a phishing site, a clone or a careless authenticator.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    dead_code
)]

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair};
use data_encoding::BASE64URL_NOPAD as B64;
use serde_json::{Value, json};

pub const ORIGIN: &str = "http://localhost:8080";

fn head(major: u8, n: usize, out: &mut Vec<u8>) {
    let m = major << 5;
    if n < 24 {
        out.push(m | n as u8);
    } else if n < 256 {
        out.extend([m | 24, n as u8]);
    } else {
        out.push(m | 25);
        out.extend((n as u16).to_be_bytes());
    }
}

pub enum Cbor {
    Int(i64),
    Bytes(Vec<u8>),
    Text(&'static str),
    Map(Vec<(Cbor, Cbor)>),
}

pub fn cbor(v: &Cbor, out: &mut Vec<u8>) {
    match v {
        Cbor::Int(i) if *i >= 0 => head(0, *i as usize, out),
        Cbor::Int(i) => head(1, (-1 - *i) as usize, out),
        Cbor::Bytes(b) => {
            head(2, b.len(), out);
            out.extend(b);
        }
        Cbor::Text(t) => {
            head(3, t.len(), out);
            out.extend(t.as_bytes());
        }
        Cbor::Map(kv) => {
            head(5, kv.len(), out);
            for (k, v) in kv {
                cbor(k, out);
                cbor(v, out);
            }
        }
    }
}

pub fn sha256(b: &[u8]) -> Vec<u8> {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, b)
        .as_ref()
        .to_vec()
}

pub const UP: u8 = 0x01;
pub const UV: u8 = 0x04;
pub const AT: u8 = 0x40;

/// A resident P-256 credential, as a platform authenticator keeps it.
pub struct Authenticator {
    pub pkcs8: Vec<u8>,
    pub key: EcdsaKeyPair,
    pub cred_id: Vec<u8>,
    pub user_handle: Vec<u8>,
    pub counter: u32,
    /// What the browser would put in clientDataJSON, and the RP ID the authenticator hashes.
    pub origin: String,
    pub rp_id: String,
    pub flags: u8,
}

impl Authenticator {
    pub fn new(user_handle: &[u8]) -> Self {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
        let key =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref()).unwrap();
        let mut cred_id = vec![0u8; 32];
        aws_lc_rs::rand::fill(&mut cred_id).unwrap();
        Authenticator {
            pkcs8: pkcs8.as_ref().to_vec(),
            key,
            cred_id,
            user_handle: user_handle.to_vec(),
            counter: 0,
            origin: ORIGIN.into(),
            rp_id: "localhost".into(),
            flags: UP | UV,
        }
    }

    pub fn client_data(&self, kind: &str, options: &str) -> Vec<u8> {
        let o: Value = serde_json::from_str(options).unwrap();
        let challenge = o["publicKey"]["challenge"].as_str().unwrap();
        json!({"type": kind, "challenge": challenge, "origin": self.origin, "crossOrigin": false})
            .to_string()
            .into_bytes()
    }

    pub fn auth_data(&self, flags: u8, attested: Option<Vec<u8>>) -> Vec<u8> {
        let mut d = sha256(self.rp_id.as_bytes());
        d.push(flags);
        d.extend(self.counter.to_be_bytes());
        if let Some(a) = attested {
            d.extend(a);
        }
        d
    }

    /// `navigator.credentials.create()`: attestation "none".
    pub fn register(&self, options: &str) -> String {
        let public = self.key.public_key().as_ref();
        assert_eq!(public.len(), 65);
        let mut cose = Vec::new();
        cbor(
            &Cbor::Map(vec![
                (Cbor::Int(1), Cbor::Int(2)),
                (Cbor::Int(3), Cbor::Int(-7)),
                (Cbor::Int(-1), Cbor::Int(1)),
                (Cbor::Int(-2), Cbor::Bytes(public[1..33].to_vec())),
                (Cbor::Int(-3), Cbor::Bytes(public[33..].to_vec())),
            ]),
            &mut cose,
        );
        let mut attested = vec![0u8; 16];
        attested.extend((self.cred_id.len() as u16).to_be_bytes());
        attested.extend(&self.cred_id);
        attested.extend(cose);
        let auth = self.auth_data(self.flags | AT, Some(attested));
        let mut att = Vec::new();
        cbor(
            &Cbor::Map(vec![
                (Cbor::Text("fmt"), Cbor::Text("none")),
                (Cbor::Text("attStmt"), Cbor::Map(vec![])),
                (Cbor::Text("authData"), Cbor::Bytes(auth)),
            ]),
            &mut att,
        );
        let cd = self.client_data("webauthn.create", options);
        json!({
            "id": B64.encode(&self.cred_id), "rawId": B64.encode(&self.cred_id), "type": "public-key",
            "extensions": {},
            "response": {"attestationObject": B64.encode(&att), "clientDataJSON": B64.encode(&cd), "transports": ["internal"]}
        })
        .to_string()
    }

    /// `navigator.credentials.get()`: counts up, signs authData || SHA-256(clientDataJSON).
    pub fn assert(&mut self, options: &str) -> String {
        self.counter += 1;
        self.assert_with_counter(options, self.counter)
    }

    pub fn assert_with_counter(&self, options: &str, counter: u32) -> String {
        let auth = Authenticator {
            counter,
            ..self.clone_shallow()
        }
        .auth_data(self.flags, None);
        let cd = self.client_data("webauthn.get", options);
        let mut signed = auth.clone();
        signed.extend(sha256(&cd));
        let sig = self.key.sign(&SystemRandom::new(), &signed).unwrap();
        json!({
            "id": B64.encode(&self.cred_id), "rawId": B64.encode(&self.cred_id), "type": "public-key",
            "extensions": {},
            "response": {
                "authenticatorData": B64.encode(&auth), "clientDataJSON": B64.encode(&cd),
                "signature": B64.encode(sig.as_ref()), "userHandle": B64.encode(&self.user_handle)
            }
        })
        .to_string()
    }

    /// The same credential (key and ID) with its own counter: a clone.
    pub fn clone_shallow(&self) -> Authenticator {
        Authenticator {
            pkcs8: self.pkcs8.clone(),
            key: EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &self.pkcs8).unwrap(),
            cred_id: self.cred_id.clone(),
            user_handle: self.user_handle.clone(),
            counter: self.counter,
            origin: self.origin.clone(),
            rp_id: self.rp_id.clone(),
            flags: self.flags,
        }
    }
}
