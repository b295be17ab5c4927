//! The OpenAI error envelope: `{"error":{"message","type","param","code"}}`, all four keys always.

use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

/// An API error answer (boxed so `Result`s stay small); derefs to its [`ErrorParts`].
#[derive(Debug, Clone)]
pub struct ApiError(Box<ErrorParts>);

/// Status, the four envelope fields, and optional extras.
#[derive(Debug, Clone)]
pub struct ErrorParts {
    pub status: u16,
    pub message: String,
    pub kind: String,
    pub param: Option<String>,
    pub code: Option<String>,
    /// Extra keys inside `error` (e.g. `moderation_details`).
    pub extra: Map<String, Value>,
    pub headers: Vec<(&'static str, String)>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl std::ops::Deref for ApiError {
    type Target = ErrorParts;
    fn deref(&self) -> &ErrorParts {
        &self.0
    }
}

impl std::ops::DerefMut for ApiError {
    fn deref_mut(&mut self) -> &mut ErrorParts {
        &mut self.0
    }
}

impl ApiError {
    pub fn new(status: u16, kind: &str, message: impl Into<String>) -> ApiError {
        ApiError(Box::new(ErrorParts {
            status,
            message: message.into(),
            kind: kind.to_string(),
            param: None,
            code: None,
            extra: Map::new(),
            headers: Vec::new(),
        }))
    }

    /// A 400 `invalid_request_error` with the given param and code.
    pub fn invalid(param: &str, code: &str, message: impl Into<String>) -> ApiError {
        ApiError::new(400, "invalid_request_error", message)
            .param(param)
            .code(code)
    }

    pub fn param(mut self, param: &str) -> ApiError {
        self.param = Some(param.to_string());
        self
    }

    pub fn code(mut self, code: &str) -> ApiError {
        self.code = Some(code.to_string());
        self
    }

    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> ApiError {
        self.headers.push((name, value.into()));
        self
    }

    pub fn unknown_parameter(name: &str) -> ApiError {
        ApiError::invalid(name, "unknown_parameter", format!("Unknown parameter: '{name}'."))
    }

    pub fn missing(name: &str) -> ApiError {
        ApiError::invalid(
            name,
            "missing_required_parameter",
            format!("Missing required parameter: '{name}'."),
        )
    }

    pub fn unsupported(name: &str, model: &str) -> ApiError {
        ApiError::invalid(
            name,
            "unsupported_parameter",
            format!("Unsupported parameter: '{name}' is not supported with model '{model}'."),
        )
    }

    /// `Invalid value: 'x'. Supported values are: 'a', 'b', and 'c'.`
    pub fn invalid_value(param: &str, value: &str, allowed: &[&str]) -> ApiError {
        ApiError::invalid(
            param,
            "invalid_value",
            format!(
                "Invalid value: '{value}'. Supported values are: {}.",
                quoted_list(allowed)
            ),
        )
    }

    pub fn invalid_type(param: &str, expected: &str, got: &Value) -> ApiError {
        let got = match got {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
        };
        ApiError::invalid(
            param,
            "invalid_type",
            format!("Invalid type for '{param}': expected {expected}, but got {got} instead."),
        )
    }

    pub fn model_not_found(model: &str) -> ApiError {
        ApiError::new(
            404,
            "invalid_request_error",
            format!("The model `{model}` does not exist or you do not have access to it."),
        )
        .code("model_not_found")
    }

    pub fn not_found_route(method: &str, path: &str) -> ApiError {
        ApiError::new(404, "invalid_request_error", format!("Invalid URL ({method} {path})"))
    }

    pub fn bad_json() -> ApiError {
        ApiError::new(
            400,
            "invalid_request_error",
            "We could not parse the JSON body of your request. (HINT: This likely means you \
             aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but \
             what was sent was not valid JSON.)",
        )
    }

    pub fn server_error() -> ApiError {
        ApiError::new(
            500,
            "server_error",
            "The server had an error while processing your request. Sorry about that!",
        )
    }

    /// The `error` object itself (without the outer envelope).
    pub fn object(&self) -> Value {
        let mut obj = Map::new();
        obj.insert("message".into(), json!(self.message));
        obj.insert("type".into(), json!(self.kind));
        obj.insert("param".into(), json!(self.param));
        obj.insert("code".into(), json!(self.code));
        for (k, v) in &self.extra {
            obj.insert(k.clone(), v.clone());
        }
        Value::Object(obj)
    }

    pub fn body(&self) -> Value {
        json!({ "error": self.object() })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, axum::Json(self.body())).into_response();
        for (name, value) in &self.headers {
            if let Ok(value) = HeaderValue::from_str(value) {
                response.headers_mut().insert(HeaderName::from_static(name), value);
            }
        }
        response
    }
}

/// `'a', 'b', and 'c'` in the style of OpenAI's messages.
pub fn quoted_list(items: &[&str]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("'{s}'")).collect();
    match quoted.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [a, b] => format!("{a} and {b}"),
        [rest @ .., last] => format!("{}, and {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_read_like_openai() {
        assert_eq!(quoted_list(&["1024x1024", "auto", "x"]), "'1024x1024', 'auto', and 'x'");
        assert_eq!(quoted_list(&["a", "b"]), "'a' and 'b'");
    }

    #[test]
    fn envelope_has_all_keys() {
        let body = ApiError::new(500, "server_error", "boom").body();
        let err = body["error"].as_object().unwrap();
        for key in ["message", "type", "param", "code"] {
            assert!(err.contains_key(key), "{key}");
        }
    }
}
