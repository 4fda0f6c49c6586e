#!/usr/bin/env node
// Tallies one test run: the per-run JSON files the Jest reporter wrote, plus the
// checks that are not Jest (lint, typecheck, build), one count per Nx task.
// Usage: node tools/test-summary.mjs <results-dir>
// <results-dir>/tasks.tsv lines: "<target>\t<project>\t<ok|failed>" for every Nx task run.
// Prints a table and, last, alone on its line: "N passed, N failed[, N skipped]".
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
if (!dir || !existsSync(dir)) {
  console.error('usage: node tools/test-summary.mjs <results-dir>');
  process.exit(2);
}
const jestRuns = new Map();
const failures = [];
for (const f of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
  const r = JSON.parse(readFileSync(join(dir, f), 'utf8'));
  for (const x of r.failures ?? []) failures.push({ task: r.task, ...x });
  const prev = jestRuns.get(r.task) ?? { passed: 0, failed: 0, skipped: 0 };
  jestRuns.set(r.task, { passed: prev.passed + r.passed, failed: prev.failed + r.failed, skipped: prev.skipped + r.skipped });
}
const tasksFile = join(dir, 'tasks.tsv');
const tasks = existsSync(tasksFile)
  ? readFileSync(tasksFile, 'utf8').split('\n').filter(Boolean).map((l) => l.split('\t'))
  : [];

let passed = 0, failed = 0, skipped = 0;
const rows = [];
for (const [target, project, status] of tasks) {
  const task = `${project}:${target}`;
  const jest = jestRuns.get(task);
  if (jest) {
    // A Jest task counts its tests; a task that failed with no failing test
    // (a crash after the run, a coverage threshold) still counts one failure.
    const extra = status === 'failed' && jest.failed === 0 ? 1 : 0;
    passed += jest.passed; failed += jest.failed + extra; skipped += jest.skipped;
    rows.push([task, `${jest.passed} passed, ${jest.failed + extra} failed${jest.skipped ? `, ${jest.skipped} skipped` : ''}`]);
    jestRuns.delete(task);
  } else if (status === 'ok') {
    passed += 1;
    rows.push([task, 'ok']);
  } else {
    failed += 1;
    rows.push([task, status === 'failed' ? 'FAILED' : status]);
  }
}
for (const [task, jest] of jestRuns) {
  passed += jest.passed; failed += jest.failed; skipped += jest.skipped;
  rows.push([task, `${jest.passed} passed, ${jest.failed} failed`]);
}
if (failures.length > 0) {
  // Named again here, after the long logs, with the first lines of each error.
  console.log(`Failed tests (${failures.length}):`);
  for (const f of failures) {
    console.log(`  ✕ [${f.task}] ${f.test}`);
    for (const line of f.message.split('\n')) console.log(`      ${line.slice(0, 300)}`);
  }
  console.log();
}
const width = Math.max(10, ...rows.map(([t]) => t.length));
for (const [t, s] of rows) console.log(`  ${t.padEnd(width)}  ${s}`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 ? 1 : 0);
