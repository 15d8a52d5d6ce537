//! Node-style names for OS errors. JavaScript code checks `err.code === 'ENOENT'`; it should see
//! the same names from modelmap as from `fs`.

use std::io;

/// The errno name of an OS error (`ENOENT`), or a kind-based name when the raw number is unknown.
pub fn code_of(err: &io::Error) -> &'static str {
    #[cfg(unix)]
    if let Some(code) = err.raw_os_error().and_then(unix_name) {
        return code;
    }
    #[cfg(windows)]
    if let Some(code) = err.raw_os_error().and_then(windows_name) {
        return code;
    }
    kind_name(err.kind())
}

/// The human part of an OS error as Node's fs words it (libuv's messages, the same on every OS):
/// "no such file or directory" for ENOENT on Linux and Windows alike. Errors without a known
/// code fall back to the OS text, without Rust's "(os error 2)".
pub fn describe(err: &io::Error) -> String {
    if err.raw_os_error().is_some() {
        if let Some(text) = uv_message(code_of(err)) {
            return text.to_string();
        }
    }
    let text = err.to_string();
    let text = match text.find(" (os error") {
        Some(at) => text[..at].to_string(),
        None => text,
    };
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => text,
    }
}

#[cfg(unix)]
fn unix_name(raw: i32) -> Option<&'static str> {
    let name = match raw {
        libc::ENOENT => "ENOENT",
        libc::EACCES => "EACCES",
        libc::EPERM => "EPERM",
        libc::EISDIR => "EISDIR",
        libc::ENOTDIR => "ENOTDIR",
        libc::ELOOP => "ELOOP",
        libc::ENAMETOOLONG => "ENAMETOOLONG",
        libc::EMFILE => "EMFILE",
        libc::ENFILE => "ENFILE",
        libc::ENOMEM => "ENOMEM",
        libc::EINVAL => "EINVAL",
        libc::EAGAIN => "EAGAIN",
        libc::ENODEV => "ENODEV",
        libc::ENXIO => "ENXIO",
        libc::EIO => "EIO",
        libc::EFAULT => "EFAULT",
        libc::EBADF => "EBADF",
        libc::EBUSY => "EBUSY",
        libc::EOVERFLOW => "EOVERFLOW",
        libc::EFBIG => "EFBIG",
        libc::EROFS => "EROFS",
        libc::ETXTBSY => "ETXTBSY",
        libc::EINTR => "EINTR",
        libc::ENOSPC => "ENOSPC",
        _ => return None,
    };
    Some(name)
}

#[cfg(windows)]
fn windows_name(raw: i32) -> Option<&'static str> {
    // Win32 error numbers, mapped the way libuv maps them for Node's fs.
    let name = match raw {
        2 | 3 | 15 | 161 => "ENOENT", // FILE_NOT_FOUND, PATH_NOT_FOUND, INVALID_DRIVE, BAD_PATHNAME
        5 => "EACCES",                // ACCESS_DENIED
        32 | 33 => "EBUSY",           // SHARING_VIOLATION, LOCK_VIOLATION
        8 | 14 => "ENOMEM",           // NOT_ENOUGH_MEMORY, OUTOFMEMORY
        123 => "ENOENT",              // INVALID_NAME
        206 => "ENAMETOOLONG",        // FILENAME_EXCED_RANGE
        1224 => "EBUSY",              // USER_MAPPED_FILE
        1455 => "ENOMEM",             // COMMITMENT_LIMIT
        _ => return None,
    };
    Some(name)
}

/// libuv's `uv_strerror` text for the codes we name.
fn uv_message(code: &str) -> Option<&'static str> {
    Some(match code {
        "ENOENT" => "no such file or directory",
        "EACCES" => "permission denied",
        "EPERM" => "operation not permitted",
        "EISDIR" => "illegal operation on a directory",
        "ENOTDIR" => "not a directory",
        "ELOOP" => "too many symbolic links encountered",
        "ENAMETOOLONG" => "name too long",
        "EMFILE" => "too many open files",
        "ENFILE" => "file table overflow",
        "ENOMEM" => "not enough memory",
        "EINVAL" => "invalid argument",
        "EAGAIN" => "resource temporarily unavailable",
        "ENODEV" => "no such device",
        "ENXIO" => "no such device or address",
        "EIO" => "i/o error",
        "EFAULT" => "bad address in system call argument",
        "EBADF" => "bad file descriptor",
        "EBUSY" => "resource busy or locked",
        "EOVERFLOW" => "value too large for defined data type",
        "EFBIG" => "file too large",
        "EROFS" => "read-only file system",
        "ETXTBSY" => "text file is busy",
        "EINTR" => "interrupted system call",
        "ENOSPC" => "no space left on device",
        _ => return None,
    })
}

fn kind_name(kind: io::ErrorKind) -> &'static str {
    use io::ErrorKind::*;
    match kind {
        NotFound => "ENOENT",
        PermissionDenied => "EACCES",
        IsADirectory => "EISDIR",
        NotADirectory => "ENOTDIR",
        OutOfMemory => "ENOMEM",
        InvalidInput => "EINVAL",
        InvalidFilename => "ENAMETOOLONG",
        UnexpectedEof => "ERR_MODELMAP_FILE_CHANGED",
        Unsupported => "ERR_MODELMAP_UNSUPPORTED",
        _ => "EIO",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_descriptions_look_like_node() {
        let err = io::Error::from_raw_os_error(2);
        assert_eq!(code_of(&err), "ENOENT");
        assert_eq!(describe(&err), "no such file or directory");
        let custom = io::Error::new(io::ErrorKind::PermissionDenied, "Nope");
        assert_eq!(code_of(&custom), "EACCES");
        assert_eq!(describe(&custom), "nope");
    }
}
