//! What a complaint is about: its kinds, channels, categories, the parties an investigation may
//! find responsible and the actions a resolution may take (DOMAIN.md).

use logistics_platform::named_enum;

named_enum! {
    /// What the customer came with.
    Kind {
        /// 投诉.
        Complaint = "COMPLAINT",
        /// 咨询.
        Inquiry = "INQUIRY",
        /// 建议.
        Suggestion = "SUGGESTION",
        /// 索赔: carries a claim.
        Claim = "CLAIM",
    }
}

named_enum! {
    /// How the complaint reached the company.
    Channel {
        /// A call to an agent's own line.
        Phone = "PHONE",
        /// The hotline.
        Hotline = "HOTLINE",
        /// Email.
        Email = "EMAIL",
        /// A letter.
        Letter = "LETTER",
        /// The web portal.
        Web = "WEB",
        /// At a counter or a visit.
        InPerson = "IN_PERSON",
        /// Online chat.
        Chat = "CHAT",
        /// Opened by the company before the customer called.
        Proactive = "PROACTIVE",
    }
}

named_enum! {
    /// What the complaint is about.
    Category {
        /// Late.
        Delay = "DELAY",
        /// Goods damaged.
        Damage = "DAMAGE",
        /// Goods never delivered.
        Loss = "LOSS",
        /// Pieces missing at delivery.
        Shortage = "SHORTAGE",
        /// Delivered to the wrong place or person.
        WrongDelivery = "WRONG_DELIVERY",
        /// Documents wrong or missing.
        DocumentError = "DOCUMENT_ERROR",
        /// Invoices and charges.
        Billing = "BILLING",
        /// How staff behaved.
        StaffAttitude = "STAFF_ATTITUDE",
        /// Anything else.
        Other = "OTHER",
    }
}

named_enum! {
    /// Who caused what went wrong.
    ResponsibleParty {
        /// The carrier.
        Carrier = "CARRIER",
        /// A warehouse or hub.
        Warehouse = "WAREHOUSE",
        /// The customer.
        Customer = "CUSTOMER",
        /// Someone else.
        ThirdParty = "THIRD_PARTY",
    }
}

named_enum! {
    /// One thing done to put it right.
    ActionKind {
        /// Deliver again.
        Redelivery = "REDELIVERY",
        /// Pay back charges.
        Refund = "REFUND",
        /// Pay for a loss.
        Compensation = "COMPENSATION",
        /// Apologise.
        Apology = "APOLOGY",
    }
}

impl ActionKind {
    /// Whether the action pays money, so it needs an amount.
    pub fn pays(self) -> bool {
        matches!(self, Self::Refund | Self::Compensation)
    }
}
