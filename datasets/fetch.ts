/**
 * `tiny-bench fetch`: reference models and the public kws01 set from pinned
 * upstream locations (or a mirror folder / URL for offline labs), each file
 * verified against its sha256, downloads resumed from a .part file after an
 * interruption. Fills the folder `run` reads when no --data-dir is given.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

import { z } from 'zod';

import { describeZodIssue } from '../host/core/zod-issue.js';
import { DatasetError, TinyBenchError } from '../host/errors.js';
import { packageRoot } from '../host/paths.js';
import type { Progress } from '../host/core/progress.js';

const ManifestFile = z.object({
  path: z.string().regex(/^(models|datasets)\/[^\0]+$/, 'a path below models/ or datasets/'),
  source: z.string(),
  upstream: z.string(),
  size: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, '64 lower-case hex digits'),
});
const Manifest = z.object({ version: z.literal(1), sources: z.record(z.string(), z.string()), files: z.array(ManifestFile) });
type Manifest = z.infer<typeof Manifest>;

export interface FetchOptions {
  dest: string;
  /** A folder in the data-dir layout, or a URL serving it. */
  mirror?: string;
  /** Which groups: models, kws01. Default both. */
  only?: Array<'models' | 'kws01'>;
  progress: Progress;
  /** Attempts per file (each resumes where the previous stopped). */
  attempts?: number;
  timeoutMs?: number;
}

export interface FetchSummary {
  downloaded: number;
  alreadyPresent: number;
  bytes: number;
}

export function loadManifest(path = join(packageRoot(), 'datasets', 'manifests', 'fetch-manifest.json')): Manifest {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new DatasetError(`${path}: not readable JSON (${error instanceof Error ? error.message : String(error)}); reinstall tiny-bench`);
  }
  const parsed = Manifest.safeParse(json);
  if (!parsed.success) throw new DatasetError(`${path}: ${describeZodIssue(parsed.error, 'manifest')}; reinstall tiny-bench`);
  const unknown = parsed.data.files.find((f) => !(f.source in parsed.data.sources));
  if (unknown) throw new DatasetError(`${path}: ${unknown.path} names source ${JSON.stringify(unknown.source)}, which the manifest does not list`);
  return parsed.data;
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function download(url: string, part: string, timeoutMs: number): Promise<void> {
  const have = existsSync(part) ? statSync(part).size : 0;
  const response = await fetch(url, { headers: have ? { Range: `bytes=${have}-` } : {}, signal: AbortSignal.timeout(timeoutMs) });
  if (response.status === 416) return; // already complete
  if (!response.ok || !response.body) throw new TinyBenchError(`${url}: HTTP ${response.status}`);
  const append = response.status === 206 && have > 0;
  const out = createWriteStream(part, { flags: append ? 'a' : 'w' });
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      if (!out.write(chunk)) await new Promise((r) => out.once('drain', r));
    }
  } finally {
    await new Promise((r) => out.end(r));
  }
}

export async function fetchData(options: FetchOptions): Promise<FetchSummary> {
  const manifest = loadManifest();
  const groups = options.only ?? ['models', 'kws01'];
  const files = manifest.files.filter((f) => groups.some((g) => (g === 'models' ? f.path.startsWith('models/') : f.path.startsWith(`datasets/${g}/`))));
  const dest = resolve(options.dest);
  const attempts = options.attempts ?? 5;
  const summary: FetchSummary = { downloaded: 0, alreadyPresent: 0, bytes: 0 };
  const mirrorIsUrl = options.mirror !== undefined && /^https?:\/\//.test(options.mirror);
  options.progress.start(`fetch into ${dest}`, files.length);
  for (const [index, file] of files.entries()) {
    const target = join(dest, file.path);
    if (existsSync(target) && statSync(target).size === file.size && (await sha256Of(target)) === file.sha256) {
      summary.alreadyPresent++;
      options.progress.advance(index + 1, file.path);
      continue;
    }
    mkdirSync(dirname(target), { recursive: true });
    const part = `${target}.part`;
    if (options.mirror && !mirrorIsUrl) {
      const source = join(resolve(options.mirror), file.path);
      if (!existsSync(source)) throw new DatasetError(`Mirror ${options.mirror} lacks ${file.path}`);
      copyFileSync(source, part);
    } else {
      const url = mirrorIsUrl ? `${options.mirror!.replace(/\/$/, '')}/${file.path}` : `${manifest.sources[file.source]}${file.upstream}`;
      for (let attempt = 1; ; ++attempt) {
        try {
          await download(url, part, options.timeoutMs ?? 60_000);
          if (statSync(part).size >= file.size) break;
          throw new TinyBenchError(`${url}: transfer ended at ${statSync(part).size} of ${file.size} bytes`);
        } catch (error) {
          if (attempt >= attempts)
            throw new TinyBenchError(
              `Downloading ${file.path} failed after ${attempts} attempts (the partial file is kept and resumed next time): ${error instanceof Error ? error.message : String(error)}`,
            );
        }
      }
    }
    const actual = await sha256Of(part);
    if (actual !== file.sha256 || statSync(part).size !== file.size) {
      rmSync(part, { force: true });
      throw new DatasetError(`${file.path}: checksum mismatch (sha256 ${actual}, expected ${file.sha256}); the file was rejected and not installed`);
    }
    renameSync(part, target);
    summary.downloaded++;
    summary.bytes += file.size;
    options.progress.advance(index + 1, file.path);
  }
  options.progress.finish(`fetch: ${summary.downloaded} downloaded, ${summary.alreadyPresent} already present`);
  return summary;
}
