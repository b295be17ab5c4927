//! Typed access to request parameters, whether JSON members or multipart text fields, with
//! OpenAI-style type and range errors.

use serde_json::{Map, Value};

use crate::error::{ApiError, ApiResult};

/// Parameters as JSON members or multipart text fields.
pub enum Params<'a> {
    Json(&'a Map<String, Value>, &'a str),
    Form(&'a [(String, String)]),
}

impl Params<'_> {
    pub fn keys(&self) -> Vec<&str> {
        match self {
            Params::Json(map, _) => map.keys().map(String::as_str).collect(),
            Params::Form(fields) => fields.iter().map(|(k, _)| k.as_str()).collect(),
        }
    }

    pub fn name(&self, key: &str) -> String {
        match self {
            Params::Json(_, prefix) => format!("{prefix}{key}"),
            Params::Form(_) => key.to_string(),
        }
    }

    /// The value of `key`; JSON `null` counts as absent.
    pub fn get(&self, key: &str) -> Option<Value> {
        match self {
            Params::Json(map, _) => map.get(key).filter(|v| !v.is_null()).cloned(),
            Params::Form(fields) => fields
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| Value::String(v.clone())),
        }
    }

    pub fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    pub fn string(&self, key: &str) -> ApiResult<Option<String>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(ApiError::invalid_type(&self.name(key), "a string", &other)),
        }
    }

    pub fn int(&self, key: &str) -> ApiResult<Option<i64>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Number(n)) if n.is_i64() => Ok(n.as_i64()),
            Some(Value::String(s)) if matches!(self, Params::Form(_)) => s
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| ApiError::invalid_type(&self.name(key), "an integer", &Value::String(s))),
            Some(other) => Err(ApiError::invalid_type(&self.name(key), "an integer", &other)),
        }
    }

    pub fn boolean(&self, key: &str) -> ApiResult<Option<bool>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(b)),
            Some(Value::String(s)) if matches!(self, Params::Form(_)) => match s.as_str() {
                "true" | "True" | "1" => Ok(Some(true)),
                "false" | "False" | "0" => Ok(Some(false)),
                _ => Err(ApiError::invalid_type(&self.name(key), "a boolean", &Value::String(s))),
            },
            Some(other) => Err(ApiError::invalid_type(&self.name(key), "a boolean", &other)),
        }
    }

    pub fn ranged(&self, key: &str, min: i64, max: i64) -> ApiResult<Option<i64>> {
        let Some(v) = self.int(key)? else {
            return Ok(None);
        };
        let name = self.name(key);
        if v > max {
            return Err(ApiError::invalid(
                &name,
                "integer_above_max_value",
                format!(
                    "Invalid '{name}': integer above maximum value. Expected a value <= {max}, but got {v} instead."
                ),
            ));
        }
        if v < min {
            return Err(ApiError::invalid(
                &name,
                "integer_below_min_value",
                format!(
                    "Invalid '{name}': integer below minimum value. Expected a value >= {min}, but got {v} instead."
                ),
            ));
        }
        Ok(Some(v))
    }

    pub fn choice(&self, key: &str, allowed: &[&str]) -> ApiResult<Option<String>> {
        match self.string(key)? {
            Some(v) if !allowed.contains(&v.as_str()) => Err(ApiError::invalid_value(&self.name(key), &v, allowed)),
            other => Ok(other),
        }
    }
}
