//! linfa's hyperparameter pattern, written once: an unchecked builder `XParams(XValidParams)` with
//! one setter per field, `check()` through `ParamGuard` (the crate's `Error`), and
//! `From<XValidParams>` back to the builder.

/// `checked_params!(XParams => XValidParams, validate_fn; field: Type, ...)`: the setters of the
/// listed fields, `From<XValidParams>`, and `ParamGuard` with `validate_fn(&XValidParams) ->
/// Result<()>` as the check.
macro_rules! checked_params {
    ($params:ident => $valid:ident, $validate:path; $($field:ident: $ty:ty),* $(,)?) => {
        impl $params {
            $(
                pub fn $field(mut self, v: $ty) -> Self {
                    self.0.$field = v;
                    self
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
    };
}
