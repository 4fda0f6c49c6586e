// Prints the hottest functions and files of a V8 .cpuprofile, e.g. the emulator's
// when a benchmark ran with SS_BENCH_EMULATOR_NODE_OPTIONS="--cpu-prof --cpu-prof-dir=<dir>":
//
//   node -r ./bench/cjs-register.cjs bench/lib/print-profile.ts <file.cpuprofile> [n]
import { hotspots } from './profile';

const file = process.argv[2];
if (!file) {
  console.error('usage: node -r ./bench/cjs-register.cjs bench/lib/print-profile.ts <file.cpuprofile> [n]');
  process.exit(2);
}
const h = hotspots(file, Number(process.argv[3] ?? 30));
console.log(`${h.busyMs.toFixed(0)} ms not idle\nself time by function:`);
for (const l of h.functions) console.log(`  ${l}`);
console.log('self time by file:');
for (const l of h.files.slice(0, 15)) console.log(`  ${l}`);
