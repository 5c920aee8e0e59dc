//! A service's own error reasons: one enum per service ([`error_reasons!`](crate::error_reasons)),
//! and the check that its protos document each of them for its callers.

/// Declares a service's own error reasons (the `google.rpc.ErrorInfo` reasons it answers with
/// beyond the platform's), in one enum: the list its protos document.
///
/// ```
/// logistics_platform::error_reasons! {
///     /// Reasons of the things service.
///     pub enum Reason {
///         /// No such thing.
///         ThingNotFound = "THING_NOT_FOUND",
///     }
/// }
/// assert_eq!(Reason::ThingNotFound.as_str(), "THING_NOT_FOUND");
/// assert_eq!(Reason::ALL, &[Reason::ThingNotFound]);
/// ```
///
/// A service starts the list with `documented_in: "logistics.<service>.v1",`: the macro then
/// adds a test that fails while a reason is missing from every comment of that protobuf package.
#[macro_export]
macro_rules! error_reasons {
    (
        documented_in: $package:literal,
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $($(#[$variant_meta:meta])* $variant:ident = $text:literal),+ $(,)?
        }
    ) => {
        $crate::error_reasons! {
            $(#[$meta])*
            $vis enum $name {
                $($(#[$variant_meta])* $variant = $text),+
            }
        }

        /// Holds the enum to the protos: every reason the code answers with is documented in a
        /// comment of its package, for its callers.
        #[cfg(test)]
        mod documented_reasons {
            #[test]
            fn every_reason_is_documented_in_the_protos() {
                let reasons: Vec<&str> = super::$name::ALL
                    .iter()
                    .map(|reason| reason.as_str())
                    .collect();
                assert_eq!(
                    $crate::reasons::undocumented_reasons($package, &reasons),
                    Vec::<&str>::new()
                );
            }
        }
    };
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $($(#[$variant_meta:meta])* $variant:ident = $text:literal),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        $vis enum $name {
            $($(#[$variant_meta])* $variant),+
        }

        impl $name {
            /// Every reason, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The reason as it goes on the wire.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text),+
                }
            }
        }
    };
}

/// The `reasons` that no comment of the protobuf package `package` (e.g.
/// "logistics.orders.v1") names: what a service's test asks to be empty, so that every reason
/// its code can answer with is documented for its callers.
pub fn undocumented_reasons<'a>(package: &str, reasons: &[&'a str]) -> Vec<&'a str> {
    use prost::Message as _;
    let files = prost_types::FileDescriptorSet::decode(logistics_contracts::FILE_DESCRIPTOR_SET)
        .expect("the contracts' descriptor set decodes");
    let comments: String = files
        .file
        .iter()
        .filter(|file| file.package() == package)
        .filter_map(|file| file.source_code_info.as_ref())
        .flat_map(|info| &info.location)
        .flat_map(|location| [location.leading_comments(), location.trailing_comments()])
        .collect::<Vec<_>>()
        .join("\n");
    reasons
        .iter()
        .copied()
        .filter(|reason| !comments.contains(reason))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reason_no_proto_comment_names_is_reported_undocumented() {
        assert_eq!(
            undocumented_reasons(
                "logistics.orders.v1",
                &["ORDER_NOT_FOUND", "NO_SUCH_REASON_ANYWHERE"]
            ),
            ["NO_SUCH_REASON_ANYWHERE"]
        );
    }
}
