// Bytes allocated by function (self and inclusive), from a sampling heap profile
// written by bench/lib/alloc-profile.cjs:  node bench/lib/alloc-top.cjs <file> [n]
const fs = require('node:fs');

const [file, nArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: node bench/lib/alloc-top.cjs <file.heapprofile> [n]');
  process.exit(2);
}
const n = Number(nArg ?? 25);
const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
const self = new Map();
const inclusive = new Map();
let total = 0;
const walk = (node, above) => {
  const f = node.callFrame;
  const key = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*?\/(dist|node_modules)\//, '$1/')}:${f.lineNumber + 1}`;
  total += node.selfSize;
  self.set(key, (self.get(key) ?? 0) + node.selfSize);
  const here = new Set(above).add(key);
  for (const k of here) inclusive.set(k, (inclusive.get(k) ?? 0) + node.selfSize);
  for (const c of node.children) walk(c, here);
};
walk(profile.head, new Set());
const mb = (x) => `${(x / 1048576).toFixed(1)} MB`.padStart(10);
console.log(`${mb(total)} allocated in all (sampled)`);
console.log('self:');
for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, n)) console.log(`${mb(v)}  ${k}`);
console.log('inclusive (project code):');
for (const [k, v] of [...inclusive].filter(([k]) => k.includes(' dist/')).sort((a, b) => b[1] - a[1]).slice(0, n)) console.log(`${mb(v)}  ${k}`);
