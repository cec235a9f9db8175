/// `"512M"`, `"4G"`, `"4GiB"`, `"1048576"`, `"1048576B"`: powers of 1024, case-insensitive units.
enum MemorySize: Equatable {
    case bytes(UInt64)
    case invalid
    case tooLarge

    static func parse(_ text: String) -> MemorySize {
        let utf8 = Array(text.utf8)
        var end = 0
        while end < utf8.count, utf8[end] >= 0x30, utf8[end] <= 0x39 { end += 1 }
        guard end > 0 else { return .invalid }
        let unit = String(decoding: utf8[end...], as: UTF8.self).lowercased()
        let shift: UInt64
        switch unit {
        case "", "b": shift = 0
        case "k", "kb", "kib": shift = 10
        case "m", "mb", "mib": shift = 20
        case "g", "gb", "gib": shift = 30
        case "t", "tb", "tib": shift = 40
        default: return .invalid
        }
        var number: UInt64 = 0
        for digit in utf8[..<end] {
            let (m, o1) = number.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(UInt64(digit - 0x30))
            guard !o1, !o2 else { return .tooLarge }
            number = s
        }
        let limit = UInt64(Int64.max) >> shift
        guard number <= limit else { return .tooLarge }
        return .bytes(number << shift)
    }

    /// The shortest exact rendering: `"8G"`, `"1536M"`, or plain bytes.
    static func format(_ bytes: UInt64) -> String {
        for (shift, suffix) in [(40, "T"), (30, "G"), (20, "M"), (10, "K")] as [(UInt64, String)] {
            if bytes != 0, bytes & ((1 << shift) - 1) == 0 { return String(bytes >> shift) + suffix }
        }
        return String(bytes)
    }
}
