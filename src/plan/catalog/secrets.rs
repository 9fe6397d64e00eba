//! A secret whose value shinyctl has Secrets Manager generate and never sees again (kind
//! `secretsmanager_secret`): its typed properties. The section builder that makes such secrets
//! fills them; the adapter (`aws/services/secretsmanager/secretsmanager_secret.rs`) reads them
//! back. The value is in none of them: not in the plan, the observed state or any output.

use serde::{Deserialize, Serialize};

/// A Secrets Manager secret with a generated value. The name and the recipe are fixed at create
/// (a change replaces the secret, with a new value); the description changes in place.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SecretProps {
    /// 1 to 512 ASCII letters, digits and `/_+=.@-` (botocore `secretsmanager` CreateSecret
    /// Name); AWS adds `-` and six random characters to it in the ARN.
    pub(crate) name: String,
    /// At most 2,048 characters (botocore `secretsmanager` DescriptionType).
    pub(crate) description: String,
    /// How the value is generated (GetRandomPassword).
    pub(crate) generate: SecretGenerate,
}

/// GetRandomPassword's parameters: `length` characters (1 to 4,096: botocore `secretsmanager`
/// PasswordLengthType; at least one of each included character type, so at least 3 without
/// punctuation and 4 with it), with or without punctuation. AWS keeps no record of them: the
/// adapter keeps them in a tag on the secret, which its reader turns back into this.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SecretGenerate {
    pub(crate) length: i64,
    pub(crate) exclude_punctuation: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::ResourceKind as K;
    use crate::plan::props::{check_spec_fields, field_names};

    #[test]
    fn properties_structs_have_the_fields_their_specs_name() {
        check_spec_fields::<SecretProps>(K::SecretsmanagerSecret);
        assert_eq!(
            field_names::<SecretProps>(),
            ["name", "description", "generate"]
        );
        assert_eq!(
            field_names::<SecretGenerate>(),
            ["length", "excludePunctuation"]
        );
    }

    #[test]
    fn properties_serialise_in_declaration_order() {
        let props = SecretProps {
            name: "demo-workbench-cookie".into(),
            description: "RStudio Workbench secure cookie key".into(),
            generate: SecretGenerate {
                length: 32,
                exclude_punctuation: true,
            },
        };
        assert_eq!(
            serde_json::to_string(&props).unwrap(),
            r#"{"name":"demo-workbench-cookie","description":"RStudio Workbench secure cookie key","generate":{"length":32,"excludePunctuation":true}}"#
        );
    }
}
