/// Credential discovery: which files and environment variables a sandbox must not see.
public enum SecretsModule {}
