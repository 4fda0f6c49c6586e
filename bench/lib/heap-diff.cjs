// What grew between two heap snapshots (bench/lib/heap-probe.cjs writes them),
// by object kind and constructor name (DevTools' "Summary" view, as a diff):
//   node bench/lib/heap-diff.cjs before.heapsnapshot after.heapsnapshot [per] [n]
// `per`: divide by this (e.g. the number of calls up) to read bytes per call.
'use strict';
const fs = require('node:fs');

const [a, b, perArg, nArg] = process.argv.slice(2);
if (!a || !b) {
  console.error('usage: node bench/lib/heap-diff.cjs before.heapsnapshot after.heapsnapshot [per] [n]');
  process.exit(2);
}
const per = Number(perArg ?? 1);
const n = Number(nArg ?? 40);

function summary(file) {
  const snap = JSON.parse(fs.readFileSync(file, 'utf8'));
  const meta = snap.snapshot.meta;
  const fields = meta.node_fields;
  const types = meta.node_types[0];
  const stride = fields.length;
  const iType = fields.indexOf('type');
  const iName = fields.indexOf('name');
  const iSize = fields.indexOf('self_size');
  const out = new Map();
  const nodes = snap.nodes;
  for (let i = 0; i < nodes.length; i += stride) {
    const type = types[nodes[i + iType]];
    let name = snap.strings[nodes[i + iName]];
    // Strings and code by kind only; objects, closures and arrays by constructor / name.
    if (type === 'string' || type === 'concatenated string' || type === 'sliced string') name = '(string)';
    else if (type === 'code') name = '(code)';
    else if (type === 'number') name = '(heap number)';
    else if (name.length > 60) name = `${name.slice(0, 57)}...`;
    const key = `${type}\t${name}`;
    const e = out.get(key) ?? { count: 0, size: 0 };
    e.count++;
    e.size += nodes[i + iSize];
    out.set(key, e);
  }
  return out;
}

const before = summary(a);
const after = summary(b);
const rows = [];
let total = 0;
for (const [key, e] of after) {
  const o = before.get(key) ?? { count: 0, size: 0 };
  const d = { key, count: e.count - o.count, size: e.size - o.size };
  total += d.size;
  rows.push(d);
}
for (const [key, o] of before) if (!after.has(key)) { rows.push({ key, count: -o.count, size: -o.size }); total -= o.size; }
rows.sort((p, q) => q.size - p.size);
const f = (x) => (per > 1 ? `${(x / per).toFixed(1)}`.padStart(9) : String(x).padStart(12));
console.log(`grown: ${f(total)} bytes${per > 1 ? ` per 1/${per}` : ''} (self sizes)`);
console.log(`${'bytes'.padStart(per > 1 ? 9 : 12)} ${'objects'.padStart(8)}  type / name`);
for (const r of rows.slice(0, n)) console.log(`${f(r.size)} ${(per > 1 ? (r.count / per).toFixed(2) : String(r.count)).padStart(8)}  ${r.key.replace('\t', ' / ')}`);
