fn main() {
    eprintln!("xlate: not yet wired up");
    std::process::exit(1);
}
