//! How goods travel: the transport modes of DOMAIN.md, stored by name.

use logistics_platform::named_enum;

named_enum! {
    /// How goods travel. Rate cards, quotes and orders are per mode.
    TransportMode {
        /// By truck.
        Road = "ROAD",
        /// By train.
        Rail = "RAIL",
        /// By ship.
        Sea = "SEA",
        /// By plane.
        Air = "AIR",
        /// Several modes in one shipment.
        Multimodal = "MULTIMODAL",
    }
}

/// Stored by name in JSON (rate cards), like in the database's text columns.
impl serde::Serialize for TransportMode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for TransportMode {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Self::parse(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown transport mode {name:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mode_round_trips_through_its_stored_name() {
        for mode in TransportMode::ALL {
            assert_eq!(TransportMode::parse(mode.as_str()), Some(*mode));
        }
        assert_eq!(TransportMode::parse("road"), None);
        assert_eq!(TransportMode::ALL.len(), 5);
    }

    #[test]
    fn modes_serialize_as_their_stored_names() {
        let json = serde_json::to_string(&TransportMode::Multimodal).unwrap();
        assert_eq!(json, "\"MULTIMODAL\"");
        let back: TransportMode = serde_json::from_str(&json).unwrap();
        assert_eq!(back, TransportMode::Multimodal);
        assert!(serde_json::from_str::<TransportMode>("\"BICYCLE\"").is_err());
    }
}
