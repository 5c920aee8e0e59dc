//! `logistics bench`: benchmarks that set up their own data and print their figures next to a
//! baseline measured in the same run.

mod otlp_sink;
mod reporting;
mod reporting_sql;

pub use otlp_sink::OtlpSinkArgs;
pub use reporting::ReportingBenchArgs;

use logistics_platform::embedded_pg::{EmbeddedPostgres, Persistence, cluster_root_for};

/// What to measure.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum Bench {
    /// A month of orders (a million by default): GetMonthlyStatement and GetKpis answered from
    /// the rollups, next to the same reports computed from the raw rows.
    Reporting(ReportingBenchArgs),
    /// Not a benchmark but a part of one: an OTLP/gRPC collector that only counts what arrives,
    /// for measuring telemetry with its export working (deploy/bench/run.sh).
    OtlpSink(OtlpSinkArgs),
}

/// Runs `bench` on the database at `database_url`, or on a throwaway embedded PostgreSQL under
/// `data_dir` when there is none.
pub async fn run(
    bench: &Bench,
    database_url: Option<&str>,
    data_dir: &std::path::Path,
) -> anyhow::Result<()> {
    let args = match bench {
        Bench::Reporting(args) => args,
        Bench::OtlpSink(args) => return otlp_sink::run(args).await,
    };
    let embedded;
    let url = match database_url {
        Some(url) => url.to_owned(),
        None => {
            let root = cluster_root_for(&data_dir.join("bench-postgres"))?;
            embedded = EmbeddedPostgres::start(&root, Persistence::Throwaway)?;
            embedded.ensure_database("logistics_bench").await?;
            embedded.url("logistics_bench")
        }
    };
    reporting::run(args, &url).await
}
