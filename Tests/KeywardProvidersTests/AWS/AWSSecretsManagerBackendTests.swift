import Foundation
import KeywardCore
import KeywardTestSupport
import Testing
@testable import KeywardProviders

/// Reading secrets through a project's role, against moto: signatures, trust policies and the
/// sts:ExternalId condition are checked by the peer, not by us.
@Suite(.enabled(if: MotoAWS.configured != nil, "needs the moto server make test starts"))
struct AWSSecretsManagerBackendTests {
    let aws = MotoAWS.configured!
    let prefix = try! ExternalIDPrefix("workato")

    /// A platform identity, and a backend that uses it against moto.
    func backend() throws -> (AWSSecretsManagerBackend, MotoAWS.Platform) {
        let platform = try aws.createPlatformUser()
        let environment = try AWSEnvironment.load(environment: aws.environment(platform), home: nil)
        let client = AWSClient(retry: AWSRetryPolicy(maxAttempts: 2, base: 0.01, cap: 0.05, timeout: 15))
        return (AWSSecretsManagerBackend(platform: AWSPlatform(environment: .success(environment), client: client, externalIDPrefix: prefix)),
                platform)
    }

    func context(workspace: Int64 = 12, project: Int64 = 34, projectStore: Bool = true, roleARN: String?) throws -> SecretReadContext {
        var settings: [String: JSONValue] = ["region": .string(aws.region)]
        if let roleARN { settings["role_arn"] = .string(roleARN) }
        let store = SecretStore(id: StoreID(project * 100), workspaceID: WorkspaceID(workspace), projectID: projectStore ? ProjectID(project) : nil,
                                provider: .awsSecretsManager, settings: try StoreSettings(provider: .awsSecretsManager, validating: settings),
                                revision: 1, createdAt: Date(), updatedAt: Date())
        return SecretReadContext(workspaceID: WorkspaceID(workspace), projectID: ProjectID(project), store: store)
    }

    @Test func theExternalIDHasTheGuidesFormat() {
        #expect(prefix.externalID(workspace: WorkspaceID(12), project: ProjectID(34)) == "workato_iam_external_id_12_34")
        #expect(prefix.externalID(workspace: WorkspaceID(12), project: nil) == "workato_iam_external_id_12")
        #expect(awsRoleSessionName(workspace: WorkspaceID(12), project: ProjectID(34)) == "keyward-12-34")
    }

    @Test func getCallerIdentityNamesThePlatformUser() throws {
        let (backend, platform) = try backend()
        let identity = try backend.platform.callerIdentity()
        #expect(identity.arn == platform.arn)
        #expect(identity.account.count == 12)
    }

    @Test func aWrongSecretKeyIsRejectedByTheSignatureCheck() throws {
        let platform = try aws.createPlatformUser()
        var variables = aws.environment(platform)
        variables["AWS_SECRET_ACCESS_KEY"] = "not-the-secret"
        let environment = try AWSEnvironment.load(environment: variables, home: nil)
        let broken = AWSPlatform(environment: .success(environment), client: AWSClient(retry: AWSRetryPolicy(maxAttempts: 1)))
        let error = #expect(throws: KeywardError.self) { try broken.callerIdentity() }
        #expect(error?.code == "platform_credentials_invalid")
        #expect(error?.extras["aws_error"] == "SignatureDoesNotMatch")
        // The same when reading: the platform's own credentials are at fault, not the customer's role.
        let role = try aws.createRole(trusting: platform.arn, externalID: "workato_iam_external_id_12_34")
        let reading = #expect(throws: KeywardError.self) {
            try AWSSecretsManagerBackend(platform: broken).read("any", version: nil, context: context(roleARN: role))
        }
        #expect(reading?.code == "platform_credentials_invalid")
    }

    @Test func readsPlaintextAndJSONSecretsThroughTheProjectsRole() throws {
        let (backend, platform) = try backend()
        let role = try aws.createRole(trusting: platform.arn, externalID: "workato_iam_external_id_12_34")
        let plain = MotoAWS.unique("p34/api+token=v1.0@x")
        _ = try aws.createSecret(plain, "plain-value")
        let json = MotoAWS.unique("p34/db")
        let (arn, _) = try aws.createSecret(json, #"{"password":"pw1","nested":{"port":5432}}"#)
        let context = try context(roleARN: role)

        #expect(try backend.read(plain, version: nil, context: context).value == "plain-value")
        let byName = try backend.read(json, version: nil, context: context)
        #expect(try SecretValue.select(["password"], from: byName.value, secret: json) == "pw1")
        #expect(try SecretValue.select(["nested", "port"], from: byName.value, secret: json) == "5432")
        #expect(try backend.read(arn, version: nil, context: context).value == byName.value)
    }

    @Test func readsEarlierVersionsByStageAndById() throws {
        let (backend, platform) = try backend()
        let role = try aws.createRole(trusting: platform.arn, externalID: "workato_iam_external_id_12_34")
        let name = MotoAWS.unique("rotating")
        let (_, first) = try aws.createSecret(name, "v1")
        let second = try aws.putSecretValue(name, "v2")
        let context = try context(roleARN: role)

        let current = try backend.read(name, version: nil, context: context)
        #expect(current.value == "v2")
        #expect(current.versionID == second)
        #expect(try backend.read(name, version: .stage("AWSCURRENT"), context: context).value == "v2")
        #expect(try backend.read(name, version: .stage("AWSPREVIOUS"), context: context).value == "v1")
        #expect(try backend.read(name, version: .id(first), context: context).value == "v1")
        let missing = #expect(throws: KeywardError.self) { try backend.read(name, version: .stage("NOSUCHSTAGE"), context: context) }
        #expect(missing?.code == "secret_not_found")
    }

    @Test func eachFailureHasItsOwnCode() throws {
        let (backend, platform) = try backend()
        let reader = try aws.createRole(trusting: platform.arn, externalID: "workato_iam_external_id_12_34")
        let cannotRead = try aws.createRole(trusting: platform.arn, externalID: "workato_iam_external_id_12_34", canRead: false)
        let name = MotoAWS.unique("exists")
        _ = try aws.createSecret(name, "x")

        let notFound = #expect(throws: KeywardError.self) { try backend.read(name + "-missing", version: nil, context: context(roleARN: reader)) }
        #expect(notFound?.code == "secret_not_found")
        #expect(notFound?.kind == .failedDependency)

        let denied = #expect(throws: KeywardError.self) { try backend.read(name, version: nil, context: context(roleARN: cannotRead)) }
        #expect(denied?.code == "access_denied")
        #expect(denied?.hint?.contains("GetSecretValue") == true)

        let noRole = #expect(throws: KeywardError.self) { try backend.read(name, version: nil, context: context(roleARN: nil)) }
        #expect(noRole?.code == "role_not_configured")
    }

    /// Isolation: project 35 pasting project 34's role ARN is refused by AWS, because its External ID differs.
    @Test func anotherProjectCannotReadThroughThisProjectsRole() throws {
        let (backend, platform) = try backend()
        let roleOf34 = try aws.createRole(trusting: platform.arn, externalID: "workato_iam_external_id_12_34")
        let name = MotoAWS.unique("p34-only")
        _ = try aws.createSecret(name, "for 34")
        #expect(try backend.read(name, version: nil, context: context(project: 34, roleARN: roleOf34)).value == "for 34")

        let error = #expect(throws: KeywardError.self) { try backend.read(name, version: nil, context: context(project: 35, roleARN: roleOf34)) }
        #expect(error?.code == "assume_role_denied")
        #expect(error?.detail.contains("workato_iam_external_id_12_35") == true)
        // The workspace-level External ID is not the project's either.
        let workspaceLevel = #expect(throws: KeywardError.self) {
            try backend.read(name, version: nil, context: context(project: 34, projectStore: false, roleARN: roleOf34))
        }
        #expect(workspaceLevel?.code == "assume_role_denied")
    }

    @Test func verificationReportsEachCheck() throws {
        let (backend, platform) = try backend()
        let role = try aws.createRole(trusting: platform.arn, externalID: "workato_iam_external_id_12_34")
        let name = MotoAWS.unique("sample")
        _ = try aws.createSecret(name, "x")

        let checks = backend.verify(context: try context(roleARN: role), sampleSecret: name)
        let status = Dictionary(uniqueKeysWithValues: checks.map { ($0.name, $0.status) })
        #expect(status["platform_identity"] == .pass)
        #expect(status["role_arn"] == .pass)
        #expect(status["assume_role"] == .pass)
        #expect(status["external_id_enforced"] == .pass)
        // moto lets AssumeRole without any ExternalId through despite the condition (real AWS denies it), so
        // the peer shows this warning for real.
        #expect(status["external_id_required"] == .warn)
        #expect(status["read_sample_secret"] == .pass)
        #expect(!checks.contains { $0.detail.contains("\"x\"") })
    }

    @Test func verificationWarnsAboutARoleWithoutExternalIDCondition() throws {
        let (backend, platform) = try backend()
        let role = try aws.createRole(trusting: platform.arn, externalID: nil)
        let checks = backend.verify(context: try context(roleARN: role), sampleSecret: nil)
        let enforced = try #require(checks.first { $0.name == "external_id_enforced" })
        #expect(enforced.status == .warn)
        #expect(enforced.hint?.contains("workato_iam_external_id_12_34") == true)
        #expect(checks.last?.status == .skip)
    }

    @Test func verificationFailsForARoleThatTrustsSomeoneElse() throws {
        let (backend, _) = try backend()
        let other = try aws.createPlatformUser()
        let role = try aws.createRole(trusting: other.arn, externalID: "workato_iam_external_id_12_34")
        let checks = backend.verify(context: try context(roleARN: role), sampleSecret: "anything")
        let assume = try #require(checks.first { $0.name == "assume_role" })
        #expect(assume.status == .fail)
        #expect(assume.providerError == "AccessDenied")
        #expect(assume.hint?.contains("sts:ExternalId") == true)
        #expect(checks.filter { $0.status == .skip }.map(\.name) == ["external_id_required", "external_id_enforced", "read_sample_secret"])
    }

    @Test func describeSecretListsVersionsWithoutTheValue() throws {
        let name = MotoAWS.unique("described")
        let (arn, version) = try aws.createSecret(name, "v")
        let description = try SecretsManagerClient(client: aws.client).describeSecret(secretID: name, endpoint: aws.endpoint,
                                                                                      region: aws.region, credentials: aws.admin)
        #expect(description.arn == arn)
        #expect(description.versions[version] == ["AWSCURRENT"])
    }
}

@Suite struct AWSPeerRequirementTests {
    @Test func makeTestAlwaysProvidesMoto() {
        if MotoAWS.required { #expect(MotoAWS.configured != nil, "KEYWARD_REQUIRE_AWS=1 but no moto server is configured") }
    }
}
