//! API keys: environment first, then the OS keychain (service "easel", account = provider name).
//! A key is an [`ApiKey`], whose `Debug`/`Display` never show it; it is never logged or written to disk
//! by Easel itself.

use crate::config::Provider;
use crate::error::{Error, Result};

pub const KEYCHAIN_SERVICE: &str = "easel";

/// A secret. Deliberately not `Serialize` and redacted in `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    pub fn new(key: impl Into<String>) -> ApiKey {
        ApiKey(key.into().trim().to_string())
    }
    /// The raw key, for the one place that needs it: the request header.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeySource {
    Environment,
    Keychain,
}

/// Where a provider's key came from, plus a warning to show when the keychain could not be asked.
#[derive(Debug)]
pub struct FoundKey {
    pub key: ApiKey,
    pub source: KeySource,
}

/// Look a provider's key up: its environment variable, then the keychain.
/// A machine without a Secret Service falls back to the environment with a clear message.
pub fn lookup(provider: &Provider, env: impl Fn(&str) -> Option<String>) -> Result<FoundKey> {
    if let Some(var) = &provider.api_key_env
        && let Some(value) = env(var).filter(|v| !v.trim().is_empty())
    {
        return Ok(FoundKey {
            key: ApiKey::new(value),
            source: KeySource::Environment,
        });
    }
    match keychain_get(&provider.name) {
        Ok(Some(key)) => Ok(FoundKey {
            key,
            source: KeySource::Keychain,
        }),
        Ok(None) => Err(missing(provider)),
        Err(e) => {
            tracing::warn!("{e}; only the environment is used for keys");
            Err(missing(provider))
        }
    }
}

fn missing(provider: &Provider) -> Error {
    Error::MissingKey {
        provider: provider.name.clone(),
        env: match provider.api_key_env.as_deref() {
            Some("OPENAI_API_KEY") => "OPENAI_API_KEY",
            Some("AZURE_OPENAI_API_KEY") => "AZURE_OPENAI_API_KEY",
            Some(_) => "the provider's api_key_env variable",
            None => "a key in the keychain",
        },
    }
}

fn entry(provider: &str) -> Result<keyring::Entry> {
    keyring::Entry::new(KEYCHAIN_SERVICE, provider).map_err(keychain_error)
}

fn keychain_error(e: keyring::Error) -> Error {
    match e {
        keyring::Error::NoDefaultStore | keyring::Error::PlatformFailure(_) | keyring::Error::NoStorageAccess(_) => {
            Error::Keychain(format!(
                "no OS keychain is available ({e}); on Linux a Secret Service such as gnome-keyring must be running"
            ))
        }
        other => Error::Keychain(other.to_string()),
    }
}

/// The stored key for `provider`, `None` when there is none.
pub fn keychain_get(provider: &str) -> Result<Option<ApiKey>> {
    Ok(secret_get(provider)?.map(ApiKey::new))
}

pub fn keychain_set(provider: &str, key: &ApiKey) -> Result<()> {
    if key.expose().is_empty() {
        return Err(Error::InvalidInput("the key is empty".into()));
    }
    secret_set(provider, key.expose())
}

/// The secret stored under `account` (service "easel"), `None` when there is none.
pub(crate) fn secret_get(account: &str) -> Result<Option<String>> {
    match entry(account)?.get_password() {
        Ok(secret) => Ok(Some(secret)),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(e) => Err(keychain_error(e)),
    }
}

pub(crate) fn secret_set(account: &str, secret: &str) -> Result<()> {
    entry(account)?.set_password(secret).map_err(keychain_error)
}

/// Deletes the stored key; `false` when there was none.
pub fn keychain_delete(provider: &str) -> Result<bool> {
    match entry(provider)?.delete_credential() {
        Ok(()) => Ok(true),
        Err(keyring::Error::NoEntry) => Ok(false),
        Err(e) => Err(keychain_error(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Provider;

    #[test]
    fn key_is_redacted_in_debug() {
        let k = ApiKey::new(" sk-secret-123 \n");
        assert_eq!(k.expose(), "sk-secret-123");
        assert!(!format!("{k:?}").contains("secret"));
    }

    #[test]
    fn environment_wins_and_missing_key_says_what_to_set() {
        let p = Provider::openai("https://api.openai.com/v1");
        let found = lookup(&p, |v| (v == "OPENAI_API_KEY").then(|| "sk-env".to_string())).unwrap();
        assert_eq!(found.source, KeySource::Environment);
        assert_eq!(found.key.expose(), "sk-env");

        let mut nobody = p.clone();
        nobody.name = format!("no-such-provider-{}", std::process::id());
        let e = lookup(&nobody, |_| None).unwrap_err().to_string();
        assert!(e.contains("OPENAI_API_KEY") && e.contains("easel keys set"), "{e}");
    }
}
