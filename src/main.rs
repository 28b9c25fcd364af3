//! The `segue` binary: everything lives in the library.

fn main() -> std::process::ExitCode {
    segue::cli::main()
}
