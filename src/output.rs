//! Memory for decoded values that JavaScript receives as a typed array, without a copy: an
//! anonymous mapping, first touched by the decoding threads (a `new Float32Array` would be zeroed
//! by the JavaScript thread, ~0.7 ms per MiB here), unmapped after the typed array's finalizer, on
//! the unmapping thread (reaper.rs).
//!
//! No transparent-huge-page advice: it made 64 MiB outputs fault in faster (bench "values": 15 ms
//! against 28 ms for Q4_K), but 1 GiB ones took 130 ms or 1.2-2.2 s from run to run on this VM,
//! against a steady 380-610 ms without it.

use std::ffi::c_void;
use std::ptr;

use memmap2::MmapMut;
use napi::{sys, Env, Result};

use crate::errors::{js_error, Kind};

pub struct OutputMemory {
    map: Option<MmapMut>,
    len: usize,
    width: usize,
}

impl OutputMemory {
    /// `len` zeroed values of `width` bytes each.
    pub fn new(len: usize, width: usize) -> std::io::Result<OutputMemory> {
        let bytes = len * width;
        if bytes == 0 {
            return Ok(OutputMemory {
                map: None,
                len,
                width,
            });
        }
        let map = MmapMut::map_anon(bytes)?;
        Ok(OutputMemory {
            map: Some(map),
            len,
            width,
        })
    }

    /// The values, as `T` (whose size is `width`): the mapping is page-aligned.
    pub fn values<T>(&mut self) -> &mut [T] {
        debug_assert_eq!(std::mem::size_of::<T>(), self.width);
        match self.map.as_mut() {
            // SAFETY: the mapping holds `len * width` bytes, page-aligned, zeroed (a valid f32 or
            // u16), owned by `self` and borrowed mutably here only.
            Some(map) => unsafe {
                std::slice::from_raw_parts_mut(map.as_mut_ptr().cast::<T>(), self.len)
            },
            None => &mut [],
        }
    }

    /// A Float32Array (width 4) or Uint16Array (width 2) over this memory, which it then owns.
    pub fn into_js(self, env: &Env) -> Result<sys::napi_value> {
        let raw = env.raw();
        let kind = if self.width == 4 {
            sys::TypedarrayType::float32_array
        } else {
            sys::TypedarrayType::uint16_array
        };
        let bytes = self.len * self.width;
        let mut buffer = ptr::null_mut();
        let fail = |what: &str, status: sys::napi_status| {
            js_error(
                env,
                Kind::Error,
                "ERR_MODELMAP_NAPI",
                &format!("{what} failed with napi status {status}"),
            )
        };
        match self.map {
            None => {
                let mut data = ptr::null_mut();
                // SAFETY: valid env and out-pointers.
                let status =
                    unsafe { sys::napi_create_arraybuffer(raw, 0, &mut data, &mut buffer) };
                if status != sys::Status::napi_ok {
                    return Err(fail("napi_create_arraybuffer", status));
                }
            }
            Some(mut map) => {
                let data = map.as_mut_ptr();
                let hint = Box::into_raw(Box::new(map));
                // SAFETY: `data..data+bytes` lives as long as the mapping in `hint`, which
                // `unmap_output` drops when V8 lets go of the buffer.
                let status = unsafe {
                    sys::napi_create_external_arraybuffer(
                        raw,
                        data.cast(),
                        bytes,
                        Some(unmap_output),
                        hint.cast(),
                        &mut buffer,
                    )
                };
                if status == sys::Status::napi_no_external_buffers_allowed {
                    // A sandboxed runtime (Electron): copy into memory V8 owns.
                    // SAFETY: the finalizer did not run (creation was refused), so `hint` is ours.
                    let map = unsafe { Box::from_raw(hint) };
                    let mut copy = ptr::null_mut();
                    // SAFETY: valid env and out-pointers; `copy` then holds `bytes` writable bytes.
                    let status =
                        unsafe { sys::napi_create_arraybuffer(raw, bytes, &mut copy, &mut buffer) };
                    if status != sys::Status::napi_ok {
                        return Err(fail("napi_create_arraybuffer", status));
                    }
                    // SAFETY: both ranges are `bytes` long and distinct.
                    unsafe { ptr::copy_nonoverlapping(map.as_ptr(), copy.cast::<u8>(), bytes) };
                } else if status != sys::Status::napi_ok {
                    // Leaking the mapping is the safe choice if Node already ran the finalizer.
                    return Err(fail("napi_create_external_arraybuffer", status));
                }
            }
        }
        let mut array = ptr::null_mut();
        // SAFETY: `buffer` is a live ArrayBuffer of exactly `len` values of the kind.
        let status =
            unsafe { sys::napi_create_typedarray(raw, kind, self.len, buffer, 0, &mut array) };
        if status != sys::Status::napi_ok {
            return Err(fail("napi_create_typedarray", status));
        }
        Ok(array)
    }
}

unsafe extern "C" fn unmap_output(_env: sys::napi_env, _data: *mut c_void, hint: *mut c_void) {
    // SAFETY: `hint` is the Box<MmapMut> leaked in `into_js`; Node calls this once.
    let map = unsafe { Box::from_raw(hint.cast::<MmapMut>()) };
    // Nothing in JavaScript can reach the memory any more: when it is unmapped does not matter.
    crate::reaper::release_output(*map);
}
