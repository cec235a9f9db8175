/// The egress proxy: the only way out of the sandbox network namespace.
public enum EgressModule {}
