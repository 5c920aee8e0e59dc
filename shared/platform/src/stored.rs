//! Enums kept in the database by name, read and written as enums: a row field says
//! `Stored<OrderStatus>` and sqlx decodes the text column into the enum, so a name the code does
//! not know fails the read with a clear error instead of being parsed, and checked, at each use.
//! The domain enums only implement [`StoredEnum`] (through [`named_enum!`](crate::named_enum)),
//! which knows nothing of sqlx.

use std::fmt;
use std::ops::Deref;

use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArgumentBuffer, PgHasArrayType, PgTypeInfo, PgValueRef};
use sqlx::{Decode, Encode, Postgres, Type};

/// An enum stored in the database by name.
pub trait StoredEnum: Sized + Copy + 'static {
    /// The enum's name, for errors.
    const NAME: &'static str;

    /// The name stored in the database.
    fn as_str(self) -> &'static str;

    /// The value stored under `text`.
    fn parse(text: &str) -> Option<Self>;
}

/// A stored name the code does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {name} {value:?} in the database")]
pub struct UnknownName {
    /// The enum's name.
    pub name: &'static str,
    /// The stored text.
    pub value: String,
}

/// A [`StoredEnum`] in a text column: what row structs hold so sqlx decodes and encodes the enum.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Stored<E>(pub E);

impl<E> Stored<E> {
    /// The enum.
    pub fn get(self) -> E {
        self.0
    }
}

/// Reads as its stored name, like the text column it replaces.
impl<E: StoredEnum> Deref for Stored<E> {
    type Target = str;

    fn deref(&self) -> &str {
        self.0.as_str()
    }
}

/// The stored name.
impl<E: StoredEnum> fmt::Display for Stored<E> {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.0.as_str())
    }
}

impl<E> From<E> for Stored<E> {
    fn from(value: E) -> Self {
        Self(value)
    }
}

impl<E: fmt::Debug> fmt::Debug for Stored<E> {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(formatter)
    }
}

impl<E: StoredEnum> Type<Postgres> for Stored<E> {
    fn type_info() -> PgTypeInfo {
        <&str as Type<Postgres>>::type_info()
    }

    fn compatible(ty: &PgTypeInfo) -> bool {
        <&str as Type<Postgres>>::compatible(ty)
    }
}

impl<E: StoredEnum> PgHasArrayType for Stored<E> {
    fn array_type_info() -> PgTypeInfo {
        <&str as PgHasArrayType>::array_type_info()
    }

    fn array_compatible(ty: &PgTypeInfo) -> bool {
        <&str as PgHasArrayType>::array_compatible(ty)
    }
}

impl<'r, E: StoredEnum> Decode<'r, Postgres> for Stored<E> {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        let text = <&str as Decode<Postgres>>::decode(value)?;
        E::parse(text).map(Self).ok_or_else(|| {
            Box::new(UnknownName {
                name: E::NAME,
                value: text.to_owned(),
            }) as BoxDynError
        })
    }
}

impl<E: StoredEnum> Encode<'_, Postgres> for Stored<E> {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        <&str as Encode<Postgres>>::encode(self.0.as_str(), buf)
    }

    fn size_hint(&self) -> usize {
        self.0.as_str().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::named_enum! {
        /// A colour.
        Colour {
            /// Red.
            Red = "RED",
            /// Blue.
            Blue = "BLUE",
        }
    }

    #[test]
    fn named_enums_are_stored_enums() {
        assert_eq!(<Colour as StoredEnum>::NAME, "Colour");
        assert_eq!(<Colour as StoredEnum>::parse("BLUE"), Some(Colour::Blue));
        assert_eq!(StoredEnum::as_str(Colour::Red), "RED");
        assert_eq!(Stored(Colour::Red).get(), Colour::Red);
        assert_eq!(&*Stored(Colour::Red), "RED");
        assert_eq!(Stored(Colour::Blue).to_string(), "BLUE");
        assert_eq!(Colour::ALL.len(), 2);
    }

    #[test]
    fn unknown_names_say_which_enum_and_value() {
        let error = UnknownName {
            name: Colour::NAME,
            value: "GREEN".into(),
        };
        assert_eq!(
            error.to_string(),
            "unknown Colour \"GREEN\" in the database"
        );
    }
}
