import Foundation
import KeywardCore
import KeywardHTTP
import KeywardProviders
import KeywardStorage

/// Steps 3 to 5 of the guide: what to create in AWS (the platform's account and principal, the External
/// ID, ready-to-paste policies), and verifying the role once its ARN is saved.
enum AWSSetupHandlers {
    static func workspaceSetup(_ context: RequestContext) throws -> HTTPResponse {
        try setup(context, project: nil)
    }

    static func projectSetup(_ context: RequestContext) throws -> HTTPResponse {
        try setup(context, project: try context.projectID)
    }

    static func verifyWorkspace(_ context: RequestContext) throws -> HTTPResponse {
        try verify(context, project: nil)
    }

    static func verifyProject(_ context: RequestContext) throws -> HTTPResponse {
        try verify(context, project: try context.projectID)
    }

    private static func setup(_ context: RequestContext, project: ProjectID?) throws -> HTTPResponse {
        let ws = try context.workspaceID
        let store = try awsStore(context, project: project)
        let settings = store.settings
        guard let region = settings.values["region"] else { throw KeywardError.internalError("AWS store without a region") }
        let identity = try context.services.aws.callerIdentity(region: region)
        let externalID = context.services.aws.externalIDPrefix.externalID(workspace: ws, project: project)
        let role = try settings.values["role_arn"].map { try AWSRoleARN(parsing: $0) }

        var warnings: [String] = []
        let resources: AWSPolicyDocuments.SecretResources
        if !settings.secretARNs.isEmpty {
            resources = .arns(settings.secretARNs)
        } else if let prefix = settings.values["secret_name_prefix"] {
            resources = .namePrefix(prefix)
        } else {
            resources = .everySecret
            warnings.append("The permission policy covers every secret of the account in \(region). Set settings.secret_name_prefix or settings.secret_arns to limit it to this \(project == nil ? "workspace" : "project")'s secrets.")
        }
        let permission = AWSPolicyDocuments.permissionPolicy(
            partition: role?.partition ?? AWSPolicyDocuments.partition(ofRegion: region), region: region, accountID: role?.accountID,
            secrets: resources, kmsKeyARN: settings.values["kms_key_arn"])
        if role == nil {
            warnings.append("The permission policy names any account (*) until the role ARN is saved; it is attached in your own account, where it only reaches your secrets.")
        }
        return .json(AWSSetupView(
            level: project == nil ? "workspace" : "project", workspaceID: ws, projectID: project, storeID: store.id, region: region,
            platformAccountID: identity.account, platformPrincipalARN: identity.arn, externalID: externalID,
            roleSessionName: awsRoleSessionName(workspace: ws, project: project), roleARN: role?.description,
            trustPolicy: AWSPolicyDocuments.trustPolicy(platformPrincipal: identity.arn, externalID: externalID),
            permissionPolicy: permission, warnings: warnings))
    }

    private static func verify(_ context: RequestContext, project: ProjectID?) throws -> HTTPResponse {
        let body = try context.optionalBody(VerifyStoreBody.self, empty: VerifyStoreBody(sampleSecret: nil))
        if let sample = body.sampleSecret { try SecretReference.validateName(sample, field: "sample_secret") }
        let store = try context.requireStore(project: project, suggested: .awsSecretsManager)
        let checks = context.services.resolver.verify(store, project: project, sampleSecret: body.sampleSecret)
        context.services.logger.info("secrets manager verified", [
            ("workspace_id", .int(store.workspaceID.rawValue)), ("store_id", .int(store.id.rawValue)),
            ("result", .string(checks.contains { $0.status == .fail } ? "fail" : checks.contains { $0.status == .warn } ? "warn" : "pass")),
            ("request_id", .string(context.request.requestID)),
        ])
        return .json(VerificationView(storeID: store.id, provider: store.provider, checks: checks))
    }

    private static func awsStore(_ context: RequestContext, project: ProjectID?) throws -> SecretStore {
        let store = try context.requireStore(project: project, suggested: .awsSecretsManager)
        guard store.provider == .awsSecretsManager else {
            throw KeywardError(.conflict, code: "store_not_aws", title: "Not an AWS store",
                               detail: "The \(project == nil ? "workspace" : "project")'s secrets manager is \(store.provider.rawValue), not aws_secrets_manager.",
                               hint: "Choose AWS Secrets Manager first: PUT …/secrets-management with {\"provider\": \"aws_secrets_manager\", \"settings\": {\"region\": …}}.")
        }
        return store
    }
}

struct AWSSetupView: Encodable {
    let level: String
    let workspaceID: WorkspaceID
    let projectID: ProjectID?
    let storeID: StoreID
    let region: String
    let platformAccountID: String
    let platformPrincipalARN: String
    let externalID: String
    let roleSessionName: String
    let roleARN: String?
    let trustPolicy: JSONValue
    let permissionPolicy: JSONValue
    let warnings: [String]

    enum CodingKeys: String, CodingKey {
        case level, region, warnings
        case workspaceID = "workspace_id", projectID = "project_id", storeID = "store_id"
        case platformAccountID = "platform_account_id", platformPrincipalARN = "platform_principal_arn"
        case externalID = "external_id", roleSessionName = "role_session_name", roleARN = "role_arn"
        case trustPolicy = "trust_policy", permissionPolicy = "permission_policy"
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(level, forKey: .level)
        try c.encode(workspaceID, forKey: .workspaceID)
        try c.encode(projectID, forKey: .projectID)
        try c.encode(storeID, forKey: .storeID)
        try c.encode(region, forKey: .region)
        try c.encode(platformAccountID, forKey: .platformAccountID)
        try c.encode(platformPrincipalARN, forKey: .platformPrincipalARN)
        try c.encode(externalID, forKey: .externalID)
        try c.encode(roleSessionName, forKey: .roleSessionName)
        try c.encode(roleARN, forKey: .roleARN)
        try c.encode(trustPolicy, forKey: .trustPolicy)
        try c.encode(permissionPolicy, forKey: .permissionPolicy)
        try c.encode(warnings, forKey: .warnings)
    }
}

struct VerificationView: Encodable {
    let storeID: StoreID
    let provider: SecretsProvider
    let checks: [StoreCheck]

    enum CodingKeys: String, CodingKey { case storeID = "store_id", provider, checks, result }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(storeID, forKey: .storeID)
        try c.encode(provider, forKey: .provider)
        try c.encode(checks, forKey: .checks)
        // The worst status wins: one failure fails the whole, one warning makes it a warning.
        let result = checks.contains { $0.status == .fail } ? "fail" : checks.contains { $0.status == .warn } ? "warn" : "pass"
        try c.encode(result, forKey: .result)
    }
}
