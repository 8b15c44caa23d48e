//! What output must never show, gathered from a run's inputs.

use crate::context::secret_mask::SecretMask;
use crate::engine::run_values::{ParamValue, SecretValue};

/// The secrets read, and passwords inside URL parameters (`postgres://app:pw@…`).
pub fn secret_mask(params: &[ParamValue], secrets: &[SecretValue]) -> SecretMask {
    let url_passwords = params
        .iter()
        .filter_map(|p| crate::sql::address::password(&p.value.to_string()));
    SecretMask::new(
        secrets
            .iter()
            .filter(|s| !s.placeholder)
            .map(|s| s.value.clone())
            .chain(url_passwords),
    )
}
