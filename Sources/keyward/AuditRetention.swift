import Foundation
import KeywardCore
import KeywardStorage

/// `--audit-retention-days`: prunes the audit trail at start and then every hour. Pruning moves each
/// chain's anchor, so what is kept still verifies; a head exported before stays checkable while its
/// record is kept.
enum AuditRetention {
    static func start(store: any Store, days: Int, logger: Logger) {
        let thread = Thread {
            while true {
                do {
                    let deleted = try store.pruneAudit(before: Date(timeIntervalSinceNow: -Double(days) * 86_400))
                    if deleted > 0 { logger.info("pruned the audit trail", [("records", .int(Int64(deleted))), ("retention_days", .int(Int64(days)))]) }
                } catch {
                    logger.error("cannot prune the audit trail", [("error", .string("\(error)"))])
                }
                Thread.sleep(forTimeInterval: 3600)
            }
        }
        thread.name = "keyward.audit.retention"
        thread.start()
    }
}
