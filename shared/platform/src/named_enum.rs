//! Enums stored in the database by name.

/// Declares an enum stored in the database by name, with its names, parsing and every value, and
/// implements [`StoredEnum`](crate::stored::StoredEnum) so rows hold it as
/// [`Stored`](crate::stored::Stored).
///
/// ```
/// logistics_platform::named_enum! {
///     /// A colour.
///     Colour { /// Red.
///     Red = "RED", /// Blue.
///     Blue = "BLUE" }
/// }
/// assert_eq!(Colour::parse("RED"), Some(Colour::Red));
/// assert_eq!(Colour::Blue.as_str(), "BLUE");
/// assert_eq!(Colour::ALL.len(), 2);
/// ```
#[macro_export]
macro_rules! named_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$vdoc])* $variant),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The name stored in the database.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }

            /// The value stored under `text`.
            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some(Self::$variant),)+ _ => None }
            }
        }

        impl $crate::stored::StoredEnum for $name {
            const NAME: &'static str = stringify!($name);

            fn as_str(self) -> &'static str {
                $name::as_str(self)
            }

            fn parse(text: &str) -> Option<Self> {
                $name::parse(text)
            }
        }
    };
}
