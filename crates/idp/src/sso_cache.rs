//! What an SSO response is made from, besides the person, kept in memory per process: each
//! realm with its sign-in policy, each client (by URL name and by client ID), and the key that
//! signs for each client (its own active key, else its realm's). Valid while the store's
//! `sso_version` is unchanged: the database bumps it on every change of realms, clients, realm
//! keys and client keys, so every instance sees every change at its next request.
//!
//! The version is read at most once per request: [`request_scope`] wraps a request (the HTTP
//! layer does it for every request), and every lookup in it uses the version read first. Outside
//! a scope (jobs, tests) each lookup reads the version. Only what exists is kept (a name that
//! matches nothing is asked of the store each time, so unknown names cannot fill memory), and a
//! map that grows past [`MAX_ENTRIES`] starts again empty.

use std::cell::Cell;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use symbolon_store::{
    Client, ClientKeyStore, ClientStore, KeyStore, Realm, RealmKey, RealmStore, StoreError,
};

use crate::AuthPolicy;

/// Entries of one kind kept at most; past it, that kind starts again empty.
pub const MAX_ENTRIES: usize = 10_000;

tokio::task_local! {
    static VERSION: Cell<Option<i64>>;
}

/// Run `f` as one request: the version is read at most once in it.
pub async fn request_scope<F: std::future::Future>(f: F) -> F::Output {
    VERSION.scope(Cell::new(None), f).await
}

/// A realm as SSO uses it.
#[derive(Debug)]
pub struct CachedRealm {
    pub realm: Realm,
    pub policy: AuthPolicy,
}

#[derive(Debug, Default)]
struct Inner {
    version: Option<i64>,
    realms: HashMap<String, Arc<CachedRealm>>,
    by_url_name: HashMap<(String, String), Arc<Client>>,
    by_client_id: HashMap<(String, String), Arc<Client>>,
    /// A realm's keys, by realm name.
    realm_keys: HashMap<String, Arc<[RealmKey]>>,
    /// A client's own keys, by the client's internal ID.
    client_keys: HashMap<String, Arc<[RealmKey]>>,
}

impl Inner {
    fn clear(&mut self) {
        self.realms.clear();
        self.by_url_name.clear();
        self.by_client_id.clear();
        self.realm_keys.clear();
        self.client_keys.clear();
    }
}

fn put<K: std::hash::Hash + Eq, V>(map: &mut HashMap<K, V>, k: K, v: V) {
    if map.len() >= MAX_ENTRIES {
        map.clear();
    }
    map.insert(k, v);
}

/// The cache; one per process (shared by the IdP's handlers).
#[derive(Debug, Default)]
pub struct SsoCache {
    inner: Mutex<Inner>,
}

impl SsoCache {
    /// The version this request works at; a newer one empties the cache.
    async fn version<S: RealmStore>(&self, store: &S) -> Result<i64, StoreError> {
        let memo = VERSION.try_with(Cell::get).ok().flatten();
        let v = match memo {
            Some(v) => v,
            None => {
                let v = store.sso_version().await?;
                let _ = VERSION.try_with(|c| c.set(Some(v)));
                v
            }
        };
        if let Ok(mut inner) = self.inner.lock()
            && inner.version.is_none_or(|seen| v > seen)
        {
            inner.clear();
            inner.version = Some(v);
        }
        Ok(v)
    }

    /// Look up with `get`; on a miss load and, when the cache is still at version `v`, keep.
    fn hit<T>(&self, v: i64, get: impl FnOnce(&Inner) -> Option<T>) -> Option<T> {
        let inner = self.inner.lock().ok()?;
        if inner.version != Some(v) {
            return None;
        }
        get(&inner)
    }

    fn keep(&self, v: i64, put: impl FnOnce(&mut Inner)) {
        if let Ok(mut inner) = self.inner.lock()
            && inner.version == Some(v)
        {
            put(&mut inner);
        }
    }

    /// How many things are kept, of every kind.
    pub fn entries(&self) -> usize {
        self.inner.lock().map_or(0, |i| {
            i.realms.len()
                + i.by_url_name.len()
                + i.by_client_id.len()
                + i.realm_keys.len()
                + i.client_keys.len()
        })
    }

    /// A realm with its sign-in policy; `None` when there is no such realm.
    pub async fn realm<S: RealmStore>(
        &self,
        store: &S,
        name: &str,
    ) -> Result<Option<Arc<CachedRealm>>, StoreError> {
        let v = self.version(store).await?;
        if let Some(r) = self.hit(v, |i| i.realms.get(name).cloned()) {
            return Ok(Some(r));
        }
        let Some(realm) = store.realm(name).await? else {
            return Ok(None);
        };
        let policy =
            AuthPolicy::parse(&store.auth_policy(name).await?).unwrap_or(AuthPolicy::Password);
        let r = Arc::new(CachedRealm { realm, policy });
        self.keep(v, |i| put(&mut i.realms, name.to_string(), r.clone()));
        Ok(Some(r))
    }

    /// A client by its IdP-initiated URL name.
    pub async fn client_by_url_name<S: RealmStore + ClientStore>(
        &self,
        store: &S,
        realm: &str,
        url_name: &str,
    ) -> Result<Option<Arc<Client>>, StoreError> {
        let v = self.version(store).await?;
        let k = (realm.to_string(), url_name.to_string());
        if let Some(c) = self.hit(v, |i| i.by_url_name.get(&k).cloned()) {
            return Ok(Some(c));
        }
        let Some(c) = store.client_by_url_name(realm, url_name).await? else {
            return Ok(None);
        };
        let c = Arc::new(c);
        self.keep(v, |i| put(&mut i.by_url_name, k, c.clone()));
        Ok(Some(c))
    }

    /// A client by its client ID (the SP's entity ID).
    pub async fn client<S: RealmStore + ClientStore>(
        &self,
        store: &S,
        realm: &str,
        client_id: &str,
    ) -> Result<Option<Arc<Client>>, StoreError> {
        let v = self.version(store).await?;
        let k = (realm.to_string(), client_id.to_string());
        if let Some(c) = self.hit(v, |i| i.by_client_id.get(&k).cloned()) {
            return Ok(Some(c));
        }
        let Some(c) = store.client(realm, client_id).await? else {
            return Ok(None);
        };
        let c = Arc::new(c);
        self.keep(v, |i| put(&mut i.by_client_id, k, c.clone()));
        Ok(Some(c))
    }

    /// A realm's keys in every state (empty for a realm that does not exist).
    pub async fn realm_keys<S: RealmStore + KeyStore>(
        &self,
        store: &S,
        realm: &str,
    ) -> Result<Arc<[RealmKey]>, StoreError> {
        let v = self.version(store).await?;
        if let Some(k) = self.hit(v, |i| i.realm_keys.get(realm).cloned()) {
            return Ok(k);
        }
        let keys: Arc<[RealmKey]> = store.keys(realm).await?.into();
        if !keys.is_empty() {
            self.keep(v, |i| {
                put(&mut i.realm_keys, realm.to_string(), keys.clone())
            });
        }
        Ok(keys)
    }

    /// The key that signs for `client`: its own active key, else its realm's active key; `None`
    /// when there is neither.
    pub async fn signing_key<S: RealmStore + KeyStore + ClientKeyStore>(
        &self,
        store: &S,
        client: &Client,
    ) -> Result<Option<RealmKey>, StoreError> {
        let v = self.version(store).await?;
        let own = match self.hit(v, |i| i.client_keys.get(&client.id).cloned()) {
            Some(k) => k,
            None => {
                let keys: Arc<[RealmKey]> = store.client_keys(&client.id).await?.into();
                self.keep(v, |i| {
                    put(&mut i.client_keys, client.id.clone(), keys.clone())
                });
                keys
            }
        };
        if let Some(k) = crate::active_in(&own) {
            return Ok(Some(k.clone()));
        }
        Ok(crate::active_in(&self.realm_keys(store, &client.realm).await?).cloned())
    }
}
