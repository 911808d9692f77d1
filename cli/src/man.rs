//! Manual pages from clap's model of the commands: `keyclave.1` and one
//! page per subcommand (`keyclave-secret-add.1`, …), written by the hidden
//! `keyclave man-pages --out DIR` and installed by the `.deb`.

use clap::CommandFactory;
use keyclave_core::{Error, ErrorCode, Result};
use std::path::Path;

use crate::args::Cli;

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |e| Error::new(ErrorCode::StorageIo, format!("cannot write {}: {e}", path.display()))
}

/// Write every page into `out`; returns how many.
pub fn write_all(out: &Path) -> Result<usize> {
    std::fs::create_dir_all(out).map_err(io(out))?;
    let mut cmd = Cli::command();
    cmd.build();
    let mut written = 0;
    write_page(&cmd, "keyclave", out, &mut written)?;
    Ok(written)
}

fn write_page(cmd: &clap::Command, name: &str, out: &Path, written: &mut usize) -> Result<()> {
    // The page's title is the command's full name (`keyclave-secret-add`).
    let page = cmd.clone().name(name.to_owned()).bin_name(name.replace('-', " "));
    let mut text = Vec::new();
    clap_mangen::Man::new(page).render(&mut text).map_err(io(out))?;
    let path = out.join(format!("{name}.1"));
    std::fs::write(&path, text).map_err(io(&path))?;
    *written += 1;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set() && s.get_name() != "help") {
        write_page(sub, &format!("{name}-{}", sub.get_name()), out, written)?;
    }
    Ok(())
}
