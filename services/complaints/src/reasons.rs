//! Every error reason the complaints service answers with beyond the platform's own: one list,
//! which the protos' comments document (a test holds them to it).

logistics_platform::error_reasons! {
    documented_in: "logistics.complaints.v1",
    /// A reason of `google.rpc.ErrorInfo` (domain "logistics.complaints").
    pub enum Reason {
        /// NOT_FOUND: no complaint with that id or number.
        ComplaintNotFound = "COMPLAINT_NOT_FOUND",
        /// NOT_FOUND: no customer with that id or code (as the customers service says).
        CustomerNotFound = "CUSTOMER_NOT_FOUND",
        /// FAILED_PRECONDITION: the customer is deleted.
        CustomerDeleted = "CUSTOMER_DELETED",
        /// FAILED_PRECONDITION: the customer's personal data was erased.
        CustomerErased = "CUSTOMER_ERASED",
        /// FAILED_PRECONDITION: the customers service refused the customer for another reason.
        CustomerNotEligible = "CUSTOMER_NOT_ELIGIBLE",
        /// UNAVAILABLE: the customers service did not answer in time.
        CustomersUnavailable = "CUSTOMERS_UNAVAILABLE",
        /// NOT_FOUND: no order with that id, order number or tracking number.
        OrderNotFound = "ORDER_NOT_FOUND",
        /// UNAVAILABLE: the orders service did not answer in time.
        OrdersUnavailable = "ORDERS_UNAVAILABLE",
        /// FAILED_PRECONDITION: the order belongs to another customer.
        OrderOfAnotherCustomer = "ORDER_OF_ANOTHER_CUSTOMER",
        /// FAILED_PRECONDITION: the claim's category cannot be claimed.
        NotClaimable = "NOT_CLAIMABLE",
        /// FAILED_PRECONDITION: the claim window closed.
        ClaimWindowClosed = "CLAIM_WINDOW_CLOSED",
        /// FAILED_PRECONDITION: a damage, shortage or delay claim before the delivery.
        ClaimBeforeDelivery = "CLAIM_BEFORE_DELIVERY",
        /// FAILED_PRECONDITION: a loss claim on a delivered order, or on one with no promise.
        ClaimNotLost = "CLAIM_NOT_LOST",
        /// FAILED_PRECONDITION: a move the status machine refuses.
        IllegalTransition = "ILLEGAL_TRANSITION",
        /// FAILED_PRECONDITION: the complaint is closed.
        ComplaintClosed = "COMPLAINT_CLOSED",
        /// FAILED_PRECONDITION: the first response was given already.
        AlreadyAcknowledged = "ALREADY_ACKNOWLEDGED",
        /// FAILED_PRECONDITION: a rating of a complaint that is not resolved.
        NotResolved = "NOT_RESOLVED",
        /// FAILED_PRECONDITION: this resolution was rated already.
        AlreadyRated = "ALREADY_RATED",
        /// FAILED_PRECONDITION: a claim move on a complaint that is not a claim.
        NotAClaim = "NOT_A_CLAIM",
        /// FAILED_PRECONDITION: a claim complaint resolved before its claim was decided.
        ClaimNotDecided = "CLAIM_NOT_DECIDED",
        /// FAILED_PRECONDITION: the claim was approved or rejected already.
        ClaimAlreadyDecided = "CLAIM_ALREADY_DECIDED",
        /// FAILED_PRECONDITION: only an approved claim is paid.
        ClaimNotApproved = "CLAIM_NOT_APPROVED",
        /// FAILED_PRECONDITION: the claim was paid under another reference.
        AlreadyPaid = "ALREADY_PAID",
        /// FAILED_PRECONDITION: the approved amount is above the claimed one.
        ApprovedAboveClaimed = "APPROVED_ABOVE_CLAIMED",
        /// FAILED_PRECONDITION: the approved amount is above the declared value.
        ApprovedAboveDeclaredValue = "APPROVED_ABOVE_DECLARED_VALUE",
        /// NOT_FOUND: no business calendar of that version.
        CalendarVersionNotFound = "CALENDAR_VERSION_NOT_FOUND",
        /// ABORTED: a concurrent write changed what this one read; retry.
        ConcurrentModification = "CONCURRENT_MODIFICATION",
    }
}
