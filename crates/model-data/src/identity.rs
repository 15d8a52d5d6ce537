//! What a file was when it was opened, to tell later whether it was replaced or changed.

use std::fs::Metadata;
use std::time::UNIX_EPOCH;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FileIdentity {
    /// Device and inode on POSIX; 0 where std does not expose them (then the identity is only
    /// size + mtime, and the mapping is not shared between opens).
    pub dev: u64,
    pub ino: u64,
    pub size: u64,
    pub mtime_ns: i128,
}

impl FileIdentity {
    pub fn of(meta: &Metadata) -> Self {
        let mtime_ns = meta
            .modified()
            .ok()
            .map(|t| match t.duration_since(UNIX_EPOCH) {
                Ok(d) => d.as_nanos() as i128,
                Err(before) => -(before.duration().as_nanos() as i128),
            })
            .unwrap_or(0);
        #[cfg(unix)]
        let (dev, ino) = {
            use std::os::unix::fs::MetadataExt;
            (meta.dev(), meta.ino())
        };
        #[cfg(not(unix))]
        let (dev, ino) = (0, 0);
        FileIdentity {
            dev,
            ino,
            size: meta.len(),
            mtime_ns,
        }
    }

    /// Whether two opens of this identity can safely share one mapping.
    pub fn is_unique(&self) -> bool {
        self.dev != 0 || self.ino != 0
    }
}
