//! Opening the user's file: read-only, never blocking on a FIFO, and only regular files.

use std::fs::{self, File, FileType};
use std::io;
use std::path::Path;

use crate::error::{Error, Result};
use crate::identity::FileIdentity;

/// Opens `path` read-only and checks that it is a regular file.
pub(crate) fn open_regular_file(path: &Path) -> Result<(File, FileIdentity)> {
    let file = match open_read_only(path) {
        Ok(file) => file,
        Err(e) => {
            // A socket refuses open() (ENXIO); a directory refuses it on Windows. Name the real
            // problem when the path exists but is not a file.
            if let Ok(meta) = fs::metadata(path) {
                if let Some(err) = classify(path, &meta.file_type()) {
                    return Err(err);
                }
            }
            return Err(Error::io(path, "open", e));
        }
    };
    let meta = file.metadata().map_err(|e| Error::io(path, "fstat", e))?;
    if let Some(err) = classify(path, &meta.file_type()) {
        return Err(err);
    }
    Ok((file, FileIdentity::of(&meta)))
}

fn open_read_only(path: &Path) -> io::Result<File> {
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // O_NONBLOCK: opening a FIFO must not wait for a writer. No effect on regular files.
        options.custom_flags(libc::O_NONBLOCK);
    }
    options.open(path)
}

/// The error for anything that is not a regular file, or None for a regular file.
fn classify(path: &Path, kind: &FileType) -> Option<Error> {
    if kind.is_file() {
        return None;
    }
    if kind.is_dir() {
        return Some(Error::IsDirectory {
            path: path.to_path_buf(),
        });
    }
    Some(Error::NotRegularFile {
        path: path.to_path_buf(),
        kind: kind_name(kind),
    })
}

fn kind_name(kind: &FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "FIFO";
        }
        if kind.is_socket() {
            return "socket";
        }
        if kind.is_char_device() {
            return "character device";
        }
        if kind.is_block_device() {
            return "block device";
        }
    }
    if kind.is_symlink() {
        return "symbolic link";
    }
    "special file"
}
