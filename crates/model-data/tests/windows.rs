//! Windows: the memory behind JavaScript views. Each maps only its range, outlives the handle,
//! and is refused once the file is no longer what was opened.

#[cfg(unix)]
use std::fs;
use std::io::Write;

use modelmap_core::{live_mappings, Advice, ModelData, OpenOptions};

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

fn file_with(bytes: &[u8]) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(bytes).unwrap();
    f.flush().unwrap();
    f
}

fn window_bytes(window: &modelmap_core::Window) -> &[u8] {
    // SAFETY: the window keeps its bytes mapped while it lives; nothing writes them here.
    unsafe { std::slice::from_raw_parts(window.as_ptr(), window.len()) }
}

#[test]
fn a_window_reads_its_range_and_outlives_close_and_drop() {
    let bytes = pattern(3 << 20);
    let f = file_with(&bytes);
    let before = live_mappings();
    let model = ModelData::open_mmap(f.path(), &OpenOptions::default()).unwrap();
    // Windows maps the whole file at open (a mapped file cannot be rewritten there: its guard
    // against a same-size rewrite), and its windows share that mapping.
    let at_open = if cfg!(windows) { before + 1 } else { before };
    assert_eq!(
        live_mappings(),
        at_open,
        "nothing is mapped at open (except on Windows)"
    );
    let window = model.window(5000, Some(70_000)).unwrap();
    assert_eq!(window.file_offset(), 5000);
    assert_eq!(window_bytes(&window), &bytes[5000..75_000]);
    model.close();
    let closed = model.window(0, Some(1)).err().map(|e| e.code());
    assert_eq!(closed, Some("ERR_MODELMAP_CLOSED"));
    drop(model);
    assert_eq!(
        window_bytes(&window),
        &bytes[5000..75_000],
        "the window outlives its handle"
    );
    drop(window);
    assert_eq!(live_mappings(), before);
}

#[cfg(unix)]
#[test]
fn an_open_maps_only_what_its_windows_cover() {
    // A sparse 64 GiB file with a 4 KiB header: each open's header window maps a page or two, so
    // 20,000 of them alive at once hold 20,000 small mappings, not 20,000 × 64 GiB of address
    // space (which is more than x86-64 user space has). (Touching a hole of a sparse file costs
    // the kernel's read-ahead of zeros, so only the header is read.)
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sparse.bin");
    let mut file = fs::File::create(&path).unwrap();
    file.write_all(&pattern(4096)).unwrap();
    file.set_len(64 << 30).unwrap();
    drop(file);
    let mut kept = Vec::new();
    for i in 0..20_000usize {
        let model = ModelData::open_mmap(&path, &OpenOptions::default()).unwrap();
        let at = i % 4000;
        let window = model.window(at as u64, Some(16)).unwrap();
        assert_eq!(window_bytes(&window), &pattern(4096)[at..at + 16]);
        model.close();
        kept.push(window);
    }
    assert_eq!(kept.len(), 20_000);
}

#[cfg(unix)]
#[test]
fn a_file_truncated_after_open_gets_no_new_window() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.bin");
    fs::write(&path, pattern(1 << 20)).unwrap();
    let model = ModelData::open_mmap(&path, &OpenOptions::default()).unwrap();
    let early = model.window(0, Some(4096)).unwrap();
    fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(4096)
        .unwrap();
    let Err(err) = model.window(8192, Some(4096)) else {
        panic!("a window of bytes the file lost was made");
    };
    assert_eq!(err.code(), "ERR_MODELMAP_FILE_CHANGED");
    assert_eq!(
        err.byte_offset(),
        Some(4096),
        "the first byte the file lost"
    );
    assert!(
        err.to_string()
            .contains("truncated to 4096 bytes since it was opened (1048576 bytes)"),
        "{err}"
    );
    // A window made before keeps the bytes the file still has.
    assert_eq!(window_bytes(&early), &pattern(4096)[..]);
}

#[test]
fn advice_reaches_windows_mapped_before_and_after() {
    let bytes = pattern(4 << 20);
    let f = file_with(&bytes);
    let model = ModelData::open_mmap(f.path(), &OpenOptions::default()).unwrap();
    let before = model.window(0, Some(1 << 20)).unwrap();
    model.advise(Advice::Random, 0, None).unwrap();
    let after = model.window(1 << 20, Some(1 << 20)).unwrap();
    model.advise(Advice::DontNeed, 0, None).unwrap();
    model.advise(Advice::WillNeed, 0, None).unwrap();
    assert_eq!(window_bytes(&before), &bytes[..1 << 20]);
    assert_eq!(window_bytes(&after), &bytes[1 << 20..2 << 20]);
    let r = model.residency(0, None).unwrap();
    assert_eq!(r.total_bytes, bytes.len() as u64);
}

#[test]
fn heap_windows_share_the_bytes() {
    let model = ModelData::from_vec(pattern(10_000));
    let window = model.window(100, Some(200)).unwrap();
    drop(model);
    assert_eq!(window_bytes(&window), &pattern(10_000)[100..300]);
}
