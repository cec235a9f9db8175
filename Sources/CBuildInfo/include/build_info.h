#ifndef INTERLOCK_BUILD_INFO_H
#define INTERLOCK_BUILD_INFO_H

/// The commit this binary was built from (Package.swift defines it), or "" when unknown.
const char *interlock_build_commit(void);

#endif
