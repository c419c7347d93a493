import Foundation
import KeywardCore
import KeywardHTTP

enum TokenHandlers {
    /// The longest lifetime a token may be given: ten years.
    static let maximumLifetimeSeconds = 10 * 366 * 24 * 3600

    /// The token is in the response once, as `secret`; afterwards only its metadata can be read.
    static func create(_ context: RequestContext) throws -> HTTPResponse {
        let body = try context.body(CreateTokenBody.self)
        let role = try Role.parse(body.role)
        let scope = try ResourceScope.forToken(role: role, workspaceID: body.workspaceID, projectID: body.projectID)
        var expiresAt: Date?
        if let seconds = body.expiresInSeconds {
            guard seconds >= 60, seconds <= maximumLifetimeSeconds else {
                throw KeywardError.invalidField("expires_in_seconds", "must be from 60 to \(maximumLifetimeSeconds)")
            }
            expiresAt = Timestamp.now().addingTimeInterval(TimeInterval(seconds))
        }
        let issued = TokenSecrets.issue(name: try Names.validated(body.name), role: role, scope: scope, expiresAt: expiresAt)
        let token = try context.store.createToken(issued.token, secretHash: issued.secretHash, by: context.actor())
        context.services.logger.info("token issued", [
            ("token_id", .string(token.id.rawValue)), ("role", .string(role.rawValue)),
            ("by", .string(try context.caller().tokenID.rawValue)),
        ])
        return .json(IssuedTokenResponse(token: token, secret: issued.secret), status: 201)
    }

    static func list(_ context: RequestContext) throws -> HTTPResponse {
        let visibility = AccessPolicy.tokenVisibility(try context.caller())
        return .json(try context.store.listTokens(visibility, context.page()).map { TokenView($0) })
    }

    static func get(_ context: RequestContext) throws -> HTTPResponse {
        .json(TokenView(try authorizedToken(context)))
    }

    static func update(_ context: RequestContext) throws -> HTTPResponse {
        let name = try Names.validated(context.body(NameBody.self).name)
        let token = try context.store.renameToken(try authorizedToken(context).id, to: name, by: context.actor())
        return .json(TokenView(token))
    }

    /// Revokes rather than deletes, so a revoked token is told apart from a mistyped one.
    static func revoke(_ context: RequestContext) throws -> HTTPResponse {
        let token = try context.store.revokeToken(try authorizedToken(context).id, at: Timestamp.now(), by: context.actor())
        context.services.logger.info("token revoked", [
            ("token_id", .string(token.id.rawValue)), ("by", .string(try context.caller().tokenID.rawValue)),
        ])
        return .json(TokenView(token))
    }

    static func whoami(_ context: RequestContext) throws -> HTTPResponse {
        let principal = try context.caller()
        return .json(TokenView(try context.store.token(principal.tokenID)))
    }

    private static func authorizedToken(_ context: RequestContext) throws -> Token {
        guard let token = context.target.token else { throw KeywardError.internalError("token route without a token") }
        return token
    }
}

/// A token's metadata with its derived status.
struct TokenView: Encodable {
    let token: Token
    init(_ token: Token) { self.token = token }

    enum CodingKeys: String, CodingKey { case status }

    func encode(to encoder: Encoder) throws {
        try token.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(token.status(at: Date()), forKey: .status)
    }
}

struct IssuedTokenResponse: Encodable {
    let token: Token
    let secret: String

    enum CodingKeys: String, CodingKey { case token, secret }

    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(TokenView(token), forKey: .token)
        try container.encode(secret, forKey: .secret)
    }
}
