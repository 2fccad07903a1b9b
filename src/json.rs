//! JSON body codec (filled in by the codec work).
