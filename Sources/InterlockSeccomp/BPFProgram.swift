

/// A program as instructions, for splicing.
struct BPFProgram {
    var instructions: [BPFInstruction]

    init(bytes: [UInt8]) {
        instructions = stride(from: 0, to: bytes.count - bytes.count % 8, by: 8).map { base -> BPFInstruction in
            let code = UInt16(bytes[base]) | UInt16(bytes[base + 1]) << 8
            var k = UInt32(bytes[base + 7])
            for byte in bytes[(base + 4)..<(base + 7)].reversed() { k = k << 8 | UInt32(byte) }
            return BPFInstruction(code: code, jt: bytes[base + 2], jf: bytes[base + 3], k: k)
        }
    }

    var count: Int { instructions.count }

    /// Little-endian `struct sock_filter` array.
    var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(instructions.count * 8)
        for i in instructions {
            out += [UInt8(i.code & 0xff), UInt8(i.code >> 8), i.jt, i.jf,
                    UInt8(i.k & 0xff), UInt8(i.k >> 8 & 0xff), UInt8(i.k >> 16 & 0xff), UInt8(i.k >> 24)]
        }
        return out
    }

    mutating func append(_ more: [BPFInstruction]) {
        instructions += more
    }

    /// Turns every `ret K` for which `target(K)` names a (later) instruction into a jump there.
    mutating func redirect(_ target: (UInt32) -> Int?) {
        for i in instructions.indices where instructions[i].code == BPFInstruction.returnK {
            guard let destination = target(instructions[i].k) else { continue }
            precondition(destination > i, "BPF jumps go forward only")
            instructions[i] = BPFInstruction(code: BPFInstruction.jumpAlways, jt: 0, jf: 0, k: UInt32(destination - i - 1))
        }
    }
}
