import InterlockJSON
import InterlockProfile

enum Glob {
    /// `*` matches any run of characters (within one path segment when `pathMode`); `**`
    /// matches across segments. Everything else literally.
    static func matches(_ pattern: String, _ text: String, pathMode: Bool) -> Bool {
        let p = Array(pattern.utf8), t = Array(text.utf8)
        func match(_ pi: Int, _ ti: Int) -> Bool {
            var pi = pi, ti = ti
            while pi < p.count {
                if p[pi] == 0x2A {
                    let double = pi + 1 < p.count && p[pi + 1] == 0x2A
                    let next = pi + (double ? 2 : 1)
                    if next == p.count { return double || !pathMode || !t[ti...].contains(0x2F) }
                    var k = ti
                    while k <= t.count {
                        if match(next, k) { return true }
                        if k < t.count, pathMode, !double, t[k] == 0x2F { return false }
                        k += 1
                    }
                    return false
                }
                guard ti < t.count, p[pi] == t[ti] else { return false }
                pi += 1
                ti += 1
            }
            return ti == t.count
        }
        return match(0, 0)
    }
}
