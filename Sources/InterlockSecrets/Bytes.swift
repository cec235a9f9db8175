

enum Bytes {
    @inline(__always) static func lower(_ b: UInt8) -> UInt8 { (b >= 0x41 && b <= 0x5A) ? b | 0x20 : b }

    static func hasPrefix(_ s: UnsafeBufferPointer<UInt8>, _ prefix: [UInt8]) -> Bool {
        guard s.count >= prefix.count else { return false }
        for i in 0..<prefix.count where s[i] != prefix[i] { return false }
        return true
    }

    static func hasSuffix(_ s: UnsafeBufferPointer<UInt8>, _ suffix: [UInt8]) -> Bool {
        guard s.count >= suffix.count else { return false }
        let offset = s.count - suffix.count
        for i in 0..<suffix.count where s[offset + i] != suffix[i] { return false }
        return true
    }
}
