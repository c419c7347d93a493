import Foundation
import KeywardCore
import Testing
@testable import KeywardProviders

/// The standard AWS credential, region and endpoint chain, with real files in a temporary home.
@Suite struct AWSEnvironmentTests {
    /// A temporary home with ~/.aws/credentials and ~/.aws/config.
    final class Home {
        let path: String
        init(credentials: String = "", config: String = "") throws {
            path = FileManager.default.temporaryDirectory.appendingPathComponent("aws-home-\(UUID().uuidString)").path
            let aws = URL(fileURLWithPath: path).appendingPathComponent(".aws")
            try FileManager.default.createDirectory(at: aws, withIntermediateDirectories: true)
            try credentials.write(to: aws.appendingPathComponent("credentials"), atomically: true, encoding: .utf8)
            try config.write(to: aws.appendingPathComponent("config"), atomically: true, encoding: .utf8)
        }
        deinit { try? FileManager.default.removeItem(atPath: path) }
    }

    let credentialsFile = """
        # platform identity
        [default]
        aws_access_key_id = AKIADEFAULT
        aws_secret_access_key = defaultsecret

        [keyward]
        aws_access_key_id=AKIAKEYWARD
        aws_secret_access_key=keywardsecret
        aws_session_token = tok
        """
    let configFile = """
        [default]
        region = eu-west-1
        [profile keyward]
        region = eu-central-1
        ; a comment
        [profile only-config]
        aws_access_key_id = AKIACONFIG
        aws_secret_access_key = configsecret
        """

    @Test func environmentVariablesComeFirst() throws {
        let home = try Home(credentials: credentialsFile, config: configFile)
        let env = try AWSEnvironment.load(environment: ["AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": "envsecret",
                                                        "AWS_SESSION_TOKEN": "envtoken", "AWS_REGION": "us-east-2"], home: home.path)
        #expect(env.credentials == AWSCredentials(accessKeyID: "AKIAENV", secretAccessKey: "envsecret", sessionToken: "envtoken"))
        #expect(env.credentialSource == "environment")
        #expect(env.region == "us-east-2")
    }

    @Test func profilesComeFromTheSharedFiles() throws {
        let home = try Home(credentials: credentialsFile, config: configFile)
        let standard = try AWSEnvironment.load(environment: [:], home: home.path)
        #expect(standard.credentials.accessKeyID == "AKIADEFAULT")
        #expect(standard.region == "eu-west-1")
        let named = try AWSEnvironment.load(environment: ["AWS_PROFILE": "keyward"], home: home.path)
        #expect(named.credentials == AWSCredentials(accessKeyID: "AKIAKEYWARD", secretAccessKey: "keywardsecret", sessionToken: "tok"))
        #expect(named.region == "eu-central-1")
        #expect(named.credentialSource == "profile keyward")
        let configOnly = try AWSEnvironment.load(environment: ["AWS_PROFILE": "only-config"], home: home.path)
        #expect(configOnly.credentials.accessKeyID == "AKIACONFIG")
    }

    @Test func regionPrecedence() throws {
        let home = try Home(credentials: credentialsFile, config: configFile)
        #expect(try AWSEnvironment.load(environment: ["AWS_DEFAULT_REGION": "ap-south-1"], home: home.path).region == "ap-south-1")
        #expect(try AWSEnvironment.load(environment: ["AWS_REGION": "us-west-2", "AWS_DEFAULT_REGION": "ap-south-1"], home: home.path).region == "us-west-2")
    }

    @Test func filesNamedByVariablesAreUsed() throws {
        let home = try Home()
        let elsewhere = try Home(credentials: credentialsFile, config: configFile)
        let env = try AWSEnvironment.load(environment: [
            "AWS_SHARED_CREDENTIALS_FILE": elsewhere.path + "/.aws/credentials", "AWS_CONFIG_FILE": elsewhere.path + "/.aws/config",
        ], home: home.path)
        #expect(env.credentials.accessKeyID == "AKIADEFAULT")
        #expect(env.region == "eu-west-1")
    }

    @Test func endpointsPerServiceThenGlobalThenPublic() throws {
        let keys = ["AWS_ACCESS_KEY_ID": "A", "AWS_SECRET_ACCESS_KEY": "S"]
        let custom = try AWSEnvironment.load(environment: keys.merging([
            "AWS_ENDPOINT_URL": "http://127.0.0.1:5000", "AWS_ENDPOINT_URL_STS": "http://127.0.0.1:5001",
        ]) { $1 }, home: nil)
        #expect(custom.endpoint(.sts, region: "eu-west-1").absoluteString == "http://127.0.0.1:5001")
        #expect(custom.endpoint(.secretsManager, region: "eu-west-1").absoluteString == "http://127.0.0.1:5000")
        let sm = try AWSEnvironment.load(environment: keys.merging(["AWS_ENDPOINT_URL_SECRETS_MANAGER": "http://127.0.0.1:5002"]) { $1 }, home: nil)
        #expect(sm.endpoint(.secretsManager, region: "eu-west-1").absoluteString == "http://127.0.0.1:5002")
        let plain = try AWSEnvironment.load(environment: keys, home: nil)
        #expect(plain.endpoint(.sts, region: "eu-west-1").absoluteString == "https://sts.eu-west-1.amazonaws.com")
        #expect(plain.endpoint(.secretsManager, region: "us-east-1").absoluteString == "https://secretsmanager.us-east-1.amazonaws.com")
    }

    @Test func eachMisconfigurationHasItsOwnCode() throws {
        let home = try Home(credentials: credentialsFile, config: configFile)
        func code(_ environment: [String: String], home path: String?) -> String? {
            do { _ = try AWSEnvironment.load(environment: environment, home: path); return nil }
            catch { return (error as? KeywardError)?.code }
        }
        #expect(code(["AWS_ACCESS_KEY_ID": "A"], home: home.path) == "aws_credentials_incomplete")
        #expect(code(["AWS_PROFILE": "nope"], home: home.path) == "aws_profile_not_found")
        #expect(code([:], home: try Home().path) == "aws_credentials_missing")
        #expect(code(["AWS_ACCESS_KEY_ID": "A", "AWS_SECRET_ACCESS_KEY": "S", "AWS_ENDPOINT_URL": "ftp://x"], home: nil) == "aws_endpoint_invalid")
    }
}
