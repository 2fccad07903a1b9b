//! Cookie codec (filled in by the cookie work).
