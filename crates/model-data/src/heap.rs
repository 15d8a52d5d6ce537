//! A heap allocation that JavaScript views may write into.

use std::ptr::NonNull;

/// Owned bytes addressed through a raw pointer, so that views handed to JavaScript (which may
/// write) never alias a Rust `&`/`&mut` borrow of a `Vec`.
pub struct HeapBytes {
    ptr: NonNull<u8>,
    len: usize,
}

// SAFETY: HeapBytes uniquely owns its allocation, like Box<[u8]>.
unsafe impl Send for HeapBytes {}
// SAFETY: shared access hands out only raw pointers and read-only slices (see ModelData).
unsafe impl Sync for HeapBytes {}

impl From<Vec<u8>> for HeapBytes {
    fn from(bytes: Vec<u8>) -> Self {
        let len = bytes.len();
        let raw = Box::into_raw(bytes.into_boxed_slice());
        // Box::into_raw never returns null (an empty box gives a dangling, non-null pointer).
        let ptr = NonNull::new(raw as *mut u8).unwrap_or(NonNull::dangling());
        HeapBytes { ptr, len }
    }
}

impl HeapBytes {
    pub fn as_ptr(&self) -> *mut u8 {
        self.ptr.as_ptr()
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl Drop for HeapBytes {
    fn drop(&mut self) {
        let slice = std::ptr::slice_from_raw_parts_mut(self.ptr.as_ptr(), self.len);
        // SAFETY: `slice` is exactly what Box::into_raw returned in `from`, dropped once.
        drop(unsafe { Box::from_raw(slice) });
    }
}
