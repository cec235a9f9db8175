

/// One classic-BPF instruction (`struct sock_filter`).
struct BPFInstruction: Equatable {
    var code: UInt16
    var jt: UInt8
    var jf: UInt8
    var k: UInt32

    static let loadWord: UInt16 = 0x20  // BPF_LD | BPF_W | BPF_ABS
    static let andK: UInt16 = 0x54  // BPF_ALU | BPF_AND | BPF_K
    static let jumpAlways: UInt16 = 0x05  // BPF_JMP | BPF_JA
    static let jumpEqual: UInt16 = 0x15  // BPF_JMP | BPF_JEQ | BPF_K
    static let jumpGreater: UInt16 = 0x25  // BPF_JMP | BPF_JGT | BPF_K
    static let jumpGreaterOrEqual: UInt16 = 0x35  // BPF_JMP | BPF_JGE | BPF_K
    static let returnK: UInt16 = 0x06  // BPF_RET | BPF_K

    static func load(_ offset: UInt32) -> BPFInstruction { BPFInstruction(code: loadWord, jt: 0, jf: 0, k: offset) }
    static func and(_ mask: UInt32) -> BPFInstruction { BPFInstruction(code: andK, jt: 0, jf: 0, k: mask) }
    static func jump(_ code: UInt16, _ k: UInt32, _ jt: UInt8, _ jf: UInt8) -> BPFInstruction {
        BPFInstruction(code: code, jt: jt, jf: jf, k: k)
    }
    static func ret(_ action: UInt32) -> BPFInstruction { BPFInstruction(code: returnK, jt: 0, jf: 0, k: action) }
}
