extension SchemaReader {
    /// `requires = ">= X.Y[.Z]"`: a profile written for a newer Interlock is refused by an older
    /// one, at the key's line, instead of running with parts of it not understood.
    func checkRequirement(_ value: TOMLValue, version: String = InterlockVersion.current) throws(ProfileError) {
        let text = try string(value)
        guard let requirement = VersionRequirement(parsing: text) else {
            throw fail(value, Messages.invalidRequirement(text))
        }
        guard requirement.isSatisfied(by: version) else {
            throw fail(value, Messages.requirementNotMet(requirement, version: version))
        }
    }
}
