//! Locking more than can be locked is refused before any page is touched. Its own test binary:
//! it sets MODELMAP_MAX_LOCK_BYTES for the whole process.

use std::io::Write;

use modelmap_core::{ModelData, OpenOptions};

#[test]
fn lock_over_the_budget_is_refused_up_front_and_under_it_works() {
    std::env::set_var("MODELMAP_MAX_LOCK_BYTES", (1u64 << 20).to_string());
    let mut big = tempfile::NamedTempFile::new().unwrap();
    big.write_all(&vec![7u8; 4 << 20]).unwrap();
    let model = ModelData::open_mmap(big.path(), &OpenOptions::default()).unwrap();
    let err = model.lock().unwrap_err();
    assert_eq!(err.code(), "ERR_MODELMAP_LOCK_FAILED");
    let message = err.to_string();
    assert!(message.contains("MODELMAP_MAX_LOCK_BYTES"), "{message}");
    assert!(message.contains("4194304"), "{message}");
    assert!(!model.is_locked());

    let mut small = tempfile::NamedTempFile::new().unwrap();
    small.write_all(&vec![7u8; 256 << 10]).unwrap();
    let model = ModelData::open_mmap(small.path(), &OpenOptions::default()).unwrap();
    match model.lock() {
        Ok(()) => assert!(model.is_locked()),
        // An unprivileged user's memlock limit (or a Windows working-set quota) may be lower
        // still; then it is the OS refusing, with the same code.
        Err(e) => assert_eq!(e.code(), "ERR_MODELMAP_LOCK_FAILED"),
    }
}
