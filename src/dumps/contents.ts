// "Show contents": a dump's table of contents as a read-only document.
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { readToc } from '../core/logical';
import { newestTool } from './tree';

export const TOC_SCHEME = 'pgbackup-toc';

export class DumpContentsProvider implements vscode.TextDocumentContentProvider {
  constructor(private readonly ctx: Ctx) {}

  static uriFor(dumpPath: string): vscode.Uri {
    return vscode.Uri.from({ scheme: TOC_SCHEME, path: dumpPath });
  }

  async provideTextDocumentContent(uri: vscode.Uri, token: vscode.CancellationToken): Promise<string> {
    const abort = new AbortController();
    const cancel = token.onCancellationRequested(() => abort.abort());
    try {
      const toc = await readToc(uri.path, { pgRestore: newestTool(await this.ctx.tools()), decryption: await this.ctx.identity.decryption(), logger: this.ctx.log, signal: abort.signal });
      const h = toc.header;
      const header = [
        `; ${toc.path}`,
        `; format ${toc.format}${toc.gzip ? ' (gzip)' : ''}${h.compression ? `, compression ${h.compression}` : ''}`,
        h.dbname ? `; database ${h.dbname}` : undefined,
        h.createdAt ? `; created ${h.createdAt}` : undefined,
        h.dumpedFrom ? `; dumped from PostgreSQL ${h.dumpedFrom} by pg_dump ${h.dumpedBy ?? '?'}` : undefined,
        `; ${toc.entries.length} entries (read from the ${toc.source})`,
        ';',
      ].filter((l): l is string => l !== undefined);
      return [...header, ...toc.entries.map((e) => e.rawLine)].join('\n') + '\n';
    } finally {
      cancel.dispose();
    }
  }
}
