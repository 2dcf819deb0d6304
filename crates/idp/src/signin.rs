//! The sign-in's decisions that do not need a request: which methods a realm's policy admits,
//! the NameID and the attributes an assertion carries. Pure functions, unit-tested here.

use symbolon_saml::idp::{OutAttribute, SignInMethod};
use symbolon_saml::messages::{NAMEID_EMAIL, NAMEID_PERSISTENT, NAMEID_TRANSIENT};
use symbolon_store::{Client, MapperSource, User};

use crate::realms::AuthPolicy;

/// Why no assertion can be issued to this user for this client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The client identifies users by email address and this user has none.
    #[error("the client identifies users by email address and the user has none")]
    NoEmail,
    /// Persistent identifiers are stored per user and client, never computed here.
    #[error("persistent identifiers come from the store")]
    Persistent,
}

/// Whether a realm's policy admits an assertion for a sign-in by `method`. The invariant: a
/// realm that requires a second factor never issues a password-only assertion, and a
/// passkey-only realm issues only after a passkey.
pub fn policy_admits(policy: AuthPolicy, method: SignInMethod) -> bool {
    match policy {
        AuthPolicy::Password | AuthPolicy::PasskeyOrPassword => true,
        AuthPolicy::SecondFactor => method != SignInMethod::Password,
        AuthPolicy::PasskeyOnly => method == SignInMethod::Passkey,
    }
}

/// The NameID of `user` in `format`, and the format. `transient` is a fresh random token (at
/// least 40 characters) for the transient format.
pub fn name_id(format: &str, user: &User, transient: &str) -> Result<(String, String), Refusal> {
    let v = match format {
        NAMEID_EMAIL => user.email.clone().ok_or(Refusal::NoEmail)?,
        // Stored per user and client (see `persistent_name_id`); never derived here.
        NAMEID_PERSISTENT => return Err(Refusal::Persistent),
        NAMEID_TRANSIENT => format!("_{}", transient.get(..40).unwrap_or(transient)),
        _ => user.username.clone(),
    };
    Ok((v, format.to_string()))
}

/// The attribute statement: each of the client's mappers with a value for this user.
pub fn attributes(
    client: &Client,
    user: &User,
    groups: &[String],
    roles: &[String],
) -> Vec<OutAttribute> {
    let mut out: Vec<OutAttribute> = Vec::new();
    for m in &client.mappers {
        let values: Vec<String> = match &m.source {
            MapperSource::UserAttribute { attribute } => user
                .attributes
                .iter()
                .filter(|(k, _)| k == attribute)
                .map(|(_, v)| v.clone())
                .collect(),
            MapperSource::UserProperty { property } => match property.as_str() {
                "username" => vec![user.username.clone()],
                "email" => user.email.iter().cloned().collect(),
                "firstName" => user.first_name.iter().cloned().collect(),
                "lastName" => user.last_name.iter().cloned().collect(),
                _ => vec![],
            },
            MapperSource::Hardcoded { value } => vec![value.clone()],
            MapperSource::GroupList { full_path } => groups
                .iter()
                .map(|g| {
                    if *full_path {
                        g.clone()
                    } else {
                        g.rsplit('/').next().unwrap_or(g).to_string()
                    }
                })
                .collect(),
            MapperSource::RoleList => roles.to_vec(),
        };
        if values.is_empty() {
            continue;
        }
        out.push(OutAttribute {
            name: m.saml_attribute.clone(),
            name_format: m.name_format.clone(),
            friendly_name: m.friendly_name.clone(),
            values,
        });
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use crate::sessions::Requested;
    use symbolon_saml::idp::{AC_PASSWORD_PROTECTED, AC_REFEDS_MFA, choose_class};
    use symbolon_saml::messages::{Comparison, RequestedAuthnContext};
    use symbolon_store::Mapper;
    use time::OffsetDateTime;

    const T: &str = "0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn policies_admit_only_the_methods_they_allow() {
        use SignInMethod::*;
        for (policy, method, admitted) in [
            (AuthPolicy::Password, Password, true),
            (AuthPolicy::PasskeyOrPassword, Password, true),
            (AuthPolicy::SecondFactor, Password, false),
            (AuthPolicy::SecondFactor, PasswordAndSecondFactor, true),
            (AuthPolicy::SecondFactor, Passkey, true),
            (AuthPolicy::PasskeyOnly, Password, false),
            (AuthPolicy::PasskeyOnly, PasswordAndSecondFactor, false),
            (AuthPolicy::PasskeyOnly, Passkey, true),
        ] {
            assert_eq!(
                policy_admits(policy, method),
                admitted,
                "{policy:?} {method:?}"
            );
        }
    }

    fn user() -> User {
        User {
            id: "u-1".into(),
            realm: "acme".into(),
            username: "alice".into(),
            email: Some("alice@acme.test".into()),
            first_name: Some("Alice".into()),
            last_name: None,
            enabled: true,
            attributes: vec![
                ("dept".into(), "eng".into()),
                ("other".into(), "x".into()),
                ("dept".into(), "ops".into()),
            ],
            created_at: OffsetDateTime::UNIX_EPOCH,
        }
    }

    pub(crate) fn client(format: &str, mappers: Vec<Mapper>) -> Client {
        Client {
            id: "c-1".into(),
            realm: "acme".into(),
            client_id: "https://sp.test".into(),
            name: None,
            description: None,
            enabled: true,
            home_url: None,
            idp_initiated_url_name: None,
            idp_initiated_relay_state: None,
            name_id_format: format.into(),
            sign_documents: true,
            sign_assertions: true,
            signature_algorithm: "rsa-sha256".into(),
            client_signature_required: false,
            assertion_lifespan_secs: None,
            acs: vec![],
            slo: vec![],
            signing_certs: vec![],
            mappers,
            restricted: false,
            encryption: Default::default(),
            metadata_source: None,
            provisioning: None,
            created_at: OffsetDateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn name_id_per_client_format() {
        let u = user();
        assert_eq!(
            name_id(&client(NAMEID_EMAIL, vec![]).name_id_format, &u, T)
                .unwrap()
                .0,
            "alice@acme.test"
        );
        assert_eq!(
            name_id(
                &client(symbolon_saml::messages::NAMEID_UNSPECIFIED, vec![]).name_id_format,
                &u,
                T
            )
            .unwrap()
            .0,
            "alice"
        );
        // Transient: from the token it is given (a new one for every assertion).
        let t = client(NAMEID_TRANSIENT, vec![]);
        assert_ne!(
            name_id(&t.name_id_format, &u, &"a".repeat(64)).unwrap().0,
            name_id(&t.name_id_format, &u, &"b".repeat(64)).unwrap().0
        );
        // Email format without an email: refused with a clear page.
        let no_mail = User {
            email: None,
            ..user()
        };
        assert_eq!(
            name_id(&client(NAMEID_EMAIL, vec![]).name_id_format, &no_mail, T),
            Err(Refusal::NoEmail)
        );
    }

    #[test]
    fn mappers_build_the_attribute_statement() {
        let m = |name: &str, source: MapperSource| Mapper {
            name: name.into(),
            saml_attribute: name.into(),
            name_format: None,
            friendly_name: None,
            source,
        };
        let c = client(
            NAMEID_EMAIL,
            vec![
                m(
                    "dept",
                    MapperSource::UserAttribute {
                        attribute: "dept".into(),
                    },
                ),
                m(
                    "mail",
                    MapperSource::UserProperty {
                        property: "email".into(),
                    },
                ),
                m(
                    "last",
                    MapperSource::UserProperty {
                        property: "lastName".into(),
                    },
                ),
                m(
                    "tenant",
                    MapperSource::Hardcoded {
                        value: "acme".into(),
                    },
                ),
                m("groups", MapperSource::GroupList { full_path: true }),
                m("teams", MapperSource::GroupList { full_path: false }),
                m("roles", MapperSource::RoleList),
            ],
        );
        let groups = ["/eng/platform".to_string(), "/ops".to_string()];
        let got: Vec<(String, Vec<String>)> = attributes(
            &c,
            &user(),
            &groups,
            &["admin".to_string(), "viewer".to_string()],
        )
        .into_iter()
        .map(|a| (a.name, a.values))
        .collect();
        assert_eq!(
            got,
            vec![
                ("dept".into(), vec!["eng".into(), "ops".into()]),
                ("mail".into(), vec!["alice@acme.test".into()]),
                ("tenant".into(), vec!["acme".into()]),
                ("groups".into(), vec!["/eng/platform".into(), "/ops".into()]),
                ("teams".into(), vec!["platform".into(), "ops".into()]),
                ("roles".into(), vec!["admin".into(), "viewer".into()]),
            ],
            "multi-valued in order; empty values leave the attribute out"
        );
    }

    #[test]
    fn a_stored_requested_context_that_no_longer_parses_is_met_by_nothing() {
        let bad = Requested {
            comparison: "bogus".into(),
            class_refs: vec![AC_PASSWORD_PROTECTED.into(), AC_REFEDS_MFA.into()],
        };
        for m in [
            SignInMethod::Password,
            SignInMethod::PasswordAndSecondFactor,
            SignInMethod::Passkey,
        ] {
            assert_eq!(choose_class(m, Some(&bad.context())), None, "{m:?}");
        }
        let good = Requested::of(&RequestedAuthnContext {
            comparison: Comparison::Minimum,
            class_refs: vec![AC_REFEDS_MFA.into()],
        });
        assert_eq!(
            choose_class(SignInMethod::Passkey, Some(&good.context())),
            Some(AC_REFEDS_MFA)
        );
        assert_eq!(
            choose_class(SignInMethod::Password, Some(&good.context())),
            None
        );
    }
}
