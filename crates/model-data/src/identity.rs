//! What a file was when it was opened, to tell later whether it was replaced or changed.

use std::fs::Metadata;
use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FileIdentity {
    /// Device and inode on POSIX; 0 where std does not expose them (Windows).
    pub dev: u64,
    pub ino: u64,
    pub size: u64,
    pub mtime_ns: i128,
    /// Status-change time (POSIX ctime). A rewrite that restores the mtime (`touch -r`) still
    /// moves the ctime, and no user call can set it back. 0 where std does not expose it.
    pub ctime_ns: i128,
}

fn nanos_since_epoch(t: SystemTime) -> i128 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_nanos() as i128,
        Err(before) => -(before.duration().as_nanos() as i128),
    }
}

impl FileIdentity {
    pub fn of(meta: &Metadata) -> Self {
        let mtime_ns = meta.modified().ok().map_or(0, nanos_since_epoch);
        #[cfg(unix)]
        let (dev, ino, ctime_ns) = {
            use std::os::unix::fs::MetadataExt;
            let ctime = i128::from(meta.ctime()) * 1_000_000_000 + i128::from(meta.ctime_nsec());
            (meta.dev(), meta.ino(), ctime)
        };
        #[cfg(not(unix))]
        let (dev, ino, ctime_ns) = (0, 0, 0);
        FileIdentity {
            dev,
            ino,
            size: meta.len(),
            mtime_ns,
            ctime_ns,
        }
    }
}
