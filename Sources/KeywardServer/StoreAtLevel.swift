import KeywardCore
import KeywardHTTP

/// The store configured at one level — a project's own (`project` given) or the workspace's — as the
/// setup, verification, built-in secrets and deletion handlers all need it.
extension RequestContext {
    func configuredStore(project: ProjectID?) throws -> SecretStore? {
        let ws = try workspaceID
        return try project.map { try store.projectStore($0, in: ws) } ?? store.secretsSettings(ws).workspaceStore
    }

    /// The store at that level, or 409 store_not_configured saying which provider to choose (`suggested`).
    func requireStore(project: ProjectID?, suggested: SecretsProvider) throws -> SecretStore {
        guard let found = try configuredStore(project: project) else {
            let settings = suggested == .builtin ? "" : #", "settings": {"region": …}"#
            throw KeywardError(.conflict, code: "store_not_configured", title: "No secrets manager configured",
                               detail: "The \(project == nil ? "workspace" : "project") has no secrets manager configured.",
                               hint: "Choose one first: PUT …/secrets-management with {\"provider\": \"\(suggested.rawValue)\"\(settings)}.")
        }
        return found
    }
}
