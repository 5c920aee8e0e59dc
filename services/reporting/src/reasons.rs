//! Every error reason the reporting service answers with beyond the platform's own (and the
//! customers directory's): one list, which the protos' comments document (a test holds them to it).

logistics_platform::error_reasons! {
    documented_in: "logistics.reporting.v1",
    /// A reason of `google.rpc.ErrorInfo` (domain "logistics.reporting").
    pub enum Reason {
        /// FAILED_PRECONDITION: a rebuild of the projections is running already.
        RebuildInProgress = "REBUILD_IN_PROGRESS",
        /// NOT_FOUND: no scorecard template with that id.
        ScorecardTemplateNotFound = "SCORECARD_TEMPLATE_NOT_FOUND",
        /// FAILED_PRECONDITION: statements of a month that has not ended yet in company time.
        MonthNotClosed = "MONTH_NOT_CLOSED",
        /// NOT_FOUND: no stored statement with that name or id.
        StatementNotFound = "STATEMENT_NOT_FOUND",
    }
}
