//! Update masks (AIP-134): which fields an Update RPC changes.

use crate::error::Violations;

/// The fields an update mask names. `*` names every field in `all` (paths before it are still
/// checked). An empty mask, and each path
/// `parse` does not know, is a violation (`update_mask`, `update_mask.paths[i]`) listing the
/// `updatable` paths, so the caller learns every bad path at once.
pub fn resolve_update_mask<F: Copy>(
    paths: &[String],
    all: &[F],
    parse: impl Fn(&str) -> Option<F>,
    updatable: &str,
    violations: &mut Violations,
) -> Vec<F> {
    if paths.is_empty() {
        violations.add(
            "update_mask",
            "names no field; list the fields to change or \"*\"",
        );
        return Vec::new();
    }
    let mut fields = Vec::new();
    for (at, path) in paths.iter().enumerate() {
        if path == "*" {
            return all.to_vec();
        }
        match parse(path) {
            Some(field) => fields.push(field),
            None => violations.add(
                format!("update_mask.paths[{at}]"),
                format!("{path:?} cannot be updated; updatable: {updatable}"),
            ),
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [&str; 2] = ["name", "notes"];

    fn resolve(paths: &[&str]) -> (Vec<&'static str>, Violations) {
        let paths: Vec<String> = paths.iter().map(|p| (*p).to_owned()).collect();
        let mut violations = Violations::new();
        let parse = |path: &str| ALL.iter().copied().find(|known| *known == path);
        let fields = resolve_update_mask(&paths, &ALL, parse, "name, notes", &mut violations);
        (fields, violations)
    }

    #[test]
    fn a_mask_names_its_fields_and_star_names_all() {
        assert_eq!(resolve(&["notes"]).0, ["notes"]);
        assert_eq!(resolve(&["notes", "*"]).0, ["name", "notes"]);
        assert!(resolve(&["name"]).1.is_empty());
    }

    #[test]
    fn an_empty_mask_and_every_unknown_path_are_violations() {
        assert!(!resolve(&[]).1.is_empty());
        let (fields, violations) = resolve(&["colour", "name", "kind"]);
        assert_eq!(fields, ["name"]);
        let status = violations.into_error().into_status("logistics.test");
        let details = tonic_types::StatusExt::get_error_details(&status);
        let paths: Vec<_> = details
            .bad_request()
            .unwrap()
            .field_violations
            .iter()
            .map(|v| v.field.as_str())
            .collect();
        assert_eq!(paths, ["update_mask.paths[0]", "update_mask.paths[2]"]);
    }
}
