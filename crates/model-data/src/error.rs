//! One error type for the whole core. Every variant has a stable `code()` (Node's errno names for
//! OS errors, `ERR_MODELMAP_*` for our own) so the binding can hand JavaScript a typed error
//! without parsing messages.

use std::io;
use std::path::{Path, PathBuf};

use crate::errno;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An operating-system call failed. `code()` is the errno name (`ENOENT`, `EACCES`, ...).
    #[error("{}: {}, {syscall} '{}'", errno::code_of(.source), errno::describe(.source), .path.display())]
    Io {
        path: PathBuf,
        syscall: &'static str,
        #[source]
        source: io::Error,
    },

    /// The path names a directory. Reported as `EISDIR`, like Node's fs does.
    #[error("EISDIR: illegal operation on a directory, open '{}'", .path.display())]
    IsDirectory { path: PathBuf },

    /// A FIFO, socket, character or block device: nothing a model can be mapped from.
    #[error("'{}' is a {kind}, not a regular file: only regular files can be opened", .path.display())]
    NotRegularFile { path: PathBuf, kind: &'static str },

    /// An offset or length outside the data.
    #[error("{what} is out of range: byteOffset {offset} + byteLength {length} exceeds the {total} bytes of {}", describe_path(.path))]
    OutOfRange {
        what: &'static str,
        offset: u64,
        length: u64,
        total: u64,
        path: Option<PathBuf>,
    },

    /// The handle was closed; nothing can be read through it any more.
    #[error("{} is closed", describe_path(.path))]
    Closed { path: Option<PathBuf> },

    /// The OS refused to lock: typically `RLIMIT_MEMLOCK` (POSIX) or the working-set quota
    /// (Windows) is lower than the mapping.
    #[error("cannot lock {} bytes of '{}' in memory: {}; {}, or open without lock", .length, .path.display(), errno::describe(.source), LOCK_ADVICE)]
    LockFailed {
        path: PathBuf,
        length: u64,
        #[source]
        source: io::Error,
    },

    /// Locking was refused before any page was touched: the range is more than can be locked.
    #[error("cannot lock {length} bytes of '{}' in memory: {reason} allows at most {lockable} bytes; lock a smaller file, raise that limit, or open without lock", .path.display())]
    LockTooLarge {
        path: PathBuf,
        length: u64,
        lockable: u64,
        reason: &'static str,
    },

    /// The file shrank or vanished under the mapping: the pages at `offset` no longer exist.
    #[error("'{}' changed while mapped: bytes at offset {offset} are gone (was the file truncated or replaced?)", .path.display())]
    FileChanged { path: PathBuf, offset: u64 },

    /// The file was truncated since it was opened, so no new range of it is mapped: a page it
    /// lost would raise SIGBUS when touched.
    #[error("'{}' was truncated to {size} bytes since it was opened ({opened_size} bytes): bytes from offset {offset} are gone, so no new view of it is mapped; open the file again", .path.display())]
    ChangedSinceOpen {
        path: PathBuf,
        offset: u64,
        opened_size: u64,
        size: u64,
    },

    /// The operation does not exist on this platform.
    #[error("{operation} is not supported on this platform for '{}'", describe_path(.path))]
    Unsupported {
        operation: &'static str,
        path: Option<PathBuf>,
    },

    /// The file is larger than this process can address (32-bit targets).
    #[error("'{}' is {size} bytes, more than this platform can map", .path.display())]
    TooLarge { path: PathBuf, size: u64 },

    /// A long-running operation was cancelled through its `Progress`.
    #[error("the operation was aborted")]
    Cancelled,
}

/// What to do when the OS refuses a lock, in this OS's terms.
const LOCK_ADVICE: &str = if cfg!(windows) {
    "the process working-set quota or physical memory is too small"
} else {
    "raise the memlock limit (ulimit -l)"
};

fn describe_path(path: &Option<PathBuf>) -> String {
    match path {
        Some(p) => format!("'{}'", p.display()),
        None => "the in-memory model".to_string(),
    }
}

impl Error {
    pub(crate) fn io(path: &Path, syscall: &'static str, source: io::Error) -> Self {
        Error::Io {
            path: path.to_path_buf(),
            syscall,
            source,
        }
    }

    /// The stable code JavaScript sees as `error.code`.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Io { source, .. } => errno::code_of(source),
            Error::IsDirectory { .. } => "EISDIR",
            Error::NotRegularFile { .. } => "ERR_MODELMAP_NOT_REGULAR_FILE",
            Error::OutOfRange { .. } => "ERR_OUT_OF_RANGE",
            Error::Closed { .. } => "ERR_MODELMAP_CLOSED",
            Error::LockFailed { .. } | Error::LockTooLarge { .. } => "ERR_MODELMAP_LOCK_FAILED",
            Error::FileChanged { .. } | Error::ChangedSinceOpen { .. } => {
                "ERR_MODELMAP_FILE_CHANGED"
            }
            Error::Unsupported { .. } => "ERR_MODELMAP_UNSUPPORTED",
            Error::TooLarge { .. } => "ERR_MODELMAP_TOO_LARGE",
            Error::Cancelled => "ABORT_ERR",
        }
    }

    /// The file the error is about, when there is one.
    pub fn path(&self) -> Option<&Path> {
        match self {
            Error::Io { path, .. }
            | Error::IsDirectory { path }
            | Error::NotRegularFile { path, .. }
            | Error::LockFailed { path, .. }
            | Error::LockTooLarge { path, .. }
            | Error::FileChanged { path, .. }
            | Error::ChangedSinceOpen { path, .. }
            | Error::TooLarge { path, .. } => Some(path),
            Error::OutOfRange { path, .. }
            | Error::Closed { path }
            | Error::Unsupported { path, .. } => path.as_deref(),
            Error::Cancelled => None,
        }
    }

    /// The system call that failed, for OS errors (`open`, `fstat`, `mmap`, `mlock`, ...).
    pub fn syscall(&self) -> Option<&'static str> {
        match self {
            Error::Io { syscall, .. } => Some(syscall),
            Error::IsDirectory { .. } => Some("open"),
            Error::LockFailed { .. } | Error::LockTooLarge { .. } => Some("mlock"),
            _ => None,
        }
    }

    /// Where in the file the problem is, when that is known.
    pub fn byte_offset(&self) -> Option<u64> {
        match self {
            Error::FileChanged { offset, .. }
            | Error::ChangedSinceOpen { offset, .. }
            | Error::OutOfRange { offset, .. } => Some(*offset),
            _ => None,
        }
    }

    /// True for the errors a range check produces (JavaScript maps them to `RangeError`).
    pub fn is_range_error(&self) -> bool {
        matches!(self, Error::OutOfRange { .. })
    }
}
