//! linfa's hyperparameter pattern, written once: an unchecked builder `XParams(XValidParams)` with
//! one setter per field, `check()` through `ParamGuard` (the crate's `Error`), `From<XValidParams>`
//! back to the builder, and accessors on the checked type, whose fields are private.

/// `checked_params!(XParams => XValidParams as XSerde, validate_fn; a: A, b: B; ref c: C, d: D)`:
/// setters for every listed field, getters returning `a` and `b` by value and `c` and `d` by
/// reference, `From<XValidParams>`, `ParamGuard` with `validate_fn(&XValidParams) -> Result<()>`
/// as the check, and serde's traits.
///
/// `XSerde` is a private copy of the fields with `#[serde(remote = "XValidParams")]`: serde's
/// derived functions stay private, and the `Deserialize` here runs the same check on what they
/// read, so a settings file or a model file cannot make an unchecked value, and a type holding
/// another's checked params need not check them again.
macro_rules! checked_params {
    ($params:ident => $valid:ident as $serde:ident, $validate:path;
     $($field:ident: $ty:ty),* $(,)?;
     ref $($rfield:ident: $rty:ty),* $(,)?) => {
        impl $params {
            $(
                pub fn $field(mut self, v: $ty) -> Self {
                    self.0.$field = v;
                    self
                }
            )*
            $(
                pub fn $rfield(mut self, v: $rty) -> Self {
                    self.0.$rfield = v;
                    self
                }
            )*
        }

        impl $valid {
            $(
                pub fn $field(&self) -> $ty {
                    self.$field
                }
            )*
            $(
                pub fn $rfield(&self) -> &$rty {
                    &self.$rfield
                }
            )*
        }

        /// Checked parameters back to a builder, to change one and check again.
        impl From<$valid> for $params {
            fn from(p: $valid) -> Self {
                $params(p)
            }
        }

        impl linfa::ParamGuard for $params {
            type Checked = $valid;
            type Error = crate::error::Error;

            fn check_ref(&self) -> crate::error::Result<&$valid> {
                $validate(&self.0)?;
                Ok(&self.0)
            }

            fn check(self) -> crate::error::Result<$valid> {
                $validate(&self.0)?;
                Ok(self.0)
            }
        }

        impl serde::Serialize for $valid {
            fn serialize<S: serde::Serializer>(
                &self,
                s: S,
            ) -> std::result::Result<S::Ok, S::Error> {
                $serde::serialize(self, s)
            }
        }

        impl<'de> serde::Deserialize<'de> for $valid {
            fn deserialize<D: serde::Deserializer<'de>>(
                d: D,
            ) -> std::result::Result<Self, D::Error> {
                let p = $serde::deserialize(d)?;
                $validate(&p).map_err(serde::de::Error::custom)?;
                Ok(p)
            }
        }
    };
}
