import Foundation
import KeywardCore

/// Step 5 of the guide, made trustworthy: the role is not "valid" until AWS has shown that it can be
/// assumed with the External ID, that it cannot be assumed without it or with another one, and optionally
/// that a named secret can be read through it.
extension AWSSecretsManagerBackend {
    public func verify(context: SecretReadContext, sampleSecret: String?) -> [StoreCheck] {
        var checks: [StoreCheck] = []
        do {
            let identity = try platform.callerIdentity(region: context.store.settings.values["region"] ?? "us-east-1")
            checks.append(StoreCheck("platform_identity", .pass, "Keyward's AWS identity is \(identity.arn) in account \(identity.account)."))
        } catch {
            checks.append(Self.failed("platform_identity", error))
            return checks + Self.skipped(after: "platform_identity", sample: sampleSecret)
        }

        let access: Access
        do { access = try self.access(context) } catch {
            checks.append(Self.failed("role_arn", error))
            return checks + Self.skipped(after: "role_arn", sample: sampleSecret)
        }
        checks.append(StoreCheck("role_arn", .pass, "The role ARN \(access.roleARN) is well-formed."))

        let credentials: AWSCredentials
        do {
            credentials = try assume(access, externalID: access.externalID)
            checks.append(StoreCheck("assume_role", .pass,
                                     "Assumed \(access.roleARN) with External ID \(access.externalID) as session \(access.sessionName)."))
        } catch {
            checks.append(Self.failed("assume_role", error))
            return checks + Self.skipped(after: "assume_role", sample: sampleSecret)
        }

        checks.append(confusedDeputyCheck("external_id_required", access, externalID: nil,
                                          denied: "AWS denies AssumeRole without an External ID.",
                                          allowed: "The role can be assumed without any External ID."))
        checks.append(confusedDeputyCheck("external_id_enforced", access, externalID: access.externalID + "_wrong",
                                          denied: "AWS denies AssumeRole with a different External ID.",
                                          allowed: "The role can be assumed with a different External ID."))

        guard let sampleSecret else {
            checks.append(StoreCheck("read_sample_secret", .skip, "No sample secret was named.",
                                     hint: "Name one (sample_secret) to prove the permission policy lets the role read it."))
            return checks
        }
        do {
            let environment = try platform.configuration()
            let value = try platform.secretsManager.getSecretValue(
                secretID: sampleSecret, endpoint: environment.endpoint(.secretsManager, region: access.region), region: access.region,
                credentials: credentials)
            checks.append(StoreCheck("read_sample_secret", .pass, "Read '\(sampleSecret)' (version \(value.versionID)) through the role."))
        } catch let failure as AWSCallFailure {
            checks.append(Self.failed("read_sample_secret", Self.readError(failure, secret: sampleSecret, version: nil)))
        } catch {
            checks.append(Self.failed("read_sample_secret", error))
        }
        return checks
    }

    /// A role that can be assumed without its External ID, or with another, can be used by any tenant of
    /// the platform who learns its ARN: warn, with the exact condition that fixes it.
    private func confusedDeputyCheck(_ name: String, _ access: Access, externalID: String?, denied: String, allowed: String) -> StoreCheck {
        do {
            _ = try assume(access, externalID: externalID)
            return StoreCheck(name, .warn, "\(allowed) Its trust policy does not protect against the confused deputy.",
                              hint: "Add to the trust policy statement: \"Condition\": {\"StringEquals\": {\"sts:ExternalId\": \"\(access.externalID)\"}}.")
        } catch let error as KeywardError where error.code == "assume_role_denied" {
            return StoreCheck(name, .pass, denied, providerError: error.extras["aws_error"]?.stringValue)
        } catch {
            return StoreCheck(name, .warn, "Could not check: \(Self.message(error))", hint: (error as? KeywardError)?.hint)
        }
    }

    static func failed(_ name: String, _ error: Error) -> StoreCheck {
        let keyward = error as? KeywardError
        return StoreCheck(name, .fail, message(error), hint: keyward?.hint,
                          providerError: keyward?.extras["aws_error"]?.stringValue ?? keyward?.code)
    }

    static func message(_ error: Error) -> String {
        (error as? KeywardError)?.detail ?? "\(error)"
    }

    static func skipped(after failed: String, sample: String?) -> [StoreCheck] {
        let order = ["platform_identity", "role_arn", "assume_role", "external_id_required", "external_id_enforced", "read_sample_secret"]
        guard let index = order.firstIndex(of: failed) else { return [] }
        return order[(index + 1)...].map { StoreCheck($0, .skip, "Not checked: \(failed) failed.") }
    }
}
