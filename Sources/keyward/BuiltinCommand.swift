import Foundation
import KeywardCore
import KeywardProviders
import KeywardStorage

/// `keyward builtin rotate-master-key`: works on the database and the key file directly, like `serve`,
/// and may run while servers are serving.
enum BuiltinCommand {
    static let help = """
        Usage: keyward builtin rotate-master-key [--data-dir DIR] [--database LOCATION]

        Generates a new master key for the built-in store, adds it to DATA_DIR/master.key as the current key
        (keeping the previous one), and rewraps every data key with it in one transaction. Secrets are not
        re-encrypted: their data keys do not change. Running servers keep working throughout.

        With KEYWARD_MASTER_KEY set, the new key is yours: run every server with KEYWARD_MASTER_KEY=NEW,OLD,
        then run this with the same setting; it rewraps every data key with NEW (the first key). Then drop OLD.

        Options:
          --data-dir DIR          Where the key file lives (KEYWARD_DATA_DIR, default ./.keyward)
          --database LOCATION     sqlite:PATH or postgres://… (KEYWARD_DATABASE, default sqlite:DATA_DIR/keyward.db)
        """

    static func run(_ arguments: [String]) -> Int32 {
        guard arguments.first == "rotate-master-key" else {
            CLIOutput.error(help)
            return ExitCode.usage
        }
        let parsed: ParsedArguments
        do { parsed = try ParsedArguments(Array(arguments.dropFirst()), options: ["data-dir", "database"], flags: []) } catch {
            CLIOutput.error("\(error)\n\n\(help)")
            return ExitCode.usage
        }
        if parsed.help { print(help); return ExitCode.success }
        let environment = ProcessInfo.processInfo.environment
        umask(0o077)
        let dataDirectory = URL(fileURLWithPath: parsed.value("data-dir") ?? environment["KEYWARD_DATA_DIR"] ?? "./.keyward")
        do {
            let location = try StoreLocation(parsing: parsed.value("database") ?? environment["KEYWARD_DATABASE"]
                                             ?? "sqlite:\(dataDirectory.appendingPathComponent("keyward.db").path)")
            let store = try location.open(poolSize: 2)
            let result = try MasterKeyRotation.rotate(store: store, keyFile: dataDirectory.appendingPathComponent("master.key"),
                                                      environment: environment)
            print("Rotated the master key \(result.from) → \(result.to); rewrapped \(result.rewrapped) data key(s).")
            return ExitCode.success
        } catch let error as KeywardError {
            CLIOutput.error("\(error.detail)\(error.hint.map { "\n\($0)" } ?? "")")
            return ExitCode.failure
        } catch {
            CLIOutput.error("\(error)")
            return ExitCode.failure
        }
    }
}
