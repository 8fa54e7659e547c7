//! `heard serve`: the web app, on 127.0.0.1 unless told otherwise, with a file watcher
//! that keeps its index (and every command's) fresh.

use std::process::ExitCode;

use anyhow::Context;

use crate::Library;
use crate::cli::ServeArgs;

/// Run `heard serve` until interrupted.
pub fn run(args: ServeArgs, lib: Library) -> anyhow::Result<ExitCode> {
    // Watch the library, and index before listening, so the first page is quick and
    // problems show here. From now on the index is refreshed after files change, not on
    // every page.
    let (state, report) = crate::web::AppState::watching(lib)?;
    super::note_refresh(&report);
    let lib = state.library();
    if !args.addr.ip().is_loopback() {
        eprintln!(
            "warning: listening on {}, which other machines can reach. Sign-in links and sessions travel unencrypted: put a TLS reverse proxy in front, or use 127.0.0.1.",
            args.addr
        );
    }
    eprintln!(
        "heard is serving “{}” at http://{}/ (Ctrl-C to stop). Sign in with a link from `heard access grant`.",
        lib.config.name, args.addr
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("failed to start the web server")?;
    rt.block_on(crate::web::serve(state, args.addr))?;
    Ok(ExitCode::SUCCESS)
}
