//! Every error reason the reporting service answers with beyond the platform's own: one list,
//! which the protos' comments document (a test holds them to it).

logistics_platform::error_reasons! {
    documented_in: "logistics.reporting.v1",
    /// A reason of `google.rpc.ErrorInfo` (domain "logistics.reporting").
    pub enum Reason {
        /// FAILED_PRECONDITION: a rebuild of the projections is running already.
        RebuildInProgress = "REBUILD_IN_PROGRESS",
    }
}
