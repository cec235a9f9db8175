import CZlib

/// The commits a push's pack carries, named by their ids as git computes them, with their
/// parents: enough to prove that an update is a fast-forward (the new commit reaches the old
/// one through commits of the pack).
///
/// The proof never guesses: ids are computed here from the objects' content, so a commit
/// found here is the commit the server stores under that id. Anything not understood (a
/// damaged or unusual pack, a delta against an object the pack does not carry, a SHA-256
/// repository, more than the limits below) proves nothing, and the update counts as a rewrite.
package struct GitPackCommits {
    /// Commit id → its parents' ids.
    package private(set) var parents: [String: [String]] = [:]

    static let maxObjectSize = 16 << 20
    static let maxInflated = 64 << 20

    package init(pack: ArraySlice<UInt8>) {
        parents = Self.read(Array(pack)) ?? [:]
    }

    /// `old` is reached from `new` through commits of the pack.
    package func proves(_ new: String, descendsFrom old: String) -> Bool {
        var queue = [new], seen: Set<String> = [new]
        while let id = queue.popLast() {
            guard let next = parents[id] else { continue }
            for parent in next {
                if parent == old { return true }
                if seen.insert(parent).inserted { queue.append(parent) }
            }
        }
        return false
    }

    private enum Kind: Int { case commit = 1, tree = 2, blob = 3, tag = 4, offsetDelta = 6, referenceDelta = 7 }

    private static func read(_ pack: [UInt8]) -> [String: [String]]? {
        guard pack.count >= 12 + 20, pack.starts(with: Array("PACK".utf8)) else { return nil }
        let version = be32(pack, 4), count = be32(pack, 8)
        guard version == 2 || version == 3, count <= pack.count else { return nil }
        var commitsByOffset: [Int: [UInt8]] = [:]
        var commitsByID: [String: [UInt8]] = [:]
        var parents: [String: [String]] = [:]
        var position = 12
        var inflatedTotal = 0
        for _ in 0..<count {
            let start = position
            guard position < pack.count else { return nil }
            var byte = pack[position]
            position += 1
            guard let kind = Kind(rawValue: Int(byte >> 4 & 0x7)) else { return nil }
            var size = Int(byte & 0x0F), shift = 4
            while byte & 0x80 != 0 {
                guard position < pack.count, shift < 32 else { return nil }
                byte = pack[position]
                position += 1
                size |= Int(byte & 0x7F) << shift
                shift += 7
            }
            guard size <= maxObjectSize else { return nil }
            var base: [UInt8]?
            switch kind {
            case .offsetDelta:
                guard position < pack.count else { return nil }
                var c = pack[position]
                position += 1
                var offset = Int(c & 0x7F)
                while c & 0x80 != 0 {
                    guard position < pack.count, offset < 1 << 40 else { return nil }
                    c = pack[position]
                    position += 1
                    offset = (offset + 1) << 7 | Int(c & 0x7F)
                }
                guard offset > 0, offset <= start else { return nil }
                base = commitsByOffset[start - offset]
            case .referenceDelta:
                guard position + 20 <= pack.count else { return nil }
                base = commitsByID[hex(pack[position..<position + 20])]
                position += 20
            default:
                break
            }
            // Only commits (and deltas on commits) are kept; everything else is inflated to find its end.
            let keep = kind == .commit || base != nil
            guard let inflated = inflate(pack, at: position, size: size, keep: keep) else { return nil }
            let (data, used) = inflated
            position += used
            inflatedTotal += size
            guard inflatedTotal <= maxInflated else { return nil }
            var commit: [UInt8]?
            if kind == .commit { commit = data }
            if let base, let data { commit = apply(delta: data, to: base) }
            guard let commit else { continue }
            let id = GitSHA1.hex(Array("commit \(commit.count)\0".utf8) + commit)
            commitsByOffset[start] = commit
            commitsByID[id] = commit
            if let list = commitParents(commit) { parents[id] = list }
        }
        // The trailer: the pack's own checksum, and nothing after it.
        guard position + 20 == pack.count, GitSHA1.hex(Array(pack[..<position])) == hex(pack[position...]) else { return nil }
        return parents
    }

    private static func be32(_ b: [UInt8], _ i: Int) -> Int {
        Int(b[i]) << 24 | Int(b[i + 1]) << 16 | Int(b[i + 2]) << 8 | Int(b[i + 3])
    }

    private static func hex(_ bytes: ArraySlice<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        return String(decoding: bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0xF)]] }, as: UTF8.self)
    }

    /// One zlib stream at `at` that inflates to exactly `size` bytes: (the bytes if `keep`, the
    /// compressed length).
    private static func inflate(_ pack: [UInt8], at offset: Int, size: Int, keep: Bool) -> ([UInt8]?, Int)? {
        var stream = z_stream()
        guard inflateInit_(&stream, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return nil }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        var produced = 0
        var ended = false
        let ok: Bool = pack.withUnsafeBufferPointer { source in
            guard let base = source.baseAddress else { return false }
            stream.next_in = UnsafeMutablePointer(mutating: base + offset)
            stream.avail_in = UInt32(source.count - offset)
            while !ended {
                let status = chunk.withUnsafeMutableBufferPointer { out -> Int32 in
                    stream.next_out = out.baseAddress
                    stream.avail_out = UInt32(out.count)
                    return CZlib.inflate(&stream, Z_NO_FLUSH)
                }
                let made = chunk.count - Int(stream.avail_out)
                produced += made
                if produced > size { return false }
                if keep { output += chunk[..<made] }
                if status == Z_STREAM_END { ended = true; break }
                guard status == Z_OK else { return false }
            }
            return true
        }
        guard ok, ended, produced == size else { return nil }
        return (keep ? output : nil, Int(stream.total_in))
    }

    /// git's delta format: the base's size, the result's size, then copy and insert instructions.
    private static func apply(delta: [UInt8], to base: [UInt8]) -> [UInt8]? {
        var i = 0
        func varint() -> Int? {
            var value = 0, shift = 0
            while true {
                guard i < delta.count, shift < 32 else { return nil }
                let c = delta[i]
                i += 1
                value |= Int(c & 0x7F) << shift
                shift += 7
                if c & 0x80 == 0 { return value }
            }
        }
        guard let sourceSize = varint(), sourceSize == base.count, let resultSize = varint(), resultSize <= maxObjectSize else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(resultSize)
        while i < delta.count {
            let op = delta[i]
            i += 1
            if op & 0x80 != 0 {
                var offset = 0, length = 0
                for bit in 0..<4 where op & (1 << bit) != 0 {
                    guard i < delta.count else { return nil }
                    offset |= Int(delta[i]) << (8 * bit)
                    i += 1
                }
                for bit in 0..<3 where op & (0x10 << bit) != 0 {
                    guard i < delta.count else { return nil }
                    length |= Int(delta[i]) << (8 * bit)
                    i += 1
                }
                if length == 0 { length = 0x10000 }
                guard offset + length <= base.count, out.count + length <= resultSize else { return nil }
                out += base[offset..<offset + length]
            } else if op != 0 {
                let length = Int(op)
                guard i + length <= delta.count, out.count + length <= resultSize else { return nil }
                out += delta[i..<i + length]
                i += length
            } else {
                return nil
            }
        }
        return out.count == resultSize ? out : nil
    }

    /// The parents as git reads them: the `parent` lines right after the `tree` line.
    private static func commitParents(_ commit: [UInt8]) -> [String]? {
        var lines = commit.split(separator: 0x0A, omittingEmptySubsequences: false).makeIterator()
        guard let first = lines.next(), first.starts(with: Array("tree ".utf8)) else { return nil }
        var result: [String] = []
        while let line = lines.next(), line.starts(with: Array("parent ".utf8)) {
            let id = line.dropFirst(7)
            guard id.count == 40, id.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else { return nil }
            result.append(String(decoding: id, as: UTF8.self))
        }
        return result
    }
}
