//! stub
use super::{BackendError, OptionSpec, OptionValue};
use std::collections::BTreeMap;
pub const OPTIONS: &[OptionSpec] = &[];
pub struct AzureBackend;
impl AzureBackend {
    pub fn new(
        _o: BTreeMap<String, OptionValue>,
    ) -> Result<Box<super::memory::MemoryBackend>, BackendError> {
        todo!()
    }
}
