import Foundation
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The real `keyward` binary, run as a server or as a CLI command, exactly as a user would.
enum KeywardBinary {
    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// KEYWARD_BIN, else the debug build. `make test` builds it before running the tests.
    static var path: String {
        get throws {
            let path = ProcessInfo.processInfo.environment["KEYWARD_BIN"]
                ?? packageRoot.appendingPathComponent(".build/debug/keyward").path
            guard FileManager.default.isExecutableFile(atPath: path) else {
                Issue.record("no keyward binary at \(path): run `swift build` (make test does) or set KEYWARD_BIN")
                throw CancellationError()
            }
            return path
        }
    }

    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
        var json: Any? { try? JSONSerialization.jsonObject(with: Data(stdout.utf8)) }
    }

    /// Runs one CLI command to completion.
    static func run(_ arguments: [String], environment: [String: String], stdin: String? = nil,
                    executable: String? = nil) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try executable ?? path)
        process.arguments = arguments
        process.environment = environment
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let stdoutData = out.fileHandleForReading.readDataToEndOfFile()
        let stderrData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: stdoutData, as: UTF8.self),
                      stderr: String(decoding: stderrData, as: UTF8.self))
    }
}

/// A running `keyward serve` on a free loopback port, with its own data directory.
final class KeywardServer {
    let process = Process()
    let dataDirectory: URL
    let port: Int
    private let stderrPipe = Pipe()
    private let stdoutPipe = Pipe()
    private let output = OutputCollector()

    /// Whether the data directory outlives this server (for starting another on it after a crash).
    private let keepsData: Bool

    /// `dataDirectory`: serve from this one (a server that was killed) instead of a new one, and leave it.
    init(extraArguments: [String] = [], environment: [String: String] = [:], dataDirectory existing: URL? = nil) throws {
        keepsData = existing != nil
        dataDirectory = existing ?? FileManager.default.temporaryDirectory.appendingPathComponent("keyward-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
        process.executableURL = URL(fileURLWithPath: try KeywardBinary.path)
        process.arguments = ["serve", "--listen", "127.0.0.1:0", "--data-dir", dataDirectory.path, "--threads", "2"] + extraArguments
        process.environment = ["PATH": "/usr/bin:/bin"].merging(environment) { $1 }
        process.standardError = stderrPipe
        process.standardOutput = stdoutPipe
        let collector = output
        stderrPipe.fileHandleForReading.readabilityHandler = { handle in collector.append(err: handle.availableData) }
        stdoutPipe.fileHandleForReading.readabilityHandler = { handle in collector.append(out: handle.availableData) }
        try process.run()
        // The "listening" log line says which port the kernel gave us.
        guard let port = output.waitForListeningPort(timeoutSeconds: 60) else {
            process.terminate()
            throw ServerDidNotStart(log: output.stderr)
        }
        self.port = port
    }

    struct ServerDidNotStart: Error, CustomStringConvertible {
        let log: String
        var description: String { "keyward serve did not start:\n\(log)" }
    }

    var url: String { "http://127.0.0.1:\(port)" }
    var stderr: String { output.stderr }
    var stdout: String { output.stdout }

    var operatorToken: String {
        get throws {
            try String(contentsOf: dataDirectory.appendingPathComponent("operator-token"), encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    /// Sends SIGTERM and waits for the process to exit; returns its exit status.
    func stop() -> Int32 {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        stderrPipe.fileHandleForReading.readabilityHandler = nil
        stdoutPipe.fileHandleForReading.readabilityHandler = nil
        output.append(err: stderrPipe.fileHandleForReading.readDataToEndOfFile())
        return process.terminationStatus
    }

    /// SIGKILL: no shutdown, no flush; whatever was not committed is lost, as in a crash.
    func kill() {
        if process.isRunning {
            Foundation.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        stderrPipe.fileHandleForReading.readabilityHandler = nil
        stdoutPipe.fileHandleForReading.readabilityHandler = nil
    }

    /// Keeps the data directory for another server: the caller removes it.
    func keepData() -> URL { dataDirectory }

    deinit {
        if process.isRunning { process.terminate(); process.waitUntilExit() }
        if !keepsData { try? FileManager.default.removeItem(at: dataDirectory) }
    }

    /// One HTTP request to the API with URLSession.
    func request(_ method: String, _ path: String, token: String?, body: String? = nil) async throws -> (Int, [String: Any]) {
        var request = URLRequest(url: URL(string: url + path)!)
        request.httpMethod = method
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let body {
            request.httpBody = Data(body.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        let json = (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, json)
    }
}

final class OutputCollector: @unchecked Sendable {
    private let condition = NSCondition()
    private var err = Data()
    private var out = Data()

    func append(err data: Data) {
        condition.lock(); err.append(data); condition.broadcast(); condition.unlock()
    }

    func append(out data: Data) {
        condition.lock(); out.append(data); condition.unlock()
    }

    var stderr: String { condition.lock(); defer { condition.unlock() }; return String(decoding: err, as: UTF8.self) }
    var stdout: String { condition.lock(); defer { condition.unlock() }; return String(decoding: out, as: UTF8.self) }

    func waitForListeningPort(timeoutSeconds: Double) -> Int? {
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        condition.lock()
        defer { condition.unlock() }
        while true {
            let text = String(decoding: err, as: UTF8.self)
            for line in text.split(separator: "\n") where line.contains("\"msg\":\"listening\"") {
                if let range = line.range(of: #"127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                    return Int(line[range].split(separator: ":").last!)
                }
            }
            if !condition.wait(until: deadline) { return nil }
        }
    }
}
