"""arq jobs: thin wrappers that call resolver functions with ids."""
