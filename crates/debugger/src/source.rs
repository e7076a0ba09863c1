//! Source files for `list` and the line shown at each stop, read once and cached.

use std::collections::HashMap;

/// Source files by the path DWARF gives (relative paths resolve against the working directory).
#[derive(Default)]
pub(crate) struct Sources {
    files: HashMap<String, Option<Vec<String>>>,
}

impl Sources {
    /// Line `number` (1-based) of `file`, when the file can be read.
    pub fn line(&mut self, file: &str, number: u32) -> Option<String> {
        let lines = self.files.entry(file.to_string()).or_insert_with(|| {
            std::fs::read_to_string(file)
                .ok()
                .map(|text| text.lines().map(str::to_string).collect())
        });
        lines
            .as_ref()?
            .get(number.checked_sub(1)? as usize)
            .cloned()
    }
}
