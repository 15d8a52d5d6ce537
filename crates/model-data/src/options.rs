//! What a caller can ask for when opening, and the access-pattern hints.

/// How the file is mapped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum MappingMode {
    /// Private copy-on-write (`MAP_PRIVATE`, read+write): a write into a view changes only this
    /// process's copy of that page and never reaches the file, and never crashes.
    #[default]
    CopyOnWrite,
    /// `PROT_READ`: no commit charge for the whole range on strict-overcommit systems, but a
    /// write into a view kills the process with SIGSEGV.
    ReadOnly,
}

/// madvise-style hints. On targets without madvise they are accepted and do nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Advice {
    #[default]
    Normal,
    Sequential,
    Random,
    WillNeed,
    /// Drop the pages from this process; they re-fault from the file on the next touch. On a
    /// copy-on-write mapping this also discards anything written into those pages.
    DontNeed,
}

impl Advice {
    /// Parses the names the JavaScript API uses.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "normal" => Advice::Normal,
            "sequential" => Advice::Sequential,
            "random" => Advice::Random,
            "willneed" => Advice::WillNeed,
            "dontneed" => Advice::DontNeed,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Advice::Normal => "normal",
            Advice::Sequential => "sequential",
            Advice::Random => "random",
            Advice::WillNeed => "willneed",
            Advice::DontNeed => "dontneed",
        }
    }
}

/// Options for [`crate::ModelData::open_mmap`].
#[derive(Clone, Debug, Default)]
pub struct OpenOptions {
    pub mode: MappingMode,
    /// Applied to the whole mapping right after it is made.
    pub advice: Advice,
    /// Read the whole file into the page cache before returning, and fault each window's pages
    /// in when it is mapped (without breaking copy-on-write sharing).
    pub populate: bool,
    /// Lock the mapping in RAM; fails with `ERR_MODELMAP_LOCK_FAILED` when the limit is too low.
    pub lock: bool,
}

/// Options for [`crate::ModelData::prefetch`].
#[derive(Clone, Copy, Debug)]
pub struct PrefetchOptions {
    /// Worker threads populating chunks at once.
    pub concurrency: usize,
    /// Bytes per chunk; each chunk is one populate call (or one positioned read).
    pub chunk_bytes: usize,
}

impl Default for PrefetchOptions {
    fn default() -> Self {
        PrefetchOptions {
            // Two sequential streams, each through its own open file: on this project's
            // benchmark machine (bench `cold`, a virtio disk at 1.4-2.6 GiB/s) that loaded a cold
            // 4 GiB file at 1.29× the speed of `cat` (median of 5 rounds), and left a page cache
            // that a later scan maps with 1.2× cat's page faults. Four streams were no faster and
            // left more faults; scattered chunks from a shared counter ran at 0.65-0.77×.
            concurrency: 2,
            chunk_bytes: 8 << 20,
        }
    }
}
