//! Every error reason the orders service answers with beyond the platform's own: one list, which
//! the protos' comments document (a test holds them to it).

logistics_platform::error_reasons! {
    documented_in: "logistics.orders.v1",
    /// A reason of `google.rpc.ErrorInfo` (domain "logistics.orders").
    pub(crate) enum Reason {
        /// PERMISSION_DENIED: CreateOrder with import_create_time by a key without `orders:import`.
        ImportNotAllowed = "IMPORT_NOT_ALLOWED",
        /// NOT_FOUND: no customer with that id or code (as the customers service says).
        CustomerNotFound = "CUSTOMER_NOT_FOUND",
        /// FAILED_PRECONDITION: the customer is blocked and may not order.
        CustomerBlocked = "CUSTOMER_BLOCKED",
        /// FAILED_PRECONDITION: the customer is deleted.
        CustomerDeleted = "CUSTOMER_DELETED",
        /// FAILED_PRECONDITION: the customer's personal data was erased.
        CustomerErased = "CUSTOMER_ERASED",
        /// FAILED_PRECONDITION: the customers service refused the customer for another reason.
        CustomerNotEligible = "CUSTOMER_NOT_ELIGIBLE",
        /// UNAVAILABLE: the customers service did not answer in time.
        CustomersUnavailable = "CUSTOMERS_UNAVAILABLE",
        /// NOT_FOUND: no rate card of that version.
        RateCardVersionNotFound = "RATE_CARD_VERSION_NOT_FOUND",
        /// NOT_FOUND: no order with that id, order number or tracking number.
        OrderNotFound = "ORDER_NOT_FOUND",
        /// FAILED_PRECONDITION: a status change the status machine refuses.
        IllegalTransition = "ILLEGAL_TRANSITION",
        /// FAILED_PRECONDITION: the customer's address book is full.
        AddressBookFull = "ADDRESS_BOOK_FULL",
        /// NOT_FOUND: no saved address with that id.
        SavedAddressNotFound = "SAVED_ADDRESS_NOT_FOUND",
        /// ALREADY_EXISTS: the customer has a saved address with that label.
        SavedAddressLabelTaken = "SAVED_ADDRESS_LABEL_TAKEN",
        /// FAILED_PRECONDITION: the order has no pickup scheduled.
        NoPickupScheduled = "NO_PICKUP_SCHEDULED",
        /// FAILED_PRECONDITION: the vehicle is on its way already.
        VehicleDispatched = "VEHICLE_DISPATCHED",
        /// FAILED_PRECONDITION: the shipment was delivered already, with another proof.
        AlreadyDelivered = "ALREADY_DELIVERED",
        /// NOT_FOUND: the shipment has no proof of delivery.
        ProofOfDeliveryNotFound = "PROOF_OF_DELIVERY_NOT_FOUND",
        /// RESOURCE_EXHAUSTED: the server watches as many shipments as it may.
        TooManyWatchers = "TOO_MANY_WATCHERS",
        /// RESOURCE_EXHAUSTED: every tracking serial (89,999,999,999 of them) is used.
        TrackingNumbersExhausted = "TRACKING_NUMBERS_EXHAUSTED",
        /// NOT_FOUND: no shipment with that tracking number.
        TrackingNumberNotFound = "TRACKING_NUMBER_NOT_FOUND",
        /// ABORTED: a concurrent write changed what this one read; retry.
        ConcurrentModification = "CONCURRENT_MODIFICATION",
        /// FAILED_PRECONDITION: the rate card does not offer the transport mode.
        ModeNotOffered = "MODE_NOT_OFFERED",
        /// FAILED_PRECONDITION: the rate card has no lane between the zones.
        NoLane = "NO_LANE",
    }
}
