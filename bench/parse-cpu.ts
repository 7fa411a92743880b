/**
 * Where one parser thread's CPU goes, phase by phase, over a directory of delivery files (default: bench/load.ts's
 * 1M org-shape set): read, gunzip (plain and sized from the gzip trailer), both into buffers reused from file to
 * file, the JSON.parse path (records split and parsed), CompactBuilder's work on the parsed records, the fast
 * extractor, and the main thread's merge. Single thread, CPU seconds (wall time on a shared machine mostly
 * measures the wait for a core).
 *
 *   npx tsx bench/parse-cpu.ts [--dir DIR] [--limit N] [--json-parse false]   # false: without the JSON.parse path's phases
 *   npx tsx bench/parse-cpu.ts --limit 3000 --scan-passes 4   # only the delivery scan, N passes over the files inflated in memory
 * Add `--cpu-prof` before the script (node --cpu-prof --import tsx bench/parse-cpu.ts) for a profile.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT } from '../cloudtrail/config.ts';
import { listCloudTrailFiles } from '../cloudtrail/readers/walk.ts';
import { inflate } from '../cloudtrail/readers/file.ts';
import { FileBytes } from '../cloudtrail/readers/file-bytes.ts';
import { splitDeliveryRecords } from '../cloudtrail/readers/split.ts';
import { CompactBuilder, type CompactResult } from '../cloudtrail/readers/compact.ts';
import { IdentityTable, ScannedFile, scanDeliveryFields } from '../cloudtrail/readers/delivery-scan.ts';
import { mergeParts } from '../cloudtrail/readers/columns.ts';
import { loadLine } from './cpu.ts';

const { values } = parseArgs({
  options: {
    dir: { type: 'string', default: join(PROJECT_ROOT, '.cache', 'bench', 'load-1000000-accounts2') },
    limit: { type: 'string' },
    'scan-passes': { type: 'string' },
    'json-parse': { type: 'string', default: 'true' },
  },
});

const cpu = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1e6;
};
const { files: all } = await listCloudTrailFiles(values.dir!);
const files = values.limit ? all.slice(0, Number(values.limit)) : all;
const jsonParse = values['json-parse'] !== 'false';

if (values['scan-passes']) {
  // The walk alone: the first pass also meets each identity and warms the compiler.
  const jsons = files.map((f) => inflate(readFileSync(f), f));
  const mb = jsons.reduce((n, j) => n + j.length, 0) / 1e6;
  const identities = new IdentityTable();
  const out = new ScannedFile();
  const passes: string[] = [];
  for (let p = 0; p < Number(values['scan-passes']); p++) {
    const t = cpu();
    for (const j of jsons) scanDeliveryFields(j, identities, out);
    const s = cpu() - t;
    passes.push(`${s.toFixed(3)} CPU-s (${(mb / s).toFixed(0)} MB/s)`);
  }
  console.log(`scanDeliveryFields over ${jsons.length} files, ${mb.toFixed(0)} MB of JSON, pass by pass: ${passes.join(', ')}; ${loadLine()}`);
  process.exit(0);
}
const rows: [string, number][] = [];
const phase = <T>(name: string, fn: () => T): T => {
  const t = cpu();
  const out = fn();
  rows.push([name, cpu() - t]);
  return out;
};

/** Each file goes through the phases in turn and is then dropped, as in a parser thread (holding 1.4 GB of JSON would measure page faults). */
const spent = new Map<string, number>();
const time = <T>(name: string, fn: () => T): T => {
  const t = cpu();
  const out = fn();
  spent.set(name, (spent.get(name) ?? 0) + cpu() - t);
  return out;
};
let bytes = 0;
const identities = new IdentityTable();
const scannedFile = new ScannedFile();
const reused = new FileBytes();
for (const f of files) {
  const raw = time('read', () => readFileSync(f));
  time('gunzip (gunzipSync, 16 KB chunks)', () => gunzipSync(raw));
  const json = time('gunzip (inflate: one chunk sized from the trailer)', () => inflate(raw, f));
  time('read+gunzip into buffers reused from file to file (FileBytes, what the builder does)', () => reused.read(f));
  bytes += json.length;
  if (jsonParse) time('JSON.parse path: records of the file (split.ts pieces, or whole)', () => splitDeliveryRecords(json) ?? JSON.parse(json.toString('latin1')));
  time('scanDeliveryFields: where the kept fields of the records lie', () => scanDeliveryFields(json, identities, scannedFile));
}
for (const [name, s] of spent) rows.push([name, s]);
const mb = bytes / 1e6;
let parts: CompactResult[] = [];
if (jsonParse)
  phase('CompactBuilder.addFile, JSON.parse path (read+gunzip+parse+build, all files)', () => {
    const b = new CompactBuilder(false);
    files.forEach((f, i) => b.addFile(i, f));
    parts = [b.finish()];
  });
let scanned = 0;
phase('CompactBuilder.addFile, delivery scan (read+gunzip+scan+build from the bytes, all files)', () => {
  const b = new CompactBuilder();
  files.forEach((f, i) => b.addFile(i, f));
  parts = [b.finish()];
  scanned = b.scannedFiles;
});
phase('mergeParts (main thread)', () => mergeParts(parts));

console.log(`${files.length} files (${scanned} scanned, the rest by JSON.parse), ${mb.toFixed(0)} MB of JSON, ${parts[0].count} events; ${loadLine()}`);
for (const [name, s] of rows) console.log(`${s.toFixed(2).padStart(7)} CPU-s  ${name}`);
