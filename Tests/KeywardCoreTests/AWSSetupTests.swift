import Foundation
import Testing
@testable import KeywardCore

@Suite struct AWSRoleARNTests {
    @Test func acceptsRolesWithAndWithoutPaths() throws {
        let plain = try AWSRoleARN(parsing: "arn:aws:iam::012345678901:role/keyward-project")
        #expect(plain.accountID == "012345678901")
        #expect(plain.path == "/")
        #expect(plain.name == "keyward-project")
        #expect(plain.description == "arn:aws:iam::012345678901:role/keyward-project")
        let nested = try AWSRoleARN(parsing: "arn:aws-us-gov:iam::123456789012:role/service/secrets/Reader+=,.@_-")
        #expect(nested.partition == "aws-us-gov")
        #expect(nested.path == "/service/secrets/")
        #expect(nested.name == "Reader+=,.@_-")
    }

    @Test(arguments: [
        ("role/keyward", "not_an_arn"),
        ("arn:aws:iam::1234567890123:role/x", "account"),
        ("arn:aws:iam::12345678901a:role/x", "account"),
        ("arn:aws:iam::12345678901:role/x", "account"),
        ("arn:azure:iam::123456789012:role/x", "partition"),
        ("arn:aws:sts::123456789012:assumed-role/x/y", "service"),
        ("arn:aws:iam:us-east-1:123456789012:role/x", "region"),
        ("arn:aws:iam::123456789012:user/x", "resource_type"),
        ("arn:aws:iam::123456789012:role/", "role_name"),
        ("arn:aws:iam::123456789012:role/has space", "role_name"),
        ("arn:aws:iam::123456789012:role//x", "role_path"),
        (" arn:aws:iam::123456789012:role/x", "whitespace"),
        ("arn:aws:iam::123456789012:role/" + String(repeating: "n", count: 65), "role_name"),
    ])
    func eachMistakeHasItsOwnMessage(arn: String, problem: String) {
        let error = #expect(throws: KeywardError.self) { try AWSRoleARN(parsing: arn) }
        #expect(error?.code == "invalid_role_arn")
        #expect(error?.extras["problem"] == .string(problem))
        #expect(error?.hint?.isEmpty == false)
    }

    @Test func storeSettingsValidateTheRoleARNAndSecretARNs() throws {
        let bad = #expect(throws: KeywardError.self) {
            try StoreSettings(provider: .awsSecretsManager, validating: ["region": "eu-west-1", "role_arn": "arn:aws:iam::123456789012:user/me"])
        }
        #expect(bad?.code == "invalid_role_arn")
        let settings = try StoreSettings(provider: .awsSecretsManager, validating: [
            "region": "eu-west-1",
            "secret_arns": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf, arn:aws:secretsmanager:eu-west-1:123456789012:secret:api*",
        ])
        #expect(settings.secretARNs.count == 2)
        #expect(throws: KeywardError.self) {
            try StoreSettings(provider: .awsSecretsManager, validating: ["region": "eu-west-1", "secret_arns": "arn:aws:s3:::bucket"])
        }
    }
}

@Suite struct ExternalIDTests {
    @Test func theGuidesFormatWithAConfigurablePrefix() throws {
        let workato = try ExternalIDPrefix("workato")
        #expect(workato.externalID(workspace: WorkspaceID(4821), project: ProjectID(77)) == "workato_iam_external_id_4821_77")
        #expect(workato.externalID(workspace: WorkspaceID(4821), project: nil) == "workato_iam_external_id_4821")
        #expect(ExternalIDPrefix.default.externalID(workspace: WorkspaceID(1), project: ProjectID(2)) == "keyward_iam_external_id_1_2")
        for bad in ["", "has space", "a/b", String(repeating: "x", count: 65)] {
            #expect(throws: KeywardError.self) { try ExternalIDPrefix(bad) }
        }
    }
}

@Suite struct AWSPolicyDocumentTests {
    @Test func theTrustPolicyNamesThePlatformAndRequiresTheExternalID() {
        let policy = AWSPolicyDocuments.trustPolicy(platformPrincipal: "arn:aws:iam::111122223333:user/platform", externalID: "kw_iam_external_id_1_2")
        guard case .array(let statements)? = policy.objectValue?["Statement"], case .object(let statement)? = statements.first else {
            Issue.record("no statement"); return
        }
        #expect(statement["Principal"] == .object(["AWS": "arn:aws:iam::111122223333:user/platform"]))
        #expect(statement["Action"] == "sts:AssumeRole")
        #expect(statement["Condition"] == .object(["StringEquals": .object(["sts:ExternalId": "kw_iam_external_id_1_2"])]))
    }

    @Test func thePermissionPolicyIsLeastPrivilege() {
        let prefixed = AWSPolicyDocuments.permissionPolicy(partition: "aws", region: "eu-west-1", accountID: "123456789012",
                                                           secrets: .namePrefix("prod/p1/"), kmsKeyARN: nil)
        let text = String(decoding: try! JSONEncoder().encode(prefixed), as: UTF8.self)
        #expect(text.contains(#"arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod\/p1\/*"#))
        #expect(text.contains("secretsmanager:GetSecretValue") && text.contains("secretsmanager:DescribeSecret"))
        #expect(!text.contains("ListSecrets") && !text.contains("kms"))

        let withKey = AWSPolicyDocuments.permissionPolicy(partition: "aws", region: "eu-west-1", accountID: nil,
                                                          secrets: .arns(["arn:aws:secretsmanager:eu-west-1:123456789012:secret:a-AbCdEf"]),
                                                          kmsKeyARN: "arn:aws:kms:eu-west-1:123456789012:key/k")
        guard case .array(let statements)? = withKey.objectValue?["Statement"] else { Issue.record("no statements"); return }
        #expect(statements.count == 2)
        #expect(statements[1].objectValue?["Action"] == "kms:Decrypt")
        #expect(statements[1].objectValue?["Condition"] == .object(["StringEquals": .object(["kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com"])]))
    }
}

@Suite struct SecretValueTests {
    let json = #"{"password":"pw","port":5432,"tls":{"ca":"PEM","verify":true},"none":null,"list":[1,2]}"#

    @Test func selectsKeysAndNestedKeys() throws {
        #expect(try SecretValue.select([], from: json, secret: "s") == json)
        #expect(try SecretValue.select(["password"], from: json, secret: "s") == "pw")
        #expect(try SecretValue.select(["port"], from: json, secret: "s") == "5432")
        #expect(try SecretValue.select(["tls", "ca"], from: json, secret: "s") == "PEM")
        #expect(try SecretValue.select(["tls"], from: json, secret: "s") == #"{"ca":"PEM","verify":true}"#)
    }

    @Test(arguments: [["missing"], ["tls", "missing"], ["password", "deeper"], ["none"]])
    func aMissingKeyIsAnErrorNeverAnEmptyValue(path: [String]) {
        let error = #expect(throws: KeywardError.self) { try SecretValue.select(path, from: json, secret: "db") }
        #expect(error?.code == "secret_key_not_found")
    }

    @Test func aKeyIntoAPlaintextSecretSaysSo() {
        let error = #expect(throws: KeywardError.self) { try SecretValue.select(["k"], from: "just text", secret: "db") }
        #expect(error?.detail.contains("plaintext") == true)
    }
}
