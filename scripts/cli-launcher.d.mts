// Types of cli-launcher.mjs, for the benchmarks that build the CLI as it ships.
import type * as esbuild from 'esbuild';

export function writeCliWithLauncher(esbuildApi: typeof esbuild, bundle: string, outfile: string, options?: { absWorkingDir?: string; minify?: boolean }): Promise<void>;
