//! Drug names: brands to generics, generics to their drug class.
