//! `symbolon export` and `symbolon import`: a whole deployment as JSON lines, to move it from
//! SQLite to PostgreSQL (or back, or to a backup).

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// The database to read (`sqlite://PATH` or `postgres://...`).
    #[arg(long)]
    database_url: String,
    /// Where to write the export (default: standard output). It holds private keys and
    /// password hashes: keep it as safe as the database.
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// The database to fill: migrated first, and it must hold no realm and no account yet.
    #[arg(long)]
    database_url: String,
    /// The export file (`-` for standard input).
    file: PathBuf,
}

pub fn export(a: ExportArgs) -> ExitCode {
    crate::block_on(false, async move {
        let db = crate::db::open_url(&a.database_url, Default::default()).await?;
        let mut out: Box<dyn Write + Send> = match &a.out {
            Some(p) => {
                let f = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(p)
                    .map_err(|e| format!("{}: {e}", p.display()))?;
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt as _;
                    let _ = f.set_permissions(std::fs::Permissions::from_mode(0o600));
                }
                Box::new(std::io::BufWriter::new(f))
            }
            None => Box::new(std::io::BufWriter::new(std::io::stdout())),
        };
        let n =
            crate::db::with_db!(db, s => s.export(&mut *out).await).map_err(|e| e.to_string())?;
        out.flush().map_err(|e| e.to_string())?;
        eprintln!("exported {n} rows");
        Ok(())
    })
}

pub fn import(a: ImportArgs) -> ExitCode {
    crate::block_on(false, async move {
        let reader: Box<dyn BufRead> = if a.file.as_os_str() == "-" {
            Box::new(std::io::BufReader::new(std::io::stdin()))
        } else {
            Box::new(std::io::BufReader::new(
                std::fs::File::open(&a.file).map_err(|e| format!("{}: {e}", a.file.display()))?,
            ))
        };
        let mut lines = reader.lines().map_while(Result::ok);
        let db = crate::db::open_url(&a.database_url, Default::default()).await?;
        let n = crate::db::with_db!(db, s => s.import(&mut lines).await)
            .map_err(|e| format!("nothing imported: {e}"))?;
        println!(
            "imported {n} rows into {}",
            crate::db::redact(&a.database_url)
        );
        Ok(())
    })
}
