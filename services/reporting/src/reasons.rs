//! Every error reason the reporting service answers with beyond the platform's own: one list,
//! which the protos' comments document (a test holds them to it).

logistics_platform::error_reasons! {
    documented_in: "logistics.reporting.v1",
    /// A reason of `google.rpc.ErrorInfo` (domain "logistics.reporting").
    pub enum Reason {
        /// FAILED_PRECONDITION: statements of a month that has not ended yet in company time.
        MonthNotClosed = "MONTH_NOT_CLOSED",
        /// NOT_FOUND: no stored statement with that name or id.
        StatementNotFound = "STATEMENT_NOT_FOUND",
    }
}
