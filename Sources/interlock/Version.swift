/// The version `interlock --version` prints; CHANGELOG.md lists what each version changed.
enum Version {
    static let current = "0.6.0"
}
