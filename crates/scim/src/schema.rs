//! The resource schemas this server keeps (RFC 7643 sections 4 and 8.7): User with the
//! Enterprise User extension, and Group. Each attribute says its type, whether it is
//! multi-valued, required, case-exact, its mutability and when it is returned; the
//! `/Schemas` endpoint publishes exactly these definitions, and every request is checked
//! against them.

use serde_json::{Map, Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Type {
    String,
    Boolean,
    Decimal,
    Integer,
    DateTime,
    Reference,
    Binary,
    Complex,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutability {
    ReadOnly,
    ReadWrite,
    Immutable,
    WriteOnly,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Returned {
    Always,
    Never,
    Default,
    Request,
}

/// One attribute definition.
#[derive(Debug)]
pub struct Attr {
    pub name: &'static str,
    pub ty: Type,
    pub multi: bool,
    pub required: bool,
    pub case_exact: bool,
    pub mutability: Mutability,
    pub returned: Returned,
    /// `server` uniqueness (userName, displayName is not unique).
    pub unique: bool,
    pub sub: &'static [Attr],
    pub canonical: &'static [&'static str],
    pub reference_types: &'static [&'static str],
    pub description: &'static str,
}

const fn a(name: &'static str, ty: Type, description: &'static str) -> Attr {
    Attr {
        name,
        ty,
        multi: false,
        required: false,
        case_exact: false,
        mutability: Mutability::ReadWrite,
        returned: Returned::Default,
        unique: false,
        sub: &[],
        canonical: &[],
        reference_types: &[],
        description,
    }
}

const fn s(name: &'static str, description: &'static str) -> Attr {
    a(name, Type::String, description)
}

const fn multi(name: &'static str, sub: &'static [Attr], description: &'static str) -> Attr {
    Attr {
        multi: true,
        sub,
        ..a(name, Type::Complex, description)
    }
}

const fn complex(name: &'static str, sub: &'static [Attr], description: &'static str) -> Attr {
    Attr {
        sub,
        ..a(name, Type::Complex, description)
    }
}

/// value, display, type, primary: the usual sub-attributes of a multi-valued attribute.
macro_rules! plural {
    ($value:expr, $types:expr) => {
        &[
            $value,
            s(
                "display",
                "A human-readable name, primarily used for display purposes.",
            ),
            Attr {
                canonical: $types,
                ..s("type", "A label indicating the attribute's function.")
            },
            a(
                "primary",
                Type::Boolean,
                "Whether this is the primary or preferred value.",
            ),
        ]
    };
}

const TYPES_WORK: &[&str] = &["work", "home", "other"];

static NAME_SUB: &[Attr] = &[
    s("formatted", "The full name, formatted for display."),
    s("familyName", "The family name."),
    s("givenName", "The given name."),
    s("middleName", "The middle name(s)."),
    s("honorificPrefix", "The honorific prefix(es), e.g. 'Ms.'."),
    s("honorificSuffix", "The honorific suffix(es), e.g. 'III'."),
];

static EMAILS_SUB: &[Attr] = plural!(s("value", "An email address."), TYPES_WORK);
static PHONES_SUB: &[Attr] = plural!(
    s("value", "A phone number."),
    &["work", "home", "mobile", "fax", "pager", "other"]
);
static IMS_SUB: &[Attr] = plural!(
    s("value", "An instant messaging address."),
    &["aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"]
);
static PHOTOS_SUB: &[Attr] = plural!(
    Attr {
        reference_types: &["external"],
        ..a("value", Type::Reference, "The URL of a photo of the user.")
    },
    &["photo", "thumbnail"]
);
static ADDRESSES_SUB: &[Attr] = &[
    s(
        "formatted",
        "The full mailing address, formatted for display.",
    ),
    s("streetAddress", "The street address."),
    s("locality", "The city or locality."),
    s("region", "The state or region."),
    s("postalCode", "The zip code or postal code."),
    s("country", "The country name (ISO 3166-1 alpha-2)."),
    Attr {
        canonical: TYPES_WORK,
        ..s("type", "A label indicating the attribute's function.")
    },
    a(
        "primary",
        Type::Boolean,
        "Whether this is the primary or preferred address.",
    ),
];
static USER_GROUPS_SUB: &[Attr] = &[
    Attr {
        mutability: Mutability::ReadOnly,
        ..s("value", "The identifier of the user's group.")
    },
    Attr {
        mutability: Mutability::ReadOnly,
        reference_types: &["User", "Group"],
        ..a("$ref", Type::Reference, "The URI of the group.")
    },
    Attr {
        mutability: Mutability::ReadOnly,
        ..s("display", "The group's display name.")
    },
    Attr {
        mutability: Mutability::ReadOnly,
        canonical: &["direct", "indirect"],
        ..s("type", "How the membership was derived.")
    },
];
static ENTITLEMENTS_SUB: &[Attr] = plural!(s("value", "The value of an entitlement."), &[]);
static ROLES_SUB: &[Attr] = plural!(s("value", "The value of a role."), &[]);
static CERTS_SUB: &[Attr] = plural!(
    a(
        "value",
        Type::Binary,
        "The value of an X.509 certificate (base64 DER)."
    ),
    &[]
);

/// The User schema (RFC 7643 section 4.1).
pub static USER_ATTRS: &[Attr] = &[
    Attr {
        required: true,
        unique: true,
        ..s(
            "userName",
            "Unique identifier for the user, typically used to sign in; the NameID single sign-on expects by default.",
        )
    },
    complex("name", NAME_SUB, "The components of the user's real name."),
    s("displayName", "The name of the user, suitable for display."),
    s("nickName", "The casual way to address the user."),
    Attr {
        reference_types: &["external"],
        ..a(
            "profileUrl",
            Type::Reference,
            "A URL of the user's online profile.",
        )
    },
    s("title", "The user's title, such as 'Vice President'."),
    s(
        "userType",
        "The relationship between the organization and the user.",
    ),
    s(
        "preferredLanguage",
        "The user's preferred written or spoken language.",
    ),
    s(
        "locale",
        "The user's default location, for localizing items.",
    ),
    s(
        "timezone",
        "The user's time zone in IANA format, e.g. 'Asia/Tokyo'.",
    ),
    a(
        "active",
        Type::Boolean,
        "Whether the user may sign in: false ends the user's sessions and refuses single sign-on.",
    ),
    Attr {
        mutability: Mutability::WriteOnly,
        returned: Returned::Never,
        ..s(
            "password",
            "Not used for sign-in here; accepted and never returned.",
        )
    },
    multi("emails", EMAILS_SUB, "Email addresses for the user."),
    multi("phoneNumbers", PHONES_SUB, "Phone numbers for the user."),
    multi("ims", IMS_SUB, "Instant messaging addresses for the user."),
    multi("photos", PHOTOS_SUB, "URLs of photos of the user."),
    multi(
        "addresses",
        ADDRESSES_SUB,
        "A physical mailing address for this user.",
    ),
    Attr {
        mutability: Mutability::ReadOnly,
        ..multi(
            "groups",
            USER_GROUPS_SUB,
            "The groups the user belongs to (read-only: change a group's members).",
        )
    },
    multi(
        "entitlements",
        ENTITLEMENTS_SUB,
        "Entitlements of the user.",
    ),
    multi("roles", ROLES_SUB, "Roles of the user."),
    multi(
        "x509Certificates",
        CERTS_SUB,
        "X.509 certificates of the user.",
    ),
];

static MANAGER_SUB: &[Attr] = &[
    s("value", "The id of the manager's User resource."),
    Attr {
        reference_types: &["User"],
        ..a(
            "$ref",
            Type::Reference,
            "The URI of the manager's User resource.",
        )
    },
    Attr {
        mutability: Mutability::ReadOnly,
        ..s("displayName", "The manager's display name.")
    },
];

/// The Enterprise User extension (RFC 7643 section 4.3).
pub static ENTERPRISE_ATTRS: &[Attr] = &[
    s("employeeNumber", "A number assigned by the organization."),
    s("costCenter", "The name of a cost center."),
    s("organization", "The name of an organization."),
    s("division", "The name of a division."),
    s("department", "The name of a department."),
    complex("manager", MANAGER_SUB, "The user's manager."),
];

static MEMBERS_SUB: &[Attr] = &[
    Attr {
        mutability: Mutability::Immutable,
        ..s("value", "The id of a member User.")
    },
    Attr {
        mutability: Mutability::Immutable,
        reference_types: &["User", "Group"],
        ..a("$ref", Type::Reference, "The URI of the member.")
    },
    // Not in RFC 7643's Group schema (section 8.7.1) but sent by clients: accepted and ignored,
    // returned only when asked for (`attributes=members.display`).
    Attr {
        mutability: Mutability::ReadOnly,
        returned: Returned::Request,
        ..s("display", "The member's display name.")
    },
    Attr {
        mutability: Mutability::Immutable,
        canonical: &["User"],
        ..s("type", "The member's resource type (User).")
    },
];

/// The Group schema (RFC 7643 section 4.2).
pub static GROUP_ATTRS: &[Attr] = &[
    Attr {
        required: true,
        ..s(
            "displayName",
            "The group's name; matched against the account's group -> role mappings.",
        )
    },
    multi("members", MEMBERS_SUB, "The members of the group (users)."),
];

/// One schema.
#[derive(Debug)]
pub struct Schema {
    pub id: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub attributes: &'static [Attr],
}

pub static USER: Schema = Schema {
    id: crate::USER_SCHEMA,
    name: "User",
    description: "User Account",
    attributes: USER_ATTRS,
};
pub static ENTERPRISE_USER: Schema = Schema {
    id: crate::ENTERPRISE_SCHEMA,
    name: "EnterpriseUser",
    description: "Enterprise User",
    attributes: ENTERPRISE_ATTRS,
};
pub static GROUP: Schema = Schema {
    id: crate::GROUP_SCHEMA,
    name: "Group",
    description: "Group",
    attributes: GROUP_ATTRS,
};

/// A resource type: its core schema and extensions.
#[derive(Debug)]
pub struct ResourceType {
    pub name: &'static str,
    pub endpoint: &'static str,
    pub core: &'static Schema,
    pub extensions: &'static [&'static Schema],
}

pub static USER_TYPE: ResourceType = ResourceType {
    name: "User",
    endpoint: "/Users",
    core: &USER,
    extensions: &[&ENTERPRISE_USER],
};
pub static GROUP_TYPE: ResourceType = ResourceType {
    name: "Group",
    endpoint: "/Groups",
    core: &GROUP,
    extensions: &[],
};

/// `id`, `externalId` and `meta` are common to every resource (RFC 7643 section 3.1).
static ID: Attr = Attr {
    case_exact: true,
    mutability: Mutability::ReadOnly,
    returned: Returned::Always,
    unique: true,
    ..s("id", "The service provider's identifier of the resource.")
};
static EXTERNAL_ID: Attr = Attr {
    case_exact: true,
    ..s("externalId", "The client's identifier of the resource.")
};
static META_SUB: &[Attr] = &[
    Attr {
        case_exact: true,
        mutability: Mutability::ReadOnly,
        ..s("resourceType", "The resource type.")
    },
    Attr {
        mutability: Mutability::ReadOnly,
        ..a("created", Type::DateTime, "When the resource was added.")
    },
    Attr {
        mutability: Mutability::ReadOnly,
        ..a(
            "lastModified",
            Type::DateTime,
            "When the resource was last changed.",
        )
    },
    Attr {
        case_exact: true,
        mutability: Mutability::ReadOnly,
        ..a("location", Type::Reference, "The URI of the resource.")
    },
    Attr {
        case_exact: true,
        mutability: Mutability::ReadOnly,
        ..s("version", "The version (ETag) of the resource.")
    },
];
static META: Attr = Attr {
    mutability: Mutability::ReadOnly,
    ..complex("meta", META_SUB, "Resource metadata.")
};
pub static COMMON: [&Attr; 3] = [&ID, &EXTERNAL_ID, &META];

impl ResourceType {
    /// The schema URN of an extension of this type, matched without case.
    pub fn extension(&self, urn: &str) -> Option<&'static Schema> {
        self.extensions
            .iter()
            .copied()
            .find(|s| s.id.eq_ignore_ascii_case(urn))
    }

    /// A top-level attribute of the core schema (or a common one), matched without case.
    pub fn core_attr(&self, name: &str) -> Option<&'static Attr> {
        COMMON
            .iter()
            .copied()
            .chain(self.core.attributes.iter())
            .find(|a| a.name.eq_ignore_ascii_case(name))
    }

    /// Split a path that may start with a schema URN: (the extension, or `None` for the core
    /// schema; the rest). The core schema's own URN is accepted and dropped.
    pub fn split_urn<'p>(&self, path: &'p str) -> (Option<&'static Schema>, &'p str) {
        let lower = path.get(..4).map(|p| p.eq_ignore_ascii_case("urn:"));
        if lower != Some(true) {
            return (None, path);
        }
        for schema in self.extensions.iter().copied().chain([self.core]) {
            let n = schema.id.len();
            if let (Some(head), Some(rest)) = (path.get(..n), path.get(n..))
                && head.eq_ignore_ascii_case(schema.id)
            {
                let is_core = std::ptr::eq(schema, self.core);
                if rest.is_empty() {
                    return (if is_core { None } else { Some(schema) }, "");
                }
                if let Some(rest) = rest.strip_prefix(':') {
                    return (if is_core { None } else { Some(schema) }, rest);
                }
            }
        }
        (None, path)
    }
}

impl Attr {
    pub fn sub_attr(&self, name: &str) -> Option<&'static Attr> {
        self.sub.iter().find(|a| a.name.eq_ignore_ascii_case(name))
    }
}

fn type_name(t: Type) -> &'static str {
    match t {
        Type::String => "string",
        Type::Boolean => "boolean",
        Type::Decimal => "decimal",
        Type::Integer => "integer",
        Type::DateTime => "dateTime",
        Type::Reference => "reference",
        Type::Binary => "binary",
        Type::Complex => "complex",
    }
}

fn attr_json(a: &Attr) -> Value {
    let mut o = Map::new();
    o.insert("name".into(), json!(a.name));
    o.insert("type".into(), json!(type_name(a.ty)));
    o.insert("multiValued".into(), json!(a.multi));
    o.insert("description".into(), json!(a.description));
    o.insert("required".into(), json!(a.required));
    if a.ty != Type::Complex && a.ty != Type::Boolean {
        o.insert("caseExact".into(), json!(a.case_exact));
    }
    if !a.canonical.is_empty() {
        o.insert("canonicalValues".into(), json!(a.canonical));
    }
    if a.ty == Type::Reference && !a.reference_types.is_empty() {
        o.insert("referenceTypes".into(), json!(a.reference_types));
    }
    o.insert(
        "mutability".into(),
        json!(match a.mutability {
            Mutability::ReadOnly => "readOnly",
            Mutability::ReadWrite => "readWrite",
            Mutability::Immutable => "immutable",
            Mutability::WriteOnly => "writeOnly",
        }),
    );
    o.insert(
        "returned".into(),
        json!(match a.returned {
            Returned::Always => "always",
            Returned::Never => "never",
            Returned::Default => "default",
            Returned::Request => "request",
        }),
    );
    if a.ty != Type::Complex && a.ty != Type::Boolean {
        o.insert(
            "uniqueness".into(),
            json!(if a.unique { "server" } else { "none" }),
        );
    }
    if a.ty == Type::Complex {
        o.insert(
            "subAttributes".into(),
            Value::Array(a.sub.iter().map(attr_json).collect()),
        );
    }
    Value::Object(o)
}

/// A schema as `/Schemas` publishes it (RFC 7643 section 7). `base` is the SCIM base URL.
pub fn schema_json(schema: &Schema, base: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": schema.id,
        "name": schema.name,
        "description": schema.description,
        "attributes": schema.attributes.iter().map(attr_json).collect::<Vec<_>>(),
        "meta": {
            "resourceType": "Schema",
            "location": format!("{base}/Schemas/{}", schema.id),
        },
    })
}

/// A resource type as `/ResourceTypes` publishes it (RFC 7643 section 6).
pub fn resource_type_json(t: &ResourceType, base: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
        "id": t.name,
        "name": t.name,
        "endpoint": t.endpoint,
        "description": t.core.description,
        "schema": t.core.id,
        "schemaExtensions": t.extensions.iter().map(|e| json!({"schema": e.id, "required": false})).collect::<Vec<_>>(),
        "meta": {
            "resourceType": "ResourceType",
            "location": format!("{base}/ResourceTypes/{}", t.name),
        },
    })
}

/// Every schema served.
pub static ALL_SCHEMAS: [&Schema; 3] = [&USER, &ENTERPRISE_USER, &GROUP];

/// Every resource type served.
pub static ALL_TYPES: [&ResourceType; 2] = [&USER_TYPE, &GROUP_TYPE];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urns_split_without_case() {
        let (ext, rest) = USER_TYPE
            .split_urn("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value");
        assert!(ext.is_some_and(|e| e.id == crate::ENTERPRISE_SCHEMA));
        assert_eq!(rest, "manager.value");
        let (ext, rest) =
            USER_TYPE.split_urn("URN:ietf:params:scim:schemas:core:2.0:User:userName");
        assert!(ext.is_none());
        assert_eq!(rest, "userName");
        assert_eq!(USER_TYPE.split_urn("emails").1, "emails");
    }

    #[test]
    fn published_schema_has_every_attribute() {
        let v = schema_json(&USER, "https://sp.example/scim/v2");
        let attrs = v["attributes"].as_array().map(Vec::len);
        assert_eq!(attrs, Some(USER_ATTRS.len()));
        assert_eq!(v["attributes"][0]["name"], "userName");
        assert_eq!(v["attributes"][0]["uniqueness"], "server");
    }
}
