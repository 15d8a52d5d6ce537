//! modelmap's core: model bytes that are either a read-only memory mapping of a file (zero-copy,
//! demand-paged by the kernel, shared between processes) or a heap buffer, plus the things a
//! model loader needs around them: access advice, residency, locking, prefetch, checksums and
//! detection of a file changed under the mapping. No Node.js types here; see the binding crate.
//!
//! Hazards of any file mapping, documented rather than hidden: if another process truncates the
//! file while it is mapped, touching the lost pages raises SIGBUS (POSIX); if it modifies the
//! file, mapped contents change. `ModelData::is_stale` detects both; `checksum_sha256` reads the
//! file with positioned reads and `prefetch` uses `MADV_POPULATE_READ` (Linux 5.14+) or reads, so
//! both report a truncated range as `ERR_MODELMAP_FILE_CHANGED` instead of raising SIGBUS.
//! Verify checksums before trusting data.

mod advice_map;
mod checksum;
mod errno;
mod error;
mod file_io;
mod heap;
mod identity;
mod mapping;
mod model_data;
mod open;
mod options;
mod platform;
mod populate;
mod prefetch;
mod progress;
mod range;
mod region;
mod window;

pub use error::{Error, Result};
pub use heap::HeapBytes;
pub use identity::FileIdentity;
pub use mapping::Mapping;
pub use model_data::{ModelData, Residency, Storage};
pub use options::{Advice, MappingMode, OpenOptions, PrefetchOptions};
pub use progress::Progress;
pub use range::checked_range;
pub use region::live_mappings;
pub use window::Window;

/// The system page size (what residency and advice round to).
pub fn page_size() -> usize {
    platform::page_size()
}
