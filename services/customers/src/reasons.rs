//! Every error reason the customers service answers with beyond the platform's own: one list,
//! which the protos' comments document (a test holds them to it).

logistics_platform::error_reasons! {
    documented_in: "logistics.customers.v1",
    /// A reason of `google.rpc.ErrorInfo` (domain "logistics.customers").
    pub(crate) enum Reason {
        /// NOT_FOUND: no customer with that id or code.
        CustomerNotFound = "CUSTOMER_NOT_FOUND",
        /// FAILED_PRECONDITION: the customer is deleted.
        CustomerDeleted = "CUSTOMER_DELETED",
        /// FAILED_PRECONDITION: the customer's personal data was erased.
        CustomerErased = "CUSTOMER_ERASED",
        /// FAILED_PRECONDITION: blocking a blocked customer.
        AlreadyBlocked = "ALREADY_BLOCKED",
        /// FAILED_PRECONDITION: unblocking a customer that is not blocked.
        NotBlocked = "NOT_BLOCKED",
        /// FAILED_PRECONDITION: a government level for a customer of another kind.
        NotAGovernmentCustomer = "NOT_A_GOVERNMENT_CUSTOMER",
        /// NOT_FOUND: no grading policy of that version.
        PolicyVersionNotFound = "POLICY_VERSION_NOT_FOUND",
        /// FAILED_PRECONDITION: removing more points than the balance.
        InsufficientPoints = "INSUFFICIENT_POINTS",
        /// FAILED_PRECONDITION: the customer has the most contacts it may have.
        ContactLimitReached = "CONTACT_LIMIT_REACHED",
        /// NOT_FOUND: no contact with that id.
        ContactNotFound = "CONTACT_NOT_FOUND",
        /// NOT_FOUND: no follow-up with that id.
        FollowUpNotFound = "FOLLOW_UP_NOT_FOUND",
        /// FAILED_PRECONDITION: a status change the status machine refuses.
        IllegalTransition = "ILLEGAL_TRANSITION",
        /// ABORTED: a concurrent write changed what this one read; retry.
        ConcurrentModification = "CONCURRENT_MODIFICATION",
    }
}
