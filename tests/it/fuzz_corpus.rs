//! Replays the fuzz corpus (`fuzz/corpus/frames`, grown by `cargo +nightly fuzz run frames`) on
//! every ordinary test run, so an input that once found a crash keeps being checked.

use std::path::Path;

#[test]
fn frames_corpus_replays_without_a_crash() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/frames");
    let mut inputs = 0;
    for entry in std::fs::read_dir(&dir).expect("fuzz/corpus/frames exists") {
        let path = entry.expect("readable corpus entry").path();
        let data = std::fs::read(&path).expect("readable corpus file");
        // A panic here names the input that broke an invariant.
        let outcome = std::panic::catch_unwind(|| segue::fuzzing::frames(&data));
        assert!(outcome.is_ok(), "corpus input {} crashes", path.display());
        inputs += 1;
    }
    // The seeds alone are ten; a corpus that vanished would make this test pass vacuously.
    assert!(
        inputs >= 10,
        "only {inputs} corpus inputs in {}",
        dir.display()
    );
}
