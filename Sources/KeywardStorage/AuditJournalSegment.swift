import Foundation

/// One of the audit journal's two files, reserved on disk and mapped into memory (`MAP_SHARED`): a header
/// line, the records written since it was last emptied, then zeros up to its reserved size. The journal
/// guards it with its lock, except while emptying a segment no one appends to.
final class AuditJournalSegment {
    static let initialSize = 16 << 20

    let path: String
    private let descriptor: Int32
    private(set) var mapping: UnsafeMutableRawPointer
    private(set) var mappedSize: Int
    let headerSize: Int
    /// Where the next record goes.
    private(set) var offset: Int
    /// The number of the last record written since it was last emptied; 0 when it holds none.
    private(set) var lastSeq: Int64 = 0
    /// Mappings replaced by a larger one, kept until the segment is emptied: records queued for the trail
    /// are read where they were written (the same pages of the file, `MAP_SHARED`).
    private var retired: [(pointer: UnsafeMutableRawPointer, size: Int)] = []

    /// Creates the file anew (mode 0600; what it held must already be in the trail), reserves and maps its
    /// first `initialSize` bytes and writes `header`.
    init(path: String, header: [UInt8]) throws {
        self.path = path
        descriptor = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw StorageFailure.unavailable("cannot open the audit journal \(path): \(String(cString: strerror(errno)))") }
        do {
            (mapping, mappedSize) = try Self.map(descriptor, size: Self.initialSize, path: path)
        } catch {
            close(descriptor)
            throw error
        }
        headerSize = header.count
        offset = header.count
        header.withUnsafeBytes { [mapping] in mapping.copyMemory(from: $0.baseAddress!, byteCount: header.count) }
    }

    deinit {
        unmapRetired()
        munmap(mapping, mappedSize)
        close(descriptor)
    }

    /// What the segment file at `path` holds before the zeros of its reservation (emptying a segment zeros
    /// it), read a MiB at a time: a start reads its records, not the 16 MiB or more reserved after them.
    static func written(at path: String) throws -> Data {
        let file = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        defer { try? file.close() }
        var written = Data()
        while let chunk = try file.read(upToCount: 1 << 20), !chunk.isEmpty {
            if let zero = chunk.firstIndex(of: 0) {
                written.append(chunk[..<zero])
                break
            }
            written.append(chunk)
        }
        return written
    }

    /// Reserves `size` bytes of the file on disk and maps them: a full disk is an error here, never a SIGBUS
    /// when a page is first written.
    private static func map(_ descriptor: Int32, size: Int, path: String) throws -> (UnsafeMutableRawPointer, Int) {
        let reserved = posix_fallocate(descriptor, 0, off_t(size))
        guard reserved == 0 else {
            throw StorageFailure.unavailable("cannot reserve \(size) bytes for the audit journal \(path): \(String(cString: strerror(reserved)))")
        }
        guard let pointer = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED, descriptor, 0), pointer != MAP_FAILED else {
            throw StorageFailure.unavailable("cannot map the audit journal \(path): \(String(cString: strerror(errno)))")
        }
        return (pointer, size)
    }

    /// Makes room for `needed` more bytes: a larger reservation, mapped anew.
    func reserve(_ needed: Int) throws {
        guard offset + needed > mappedSize else { return }
        var size = mappedSize
        while offset + needed > size { size *= 2 }
        let (pointer, newSize) = try Self.map(descriptor, size: size, path: path)
        retired.append((mapping, mappedSize))
        mapping = pointer
        mappedSize = newSize
    }

    /// Appends record `seq`'s line, which `write` writes at the address it is given and returns with its
    /// length and what it made of it. The room must have been reserved.
    func append<Written>(seq: Int64, _ write: (UnsafeMutableRawPointer) -> (length: Int, Written)) -> Written {
        let (length, written) = write(mapping + offset)
        offset += length
        lastSeq = seq
        return written
    }

    /// Zeros its records (all of them in the trail by now): replay reads up to the first zero. Not under the
    /// journal's lock, so only for a segment no one appends to; `markEmpty` then makes it writable again.
    func zeroRecords() {
        (mapping + headerSize).initializeMemory(as: UInt8.self, repeating: 0, count: offset - headerSize)
    }

    /// Writable again from its start. Its records are in the trail, so no one reads a retired mapping any more.
    func markEmpty() {
        offset = headerSize
        lastSeq = 0
        unmapRetired()
    }

    private func unmapRetired() {
        for (pointer, size) in retired { munmap(pointer, size) }
        retired.removeAll()
    }
}
