extension HostReport.Check {
    /// A check the command line adds beside the kernel's (the installed copy's own, in `doctor`):
    /// reported, never required, so it cannot fail `doctor`.
    public static func advisory(_ name: String, ok: Bool, detail: String) -> HostReport.Check {
        HostReport.Check(name: name, ok: ok, required: false, detail: detail)
    }
}
