// Types for scripts/cli-build.mjs, which the benchmarks import from TypeScript.
export function buildCommit(cwd?: string): string;
export function tocReaderId(root?: string): string;
export function catalogReaderId(root?: string): string;
export function readerDefines(readers: { tocReader?: string; catalogReader?: string }): Record<string, string>;
export function cliBuildOptions(esbuild: typeof import('esbuild'), options: { outfile: string; production: boolean; commit: string; tocReader?: string; catalogReader?: string }): import('esbuild').BuildOptions;
export function pgOnNodePlugin(): import('esbuild').Plugin;
