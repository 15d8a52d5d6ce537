//! Windows: the same operations through the Win32 memory API.
//!
//! - residency: `QueryWorkingSetEx`, page by page. It answers whether a page is in *this
//!   process's* working set; a page in the system file cache but not mapped in here counts as
//!   not resident (Windows has no per-file `mincore`).
//! - willneed / prefetch: `PrefetchVirtualMemory` (Windows 8+), a hint; populate falls back to
//!   positioned reads, which is also how a missing page becomes an error instead of a fault.
//! - sequential / random / normal: no equivalent for mapped views; accepted and ignored.
//! - dontneed (release after a GPU upload): `VirtualUnlock` on an unlocked range, which the docs
//!   define as removing those pages from the working set. Unlike Linux, pages written through a
//!   copy-on-write view keep their contents (they are private pages, paged out, not discarded).
//! - lock: `VirtualLock`, after growing the process's minimum working set by the range (a lock
//!   may not exceed it).

use std::io;
use std::sync::OnceLock;

use windows_sys::Win32::Foundation::ERROR_NOT_LOCKED;
use windows_sys::Win32::System::Memory::{
    PrefetchVirtualMemory, VirtualLock, VirtualUnlock, WIN32_MEMORY_RANGE_ENTRY,
};
use windows_sys::Win32::System::ProcessStatus::{
    K32QueryWorkingSetEx, PSAPI_WORKING_SET_EX_INFORMATION,
};
use windows_sys::Win32::System::SystemInformation::{
    GetSystemInfo, GlobalMemoryStatusEx, MEMORYSTATUSEX, SYSTEM_INFO,
};
use windows_sys::Win32::System::Threading::{
    GetCurrentProcess, GetProcessWorkingSetSize, SetProcessWorkingSetSize,
};

use super::page_span;
use crate::options::Advice;

pub fn page_size() -> usize {
    static PAGE: OnceLock<usize> = OnceLock::new();
    *PAGE.get_or_init(|| {
        let mut info = SYSTEM_INFO::default();
        // SAFETY: GetSystemInfo fills the struct we own; it cannot fail.
        unsafe { GetSystemInfo(&mut info) };
        match info.dwPageSize as usize {
            0 => 4096,
            size => size,
        }
    })
}

fn check(ok: i32) -> io::Result<()> {
    if ok != 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

pub fn advise(ptr: *const u8, len: usize, advice: Advice) -> io::Result<()> {
    if len == 0 {
        return Ok(());
    }
    let (start, span) = page_span(ptr, len);
    match advice {
        Advice::WillNeed => {
            let range = WIN32_MEMORY_RANGE_ENTRY {
                VirtualAddress: start as *mut _,
                NumberOfBytes: span,
            };
            // SAFETY: one range inside a live mapping (callers guarantee it); a read-ahead hint
            // that changes no memory. Failure (older Windows, emulators) leaves it a no-op hint.
            let _ = unsafe { PrefetchVirtualMemory(GetCurrentProcess(), 1, &range, 0) };
            Ok(())
        }
        Advice::DontNeed => {
            // SAFETY: the range lies inside a live mapping; on an unlocked range VirtualUnlock
            // only trims pages from the working set (they fault back in on the next touch).
            // ModelData refuses dontneed on a locked handle, so no lock is dropped here.
            match check(unsafe { VirtualUnlock(start as *const _, span) }) {
                Err(e) if e.raw_os_error() == Some(ERROR_NOT_LOCKED as i32) => Ok(()),
                other => other,
            }
        }
        Advice::Normal | Advice::Sequential | Advice::Random => Ok(()),
    }
}

/// No `MADV_POPULATE_READ` here: callers fall back to positioned reads.
pub fn populate_read(_ptr: *const u8, _len: usize) -> io::Result<bool> {
    Ok(false)
}

/// Bytes of the range in this process's working set, counted in whole pages, clipped to it.
/// Asked in windows of 2^16 pages, each one QueryWorkingSetEx call.
pub fn resident_bytes(ptr: *const u8, len: usize) -> io::Result<Option<u64>> {
    let page = page_size();
    let mut entries = Vec::<PSAPI_WORKING_SET_EX_INFORMATION>::new();
    super::resident_bytes_windowed(ptr, len, 1 << 16, |base, count, flags| {
        entries.clear();
        entries.extend((0..count).map(|i| PSAPI_WORKING_SET_EX_INFORMATION {
            VirtualAddress: (base + i * page) as *mut _,
            ..Default::default()
        }));
        let bytes = count * std::mem::size_of::<PSAPI_WORKING_SET_EX_INFORMATION>();
        // SAFETY: `entries` holds `count` initialised entries (`bytes` long); the call only
        // writes their attribute fields.
        check(unsafe {
            K32QueryWorkingSetEx(
                GetCurrentProcess(),
                entries.as_mut_ptr().cast(),
                bytes as u32,
            )
        })?;
        for (flag, entry) in flags.iter_mut().zip(&entries) {
            // SAFETY: `Flags` is the plain-integer view of the attribute union; bit 0 is Valid.
            *flag = (unsafe { entry.VirtualAttributes.Flags } & 1) as u8;
        }
        Ok(())
    })
}

/// Locks the range: grows the minimum working set by its size first (VirtualLock cannot lock
/// more than the minimum working set), then VirtualLock.
pub fn lock(ptr: *const u8, len: usize, _copy_on_write: bool) -> io::Result<()> {
    if len == 0 {
        return Ok(());
    }
    let (start, span) = page_span(ptr, len);
    let (mut min, mut max) = (0usize, 0usize);
    // SAFETY: pseudo-handle of this process; out-pointers we own.
    check(unsafe { GetProcessWorkingSetSize(GetCurrentProcess(), &mut min, &mut max) })?;
    let slack = 16 * page_size();
    let new_min = min.saturating_add(span).saturating_add(slack);
    let new_max = max.max(new_min).saturating_add(slack);
    // SAFETY: as above; only quotas change.
    check(unsafe { SetProcessWorkingSetSize(GetCurrentProcess(), new_min, new_max) })?;
    // SAFETY: the range lies inside a live mapping; locking changes residency only.
    check(unsafe { VirtualLock(start as *const _, span) })
}

pub fn unlock(ptr: *const u8, len: usize) -> io::Result<()> {
    if len == 0 {
        return Ok(());
    }
    let (start, span) = page_span(ptr, len);
    // SAFETY: the range lies inside a live mapping.
    check(unsafe { VirtualUnlock(start as *const _, span) })
}

/// The OS's bound on locking: the physical memory available.
pub fn os_lock_bounds() -> Vec<(u64, &'static str)> {
    let mut status = MEMORYSTATUSEX {
        dwLength: std::mem::size_of::<MEMORYSTATUSEX>() as u32,
        ..Default::default()
    };
    // SAFETY: dwLength is set as the API requires; the struct is ours.
    if unsafe { GlobalMemoryStatusEx(&mut status) } != 0 {
        vec![(status.ullAvailPhys, "the physical memory available")]
    } else {
        Vec::new()
    }
}

/// A second open with read-ahead state of its own (see the unix version): not needed here, where
/// prefetch reads through positioned reads of the one file.
pub fn reopen(_file: &std::fs::File) -> Option<std::fs::File> {
    None
}
