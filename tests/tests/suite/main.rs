//! What every service shares, in one test binary: the server stack (auth, health, reflection,
//! limits, deadlines, shutdown, its safety nets), the job runner, how orders reads the customers
//! service's refusals, and property-based fuzzing of every request.
//!
//! Telemetry and the personal-data log check install process-wide state (the subscriber and the
//! exporters), so they keep binaries of their own: `telemetry` and `personal_data_in_logs`.

mod fuzz_every_request;
mod jobs;
mod peer_refusals;
mod safety_net;
mod server;
