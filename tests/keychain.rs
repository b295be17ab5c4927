//! Placeholder: written by the keychain work.
