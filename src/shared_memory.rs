//! `node_api_create_external_sharedarraybuffer`, looked up in the host process at run time.
//!
//! Node-API added it after the versions napi-rs links against (the Node 22.23, 24.22 and 26.12
//! binaries export it, Node 20.20 and Deno 2.9 do not), so it cannot be an ordinary import: an
//! addon naming a symbol its host lacks fails to load. Looked up once; where it is missing, views
//! use external ArrayBuffers (views.rs says what that costs).

use std::ffi::c_void;
use std::sync::OnceLock;

use napi::sys;

/// `void (*)(void* data, void* hint)`: called on any thread once the last holder of the
/// SharedArrayBuffer in any isolate is gone (it gets no env: the buffer may outlive the one that
/// made it).
pub type NoEnvFinalize = unsafe extern "C" fn(data: *mut c_void, hint: *mut c_void);

pub type CreateExternalSharedArrayBuffer = unsafe extern "C" fn(
    env: sys::napi_env,
    data: *mut c_void,
    byte_length: usize,
    finalize: Option<NoEnvFinalize>,
    hint: *mut c_void,
    result: *mut sys::napi_value,
) -> sys::napi_status;

const SYMBOL: &[u8] = b"node_api_create_external_sharedarraybuffer\0";

/// The host's function, or None where it has none.
pub fn create_external_sharedarraybuffer() -> Option<CreateExternalSharedArrayBuffer> {
    static FOUND: OnceLock<Option<CreateExternalSharedArrayBuffer>> = OnceLock::new();
    *FOUND.get_or_init(|| {
        let address = lookup();
        if address.is_null() {
            return None;
        }
        // SAFETY: the host exports this name with exactly this signature (Node-API's
        // node_api.h); a non-null address from the dynamic linker is that function.
        Some(unsafe {
            std::mem::transmute::<*mut c_void, CreateExternalSharedArrayBuffer>(address)
        })
    })
}

#[cfg(unix)]
fn lookup() -> *mut c_void {
    // SAFETY: dlsym with RTLD_DEFAULT searches the process's global symbols (the Node binary's
    // exports) for a NUL-terminated name; it has no other effect.
    unsafe { libc::dlsym(libc::RTLD_DEFAULT, SYMBOL.as_ptr().cast()) }
}

#[cfg(windows)]
fn lookup() -> *mut c_void {
    use windows_sys::Win32::System::LibraryLoader::{GetModuleHandleW, GetProcAddress};
    // SAFETY: GetModuleHandleW(NULL) is the host executable (node.exe, or Electron), which is
    // where Node-API's functions are exported from; GetProcAddress reads its export table.
    unsafe {
        let host = GetModuleHandleW(std::ptr::null());
        if host.is_null() {
            return std::ptr::null_mut();
        }
        match GetProcAddress(host, SYMBOL.as_ptr()) {
            Some(f) => f as *mut c_void,
            None => std::ptr::null_mut(),
        }
    }
}

#[cfg(not(any(unix, windows)))]
fn lookup() -> *mut c_void {
    std::ptr::null_mut()
}
