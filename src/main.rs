fn main() -> std::process::ExitCode {
    cortexplorer::cli::main()
}
