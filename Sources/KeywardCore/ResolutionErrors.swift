/// The typed failures of reading a secret. Each names what failed and how to fix it, never the value.
/// Configuration problems on the customer's side are `failedDependency` (424); transient ones are
/// `unavailable` (503) and may be answered from a stale cached value.
extension KeywardError {
    public static func referenceOutOfScope(_ reference: String, project: ProjectID, status: ReferenceStatus) -> KeywardError {
        KeywardError(.failedDependency, code: "reference_out_of_scope", title: "Reference out of scope",
                     detail: status == .storeDeleted
                        ? "\(reference) was bound to a secrets manager that has been deleted."
                        : "\(reference) was saved under another secrets-management scope; the secrets manager it was bound to no longer serves project \(project).",
                     hint: "Migrate it with POST …/projects/\(project)/secrets-management/migrate, or save the connection again to bind it to the current store.",
                     extras: ["reference": .string(reference), "status": .string(status.rawValue)])
    }

    public static func assumeRoleDenied(role: String, externalID: String, awsCode: String, awsMessage: String) -> KeywardError {
        KeywardError(.failedDependency, code: "assume_role_denied", title: "AWS denied assuming the role",
                     detail: "AssumeRole on \(role) with External ID \(externalID) was denied: \(awsCode): \(awsMessage)",
                     hint: "In the role's trust policy, allow the platform principal shown by aws-setup with StringEquals sts:ExternalId = \(externalID), and check the ARN.",
                     extras: ["aws_error": .string(awsCode), "role_arn": .string(role)])
    }

    public static func accessDenied(secret: String, awsCode: String, awsMessage: String) -> KeywardError {
        KeywardError(.failedDependency, code: "access_denied", title: "Access to the secret denied",
                     detail: "Reading '\(secret)' was denied: \(awsCode): \(awsMessage)",
                     hint: "Grant secretsmanager:GetSecretValue on this secret in the role's permission policy (see aws-setup), and kms:Decrypt if it uses a customer-managed key.",
                     extras: ["aws_error": .string(awsCode)])
    }

    public static func secretNotFound(_ secret: String, version: String? = nil, detail extra: String? = nil) -> KeywardError {
        KeywardError(.failedDependency, code: "secret_not_found", title: "Secret not found",
                     detail: extra ?? "The secrets manager has no secret '\(secret)'\(version.map { " in version \($0)" } ?? "").",
                     hint: "Check the name (or ARN), the region and the version or stage; names are case-sensitive.")
    }

    public static func secretKeyNotFound(_ secret: String, keyPath: [String], reason: String) -> KeywardError {
        KeywardError(.failedDependency, code: "secret_key_not_found", title: "Key not found in the secret",
                     detail: "'\(secret)' has no key \(keyPath.joined(separator: ".")): \(reason).",
                     hint: "Check the key path after # in the reference; keys are case-sensitive and nested keys are separated by dots.",
                     extras: ["key": .string(keyPath.joined(separator: "."))])
    }

    public static func decryptionFailure(_ secret: String, detail: String) -> KeywardError {
        KeywardError(.failedDependency, code: "decryption_failure", title: "The secret could not be decrypted",
                     detail: "'\(secret)': \(detail)",
                     hint: "Allow kms:Decrypt on the secret's KMS key for the role (kms_key_arn in the store settings adds it to the generated policy).")
    }

    public static func throttled(_ detail: String) -> KeywardError {
        KeywardError(.unavailable, code: "throttled", title: "The secrets manager is throttling requests", detail: detail,
                     hint: "Retry later; Keyward caches values so steady traffic does not reach the secrets manager.")
    }

    public static func providerUnavailable(_ detail: String, cause: String? = nil) -> KeywardError {
        KeywardError(.unavailable, code: "provider_unavailable", title: "The secrets manager is unavailable", detail: detail,
                     hint: "Retry later; if it persists, check the secrets manager's endpoint and the network path to it.",
                     internalCause: cause)
    }
}
