//! What JavaScript memory points at: a window of model bytes that stays valid for as long as this
//! value lives, whatever happens to the handle that made it (close, drop).
//!
//! A window owns what keeps its bytes: on Unix a region of its own (only the range it covers is
//! mapped, so an open holds address space for what its views use), or a share of a whole-file
//! region where one exists (Windows maps the whole file at open; `lock` and `as_slice` map it
//! elsewhere), or a share of heap bytes.

use std::io;
use std::ops::Range;
use std::ptr::NonNull;
use std::sync::Arc;

use crate::heap::HeapBytes;
use crate::options::Advice;
use crate::platform;
use crate::region::Region;

/// What keeps the bytes alive; held only for its Drop (hence never read).
#[allow(dead_code)]
enum Keep {
    Own(Region),
    Shared(Arc<Region>),
    Heap(Arc<HeapBytes>),
    /// An empty range: nothing to keep, nothing to point at.
    Nothing,
}

pub struct Window {
    ptr: NonNull<u8>,
    range: Range<u64>,
    keep: Keep,
}

// SAFETY: the pointer points into memory kept alive by `keep` (a Region or heap bytes, both Send
// and Sync); JavaScript writes through it as raw memory, never through a Rust reference.
unsafe impl Send for Window {}
// SAFETY: as above.
unsafe impl Sync for Window {}

impl Window {
    pub(crate) fn own(region: Region, range: Range<u64>) -> Window {
        let ptr = NonNull::new(region.address_of(range.start)).unwrap_or(NonNull::dangling());
        Window {
            ptr,
            range,
            keep: Keep::Own(region),
        }
    }

    pub(crate) fn shared(region: &Arc<Region>, range: Range<u64>) -> Window {
        let ptr = NonNull::new(region.address_of(range.start)).unwrap_or(NonNull::dangling());
        Window {
            ptr,
            range,
            keep: Keep::Shared(Arc::clone(region)),
        }
    }

    pub(crate) fn empty(offset: u64) -> Window {
        Window {
            ptr: NonNull::dangling(),
            range: offset..offset,
            keep: Keep::Nothing,
        }
    }

    pub(crate) fn heap(bytes: &Arc<HeapBytes>, range: Range<u64>) -> Window {
        // SAFETY: the range was checked against the heap bytes' length.
        let start = unsafe { bytes.as_ptr().add(range.start as usize) };
        Window {
            ptr: NonNull::new(start).unwrap_or(NonNull::dangling()),
            range,
            keep: Keep::Heap(Arc::clone(bytes)),
        }
    }

    /// Address of the window's first byte; valid (mapped or allocated) while this value lives.
    pub fn as_ptr(&self) -> *mut u8 {
        self.ptr.as_ptr()
    }

    pub fn len(&self) -> usize {
        (self.range.end - self.range.start) as usize
    }

    pub fn is_empty(&self) -> bool {
        self.range.is_empty()
    }

    /// Where the window's first byte is in the file (or in the heap bytes).
    pub fn file_offset(&self) -> u64 {
        self.range.start
    }

    /// Whether unmapping this window's memory is work (a region of its own): the binding drops
    /// those off the JavaScript thread.
    pub fn owns_mapping(&self) -> bool {
        matches!(self.keep, Keep::Own(_))
    }

    /// The part of `range` (file offsets) this window covers, as an address and a length.
    fn span_of(&self, range: &Range<u64>) -> Option<(*const u8, usize)> {
        let start = range.start.max(self.range.start);
        let end = range.end.min(self.range.end);
        if start >= end {
            return None;
        }
        // SAFETY: start lies inside this window's range.
        let ptr = unsafe { self.ptr.as_ptr().add((start - self.range.start) as usize) };
        Some((ptr, (end - start) as usize))
    }

    /// madvise over the part of `range` this window maps (nothing for heap bytes).
    pub(crate) fn advise(&self, range: &Range<u64>, advice: Advice) -> io::Result<()> {
        if matches!(self.keep, Keep::Heap(_) | Keep::Nothing) {
            return Ok(());
        }
        match self.span_of(range) {
            Some((ptr, len)) => platform::advise(ptr, len, advice),
            None => Ok(()),
        }
    }

    /// Faults the window's pages in for reading (populate at open), without breaking
    /// copy-on-write. `Ok(false)` where the OS cannot.
    pub(crate) fn populate(&self) -> io::Result<bool> {
        match self.keep {
            Keep::Heap(_) | Keep::Nothing => Ok(true),
            _ => platform::populate_read(self.as_ptr(), self.len()),
        }
    }
}
