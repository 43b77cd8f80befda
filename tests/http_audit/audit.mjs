#!/usr/bin/env node
// GraphQL-over-HTTP conformance audit for a running Carnet API.
//
// Usage: node tests/http_audit/audit.mjs http://127.0.0.1:8000/graphql
//
// Runs every server audit shipped by the `graphql-http` package (the reference
// implementation of the GraphQL-over-HTTP spec) and prints one line per audit:
//   ok     <id> <name>
//   warn   <id> <name> -- <reason> (status, body excerpt)   failing SHOULD
//   error  <id> <name> -- <reason> (status, body excerpt)   failing MUST
//   notice <id> <name> -- <reason> (status, body excerpt)   failing MAY
// then a final machine-readable JSON line:
//   {"ok": N, "warn": N, "error": N, "notice": N}
// The exit code is non-zero if any audit is a warn or an error (notices are
// optional features and do not fail the run), or if the audit itself crashed.

import { auditServer } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs <graphql endpoint url>');
  process.exit(2);
}

// Keep each request bounded so a hung server fails the run instead of the CI job.
const REQUEST_TIMEOUT_MS = 10_000;
const fetchFn = (input, init = {}) =>
  fetch(input, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });

async function describe(response) {
  if (!response) return '';
  try {
    const body = (await response.clone().text()).replace(/\s+/g, ' ').slice(0, 200);
    const type = response.headers.get('content-type') ?? '-';
    return ` (HTTP ${response.status}, ${type}, body: ${body})`;
  } catch {
    return ` (HTTP ${response.status})`;
  }
}

let results;
try {
  results = await auditServer({ url, fetchFn });
} catch (err) {
  console.error(`audit crashed: ${err?.stack ?? err}`);
  process.exit(3);
}

const counts = { ok: 0, warn: 0, error: 0, notice: 0 };
for (const result of results) {
  counts[result.status] = (counts[result.status] ?? 0) + 1;
  const head = `${result.status.padEnd(6)} ${result.id} ${result.name}`;
  if (result.status === 'ok') {
    console.log(head);
  } else {
    console.log(`${head} -- ${result.reason}${await describe(result.response)}`);
  }
}

console.log(JSON.stringify(counts));
process.exit(counts.warn > 0 || counts.error > 0 ? 1 : 0);
