#if canImport(Glibc)
import Glibc
#endif
import InterlockProfile
import InterlockSystem

extension Substring {
    var trimmingSpaces: Substring {
        var s = self
        while let f = s.first, f == " " || f == "\n" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\n" { s = s.dropLast() }
        return s
    }
}
