//! `symbolon jobs`: what the servers' scheduled jobs last did, on which instance, how often.

use std::process::ExitCode;

use clap::Args;

/// Every job the binary's servers schedule: the IdP's, then the SP's.
pub fn all_jobs() -> Vec<&'static str> {
    symbolon_idp::JOBS
        .iter()
        .chain(symbolon_sp::JOBS.iter())
        .copied()
        .collect()
}

#[derive(Args, Debug)]
pub struct JobsArgs {
    #[command(flatten)]
    store: crate::db::StoreArgs,
    /// One JSON object per job instead of a table.
    #[arg(long)]
    json: bool,
}

pub fn run(a: JobsArgs) -> ExitCode {
    crate::block_on(false, async move {
        let db = a.store.open(false).await?;
        crate::db::with_db!(db, s => list(&s, a.json).await)
    })
}

async fn list<S: symbolon_store::StateStore>(s: &S, json: bool) -> Result<(), String> {
    for name in all_jobs() {
        let st = symbolon_web::jobs::job_status(s, name)
            .await
            .map_err(|e| e.to_string())?;
        match (st, json) {
            (Some(st), true) => {
                println!("{}", serde_json::to_string(&st).map_err(|e| e.to_string())?)
            }
            (Some(st), false) => println!(
                "{name}\t{}\truns={}\tlast={}\tholder={}\t{}",
                if st.ok { "ok" } else { "FAILED" },
                st.runs,
                st.last_run,
                st.holder,
                st.outcome
            ),
            (None, true) => println!("{}", serde_json::json!({"name": name, "runs": 0})),
            (None, false) => println!("{name}\tnever run"),
        }
    }
    Ok(())
}
