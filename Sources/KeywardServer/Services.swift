import KeywardConnectors
import KeywardCore
import KeywardProviders
import KeywardResolver
import KeywardStorage

/// The long-lived things handlers use. Built once at start-up and shared by all worker threads; a class,
/// so handing it to each request's context is one reference, not a copy of every field.
final class Services: Sendable {
    let store: any Store
    let logger: Logger
    let resolver: Resolver
    /// The platform's AWS identity, for the setup guide; its configuration errors surface on first use.
    let aws: AWSPlatform
    /// The built-in store, for writing its secrets; nil on a server without one.
    let builtin: BuiltinSecretsBackend?
    /// The encoded answer (and audit details) of each connection the resolver keeps, tagged with its rendering.
    let encodedResolutions: ReadCache<ConnectionID, ResolveHandlers.EncodedResolution>
    /// Signs and checks exported audit chain heads.
    let auditSigner: AuditHeadSigner
    /// Readers of the trail flush it first, to see what was just recorded.
    let auditJournal: AuditJournal
    /// Where connection tests may connect.
    let testTargets: TestTargetPolicy

    init(store: any Store, logger: Logger, resolver: Resolver, aws: AWSPlatform, builtin: BuiltinSecretsBackend?,
         encodedResolutions: ReadCache<ConnectionID, ResolveHandlers.EncodedResolution>, auditSigner: AuditHeadSigner,
         auditJournal: AuditJournal, testTargets: TestTargetPolicy) {
        self.store = store
        self.logger = logger
        self.resolver = resolver
        self.aws = aws
        self.builtin = builtin
        self.encodedResolutions = encodedResolutions
        self.auditSigner = auditSigner
        self.auditJournal = auditJournal
        self.testTargets = testTargets
    }
}
