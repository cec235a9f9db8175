/// Credential discovery: which files and environment variables a sandbox must not see.
///
/// `SecretsScanner.scan` is the entry point: it walks the `[[home]]` locations, the workspace
/// (file names everywhere, content of text files outside dependency and build trees, with a
/// cache keyed by inode so that repeat runs read nothing unchanged) and the environment, then
/// applies the profile's `allow_files` / `allow_env` grants. The rules are data
/// (`profiles/secrets/rules.toml`, embedded as `SecretRuleSet.builtin`).
///
/// For whoever masks the result: every `DiscoveredSecret.path` is absolute and real (symlinks
/// resolved) and never `/`, a top-level directory, something under /proc, /sys or /dev, nor an
/// ancestor of HOME or the workspace. `kind` says what to put over it: a directory (hide whole;
/// nothing inside it is listed separately), a regular file, or a Unix socket (an agent or an ssh
/// ControlMaster connection: reachable by connect(2) even on a read-only mount). No Foundation.
public enum SecretsModule {}
