//! Postal addresses and the address book's rules.

use logistics_platform::named_enum;

use super::order::PostalAddress;

/// Most saved addresses one customer may have.
pub(crate) const MAX_SAVED_ADDRESSES_PER_CUSTOMER: i64 = 200;

named_enum! {
    /// What a saved address is used for.
    AddressUsage {
        /// Goods are collected there.
        Sender = "SENDER",
        /// Goods are delivered there.
        Recipient = "RECIPIENT",
        /// Both.
        Both = "BOTH",
    }
}

impl AddressUsage {
    /// Whether the address may be a sender's.
    fn serves_sender(self) -> bool {
        matches!(self, Self::Sender | Self::Both)
    }

    /// Whether the address may be a recipient's.
    fn serves_recipient(self) -> bool {
        matches!(self, Self::Recipient | Self::Both)
    }
}

named_enum! {
    /// The fields of a saved address an update may change, by their paths in the message.
    SavedAddressField {
        /// The customer's name for it.
        Label = "label",
        /// The postal address.
        Address = "address",
        /// Sender, recipient or both.
        Usage = "usage",
        /// Default sender flag.
        DefaultSender = "default_sender",
        /// Default recipient flag.
        DefaultRecipient = "default_recipient",
    }
}

/// A saved address's fields that callers set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SavedAddressDetails {
    /// The customer's name for it, e.g. "Pudong warehouse".
    pub(crate) label: String,
    /// The address.
    pub(crate) address: PostalAddress,
    /// What it is used for.
    pub(crate) usage: AddressUsage,
    /// The customer's default sender address.
    pub(crate) default_sender: bool,
    /// The customer's default recipient address.
    pub(crate) default_recipient: bool,
}

impl SavedAddressDetails {
    /// Takes the `fields` of `patch`; the others stay. Returns the fields that changed.
    pub(crate) fn apply(
        &mut self,
        patch: &SavedAddressDetails,
        fields: &[SavedAddressField],
    ) -> Vec<SavedAddressField> {
        let mut changed = Vec::new();
        for &field in fields {
            let differs = match field {
                SavedAddressField::Label => replace(&mut self.label, &patch.label),
                SavedAddressField::Address => replace(&mut self.address, &patch.address),
                SavedAddressField::Usage => replace(&mut self.usage, &patch.usage),
                SavedAddressField::DefaultSender => {
                    replace(&mut self.default_sender, &patch.default_sender)
                }
                SavedAddressField::DefaultRecipient => {
                    replace(&mut self.default_recipient, &patch.default_recipient)
                }
            };
            if differs && !changed.contains(&field) {
                changed.push(field);
            }
        }
        changed
    }

    /// Rules across fields, as (field path, problem): a default flag needs a usage that allows it.
    pub(crate) fn problems(&self) -> Vec<(&'static str, &'static str)> {
        let mut problems = Vec::new();
        if self.default_sender && !self.usage.serves_sender() {
            problems.push((
                "default_sender",
                "needs usage ADDRESS_USAGE_SENDER or ADDRESS_USAGE_BOTH",
            ));
        }
        if self.default_recipient && !self.usage.serves_recipient() {
            problems.push((
                "default_recipient",
                "needs usage ADDRESS_USAGE_RECIPIENT or ADDRESS_USAGE_BOTH",
            ));
        }
        problems
    }
}

fn replace<T: Clone + PartialEq>(value: &mut T, with: &T) -> bool {
    let differs = value != with;
    if differs {
        *value = with.clone();
    }
    differs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn details(
        usage: AddressUsage,
        default_sender: bool,
        default_recipient: bool,
    ) -> SavedAddressDetails {
        SavedAddressDetails {
            label: "Pudong warehouse".into(),
            address: PostalAddress::default(),
            usage,
            default_sender,
            default_recipient,
        }
    }

    #[test]
    fn a_default_flag_needs_a_usage_that_allows_it() {
        use AddressUsage::*;
        // (usage, default sender, default recipient) -> fields refused
        type Case = ((AddressUsage, bool, bool), &'static [&'static str]);
        let cases: [Case; 8] = [
            ((Sender, true, false), &[]),
            ((Sender, false, true), &["default_recipient"]),
            ((Recipient, false, true), &[]),
            ((Recipient, true, false), &["default_sender"]),
            ((Both, true, true), &[]),
            ((Sender, true, true), &["default_recipient"]),
            ((Recipient, true, true), &["default_sender"]),
            ((Sender, false, false), &[]),
        ];
        for ((usage, sender, recipient), refused) in cases {
            let found: Vec<_> = details(usage, sender, recipient)
                .problems()
                .into_iter()
                .map(|(field, _)| field)
                .collect();
            assert_eq!(found, refused, "{usage:?} {sender} {recipient}");
        }
    }

    #[test]
    fn apply_changes_only_the_named_fields_and_reports_real_changes() {
        let mut current = details(AddressUsage::Sender, false, false);
        let mut patch = details(AddressUsage::Both, true, true);
        patch.label = "Pudong warehouse".into();
        let changed = current.apply(
            &patch,
            &[SavedAddressField::Usage, SavedAddressField::Label],
        );
        assert_eq!(changed, [SavedAddressField::Usage]);
        assert_eq!(current.usage, AddressUsage::Both);
        assert!(!current.default_sender);
    }
}
