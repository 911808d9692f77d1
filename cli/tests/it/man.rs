//! Manual pages: one per visible command, from clap's model of the CLI.

use crate::util::{Home, assert_ok};

#[test]
fn a_page_for_the_program_and_every_visible_subcommand() {
    let h = Home::with_profile();
    let out_dir = h.dir.path().join("man");
    assert_ok(&h.run(&["man-pages", "--out", out_dir.to_str().unwrap()], None));
    let page = |name: &str| std::fs::read_to_string(out_dir.join(format!("{name}.1")));
    let top = page("keyclave").unwrap();
    assert!(top.contains(".TH keyclave 1"), "{}", &top[..200.min(top.len())]);
    for sub in
        ["keyclave-unlock", "keyclave-inject", "keyclave-secret-copy", "keyclave-run", "keyclave-env-write"]
    {
        let text = page(sub).unwrap_or_else(|e| panic!("{sub}.1: {e}"));
        assert!(text.contains(&format!(".TH {sub} 1")), "{sub}");
    }
    // The page of `run` documents --env-file; hidden commands get none.
    assert!(page("keyclave-run").unwrap().contains("env\\-file"));
    for hidden in ["keyclave-agent", "keyclave-clipboard-hold", "keyclave-man-pages", "keyclave-help"] {
        assert!(page(hidden).is_err(), "{hidden}");
    }
}
