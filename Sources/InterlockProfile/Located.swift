/// A value with the 1-based line it was read from.
struct Located<Value> {
    var value: Value
    var line: Int
}
