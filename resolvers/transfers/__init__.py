"""Contact transfers: CSV imports (request, file checks, the job) and exports (request,
the job that writes the CSV, download links)."""
