//! Core errors become JavaScript errors with `code`, `path`, `syscall` and `byteOffset` set, so
//! the facade can rethrow them as `ModelDataError` without parsing messages.

use std::ptr;

use modelmap_core::Error as CoreError;
use napi::bindgen_prelude::Unknown;
use napi::{sys, Env, Error, Result, Status};

/// Which JavaScript constructor an error is made with.
#[derive(Clone, Copy)]
pub enum Kind {
    Error,
    Range,
    Type,
}

/// A JS error object (retained inside a napi `Error`, so it is thrown or rejected verbatim).
pub fn js_error(env: &Env, kind: Kind, code: &str, message: &str) -> Error {
    match build(env, kind, code, message, &[]) {
        Ok(value) => value,
        Err(fallback) => fallback,
    }
}

/// Converts a core error, keeping its structured fields as properties.
pub fn from_core(env: &Env, err: &CoreError) -> Error {
    let kind = if err.is_range_error() {
        Kind::Range
    } else {
        Kind::Error
    };
    let path = err.path().map(|p| p.to_string_lossy().into_owned());
    let mut props: Vec<(&str, Prop)> = Vec::new();
    if let Some(path) = &path {
        props.push(("path", Prop::Str(path)));
    }
    if let Some(syscall) = err.syscall() {
        props.push(("syscall", Prop::Str(syscall)));
    }
    if let Some(offset) = err.byte_offset() {
        props.push(("byteOffset", Prop::Num(offset as f64)));
    }
    match build(env, kind, err.code(), &err.to_string(), &props) {
        Ok(value) => value,
        Err(fallback) => fallback,
    }
}

/// For `.map_err(|e| errors::from_core(&env, &e))`-style call sites.
pub trait IntoJs<T> {
    fn or_throw(self, env: &Env) -> Result<T>;
}

impl<T> IntoJs<T> for std::result::Result<T, CoreError> {
    fn or_throw(self, env: &Env) -> Result<T> {
        self.map_err(|e| from_core(env, &e))
    }
}

enum Prop<'a> {
    Str(&'a str),
    Num(f64),
}

fn check(status: sys::napi_status, what: &str) -> Result<()> {
    if status == sys::Status::napi_ok {
        Ok(())
    } else {
        Err(Error::new(Status::from(status), what.to_owned()))
    }
}

fn string(env: &Env, s: &str) -> Result<sys::napi_value> {
    let mut out = ptr::null_mut();
    // SAFETY: `s` is valid UTF-8 of the given length; `out` is a valid out-pointer.
    check(
        unsafe {
            sys::napi_create_string_utf8(env.raw(), s.as_ptr().cast(), s.len() as isize, &mut out)
        },
        "create string",
    )?;
    Ok(out)
}

/// Returns Ok(retained error) or Err(plain napi error) when even building the object failed.
fn build(
    env: &Env,
    kind: Kind,
    code: &str,
    message: &str,
    props: &[(&str, Prop)],
) -> std::result::Result<Error, Error> {
    let raw = env.raw();
    let code_value = string(env, code)?;
    let message_value = string(env, message)?;
    let mut error = ptr::null_mut();
    // SAFETY: all handles were created in this env on this thread; `error` is an out-pointer.
    let status = unsafe {
        match kind {
            Kind::Error => sys::napi_create_error(raw, code_value, message_value, &mut error),
            Kind::Range => sys::napi_create_range_error(raw, code_value, message_value, &mut error),
            Kind::Type => sys::napi_create_type_error(raw, code_value, message_value, &mut error),
        }
    };
    check(status, message)?;
    for (name, prop) in props {
        let value = match prop {
            Prop::Str(s) => string(env, s)?,
            Prop::Num(n) => {
                let mut out = ptr::null_mut();
                // SAFETY: valid env and out-pointer.
                check(
                    unsafe { sys::napi_create_double(raw, *n, &mut out) },
                    "create number",
                )?;
                out
            }
        };
        let key = std::ffi::CString::new(*name).expect("property names have no NUL");
        // SAFETY: `error` is an object created above; `key` is NUL-terminated.
        check(
            unsafe { sys::napi_set_named_property(raw, error, key.as_ptr(), value) },
            "set error property",
        )?;
    }
    // SAFETY: `error` is a live value of this env.
    let value = unsafe { Unknown::from_raw_unchecked(raw, error) };
    Ok(Error::from(value))
}
