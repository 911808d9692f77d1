//! `keyclave unlock`, `lock`, `status` and the agent process itself.

use keyclave_core::Result;
use serde_json::json;

use super::{Context, unexpected};
use crate::agent::client;
use crate::agent::protocol::{Reply, Request, Sensitive, Unlocked};
use crate::input;
use crate::output::{self, outln};

fn minutes(secs: u64) -> String {
    if secs >= 120 { format!("{} min", secs / 60) } else { format!("{secs} s") }
}

fn unlocked_line(u: &Unlocked) -> String {
    format!("{} is unlocked; it locks after {} without use", u.display_name, minutes(u.locks_in_secs))
}

/// Unlock the selected profile in the agent (starting it when needed).
pub fn unlock(ctx: Context) -> Result<()> {
    let rec = ctx.keyclave()?.select_profile(ctx.profile.as_deref())?;
    let mut conn = client::start(ctx.root())?;
    let already = match conn.request(&Request::Status, &mut |_| false)? {
        Reply::Status { unlocked, .. } => unlocked.into_iter().find(|u| u.profile_id == rec.id),
        other => return Err(unexpected(&other)),
    };
    let unlocked = match already {
        Some(u) => u,
        None => {
            let mut reply = None;
            // As every command does: the OS keychain first when it is on.
            if rec.keychain_unlock && ctx.passphrase_file.is_none() {
                let request = Request::UnlockWithKeychain { profile: Some(rec.display_name.clone()) };
                match conn.request(&request, &mut |_| false) {
                    Ok(r) => reply = Some(r),
                    Err(e) if keyclave_core::keychain::falls_back(&e) => {
                        crate::output::warn(&format!("{}; asking for the passphrase instead", e.message()));
                    }
                    Err(e) => return Err(e),
                }
            }
            let reply = match reply {
                Some(r) => r,
                None => {
                    let pass = input::passphrase(
                        ctx.passphrase_file.as_deref(),
                        &format!("Passphrase for {}: ", rec.display_name),
                    )?;
                    let request = Request::Unlock {
                        profile: Some(rec.display_name.clone()),
                        passphrase: Sensitive::new(pass.expose_secret()),
                    };
                    conn.request(&request, &mut |_| false)?
                }
            };
            match reply {
                Reply::Unlocked(u) => u,
                other => return Err(unexpected(&other)),
            }
        }
    };
    if ctx.json {
        output::json(&json!({ "unlocked": unlocked.display_name, "locks_in_secs": unlocked.locks_in_secs }));
    } else {
        outln!("{}. `keyclave lock` locks it now.", unlocked_line(&unlocked));
    }
    Ok(())
}

/// Lock the selected profile (or all) in the agent.
pub fn lock(ctx: Context, all: bool) -> Result<()> {
    let locked = match client::connect(ctx.root())? {
        Some(mut conn) => {
            match conn.request(&Request::Lock { profile: ctx.profile.clone(), all }, &mut |_| false)? {
                Reply::Locked { profiles } => profiles,
                other => return Err(unexpected(&other)),
            }
        }
        None => Vec::new(),
    };
    if ctx.json {
        output::json(&json!({ "locked": locked }));
    } else if locked.is_empty() {
        outln!("Nothing was unlocked.");
    } else {
        outln!("Locked {}.", locked.join(", "));
    }
    Ok(())
}

/// What the agent holds.
pub fn status(ctx: Context) -> Result<()> {
    let status = match client::connect(ctx.root())? {
        Some(mut conn) => match conn.request(&Request::Status, &mut |_| false)? {
            Reply::Status { pid, unlocked, .. } => Some((pid, unlocked)),
            other => return Err(unexpected(&other)),
        },
        None => None,
    };
    if ctx.json {
        let (pid, unlocked) = status.unwrap_or_default();
        output::json(&json!({ "agent_running": pid != 0, "pid": pid, "unlocked": unlocked }));
        return Ok(());
    }
    match status {
        Some((pid, unlocked)) if !unlocked.is_empty() => {
            outln!("The agent (pid {pid}) holds:");
            for u in &unlocked {
                outln!("  {}", unlocked_line(u));
            }
        }
        _ => outln!("Nothing is unlocked; `keyclave unlock` unlocks the profile for later commands."),
    }
    Ok(())
}

/// Be the agent (until nothing is unlocked).
#[cfg(unix)]
pub fn serve(ctx: Context) -> Result<()> {
    crate::agent::server::serve(ctx.root().clone())
}

#[cfg(not(unix))]
pub fn serve(_ctx: Context) -> Result<()> {
    Err(keyclave_core::Error::new(
        keyclave_core::ErrorCode::AgentUnavailable,
        "the unlock agent is not available on this system yet",
    ))
}
