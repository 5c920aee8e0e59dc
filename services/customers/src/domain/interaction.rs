//! The interaction log's vocabulary: how a contact took place and who started it.

use logistics_platform::named_enum;

named_enum! {
    /// How a contact with a customer took place.
    Channel {
        /// Telephone.
        Phone = "PHONE",
        /// E-mail.
        Email = "EMAIL",
        /// A visit in person.
        Visit = "VISIT",
        /// A letter.
        Letter = "LETTER",
        /// Online chat.
        OnlineChat = "ONLINE_CHAT",
        /// The customer-service hotline.
        Hotline = "HOTLINE",
    }
}

named_enum! {
    /// Who started a contact.
    Direction {
        /// The customer contacted us.
        Inbound = "INBOUND",
        /// We contacted the customer.
        Outbound = "OUTBOUND",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_names_round_trip() {
        for channel in Channel::ALL {
            assert_eq!(Channel::parse(channel.as_str()), Some(*channel));
        }
        for direction in Direction::ALL {
            assert_eq!(Direction::parse(direction.as_str()), Some(*direction));
        }
    }
}
