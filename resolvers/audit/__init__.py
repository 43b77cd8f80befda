"""Reading the audit log (writing it is `resolvers.common.audit.record`)."""
