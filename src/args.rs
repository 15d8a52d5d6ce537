//! JavaScript numbers to byte offsets. The facade validates first; this is the backstop that keeps
//! the native class safe to call directly.

use napi::{Env, Result};

use crate::errors::{js_error, Kind};

/// Largest integer a JS number represents exactly (2^53 - 1).
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// A non-negative safe integer, or a RangeError with `code: 'ERR_OUT_OF_RANGE'`.
pub fn byte_count(env: &Env, name: &str, value: f64) -> Result<u64> {
    if value.is_finite() && value >= 0.0 && value.fract() == 0.0 && value <= MAX_SAFE_INTEGER {
        Ok(value as u64)
    } else {
        Err(js_error(
            env,
            Kind::Range,
            "ERR_OUT_OF_RANGE",
            &format!(
                "The value of \"{name}\" is out of range. It must be an integer >= 0 and <= {MAX_SAFE_INTEGER}. Received {value}"
            ),
        ))
    }
}

pub fn optional_byte_count(env: &Env, name: &str, value: Option<f64>) -> Result<Option<u64>> {
    value.map(|v| byte_count(env, name, v)).transpose()
}

/// A TypeError with `code: 'ERR_INVALID_ARG_VALUE'`.
pub fn invalid_arg(env: &Env, message: &str) -> napi::Error {
    js_error(env, Kind::Type, "ERR_INVALID_ARG_VALUE", message)
}
