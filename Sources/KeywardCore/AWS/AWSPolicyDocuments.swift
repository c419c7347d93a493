/// The two IAM documents a customer pastes into AWS for one store: the role's trust policy and its
/// least-privilege permission policy. Pure functions of the platform identity and the store's settings.
public enum AWSPolicyDocuments {
    /// Lets exactly the platform principal assume the role, and only with this External ID. The condition
    /// is what stops another tenant of the platform from using the role (the confused deputy).
    public static func trustPolicy(platformPrincipal: String, externalID: String) -> JSONValue {
        .object([
            "Version": "2012-10-17",
            "Statement": .array([.object([
                "Sid": "KeywardAssumeRoleWithExternalId",
                "Effect": "Allow",
                "Principal": .object(["AWS": .string(platformPrincipal)]),
                "Action": "sts:AssumeRole",
                "Condition": .object(["StringEquals": .object(["sts:ExternalId": .string(externalID)])]),
            ])]),
        ])
    }

    /// What the permission policy grants reads on: explicit secret ARNs, or every secret whose name starts
    /// with a prefix, or (with neither) every secret of the account in that region.
    public enum SecretResources: Sendable, Equatable {
        case arns([String])
        case namePrefix(String)
        case everySecret
    }

    /// GetSecretValue and DescribeSecret on the given secrets (never ListSecrets, never `*` actions), and
    /// kms:Decrypt on the customer-managed key when there is one, only through Secrets Manager.
    public static func permissionPolicy(partition: String, region: String, accountID: String?, secrets: SecretResources,
                                        kmsKeyARN: String?) -> JSONValue {
        let account = accountID ?? "*"
        let base = "arn:\(partition):secretsmanager:\(region):\(account):secret:"
        let resources: [JSONValue] = switch secrets {
        // Secrets Manager appends "-" and six random characters to every secret's ARN.
        case .namePrefix(let prefix): [.string(base + prefix + "*")]
        case .arns(let arns): arns.map { .string($0) }
        case .everySecret: [.string(base + "*")]
        }
        var statements: [JSONValue] = [.object([
            "Sid": "KeywardReadSecrets",
            "Effect": "Allow",
            "Action": .array(["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]),
            "Resource": .array(resources),
        ])]
        if let kmsKeyARN {
            statements.append(.object([
                "Sid": "KeywardDecryptThroughSecretsManager",
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": .string(kmsKeyARN),
                "Condition": .object(["StringEquals": .object(["kms:ViaService": .string("secretsmanager.\(region).amazonaws.com")])]),
            ]))
        }
        return .object(["Version": "2012-10-17", "Statement": .array(statements)])
    }

    /// The partition a region belongs to, for ARNs built before the customer's role ARN is known.
    public static func partition(ofRegion region: String) -> String {
        if region.hasPrefix("cn-") { return "aws-cn" }
        if region.hasPrefix("us-gov-") { return "aws-us-gov" }
        if region.hasPrefix("us-iso-") { return "aws-iso" }
        if region.hasPrefix("us-isob-") { return "aws-iso-b" }
        return "aws"
    }
}
