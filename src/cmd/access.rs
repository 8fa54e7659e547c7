//! `heard access grant|revoke`: personal sign-in links for the web app.

use std::process::ExitCode;

use crate::Library;
use crate::cli::AccessCommand;
use crate::web::access;

/// Run `heard access ...`.
pub fn run(cmd: AccessCommand, lib: &Library) -> anyhow::Result<ExitCode> {
    match cmd {
        AccessCommand::Grant(a) => {
            let token = access::grant(lib, &a.who, a.role, a.days)?;
            println!("{}/signin/{token}", a.base_url.trim_end_matches('/'));
            eprintln!(
                "A personal sign-in link for {} ({:?}), valid for {} days. Send it to them privately; anyone with it can sign in as them. `heard access revoke {}` ends it.",
                a.who, a.role, a.days, a.who
            );
        }
        AccessCommand::Revoke(a) => {
            let n = access::revoke(lib, &a.who)?;
            eprintln!("Ended {n} sign-in links and sessions of {}.", a.who);
        }
    }
    Ok(ExitCode::SUCCESS)
}
