fn main() {
    std::process::exit(runbook::run(std::env::args_os()));
}
