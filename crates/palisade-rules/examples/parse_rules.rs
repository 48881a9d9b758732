//! Parses rule files and prints how many rules parsed and the syntax errors
//! (file:line:column). `cargo run -p palisade-rules --example parse_rules -- FILE...`
fn main() {
    let (mut ok, mut bad) = (0usize, 0usize);
    for path in std::env::args().skip(1) {
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("{path}: {e}");
                continue;
            }
        };
        let file = palisade_rules::parse_rules(&text);
        for entry in &file.entries {
            match &entry.result {
                Ok(_) => ok += 1,
                Err(e) => {
                    bad += 1;
                    let lc = file.lines.line_col(e.span.start);
                    println!(
                        "{path}:{}:{}: sid {:?}: {e}",
                        lc.line,
                        lc.column,
                        entry.sid()
                    );
                }
            }
        }
    }
    println!("parsed {ok}, failed {bad}");
}
